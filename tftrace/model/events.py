"""The facts a trace holds, as plain frozen dataclasses: sessions, write events, saves, origins.

These are what queries return. They hold only data from the trace (no TensorFlow objects,
no references back into the model), so they can be compared, printed and kept around.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tftrace.model.display import printable
from tftrace.tracefile import ValueSummary
from tftrace.tracefile.records import EVENT_KINDS, FEED  # noqa: F401 - re-exported

#: Kinds of write that give a variable a new value (the origin of what it holds next).
ORIGIN_KINDS = ("initializer", "restore", "assign")
# EVENT_KINDS (every kind of write, PRODUCT §2) and FEED (the ``sources`` entry of a fed
# value) are the trace format's, defined once in tftrace.tracefile.records.


@dataclass(frozen=True)
class Process:
    """One process of a merged trace (a task of a cluster): where its own trace came from
    and who it was. ``number`` orders the processes of the merge (1, 2, ...).

    >>> Process(1, "traces/worker1.json", job="worker", task=1, pid=42).label
    'worker:1'
    """

    number: int
    trace: str
    host: str | None = None
    pid: int | None = None
    job: str | None = None
    task: int | None = None
    is_chief: bool | None = None
    #: Another process of the merge has the same job and task (a restarted worker): the
    #: label adds the pid.
    same_task: bool = False

    @property
    def label(self) -> str:
        """``worker:1``, or ``pid 42`` (``trace 2`` when even that is unknown)."""
        if self.job is not None:
            label = f"{printable(self.job)}:{self.task if self.task is not None else '?'}"
            return f"{label} pid {self.pid}" if self.same_task else label
        if self.pid is not None:
            return f"pid {self.pid}"
        return f"trace {self.number}"

    def to_json(self) -> dict[str, Any]:
        """The ``process`` object of PRODUCT §5."""
        return {"trace": self.trace, "host": self.host, "pid": self.pid, "job": self.job,
                "task": self.task}


def tell_apart(processes: list[Process]) -> list[Process]:
    """``processes`` with ``same_task`` set where two share a job and task."""
    tasks = [(p.job, p.task) for p in processes]
    return [replace(p, same_task=True) if p.job is not None and tasks.count((p.job, p.task)) > 1
            else p for p in processes]


@dataclass(frozen=True)
class MergeNote:
    """Something a merge could not do: traces it could not join (``"not-joined"``), or a
    process of the cluster with no trace (``"missing"``)."""

    kind: str
    message: str
    processes: tuple[Process, ...] = ()
    job: str | None = None  # for "missing": the job and task nobody traced
    task: int | None = None


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
    #: The target is a server: its variables may hold values written by other processes.
    remote: bool = False
    #: In a merged trace: each process session this session joins, as (process, its
    #: session number in that process's own trace).
    members: tuple[tuple[Process, int], ...] = ()
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
    #: In a merged trace: the process that wrote, and the session and runs in its own
    #: trace (``run`` above is the position in the merged order).
    process: Process | None = None
    local: tuple[int, int, int] | None = None  # (session, first run, last run)

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
        return run_span(self.run, self.last_run)

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
    #: No write here, but the session is remote: another process owns the value.
    external: bool = False

    @property
    def kind(self) -> str:
        if self.event is None:
            return "external" if self.external else "uninitialized"
        return self.event.kind

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
        d = {"kind": self.kind, "checkpoint": self.checkpoint, "key": self.key,
             "run": self.run, "location": self.location}
        if self.event is not None and self.event.process is not None:
            d["process"] = process_json(self.event)
        return d

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


def run_span(first: int, last: int | None) -> str:
    """``"5"`` for one run, ``"5-104"`` for runs 5 to 104: every view spells spans so."""
    return str(first) if last is None or last == first else f"{first}-{last}"


def process_json(event: Event) -> dict[str, Any] | None:
    """The ``process`` of an event in a merged trace (PRODUCT §5), plus the session and
    run numbers in that process's own trace."""
    if event.process is None:
        return None
    d = event.process.to_json()
    if event.local is not None:
        d.update(session=event.local[0], run=event.local[1])
    return d


def _where_text(location: str | None) -> str:
    return f" at {printable(location)}" if location else ""


def _from_text(checkpoint: str | None, key: str | None, sources: tuple[str, ...]) -> str:
    if checkpoint is not None or key is not None:
        return f" from {printable(checkpoint)} key {printable(key)}"
    if sources:
        return " from " + ", ".join(printable(s) for s in sources)
    return ""
