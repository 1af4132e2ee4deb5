"""``explain``: where one variable's value came from in one session, as data.

The :class:`Explanation` holds the facts and their one-line verdict ("restored from
ckpt/m key w at train.py:42, then overwritten by the initializer at train.py:44");
``to_json()`` is the JSON of ``tftrace explain --format json`` and
:mod:`tftrace.views.text` lays the rest out for people.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterable

from tftrace.findings import plural
from tftrace.model.display import format_summary, non_finite_counts, printable
from tftrace.model.events import FEED, Event, Origin, process_json
from tftrace.model.history import history_of
from tftrace.model.index import TraceIndex
from tftrace.model.queries import events, origin, updates_since_origin
from tftrace.tracefile import RunRecord, VariableRecord


@dataclass(frozen=True, repr=False)
class Explanation:
    """Where ``variable``'s value in ``session`` came from.

    ``events`` are all its writes in the session, ordered by run; ``origin`` is the last
    initializer/restore/assign among them; ``record`` is the variable's declaration;
    ``failed`` the runs of the session that failed while trying to write it (a restore
    with a missing key, say), which explain why a write the program meant did not happen.
    """

    variable: str
    session: int
    origin: Origin
    updates_since_origin: int
    events: tuple[Event, ...]
    record: VariableRecord
    failed: tuple[RunRecord, ...] = ()
    # The findings, or how to get them: running every rule costs far more than the rest,
    # and the TUI, which has its own, only needs the verdict.
    find: tuple[Any, ...] | Callable[[], Iterable[Any]] = field(default=(), compare=False)

    @cached_property  # a frozen dataclass still has a __dict__ for this
    def findings(self) -> tuple[Any, ...]:
        """The findings of ``tftrace check`` that name the variable in this session (the
        :class:`~tftrace.model.diagnostics.Diagnostic` objects), most severe first."""
        return tuple(self.find() if callable(self.find) else self.find)

    @property
    def verdict(self) -> str:
        """Where the value came from, in one line (the first line of ``tftrace explain``).

        >>> import tftrace
        >>> trace = tftrace.load("tests/data/restore_then_init.jsonl")
        >>> print(trace.explain("dense/kernel").verdict)  # doctest: +NORMALIZE_WHITESPACE
        dense/kernel: restored from /tmp/model.ckpt key dense/kernel at train.py:42,
        then overwritten by the initializer at train.py:44
        """
        return verdict(self)

    def to_json(self) -> dict[str, Any]:
        """The JSON of ``tftrace explain --format json``: the PRODUCT §5 shape plus
        ``verdict`` (the sentence) and ``findings`` (as in ``check --format json``)."""
        return {"variable": self.variable, "session": self.session,
                "origin": self.origin.to_json(),
                "updates_since_origin": self.updates_since_origin,
                "events": [event_json(e) for e in self.events],
                "verdict": self.verdict,
                "findings": [d.to_json() for d in self.findings]}

    def __repr__(self) -> str:
        findings = len(self.findings)
        return (f"<Explanation {self.verdict} ("
                f"{plural(len(self.events), 'event')} in session {self.session}"
                + (f", {plural(findings, 'finding')}" if findings else "")
                + ")>")

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr><td>{e(ev.kind)}</td><td>{e(ev.runs)}</td><td>{ev.count}</td>"
            f"<td>{e(ev.location or '')}</td>"
            f"<td>{e(_checkpoint_key(ev))}</td><td>{e(format_summary(ev.value))}</td></tr>"
            for ev in self.events)
        findings = "".join(f"<li><b>{e(d.severity)} {e(d.rule)}</b>: {e(d.message)}</li>"
                           for d in self.findings)
        return (f"<p><b>{e(self.verdict)}</b></p>"
                f"<p>session {self.session}: origin <b>{e(self.origin.kind)}</b>, "
                f"{self.updates_since_origin} updates since</p>"
                + (f"<ul>{findings}</ul>" if findings else "")
                + "<table><tr><th>kind</th><th>run</th><th>count</th><th>location</th>"
                f"<th>checkpoint / key</th><th>value</th></tr>{rows}</table>")


def event_json(event: Event) -> dict[str, Any]:
    """One entry of ``events`` in ``explain --format json``."""
    d = {"kind": event.kind, "run": event.run, "count": event.count,
         "location": event.location, "checkpoint": event.checkpoint, "key": event.key,
         "value": None if event.value is None else event.value.to_json()}
    if event.process is not None:  # a merged trace (PRODUCT §5)
        d["process"] = process_json(event)
    return d


def explain(index: TraceIndex, variable: str, session: int,
            findings: tuple[Any, ...] | Callable[[], Iterable[Any]] = ()) -> Explanation:
    """Explain ``variable`` (a resolved name) in ``session`` (a resolved number)."""
    return Explanation(variable=variable, session=session,
                       origin=origin(index, variable, session),
                       updates_since_origin=updates_since_origin(index, variable, session),
                       events=tuple(events(index, variable, session)),
                       record=index.variables_of(session)[variable],
                       failed=tuple(index.failed_writes.get((session, variable), ())),
                       find=findings)


def _checkpoint_key(event: Event) -> str:
    if event.checkpoint is None and event.key is None:
        return ""
    return f"{event.checkpoint} : {event.key}"


# --- the verdict ------------------------------------------------------------------------

def verdict(explanation: "Explanation") -> str:
    """One line: where the value came from.

    ``dense/kernel: restored from /tmp/model.ckpt key dense/kernel at train.py:42, then
    overwritten by the initializer at train.py:44``
    """
    return f"{printable(explanation.variable)}: {_story(explanation)}"


def _story(explanation: "Explanation") -> str:
    events = list(explanation.events)
    origin = explanation.origin.event
    if origin is None and explanation.origin.external:
        return (f"no initializer, restore or assign in session {explanation.session}, a "
                "remote session: its value came from the server, written by another process"
                + _updates_phrase(explanation.updates_since_origin)
                + _failed_phrase(explanation))
    if origin is None:
        return _never_initialized(explanation.session, events) + _failed_phrase(explanation)
    # In a merged trace, who did what — when more than one process wrote the variable.
    by = len({e.process for e in events if e.process is not None}) > 1
    # What the origin wrote over, as History says it (the write before the updates that
    # preceded it, and those updates).
    replaced, updates = history_of(explanation.variable, explanation.session,
                                   events).replaced()
    lost = _discarded(replaced, updates)
    if origin.kind != "restore" and replaced is not None and replaced.kind == "restore":
        story = f"{_restored(replaced, by)}, then overwritten by {_overwrite(origin, by)}"
    elif origin.kind == "initializer" and lost:
        # By identity: summaries holding NaN never compare equal, not even to themselves.
        earlier = events[:next(i for i, e in enumerate(events) if e is origin)]
        story = (f"reset by its initializer {_at(origin, by)}, discarding {lost}"
                 + (_by_whom(earlier) if by else ""))
    else:
        story = _origin_phrase(origin, explanation.record, by)
    story += _updates_phrase(explanation.updates_since_origin)
    return story + _non_finite_phrase(events[-1]) + _failed_phrase(explanation)


def _never_initialized(session: int, events: list[Event]) -> str:
    text = f"never initialized in session {session}"
    if events:  # only updates: a hand-edited trace, or a recorder that missed the origin
        runs = sum(e.count for e in events)
        text += f" ({plural(runs, 'update run')} recorded without an origin)"
    return text


def _origin_phrase(event: Event, record: VariableRecord | None = None,
                   by: bool = False) -> str:
    if event.kind == "restore":
        wired = _wired_at(event, record)
        if wired:  # init_from_checkpoint: both the wiring and the run that loaded it
            return (f"restored from {printable(event.checkpoint)} key {printable(event.key)}"
                    f" by its initializer {_at(event, by)}, wired by "
                    f"tf.train.init_from_checkpoint at {printable(wired)}")
        return _restored(event, by)
    if event.kind == "initializer" and FEED in event.sources:
        return f"initialized by its initializer {_at(event, by)}, with a fed initial value"
    if event.kind == "assign":
        return f"assigned {_assigned_what(event.sources)} {_at(event, by)}"
    if event.checkpoint is not None:  # init_from_checkpoint, recorded as an initializer
        return (f"initialized from {printable(event.checkpoint)} key {printable(event.key)} "
                f"by its initializer {_at(event, by)}")
    return f"initialized by its initializer {_at(event, by)}"


def _wired_at(event: Event, record: VariableRecord | None) -> str | None:
    """Where init_from_checkpoint rewired the initializer that did this restore."""
    init = record.initializer if record is not None else None
    if init is None or init.location is None or event.op != init.op:
        return None
    return init.location


def _overwrite(event: Event, by: bool = False) -> str:
    if event.kind == "initializer":
        return f"the initializer {_at(event, by)}"
    return f"an assign {_assigned_what(event.sources)} {_at(event, by)}"


def _restored(event: Event, by: bool = False) -> str:
    return (f"restored from {printable(event.checkpoint)} key {printable(event.key)} "
            f"{_at(event, by)}")


def _assigned_what(sources: tuple[str, ...]) -> str:
    variables = [printable(s) for s in sources if s != FEED]
    if not variables:
        return "a fed value" if FEED in sources else "a constant"
    text = "from " + ", ".join(variables)
    return text + " and a fed value" if FEED in sources else text


def _at(event: Event, by: bool = False) -> str:
    where = f"at {printable(event.location)}" if event.location else f"in run {event.run}"
    if by and event.process is not None:  # a merged trace: which process did it
        where += f" by {event.process.label}"
    return where


def _discarded(replaced: Event | None, updates: int) -> str:
    """What a re-run initializer threw away: an assigned value it replaced and the updates
    since ("" when nothing, e.g. an initializer simply run twice)."""
    parts = ["an assigned value"] if replaced is not None and replaced.kind == "assign" else []
    if updates:
        parts.append(plural(updates, "update"))
    return " and ".join(parts)


def _by_whom(events: list[Event]) -> str:
    """`` by worker:0``: in a merged trace, the processes whose writes since the previous
    origin were discarded."""
    since = []
    for event in reversed(events):
        if event.is_origin and event.kind != "assign":
            break
        since.append(event)
    labels = sorted({e.process.label for e in since if e.process is not None})
    return f" by {', '.join(labels)}" if labels else ""


def _updates_phrase(updates: int) -> str:
    if not updates:
        return ""
    return f", then {plural(updates, 'training update')}"


def _non_finite_phrase(last: Event) -> str:
    value = last.value
    if value is None or value.finite:
        return ""
    return f"; its last recorded value has {' and '.join(non_finite_counts(value))}"


def _failed_phrase(explanation: "Explanation") -> str:
    """The last run that failed trying to write the variable after its origin: the write
    the program meant (often the restore it believes happened)."""
    since = explanation.origin.run or 0
    later = [run for run in explanation.failed if run.run > since]
    if not later:
        return ""
    run = later[-1]
    return (f"; the {attempted_kind(run, explanation.variable)} {run_at(run)} failed "
            f"({printable(run.error.type)})")


def attempted_kind(run: RunRecord, variable: str) -> str:
    return next(w.kind for w in run.writes if w.variable == variable)


def run_at(run: RunRecord) -> str:
    return f"at {printable(run.location)}" if run.location else f"in run {run.run}"
