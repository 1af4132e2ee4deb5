"""Indexes over a trace's records, built once in a single pass (``build_index``).

Queries look things up here in dicts instead of scanning records: a trace with 10 000
variables and 100 000 runs must answer ``explain`` at once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from tftrace.errors import TraceFormatError
from tftrace.model.events import Event, MergeNote, Process, SessionInfo, Save
from tftrace.model.history import value_at
from tftrace.tracefile import (
    CheckpointRecord,
    Header,
    ProcessRecord,
    RawTrace,
    RecorderError,
    RunRecord,
    SaverRecord,
    SessionEnd,
    SessionRecord,
    StreakRecord,
    ValueSummary,
    VariableRecord,
)

SessionVar = tuple[int, str]  # (session number, variable name)


@dataclass
class TraceIndex:
    """Everything queries need, keyed for direct lookup. Built by :func:`build_index`."""

    path: str
    header: Header
    truncated: bool = False
    sessions: dict[int, SessionInfo] = field(default_factory=dict)
    # graph → variable name → record, in the order the trace declared them
    variables: dict[int, dict[str, VariableRecord]] = field(default_factory=dict)
    sessions_of_graph: dict[int, list[int]] = field(default_factory=dict)
    # (session, variable) → its write events, ordered by run
    events: dict[SessionVar, list[Event]] = field(default_factory=dict)
    # (session, run) → the events of that run (a streak under its first run)
    events_of_run: dict[tuple[int, int], list[Event]] = field(default_factory=dict)
    # (session, variable) → (run, summary) for every value read, ordered by run
    values: dict[SessionVar, list[tuple[int, ValueSummary]]] = field(default_factory=dict)
    # (session, variable) → failed runs that were going to write it
    failed_writes: dict[SessionVar, list[RunRecord]] = field(default_factory=dict)
    runs: list[RunRecord] = field(default_factory=list)
    streaks: list[StreakRecord] = field(default_factory=list)
    saves: list[Save] = field(default_factory=list)
    savers: list[SaverRecord] = field(default_factory=list)
    checkpoints: dict[str, CheckpointRecord] = field(default_factory=dict)
    failed_runs: list[RunRecord] = field(default_factory=list)
    recorder_errors: list[RecorderError] = field(default_factory=list)
    # A merged trace (tftrace.model.merge): its processes, and what the merge could not
    # join or found missing, in words.
    processes: list[Process] = field(default_factory=list)
    # One process's trace: who it was in its cluster (its process records, merged)
    process: ProcessRecord | None = None
    merge_notes: list[MergeNote] = field(default_factory=list)
    # (session, run) of a merged trace -> (process, its session, its first and last run)
    run_processes: dict[tuple[int, int], tuple[Process, int, int, int]] = field(
        default_factory=dict)
    # session → how many of its graph's variables the trace had declared at the session's
    # end (variables are declared in creation order, so these are the first ones)
    variables_at_end: dict[int, int] = field(default_factory=dict)

    def graph_of(self, session: int) -> int:
        return self.sessions[session].graph

    def variables_of(self, session: int) -> dict[str, VariableRecord]:
        return self.variables.get(self.graph_of(session), {})

    def variables_while_open(self, session: int) -> dict[str, VariableRecord]:
        """The variables of the session's graph that existed while it was open (a graph
        can grow after a session closed: an optimizer's slots built for a later one)."""
        variables = self.variables_of(session)
        count = self.variables_at_end.get(session)
        if count is None or count >= len(variables):
            return variables
        return dict(list(variables.items())[:count])

    def normalize_path(self, path: str) -> str:
        """A checkpoint path as an absolute, normalized path in the traced process's cwd,
        so that ``./ckpt/model`` and ``ckpt/model`` name the same checkpoint."""
        cwd = self.header.cwd
        if cwd and not os.path.isabs(path):
            path = os.path.join(cwd, path)
        return os.path.normpath(path)


def build_index(raw: RawTrace) -> TraceIndex:
    """Index the records of ``raw`` (see :class:`TraceIndex`). Callers building a big
    index pause the collector around it (:func:`tftrace.gcpause.paused_gc`)."""
    index = TraceIndex(path=raw.path, header=raw.header, truncated=raw.truncated)
    declared: dict[int, SessionRecord] = {}
    ends: dict[int, SessionEnd] = {}
    last_run: dict[int, int] = {}
    for record in raw.records:
        if isinstance(record, RunRecord):
            _check_session(raw.path, declared, record.session, f"run {record.run}")
            last_run[record.session] = max(last_run.get(record.session, 0), record.run)
            _index_run(index, declared[record.session].graph, record)
        elif isinstance(record, StreakRecord):
            _check_session(raw.path, declared, record.session, f"streak {record.streak}")
            last_run[record.session] = max(last_run.get(record.session, 0), record.last_run)
            _index_streak(index, declared[record.session].graph, record)
        elif isinstance(record, VariableRecord):
            # A variable is declared again when its initializer changed (init_from_checkpoint
            # after creation): the later record replaces the earlier, in the same place.
            index.variables.setdefault(record.graph, {})[record.name] = record
        elif isinstance(record, SessionRecord):
            declared.setdefault(record.session, record)
        elif isinstance(record, SessionEnd):
            ends[record.session] = record
            if record.session in declared:
                graph = declared[record.session].graph
                index.variables_at_end[record.session] = len(index.variables.get(graph, {}))
        elif isinstance(record, SaverRecord):
            index.savers.append(record)
        elif isinstance(record, CheckpointRecord):
            index.checkpoints[record.path] = record
        elif isinstance(record, RecorderError):
            index.recorder_errors.append(record)
        elif isinstance(record, ProcessRecord):
            index.process = record if index.process is None else index.process.updated(record)
    for number in sorted(declared):
        index.sessions[number] = _session_info(declared[number], ends.get(number),
                                               last_run.get(number, 0))
        index.sessions_of_graph.setdefault(declared[number].graph, []).append(number)
    # Records arrive almost in run order (a streak sits where it started), so these sorts
    # are close to linear.
    for timeline in index.values.values():
        timeline.sort(key=lambda item: item[0])
    for key, events in index.events.items():
        events.sort(key=lambda e: e.run)
        if len(events) > 1:
            _merge_interleaved_streaks(index, key, events)
    return index


