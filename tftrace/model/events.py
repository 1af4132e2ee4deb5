"""The facts a trace holds, as plain frozen dataclasses: sessions, write events, saves, origins.

These are what queries return. They hold only data from the trace (no TensorFlow objects,
no references back into the model), so they can be compared, printed and kept around.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tftrace.model.display import printable
from tftrace.tracefile import ValueSummary

#: Kinds of write that give a variable a new value (the origin of what it holds next).
ORIGIN_KINDS = ("initializer", "restore", "assign")
#: Every kind of write, in the vocabulary of PRODUCT §2.
EVENT_KINDS = ORIGIN_KINDS + ("update",)
#: The ``sources`` entry of an assign whose value was fed (``feed_dict``), not computed.
FEED = "<feed>"


@dataclass(frozen=True)
class SessionInfo:
    """One session of the traced process.

    ``runs`` is the number of ``Session.run`` calls: from the session's end record when it
    was closed, otherwise the highest run number the trace recorded for it (read-only runs
    after that are not known). ``reads`` lists every variable some run read (only known for
    a closed session).
    """

    number: int
    graph: int
    kind: str = "Session"
    location: str | None = None
    time: float = 0.0
    runs: int = 0
    closed: bool = False
    reads: tuple[str, ...] = ()
    target: str = ""
    #: ops the program added to the graph between this session's runs, by creating line
    #: (:class:`~tftrace.tracefile.GraphGrowth`; only known for a closed session)
    graph_growth: tuple[Any, ...] = ()


@dataclass(frozen=True, repr=False, slots=True)
class Event:
    """One write to a variable: a single run, or an update streak of ``count`` runs.

    ``run`` is the run number (the first run of a streak), ``last_run`` the last one (equal
    to ``run`` for a single run). ``value`` is the variable's value summary after the write
    (for a streak, the last summary sampled during it), or None when it was not read.
    ``sources`` are the variables an assign's value was computed from (``"<feed>"`` for a
    fed value).

    >>> Event("w", "assign", session=1, run=3, location="x.py:5", sources=("a",))
    <Event assign w session 1 run 3 at x.py:5 from a>
    """

    variable: str
    kind: str
    session: int
    run: int
    count: int = 1
    last_run: int | None = None
    location: str | None = None
    op: str | None = None
    checkpoint: str | None = None
    key: str | None = None
    sources: tuple[str, ...] = ()
    value: ValueSummary | None = None
    time: float | None = None

    def __post_init__(self) -> None:
        if self.last_run is None:
            object.__setattr__(self, "last_run", self.run)

    @property
    def is_origin(self) -> bool:
        """True for writes that replace the value (initializer, restore, assign)."""
        return self.kind in ORIGIN_KINDS

    @property
    def runs(self) -> str:
        """The run number, or ``first-last`` for a streak: ``"5-104"``."""
        return str(self.run) if self.last_run == self.run else f"{self.run}-{self.last_run}"

    def __repr__(self) -> str:
        count = f" x{self.count}" if self.count != 1 else ""
        return (f"<Event {self.kind} {printable(self.variable)} session {self.session} "
                f"run {self.runs}{count}{_where_text(self.location)}"
                f"{_from_text(self.checkpoint, self.key, self.sources)}>")


@dataclass(frozen=True, repr=False)
class Origin:
    """Where a variable's value came from: its last initializer, restore or assign.

    ``kind`` is ``"uninitialized"`` (and ``event`` None) when no such write happened in the
    session. The other fields come from the origin event.

    >>> o = Origin("w", session=2)
    >>> o.kind, o.run
    ('uninitialized', None)
    """

    variable: str
    session: int
    event: Event | None = None

    @property
    def kind(self) -> str:
        return "uninitialized" if self.event is None else self.event.kind

    @property
    def run(self) -> int | None:
        return None if self.event is None else self.event.run

    @property
    def location(self) -> str | None:
        return None if self.event is None else self.event.location

    @property
    def checkpoint(self) -> str | None:
        return None if self.event is None else self.event.checkpoint

    @property
    def key(self) -> str | None:
        return None if self.event is None else self.event.key

    @property
    def sources(self) -> tuple[str, ...]:
        return () if self.event is None else self.event.sources

    def to_json(self) -> dict[str, Any]:
        """The ``origin`` object of ``explain --format json`` (PRODUCT §5)."""
        return {"kind": self.kind, "checkpoint": self.checkpoint, "key": self.key,
                "run": self.run, "location": self.location}

    def __repr__(self) -> str:
        if self.event is None:
            return f"<Origin uninitialized {printable(self.variable)} in session {self.session}>"
        return (f"<Origin {self.kind} {printable(self.variable)} in session {self.session} "
                f"run {self.run}{_where_text(self.location)}"
                f"{_from_text(self.checkpoint, self.key, self.sources)}>")


@dataclass(frozen=True)
class Save:
    """A run that saved a checkpoint: ``keys`` maps checkpoint key → variable name."""

    session: int
    run: int
    path: str | None
    keys: dict[str, str] = field(default_factory=dict)
    location: str | None = None
    time: float = 0.0


def _where_text(location: str | None) -> str:
    return f" at {printable(location)}" if location else ""


def _from_text(checkpoint: str | None, key: str | None, sources: tuple[str, ...]) -> str:
    if checkpoint is not None or key is not None:
        return f" from {printable(checkpoint)} key {printable(key)}"
    if sources:
        return " from " + ", ".join(printable(s) for s in sources)
    return ""
