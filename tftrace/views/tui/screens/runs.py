"""``r``: the sessions, and the runs of one (training loops coalesced into streaks), with
what each run wrote; Enter shows the variables a run wrote."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.worker import get_current_worker

from tftrace.model import Trace
from tftrace.views.tui.cells import (
    RUN_COLUMNS,
    RUNS_HEAD,
    RUNS_LIMIT,
    RunRow,
    clip,
    column_widths,
    run_detail,
    run_rows,
)
from tftrace.views.tui.screens.base import TraceScreen
from tftrace.views.tui.screens.sessions import session_options
from tftrace.views.tui.screens.source import SourceScreen, roots_for
from tftrace.views.tui.widgets.trace_header import TraceHeader


class RunsScreen(TraceScreen):
    BINDINGS = [
        Binding("o", "open_source", "Source"),
        Binding("escape", "app.switch_mode('variables')", "Back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RunRow] = []
        self.rows_session: int | None = None
        self.focus_table = False

    def compose(self) -> ComposeResult:
        yield TraceHeader(id="header")
        with Horizontal(id="split"):
            sessions = OptionList(id="session-list", markup=False)
            sessions.border_title = "sessions"
            yield sessions
            with Vertical(id="runs-pane"):
                table: DataTable = DataTable(id="runs", cursor_type="row", zebra_stripes=True)
                table.border_title = "runs"
                yield table
                with VerticalScroll(id="run-pane"):
                    yield Static(id="run-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.trace_changed()
        self.focus_table = True  # once its rows are in (a loading table takes no focus)

    @property
    def table(self) -> DataTable:
        return self.query_one("#runs", DataTable)

    def trace_changed(self) -> None:
        app = self.app
        sessions = self.query_one("#session-list", OptionList)
        sessions.set_options(session_options(app.trace, app.findings))
        if app.trace.has_session(app.session):
            sessions.highlighted = sessions.get_option_index(str(app.session))
        self.table.loading = True  # a session can have 100 000 runs: listed in a thread
        self.load_runs(app.trace, app.session)

    def findings_changed(self) -> None:
        # Only the sessions' finding counts change; keep the runs table as it is.
        app = self.app
        sessions = self.query_one("#session-list", OptionList)
        highlighted = sessions.highlighted
        sessions.set_options(session_options(app.trace, app.findings))
        sessions.highlighted = highlighted

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # Only a person moving in the list picks a session (not the list being refilled).
        if not event.option_list.has_focus or event.option.id is None:
            return
        number = int(event.option.id)
        if number != self.app.session:
            self.app.pick_session(number)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.table.focus()

    @work(thread=True, exclusive=True, group="runs")
    def load_runs(self, trace: Trace, session: int) -> None:
        rows = run_rows(trace, session) if trace.has_session(session) else []
        shown, hidden = clip(rows, RUNS_LIMIT, RUNS_HEAD)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_runs, session, shown, hidden, len(rows))

    def show_runs(self, session: int, rows: list[RunRow], hidden: int, total: int) -> None:
        keep = self.table.cursor_row if self.rows_session == session else 0
        self.rows, self.rows_session = rows, session
        table = self.table
        table.loading = False
        cells = [row.cells() for row in rows]
        gap = (Text(f"… {hidden} more", style="dim"),)
        table.clear(columns=True)
        for label, width in zip(RUN_COLUMNS, column_widths(
                RUN_COLUMNS, cells + ([gap] if hidden else []))):
            table.add_column(label, width=width)
        for i, row in enumerate(cells):
            if hidden and i == RUNS_HEAD:
                table.add_row(*gap, key="gap")
            table.add_row(*row, key=str(i))
        trace = self.app.trace
        info = trace.session(session) if trace.has_session(session) else None
        calls = f", {info.runs} Session.run calls" if info is not None else ""
        table.border_title = f"session {session}: {total} recorded runs{calls}"
        if rows:
            table.move_cursor(row=min(keep, table.row_count - 1))
        if self.focus_table:
            self.focus_table = False
            table.focus()
        self.show_detail()

    def current(self) -> RunRow | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return None if key in (None, "gap") else self.rows[int(key)]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        row = self.current()
        detail = self.query_one("#run-detail", Static)
        if row is None:
            detail.update(Text("No recorded runs: a run is recorded when it writes a "
                               "variable, saves, or fails.", style="dim")
                          if not self.rows else "")
            return
        text = run_detail(row, self.app.session)
        if row.writes:
            text.append("\n\nEnter shows these variables; o opens the call site.",
                        style="dim")
        detail.update(text)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = self.current()
        if row is None:
            return
        if not row.writes:
            self.notify("this run wrote no variable", markup=False)
            return
        self.app.show_variables(row.variables, self.app.session, f"run {row.runs}")

    def action_open_source(self) -> None:
        row = self.current()
        if row is not None:
            self.app.push_screen(SourceScreen(row.location, roots_for(self.app.trace),
                                              f"run {row.runs} at"))
