"""The right-hand pane: one variable's origin verdict, findings, timeline and lineage.

The facts are gathered in a worker thread (``explain``, the timeline across sessions,
``lineage`` — each a few index lookups, but a variable can have thousands of events) and
placed by the UI thread; a newer selection cancels an older one.
"""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from tftrace.model import Trace
from tftrace.model.diagnostics import Diagnostic
from tftrace.model.display import printable
from tftrace.views.text import verdict
from tftrace.views.tui.cells import (
    TIMELINE_HEAD,
    TIMELINE_LIMIT,
    TimelineRow,
    clip,
    column_widths,
    declaration_text,
    finding_head,
    row_height,
    timeline,
    timeline_columns,
)
from tftrace.views.tui.scopes import Scope
from tftrace.views.tui.status import MARKERS, Findings, VariableStatus

#: How many variables "shares its origin with" names before "and N more".
SHARED_SHOWN = 8
#: Variables with at most this many events are explained on the UI thread (< 1 ms).
GATHER_HERE = 200


@dataclass(frozen=True)
class Detail:
    """Everything the pane shows about one variable of one session."""

    name: str
    session: int
    verdict: str
    rows: tuple[TimelineRow, ...]
    hidden_rows: int
    lineage: tuple[str, ...]
    shared: tuple[str, ...]
    findings: tuple[Diagnostic, ...] | None  # None: diagnostics not computed yet


def gather(trace: Trace, name: str, session: int, findings: Findings | None) -> Detail:
    """The facts about ``name`` in ``session`` (runs in a worker thread)."""
    explanation = trace.explain(name, session)
    story = verdict(explanation)
    prefix = printable(name) + ": "
    if story.startswith(prefix):  # the pane's title already names the variable
        story = story[len(prefix):]
    rows, hidden = clip(timeline(trace, name, session), TIMELINE_LIMIT, TIMELINE_HEAD)
    named = None if findings is None else tuple(
        d for d in findings.in_session(session) if name in d.variables)
    return Detail(name=name, session=session, verdict=story, rows=tuple(rows),
                  hidden_rows=hidden, lineage=tuple(trace.lineage(name, session).lines()),
                  shared=tuple(trace.shared_origin(name, session)), findings=named)


def findings_text(findings: tuple[Diagnostic, ...] | None) -> Text:
    if findings is None:
        return Text("checking for problems…", style="dim")
    if not findings:
        return Text("no findings", style="dim green")
    text = Text(end="")
    for i, d in enumerate(findings):
        if i:
            text.append("\n")
        text.append_text(finding_head(d))
        text.append("\n  " + printable(d.message))
        if d.hint:
            text.append("\n  hint: ", style="green")
            text.append(printable(d.hint))
    return text


def lineage_text(detail: Detail) -> Text:
    text = Text(end="")
    text.append("lineage", style="bold underline")
    for line in detail.lineage:  # already printable (LineageStep.describe)
        text.append("\n" + line)
    if detail.shared:
        shown = ", ".join(printable(n) for n in detail.shared[:SHARED_SHOWN])
        more = len(detail.shared) - SHARED_SHOWN
        text.append("\nsame origin as: ", style="dim")
        text.append(shown + (f" and {more} more" if more > 0 else ""))
    return text


def scope_text(scope: Scope, session: int, findings: Findings | None) -> Text:
    text = Text(end="")
    text.append((printable(scope.path) or "(top)"), style="bold")
    text.append(f"\n{scope.count} variable{'s' if scope.count != 1 else ''} below, "
                f"session {session}", style="dim")
    if findings is None:
        text.append("\nchecking for problems…", style="dim")
        return text
    problems = [n for n in findings.problems(session) if n.startswith(scope.path)]
    if not problems:
        text.append("\nno findings below", style="dim green")
        return text
    text.append(f"\n\n{len(problems)} with findings:")
    for name in sorted(problems)[:50]:
        marker, style = MARKERS[findings.severity(session, name) or "info"]
        text.append(f"\n {marker} ", style=style)
        text.append(printable(name))
    if len(problems) > 50:
        text.append(f"\n … and {len(problems) - 50} more", style="dim")
    return text


class VariableDetail(VerticalScroll):
    """Shows a variable (:meth:`show_variable`), a scope, or a hint."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.detail: Detail | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Static(id="verdict")
        table: DataTable = DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        table.border_title = "timeline"
        yield table
        yield Static(id="variable-findings")
        yield Static(id="lineage")

    def on_mount(self) -> None:
        self.show_message(Text("Select a variable.", style="dim"))

    @property
    def table(self) -> DataTable:
        return self.query_one("#timeline", DataTable)

    def show_message(self, text: Text) -> None:
        self.detail = None
        self.query_one("#title", Static).update(text)
        for part in ("#verdict", "#variable-findings", "#lineage"):
            self.query_one(part, Static).update("")
        self.table.clear()
        self.set_class(True, "-empty")

    def show_scope(self, scope: Scope, session: int, findings: Findings | None) -> None:
        self.show_message(scope_text(scope, session, findings))

    def show_variable(self, trace: Trace, name: str, session: int,
                      status: VariableStatus | None, findings: Findings | None) -> None:
        record = trace.variables_of(session)[name]
        self.query_one("#title", Static).update(
            declaration_text(name, session, record, status))
        self.set_class(False, "-empty")
        if len(trace.variable_history(name, session).events) <= GATHER_HERE:
            # A few lookups: faster here than a thread, which would also have to win the
            # GIL from the diagnostics thread while that runs.
            self.workers.cancel_group(self, "detail")
            self._fill(trace, gather(trace, name, session, findings))
        else:
            self.gather_in_thread(trace, name, session, findings)

    @work(thread=True, exclusive=True, group="detail")
    def gather_in_thread(self, trace: Trace, name: str, session: int,
                         findings: Findings | None) -> None:
        detail = gather(trace, name, session, findings)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._fill, trace, detail)

    def _fill(self, trace: Trace, detail: Detail) -> None:
        self.detail = detail
        self.query_one("#verdict", Static).update(Text(detail.verdict, style="bold"))
        self.query_one("#variable-findings", Static).update(findings_text(detail.findings))
        record = trace.variables_of(detail.session).get(detail.name)
        shape = None if record is None else record.shape
        table = self.table
        cells = [row.cells(shape) for row in detail.rows]
        gap = (Text(f"… {detail.hidden_rows} more", style="dim"),)
        table.clear(columns=True)
        columns = timeline_columns(detail.rows)
        for label, width in zip(columns, column_widths(
                columns, cells + ([gap] if detail.hidden_rows else []))):
            table.add_column(label, width=width)
        for i, row in enumerate(cells):
            if detail.hidden_rows and i == TIMELINE_HEAD:
                table.add_row(*gap, key="gap")
            table.add_row(*row, key=str(i), height=row_height(row))
        count = len(detail.rows) + detail.hidden_rows
        table.border_title = f"timeline: {count} event{'s' if count != 1 else ''}"
        self.query_one("#lineage", Static).update(lineage_text(detail))

    def current_row(self) -> TimelineRow | None:
        """The timeline row under the table's cursor."""
        if self.detail is None or not self.table.row_count:
            return None
        key = self.table.coordinate_to_cell_key((self.table.cursor_row, 0)).row_key.value
        return None if key in (None, "gap") else self.detail.rows[int(key)]
