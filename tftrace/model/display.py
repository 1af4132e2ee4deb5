"""Short plain-text phrases for trace data, shared by the model's reprs and the views.

Every string in a trace is untrusted (a hand-edited trace can hold terminal escape
sequences), so everything shown goes through :func:`printable` first.
"""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from tftrace.escape import printable
from tftrace.shapes import format_shape  # one spelling for every view, rule and note
from tftrace.tracefile import ValueSummary
from tftrace.tracefile.records import FEED

if TYPE_CHECKING:
    from tftrace.model.events import Event

__all__ = ["DIGEST_CHARS", "ORIGIN_WORDS", "event_source", "printable", "format_number",
           "format_shape", "format_values", "format_summary", "natural_key",
           "non_finite_counts"]

#: An origin kind (``Origin.kind``) → the words for where a value came from, in every
#: view ("400 restored", "initialized (run 1)", "3 uninitialized", "from another
#: process" for a remote session's variable that no write of the session gave a value).
ORIGIN_WORDS = {"restore": "restored", "initializer": "initialized", "assign": "assigned",
                "uninitialized": "uninitialized", "external": "from another process"}

_DIGITS = re.compile(r"(\d+)")

#: How many hex digits of a value digest are shown; enough to tell values apart by eye.
DIGEST_CHARS = 8


def format_number(x: float | int | None) -> str:
    """A compact number: ``format_number(0.000123456)`` → ``'0.000123'``."""
    if x is None:
        return "-"
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return str(x)
    if isinstance(x, int):  # integer dtypes: no exponent, no rounding
        return str(x)
    return f"{x:.3g}"


def format_values(values: Any) -> str:
    """A summary's full values (a number or nested lists) in compact form."""
    if isinstance(values, list):
        return "[" + ", ".join(format_values(v) for v in values) + "]"
    if isinstance(values, float):
        return format_number(values)
    return printable(values)


def format_summary(value: ValueSummary | None) -> str:
    """One line describing a value summary.

    >>> s = ValueSummary(digest="3f2a9c01dd", dtype="float32", shape=(2,), min=0.0, max=1.0,
    ...                  mean=0.5, std=0.5, values=[0.0, 1.0], has_values=True)
    >>> format_summary(s)
    'float32 [2] = [0, 1]  #3f2a9c01'
    """
    if value is None:
        return "(value not read)"
    parts = [f"{printable(value.dtype)} {format_shape(value.shape)}"]
    if value.has_values:
        parts.append(f"= {format_values(value.values)}")
    elif value.min is not None:
        parts.append(f"min {format_number(value.min)} max {format_number(value.max)} "
                     f"mean {format_number(value.mean)}")
    parts += non_finite_counts(value)
    text = " ".join(parts)
    if value.digest:
        text += f"  #{printable(value.digest[:DIGEST_CHARS])}"
    return text


def natural_key(text: str) -> tuple:
    """Sort key putting ``block2`` before ``block10`` (and ``ckpt-5`` before ``ckpt-10``);
    the text itself breaks ties, so the order is total and deterministic. Every view sorts
    names with it, so the tree, the diagram and the tables list them alike.

    >>> sorted(["v10", "v2", "b", "v1"], key=natural_key)
    ['b', 'v1', 'v2', 'v10']
    """
    parts = _DIGITS.split(text)
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), text


def non_finite_counts(value: ValueSummary) -> list[str]:
    """``["3 NaN", "1 Inf"]``: the non-finite elements of a value summary (empty when
    finite), for each view and rule to join its own way."""
    return [f"{n} {what}" for n, what in ((value.nan, "NaN"), (value.inf, "Inf")) if n]


def event_source(event: Event) -> str:
    """Where a written value came from: ``ckpt/model key w``, ``from a, b``, ``fed value``
    (raw trace text: escape it where it is shown)."""
    if event.checkpoint is not None or event.key is not None:
        return f"{event.checkpoint} key {event.key}"
    if event.sources:
        named = [s for s in event.sources if s != FEED]
        text = "from " + ", ".join(named) if named else ""
        if FEED in event.sources:
            text = f"{text} + fed value" if text else "fed value"
        return text
    return ""
