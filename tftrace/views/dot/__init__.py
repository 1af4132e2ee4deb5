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
(plain data), :mod:`~tftrace.views.dot.source` writes it as DOT text,
:mod:`~tftrace.views.dot.output` renders it with ``dot`` and writes the file.
"""
from __future__ import annotations

from typing import Any

from tftrace.views.dot.diagram import (
    ALL_SESSIONS,
    MAX_NODES,
    RANKDIRS,
    Diagram,
    DiagramOptions,
    build_diagram,
)
from tftrace.views.dot.output import (
    FORMATS,
    check_output,
    output_format,
    render_source,
    write_output,
)
from tftrace.views.dot.source import dot_source

__all__ = ["to_dot", "render", "render_svg", "build_diagram", "dot_source", "Diagram",
           "DiagramOptions", "FORMATS", "ALL_SESSIONS", "MAX_NODES", "RANKDIRS",
           "check_output", "output_format", "render_source", "write_output"]


def to_dot(trace: Any, session: int | str | None = None, variables: tuple[str, ...] = (),
           scopes: tuple[str, ...] = (), problems: bool = False, max_nodes: int = MAX_NODES,
           rankdir: str = "LR") -> str:
    """The DOT source of ``trace``'s provenance diagram (see :class:`DiagramOptions`)."""
    options = DiagramOptions(session=session, variables=tuple(variables),
                             scopes=tuple(scopes), problems=problems, max_nodes=max_nodes,
                             rankdir=rankdir)
    return dot_source(build_diagram(trace, options))


def render(trace: Any, output: str, **options: Any) -> str:
    """Draw ``trace`` into ``output`` (PNG, SVG, PDF or DOT, from the suffix); return the
    DOT source. Options as for :func:`to_dot`."""
    fmt = check_output(output)  # before any work: bad suffix, no directory, no dot
    source = to_dot(trace, **options)
    write_output(render_source(source, fmt), output)
    return source


def render_svg(trace: Any, **options: Any) -> str:
    """The diagram as SVG text (for notebooks). Needs ``dot``."""
    return render_source(to_dot(trace, **options), "svg").decode("utf-8")
