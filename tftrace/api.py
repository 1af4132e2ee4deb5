"""The public ``Trace``: the model's :class:`tftrace.model.Trace` plus its pictures.

The model answers questions and knows nothing of how they are drawn; the DOT view draws
them. A trace loaded with :func:`tftrace.load` (or ``tftrace.Trace.load``) is this class,
which joins the two for Python and notebook users: ``to_dot()`` gives ``tftrace render``'s
DOT text and a trace shown in Jupyter draws its diagram. It sits on top of both layers, as
the CLI does, so that neither imports the other.

    >>> import tftrace
    >>> trace = tftrace.load("examples/traces/restore_then_init.json")
    >>> "restore-overwritten" in trace.to_dot()
    True
"""
from __future__ import annotations

import html
from typing import Iterable

from tftrace.errors import TftraceError
from tftrace.model import trace as model
from tftrace.views import dot

__all__ = ["Trace", "load"]


class Trace(model.Trace):
    """A recorded trace (every query of :class:`tftrace.model.Trace`) that can draw its
    provenance diagram."""

    def to_dot(self, session: int | str | None = None, variables: Iterable[str] = (),
               scopes: Iterable[str] = (), problems: bool = False, max_nodes: int = 60,
               rankdir: str = "LR") -> str:
        """The provenance diagram of ``tftrace render`` as DOT text (deterministic).

        ``session``: a number, ``"all"``, or None for the last session; ``variables`` and
        ``scopes`` select what to draw, ``problems`` keeps the variables named by warnings
        and errors; beyond ``max_nodes`` variables, those sharing scope and history
        collapse into one box, and scopes whose variables do not share one are summarized
        in one box each. Render it with Graphviz, e.g. ``graphviz.Source(dot)``.

        >>> dot = load("examples/traces/restore_then_init.json").to_dot(rankdir="TB")
        >>> "rankdir=TB" in dot
        True
        """
        return dot.to_dot(self, session=session, variables=tuple(variables),
                          scopes=tuple(scopes), problems=problems, max_nodes=max_nodes,
                          rankdir=rankdir)

    def _repr_html_(self) -> str:
        return super()._repr_html_() + self._diagram_html()

    def _diagram_html(self) -> str:
        """The diagram as inline SVG for notebooks, or a note saying why there is none.

        In ``_repr_html_`` rather than a ``_repr_svg_``: notebooks prefer HTML, so an SVG
        repr would be computed (running ``dot``) and never shown."""
        try:
            svg = dot.render_svg(self)
        except TftraceError as error:  # no dot, no graphviz package, nothing to draw
            return f"<p><i>No diagram: {html.escape(str(error))}</i></p>"
        return svg[svg.find("<svg"):]  # inline: without the XML prolog and doctype


def load(path: str) -> Trace:
    """Load a trace file, a merged trace or a directory of traces (no TensorFlow needed);
    see :meth:`tftrace.model.Trace.load`."""
    return Trace.load(path)