def _check_session(path: str, declared: dict[int, SessionRecord], session: int,
                   what: str) -> None:
    if session not in declared:
        raise TraceFormatError(
            f"{path}: {what} belongs to session {session}, which the trace never declared")


def _session_info(record: SessionRecord, end: SessionEnd | None, last_run: int) -> SessionInfo:
    return SessionInfo(number=record.session, graph=record.graph, kind=record.kind,
                       location=record.location, time=record.time,
                       runs=end.runs if end is not None else last_run,
                       closed=end is not None, reads=end.reads if end is not None else (),
                       target=record.target, remote=record.remote,
                       graph_growth=end.graph_growth if end is not None else ())


def _index_run(index: TraceIndex, graph: int, run: RunRecord) -> None:
    index.runs.append(run)
    if run.error is not None:
        # A failed run wrote nothing: its ``writes`` are what it was going to write.
        index.failed_runs.append(run)
        for name in dict.fromkeys(w.variable for w in run.writes):
            index.failed_writes.setdefault((run.session, name), []).append(run)
        return
    for w in run.writes:
        _declare_if_missing(index, graph, w.variable)
        _add_event(index, Event(
            variable=w.variable, kind=w.kind, session=run.session, run=run.run,
            location=run.location, op=w.op, checkpoint=w.checkpoint, key=w.key,
            sources=w.sources, value=run.values.get(w.variable), time=run.time))
    for name, summary in run.values.items():
        index.values.setdefault((run.session, name), []).append((run.run, summary))
    if run.save is not None:
        index.saves.append(Save(session=run.session, run=run.run, path=run.save.path,
                                keys=dict(run.save.keys), location=run.location,
                                time=run.time))


def _index_streak(index: TraceIndex, graph: int, streak: StreakRecord) -> None:
    index.streaks.append(streak)
    for w in streak.writes:
        _declare_if_missing(index, graph, w.variable)
        _add_event(index, Event(
            variable=w.variable, kind=w.kind, session=streak.session, run=streak.first_run,
            count=streak.count, last_run=streak.last_run, location=streak.location, op=w.op,
            checkpoint=w.checkpoint, key=w.key, sources=w.sources,
            value=_last_sample(streak, w.variable), time=streak.time or None))
    for sample in streak.samples:
        for name, summary in sample.values.items():
            index.values.setdefault((streak.session, name), []).append((sample.run, summary))


def _merge_interleaved_streaks(index: TraceIndex, key: SessionVar, events: list[Event]) -> None:
    """One update event per stretch of interleaved update streaks of a variable.

    Two run signatures that update the same variable in turn (a train op fetched with and
    without a hook's tensors, GAN steps that both advance the global step) are two streaks
    whose run ranges overlap; the variable saw one stretch of updates, so every view shows
    one event: the first run to the last, the counts added, the latest sampled value.
    Streaks that follow each other (a save between them) stay apart. Replaces the merged
    events in ``events`` and ``events_of_run`` in place.
    """
    merged: list[Event] = []
    changed = False
    for event in events:
        last = merged[-1] if merged else None
        if last is not None and event.kind == "update" == last.kind and \
                event.run <= last.last_run and (event.count > 1 or last.count > 1):
            merged[-1] = _combined(index, key, last, event)
            changed = True
            _replace_in_run(index, last, merged[-1])
            _replace_in_run(index, event, None)
        else:
            merged.append(event)
    if changed:
        events[:] = merged


def _combined(index: TraceIndex, key: SessionVar, first: Event, second: Event) -> Event:
    last_run = max(first.last_run or first.run, second.last_run or second.run)
    value = value_at(index.values.get(key, []), last_run)
    if value is None:
        value = second.value if second.last_run == last_run else first.value
    # Every other field is the first event's (a new Event field is carried along).
    return replace(first, count=first.count + second.count, last_run=last_run, value=value)


def _replace_in_run(index: TraceIndex, old: Event, new: Event | None) -> None:
    of_run = index.events_of_run.get((old.session, old.run), [])
    for i, event in enumerate(of_run):
        if event is old:
            if new is None:
                del of_run[i]
            else:
                of_run[i] = new
            return


def _last_sample(streak: StreakRecord, variable: str) -> ValueSummary | None:
    for sample in reversed(streak.samples):
        if variable in sample.values:
            return sample.values[variable]
    return None


def _add_event(index: TraceIndex, event: Event) -> None:
    index.events.setdefault((event.session, event.variable), []).append(event)
    index.events_of_run.setdefault((event.session, event.run), []).append(event)


def _declare_if_missing(index: TraceIndex, graph: int, name: str) -> None:
    # The recorder declares every variable before writing it; a trace where it did not
    # (hand-edited, or the recorder failed half-way) still shows the write, under a
    # placeholder record whose op and dtype are unknown ("").
    variables = index.variables.setdefault(graph, {})
    if name not in variables:
        variables[name] = VariableRecord(graph=graph, name=name, op="", dtype="",
                                         index=len(variables))
