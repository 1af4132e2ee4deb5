"""``o``: a call site, ``file:line`` with a few lines of the file when it exists here."""
from __future__ import annotations

import os

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tftrace.model import Trace
from tftrace.model.display import printable
from tftrace.views.tui.sources import Excerpt, find_file, read_excerpt, split_location


def roots_for(trace: Trace) -> list[str | None]:
    """Where relative call sites are looked up: the traced program's working directory,
    the trace's directory, then here."""
    return [trace.header.cwd, os.path.dirname(os.path.abspath(trace.path)), os.getcwd()]


def excerpt_text(excerpt: Excerpt) -> Text:
    """Numbered lines, the call site's line marked and bold."""
    text = Text(end="", no_wrap=True)  # code keeps its lines; the dialog scrolls sideways
    width = len(str(excerpt.first + len(excerpt.lines) - 1))
    for i, line in enumerate(excerpt.lines):
        number = excerpt.first + i
        here = number == excerpt.line
        text.append("▶ " if here else "  ", style="bold yellow")
        text.append(f"{number:>{width}} ", style="bold" if here else "dim")
        text.append(line + "\n", style="bold" if here else "")
    return text


class SourceScreen(ModalScreen[None]):
    """Shows ``location``, looked up relative to each of ``roots`` (the traced process's
    working directory first)."""

    BINDINGS = [Binding("escape,o,q", "dismiss", "Close")]

    def __init__(self, location: str | None, roots: list[str | None], what: str = ""):
        super().__init__()
        self.location, self.roots, self.what = location, roots, what

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="source"):
            title = Text(end="")
            title.append(self.what + " " if self.what else "", style="dim")
            title.append(printable(self.location or "(no call site recorded)"), style="bold")
            yield Static(title, classes="title")
            yield Static(Text("reading…", style="dim"), id="excerpt")

    def on_mount(self) -> None:
        self.read()

    @work(thread=True, exclusive=True)
    def read(self) -> None:
        self.app.call_from_thread(self.show, self.excerpt())

    def show(self, text: Text) -> None:
        for excerpt in self.query("#excerpt").results(Static):  # none if dismissed
            excerpt.update(text)

    def excerpt(self) -> Text:
        where = split_location(self.location)
        if where is None:
            return Text("No file:line to show.", style="dim")
        path, line = where
        found = find_file(path, self.roots)
        if found is None:
            return Text(f"{printable(path)} is not on this machine (looked in the traced "
                        "program's directory and here).", style="dim")
        excerpt = read_excerpt(found, line)
        if excerpt is None:
            return Text(f"{printable(found)} has no line {line} (changed since the trace "
                        "was recorded?).", style="dim")
        return excerpt_text(excerpt)
