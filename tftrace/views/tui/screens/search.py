"""``/``: fuzzy search over the variable names of the session shown."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tftrace.model.display import printable
from tftrace.views.tui.fuzzy import search

#: Above this many names, matching runs in a worker thread so typing never stutters.
SYNC_LIMIT = 2000


def match_prompt(name: str, positions: tuple[int, ...]) -> Text:
    """The name with the matched letters highlighted (on a plain Text: no markup)."""
    shown = printable(name)
    text = Text(shown, end="")
    if shown == name:  # positions refer to the raw name; escaping would shift them
        for i in positions:
            text.stylize("bold reverse", i, i + 1)
    return text


class SearchScreen(ModalScreen[str | None]):
    """Type to filter, ↑/↓ to choose, Enter to go there, Esc to cancel."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]

    def __init__(self, names: list[str], query: str = ""):
        super().__init__()
        self.names = names
        self.query_text = query

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="search"):
            query = Input(self.query_text, placeholder="search variables (fuzzy)",
                          id="query")
            # A blinking cursor redraws the dimmed screen below twice a second.
            query.cursor_blink = False
            yield query
            yield OptionList(id="matches", markup=False)

    def on_mount(self) -> None:
        self.update_matches(self.query_text)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.update_matches(event.value)

    def update_matches(self, query: str) -> None:
        if len(self.names) <= SYNC_LIMIT:
            self.show_matches(query, search(query, self.names))
        else:
            self.match_in_thread(query)

    @work(thread=True, exclusive=True, group="search")
    def match_in_thread(self, query: str) -> None:
        found = search(query, self.names)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_matches, query, found)

    def show_matches(self, query: str, found: list[tuple[str, tuple[int, ...]]]) -> None:
        lists = self.query(OptionList).results(OptionList)
        options = next(lists, None)
        if options is None:  # dismissed meanwhile
            return
        options.set_options(Option(match_prompt(name, where), id=str(i))
                            for i, (name, where) in enumerate(found))
        self.found = [name for name, _ in found]
        if found:
            options.highlighted = 0
        shown = f"{len(found)}" + ("+" if len(found) >= 200 else "")
        options.border_title = f"{shown} of {len(self.names)} variables"

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.choose(self.query_one(OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(event.option_index)

    def choose(self, index: int | None) -> None:
        if index is None or not getattr(self, "found", None):
            self.app.bell()
            return
        self.dismiss(self.found[index])
