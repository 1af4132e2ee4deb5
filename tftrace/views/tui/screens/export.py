"""``e``: export the selection (a variable, a scope, the filtered tree) as a Graphviz
diagram — DOT text, or PNG/SVG/PDF when Graphviz's ``dot`` is installed."""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tftrace.errors import TftraceError
from tftrace.model import Trace
from tftrace.model.display import printable


@dataclass(frozen=True)
class Selection:
    """What to draw: ``variables`` and/or ``scopes`` (``"dense"``, no slash) of
    ``session``, or only the variables with findings; ``label`` names it for people."""

    session: int
    label: str
    variables: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    problems: bool = False


def default_path(trace_path: str, selection: Selection, have_dot: bool) -> str:
    """``restore_then_init-dense_kernel.png`` next to where tftrace runs."""
    stem = os.path.splitext(os.path.basename(trace_path))[0] or "trace"
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", selection.label).strip("_.")[:60]
    suffix = ".png" if have_dot else ".dot"
    return f"{stem}-{slug}{suffix}" if slug else f"{stem}{suffix}"


def export(trace: Trace, selection: Selection, path: str) -> str:
    """Write the diagram of ``selection`` to ``path`` (format from the suffix)."""
    from tftrace.views.dot import render

    render(trace, path, session=selection.session, variables=selection.variables,
           scopes=selection.scopes, problems=selection.problems)
    return path


class ExportScreen(ModalScreen[str | None]):
    """Asks for the output file, then writes it in a worker thread."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, trace: Trace, selection: Selection):
        super().__init__()
        self.trace, self.selection = trace, selection

    def compose(self) -> ComposeResult:
        have_dot = shutil.which("dot") is not None
        title = Text(end="")
        title.append("Export ", style="bold")
        title.append(printable(self.selection.label), style="bold")
        title.append(f" (session {self.selection.session}) as a Graphviz diagram")
        with Vertical(classes="dialog", id="export"):
            yield Static(title, classes="title")
            yield Input(default_path(self.trace.path, self.selection, have_dot), id="path")
            note = ".png, .svg, .pdf or .dot — Enter writes, Esc cancels"
            if not have_dot:
                note += "\n(Graphviz's dot is not installed: only .dot works here)"
            yield Static(Text(note, style="dim"), id="export-status")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        if not path:
            return
        self.query_one("#export-status", Static).update(Text("writing…", style="dim"))
        self.write(path)

    @work(thread=True, exclusive=True)
    def write(self, path: str) -> None:
        try:
            written = export(self.trace, self.selection, path)
        except TftraceError as e:
            self.app.call_from_thread(self.failed, str(e))
        except ImportError:
            self.app.call_from_thread(self.failed, "this tftrace has no Graphviz view")
        else:
            self.app.call_from_thread(self.done, written)

    def failed(self, message: str) -> None:
        self.query_one("#export-status", Static).update(
            Text(printable(message), style="bold red"))

    def done(self, path: str) -> None:
        self.app.notify(f"wrote {printable(path)}", title="export", markup=False)
        self.dismiss(path)
