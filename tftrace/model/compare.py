"""``tftrace diff``: which variables' origins, update counts or values differ between two
traces, or two sessions ("it worked yesterday").

Each side is a trace and optionally a session. Without a session, each variable is taken
in the last session that has it (as ``explain`` does); with one, only that session's
variables count. A variable's state is its origin (kind, checkpoint, key, call site), its
updates since the origin, and its latest recorded value (the digest decides).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection

from tftrace.errors import UnknownSession
from tftrace.model.trace import Trace

#: Most significant first: a different origin is a different story; a variable on one
#: side only is a different model; then how far it trained; then just the numbers.
CHANGES = ("origin", "only-in-a", "only-in-b", "updates", "value")


@dataclass(frozen=True)
class Side:
    """One side of a diff: ``label`` as the user wrote it (``run1.json:2``)."""

    label: str
    trace: Trace
    session: int | None = None


@dataclass(frozen=True)
class VariableDiff:
    """One variable that differs; ``a``/``b`` are its state on each side (None when the
    side lacks it): ``{"origin", "updates_since_origin", "value"}``."""

    variable: str
    change: str
    a: dict[str, Any] | None
    b: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"variable": self.variable, "change": self.change, "a": self.a, "b": self.b}


def state(side: Side, name: str, names: Collection[str]) -> dict[str, Any] | None:
    """The state of ``name`` on ``side``, or None when that side does not have it:
    ``names`` are the side's variable names (``variable_names(side.session)``), best a set,
    computed once by the caller rather than sorted again for each variable."""
    trace = side.trace
    if name not in names:
        return None
    try:
        origin = trace.origin(name, side.session)
    except UnknownSession:  # declared in a graph no session ran
        return None
    value = trace.value(name, side.session)
    return {"origin": origin.to_json(),
            "updates_since_origin": trace.updates_since_origin(name, side.session),
            "value": None if value is None else value.to_json()}


def _same_origin(a: dict[str, Any], b: dict[str, Any]) -> bool:
    fields = ("kind", "checkpoint", "key", "location")
    if any(a["origin"].get(f) != b["origin"].get(f) for f in fields):
        return False
    # In merged traces: initialized by the chief yesterday, by worker 1 today.
    pa, pb = a["origin"].get("process"), b["origin"].get("process")
    return pa is None or pb is None or (pa["job"], pa["task"]) == (pb["job"], pb["task"])


def _digest(s: dict[str, Any]) -> str | None:
    return None if s["value"] is None else s["value"]["digest"]


def diff(a: Side, b: Side) -> list[VariableDiff]:
    """Every variable whose state differs, most significant change first."""
    names_a = set(a.trace.variable_names(a.session))
    names_b = set(b.trace.variable_names(b.session))
    found = []
    for name in sorted(names_a | names_b):
        sa, sb = state(a, name, names_a), state(b, name, names_b)
        if sa is None and sb is None:
            continue
        if sb is None:
            change = "only-in-a"
        elif sa is None:
            change = "only-in-b"
        elif not _same_origin(sa, sb):
            change = "origin"
        elif sa["updates_since_origin"] != sb["updates_since_origin"]:
            change = "updates"
        elif _digest(sa) != _digest(sb):
            change = "value"
        else:
            continue
        found.append(VariableDiff(name, change, sa, sb))
    found.sort(key=lambda d: (CHANGES.index(d.change), d.variable))
    return found
