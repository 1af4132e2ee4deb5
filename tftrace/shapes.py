"""How a tensor shape is written, everywhere (stdlib only).

The views, the rules' messages, ``tftrace inspect`` and the recorder's exception notes all
spell shapes with :func:`format_shape`, so a scalar reads ``scalar`` in every one of them.
"""
from __future__ import annotations

from typing import Iterable

__all__ = ["format_shape"]


def format_shape(shape: Iterable[int | None] | None) -> str:
    """``[784, 10]``, ``scalar`` for rank 0, ``?`` for an unknown dimension or shape.

    >>> format_shape((784, None)), format_shape(()), format_shape(None)
    ('[784, ?]', 'scalar', '?')
    """
    if shape is None:
        return "?"
    dims = ["?" if d is None else str(d) for d in shape]
    return "[" + ", ".join(dims) + "]" if dims else "scalar"
