"""``?``: the keys, the badges and markers, in one modal."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tftrace.views.tui.status import BADGES, MARKERS, ORIGIN_WORDS

KEYS = [
    ("anywhere", [
        ("v d r", "variables / diagnostics / sessions and runs screen"),
        ("s", "show another session's graph"),
        ("?", "this help (Esc, ? or q closes it)"),
        ("Esc", "close a dialog; on a screen: back to all variables"),
        ("q", "quit"),
    ]),
    ("variables", [
        ("↑ ↓ ← →, mouse", "move in the tree; → or Space opens a scope"),
        ("Enter", "go to the variable's timeline (Enter on a row: its call site)"),
        ("Tab", "next pane: tree → detail (scroll) → timeline"),
        ("/", "search variables (fuzzy: 'dk' finds dense/kernel)"),
        ("p", "show only variables with findings (again: show all)"),
        ("n N", "next / previous variable with a finding"),
        ("o", "open the call site: the timeline row's, else where the value came from"),
        ("e", "export the selection to DOT / PNG / SVG"),
        ("Esc", "show all variables again"),
    ]),
    ("diagnostics, runs", [
        ("Enter, click", "show the variables of the finding / written by the run"),
        ("o", "open the call site"),
    ]),
]


def help_text() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for section, keys in KEYS:
        table.add_row(Text(section, style="underline"), "")
        for key, what in keys:
            table.add_row(key, what)
        table.add_row("", "")
    table.add_row(Text("origin", style="underline"), "")
    for kind, (badge, colour) in BADGES.items():
        table.add_row(Text(badge, style=f"bold {colour}"), f"value {ORIGIN_WORDS[kind]}"
                      + (" (checkpoint, incl. init_from_checkpoint)" if kind == "restore"
                         else ""))
    table.add_row("+N", "update runs (training steps) since that origin")
    table.add_row("", "")
    table.add_row(Text("findings", style="underline"), "")
    for severity, (marker, style) in MARKERS.items():
        table.add_row(Text(marker, style=style), severity)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help"):
            yield Static("tftrace view — where did each variable's value come from?",
                         classes="title")
            yield Static(help_text())
