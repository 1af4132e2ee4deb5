"""Picking the session whose graph the screens show (``s``)."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tftrace.model import Trace
from tftrace.views.tui.cells import session_label
from tftrace.views.tui.status import Findings


def session_options(trace: Trace, findings: Findings | None) -> list[Option]:
    """One option per session (id: its number), with its size and findings."""
    options = []
    for number in trace.session_numbers:
        counts = None if findings is None else findings.counts(number)
        options.append(Option(session_label(trace, number, counts), id=str(number)))
    return options


class SessionPicker(ModalScreen[int | None]):
    """A list of the sessions; Enter picks one, Escape keeps the current one."""

    BINDINGS = [Binding("escape,s,q", "dismiss(None)", "Close")]

    def __init__(self, trace: Trace, current: int, findings: Findings | None):
        super().__init__()
        self.trace, self.current, self.findings = trace, current, findings

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Show which session? (Enter picks, Esc closes)", classes="title")
            options = OptionList(*session_options(self.trace, self.findings),
                                 id="sessions", markup=False)
            # Set here, not in on_mount: a key can dismiss the screen before it mounts.
            if self.trace.has_session(self.current):
                options.highlighted = options.get_option_index(str(self.current))
            yield options

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id))
