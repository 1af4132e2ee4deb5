"""``d``: every finding of ``tftrace check``, most severe first; Enter shows its variables."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tftrace.model.diagnostics import SEVERITIES, Diagnostic
from tftrace.views.check import STYLES, TITLES
from tftrace.views.tui.cells import finding_detail, finding_summary
from tftrace.views.tui.screens.base import TraceScreen
from tftrace.views.tui.screens.source import SourceScreen, roots_for
from tftrace.views.tui.status import Findings
from tftrace.views.tui.widgets.trace_header import TraceHeader


def finding_options(findings: Findings) -> list[Option | None]:
    """Options grouped under a (disabled) heading per severity; ids index the findings."""
    options: list[Option | None] = []
    for severity in reversed(SEVERITIES):
        group = [(i, d) for i, d in enumerate(findings.diagnostics) if d.severity == severity]
        if not group:
            continue
        heading = Text(f"{TITLES[severity].upper()} ({len(group)})",
                       style=STYLES[severity] + " underline", end="")
        options.append(Option(heading, disabled=True))
        options.extend(Option(finding_summary(d, width=120), id=str(i)) for i, d in group)
    return options


class DiagnosticsScreen(TraceScreen):
    BINDINGS = [
        Binding("o", "open_source", "Source"),
        Binding("escape", "app.switch_mode('variables')", "Back", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield TraceHeader(id="header")
        with Horizontal(id="split"):
            findings = OptionList(id="finding-list", markup=False)
            findings.border_title = "findings"
            yield findings
            with VerticalScroll(id="finding-pane"):
                yield Static(id="finding-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.trace_changed()
        self.query_one(OptionList).focus()

    @property
    def current(self) -> Diagnostic | None:
        findings = self.app.findings
        option = self.query_one(OptionList).highlighted_option
        if findings is None or option is None or option.id is None:
            return None
        return findings.diagnostics[int(option.id)]

    def session_changed(self) -> None:
        """The list shows every session's findings: nothing to redo."""

    def trace_changed(self) -> None:
        findings = self.app.findings
        options = self.query_one(OptionList)
        keep = options.highlighted_option.id if options.highlighted_option else None
        if findings is None:
            options.set_options([Option(Text("checking for problems…", style="dim"),
                                        disabled=True)])
            self.show_detail()
            return
        if not findings.diagnostics:
            options.set_options([Option(Text(
                "No findings: every variable got its value the way the program meant.",
                style="green"), disabled=True)])
            options.border_title = "findings"
            self.show_detail()
            return
        options.set_options(finding_options(findings))
        options.border_title = f"findings ({len(findings.diagnostics)})"
        ids = [o.id for o in options.options]
        options.highlighted = ids.index(keep) if keep is not None and keep in ids else \
            next(i for i, o in enumerate(options.options) if o.id is not None)
        self.show_detail()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        d = self.current
        detail = self.query_one("#finding-detail", Static)
        if d is None:
            detail.update("")
            return
        text = finding_detail(d)
        if d.variables:
            text.append("\n\nEnter shows these variables; o opens the call site.",
                        style="dim")
        detail.update(text)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_show_variables()

    def action_show_variables(self) -> None:
        d = self.current
        if d is None:
            return
        if not d.variables:
            self.notify("this finding names no variable", markup=False)
            return
        self.app.show_variables(d.variables, d.session, d.rule)

    def action_open_source(self) -> None:
        d = self.current
        if d is None:
            return
        self.app.push_screen(SourceScreen(d.location, roots_for(self.app.trace),
                                          f"{d.rule} at"))
