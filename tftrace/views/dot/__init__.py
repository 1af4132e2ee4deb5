"""Graphviz provenance diagrams: ``tftrace render`` and ``Trace.to_dot()``.

A picture to paste into a bug report: where every variable's value came from (checkpoints
with the keys used, initializer, assign and update runs), which origin is current (bold)
and which were overwritten (grey dashes), what failed (red), and the findings of
``tftrace check`` on the variables they name.

>>> import tftrace
>>> from tftrace.views.dot import to_dot
>>> source = to_dot(tftrace.load("examples/traces/restore_then_init.json"))
>>> source.startswith("digraph tftrace {")
True

Three steps, each its own module: :mod:`~tftrace.views.dot.diagram` decides what to draw
(the plain data of :mod:`~tftrace.views.dot.parts`, in stages: select, collapse, links
and boxes, checkpoint tables), :mod:`~tftrace.views.dot.source` writes it as DOT text,
:mod:`~tftrace.views.dot.output` renders it with ``dot`` and writes the file.
"""
from __future__ import annotations

from typing import Any, Callable

from tftrace.views.dot.diagram import build_diagram
from tftrace.views.dot.parts import ALL_SESSIONS, MAX_NODES, RANKDIRS, Diagram, DiagramOptions
from tftrace.views.dot.output import (
    DOT_TIMEOUT,
    FORMATS,
    check_output,
    output_format,
    render_source,
    write_output,
)
from tftrace.views.dot.source import dot_source

__all__ = ["to_dot", "render", "render_svg", "build_diagram", "dot_source", "Diagram",
           "DiagramOptions", "FORMATS", "ALL_SESSIONS", "MAX_NODES", "RANKDIRS",
           "check_output", "output_format", "render_source", "write_output", "DOT_TIMEOUT"]


def to_dot(trace: Any, session: int | str | None = None, variables: tuple[str, ...] = (),
           scopes: tuple[str, ...] = (), problems: bool = False, max_nodes: int = MAX_NODES,
           rankdir: str = "LR") -> str:
    """The DOT source of ``trace``'s provenance diagram (see :class:`DiagramOptions`)."""
    return dot_source(_diagram(trace, session, variables, scopes, problems, max_nodes,
                               rankdir))


def _diagram(trace: Any, session: int | str | None = None, variables: tuple[str, ...] = (),
             scopes: tuple[str, ...] = (), problems: bool = False, max_nodes: int = MAX_NODES,
             rankdir: str = "LR") -> Diagram:
    options = DiagramOptions(session=session, variables=tuple(variables),
                             scopes=tuple(scopes), problems=problems, max_nodes=max_nodes,
                             rankdir=rankdir)
    return build_diagram(trace, options)


def render(trace: Any, output: str, *, progress: Callable[[str], None] | None = None,
           dot_timeout: float | None = DOT_TIMEOUT, **options: Any) -> str:
    """Draw ``trace`` into ``output`` (PNG, SVG, PDF or DOT, from the suffix); return the
    DOT source. Options as for :func:`to_dot`; ``progress`` is told, in one line each,
    what ``dot`` is about to lay out and what was written; ``dot_timeout`` bounds
    ``dot``'s time in seconds."""
    fmt = check_output(output)  # before any work: bad suffix, no directory, no dot
    diagram = _diagram(trace, **options)
    source = dot_source(diagram)
    size = diagram_size(diagram)
    if fmt != "dot" and progress is not None:
        progress(f"laying out {size} with Graphviz's dot (at most "
                 f"{dot_timeout:g} s)..." if dot_timeout else
                 f"laying out {size} with Graphviz's dot...")
    write_output(render_source(source, fmt, dot_timeout), output)
    if progress is not None:
        progress(f"wrote {output}: {drawn_text(diagram)}")
    return source


def diagram_size(diagram: Diagram) -> str:
    """``"14 boxes and 20 edges"``: what ``dot`` has to lay out."""
    nodes = len(diagram.variables) + len(diagram.runs) + len(diagram.checkpoints)
    edges = len(diagram.links)
    return (f"{nodes} box{'es' if nodes != 1 else ''} and "
            f"{edges} edge{'s' if edges != 1 else ''}")


def drawn_text(diagram: Diagram) -> str:
    """What the picture shows, for the line that says where it was written."""
    shown = sum(part.shown for part in diagram.sessions)
    total = sum(part.total for part in diagram.sessions)
    sessions = ", ".join(str(part.number) for part in diagram.sessions)
    what = f"{shown} of {total} variables" if shown != total else (
        f"{total} variable{'s' if total != 1 else ''}")
    boxes = len(diagram.variables)
    grouped = f" in {boxes} box{'es' if boxes != 1 else ''}" if boxes != shown else ""
    label = "sessions" if len(diagram.sessions) > 1 else "session"
    return f"{what}{grouped}, {label} {sessions}"


def render_svg(trace: Any, **options: Any) -> str:
    """The diagram as SVG text (for notebooks). Needs ``dot``; bounded by DOT_TIMEOUT."""
    return render_source(to_dot(trace, **options), "svg").decode("utf-8")
