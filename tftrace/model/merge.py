"""Several processes' traces as one story (PRODUCT §4, "Several traces").

The processes of a between-graph replicated job each trace their own sessions, but the
variables live on the parameter servers and outlive every session: worker 1's initializer
resets what worker 0 trained. The merge joins them:

- **Variables on the same server are one variable.** A variable of a remote session is
  identified by the server holding it: the incarnation of its device (from the session's
  ``devices``), else the cluster spec and its job/task. Two clusters that reuse the names
  (a restarted ps has a new incarnation) stay apart, linked only through checkpoints.
- **Sessions that share a server become one merged session** whose runs are every run of
  every member, in one order: wall time across processes, run order inside a process.
  An update streak of one process during which another process gave the variable a new
  value (an initializer, a restore) is split there; the split point comes from the time,
  refined by the streak's own samples of an integer counter such as ``global_step`` (the
  value going back pins the other write between two samples).
- Everything else (local sessions, traces that share nothing) stays a session of its own,
  and the merge says in :class:`~tftrace.model.events.MergeNote` what it could not join
  and which processes of the cluster spec have no trace.

The result is an ordinary :class:`~tftrace.model.index.TraceIndex` whose events carry
their :class:`~tftrace.model.events.Process` and their session/run in that process's own
trace — so every query, rule and view works on it unchanged: an origin in the merged
session is the last origin by any process, and updates add up over processes.
"""
from __future__ import annotations

import bisect
import json
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator, Sequence

from tftrace.errors import TftraceError
from tftrace.model.events import ORIGIN_KINDS, MergeNote, Process, tell_apart
from tftrace.model.index import TraceIndex, build_index
from tftrace.tracefile import (
    FORMAT_VERSION,
    CheckpointRecord,
    Header,
    ProcessRecord,
    RawTrace,
    RecorderError,
    RunRecord,
    SaveInfo,
    SaverRecord,
    SessionEnd,
    SessionRecord,
    StreakRecord,
    StreakSample,
    VariableRecord,
    read_trace,
)
from tftrace.tracefile.merged import is_merged_file, read_merged, trace_files

_JOB = re.compile(r"/job:([^/]+)")
_TASK = re.compile(r"/task:(\d+)")
_KIND = re.compile(r"/device:([^/]+)$|/(cpu|gpu):(\d+)$", re.IGNORECASE)


# --- reading ------------------------------------------------------------------------------

def read_traces(paths: Sequence[str]) -> list[RawTrace]:
    """The process traces behind ``paths``: trace files, merged files (their traces) and
    directories of either, in the order given (a directory's files sorted by name)."""
    raws: list[RawTrace] = []
    seen: set[tuple] = set()
    for path in paths:
        path = os.fspath(path)
        files = trace_files(path) if os.path.isdir(path) else [path]
        for file in files:
            for raw in read_merged(file) if is_merged_file(file) else [read_trace(file)]:
                # The same process given twice (a file and its directory, or a merged
                # file and its parts) would double every update: read it once.
                h = raw.header
                identity = (h.pid, h.created, h.script, h.cwd, len(raw.records))
                if identity not in seen:
                    seen.add(identity)
                    raws.append(raw)
    if not raws:
        raise TftraceError("no traces to merge")
    return raws


def needs_merge(path: str) -> bool:
    """True for a directory of traces or a merged file: what ``Trace.load`` merges."""
    return os.path.isdir(path) or is_merged_file(path)


# --- the merge ----------------------------------------------------------------------------

@dataclass
class _Member:
    """One session of one process, on its way into a merged session."""

    number: int  # position among all members, a stable tie-breaker
    process: Process
    cwd: str | None
    record: SessionRecord
    variables: dict[str, VariableRecord]
    savers: list[SaverRecord]
    items: list[Any] = field(default_factory=list)  # RunRecord | StreakRecord, run order
    end: SessionEnd | None = None
    # How many of its graph's variables existed when it ended (a graph grows after a
    # session closed: the optimizer slots of a later session are not this one's business)
    declared_at_end: int | None = None
    errors: list[RecorderError] = field(default_factory=list)
    keys: dict[str, Any] = field(default_factory=dict)  # variable -> server identity
    names: dict[str, str] = field(default_factory=dict)  # variable -> name in the merge

    def name(self, variable: str) -> str:
        return self.names.get(variable, variable)

    def path(self, path: str | None) -> str | None:
        """Checkpoint paths made absolute in the process's cwd when the processes ran in
        different directories (``cwd`` None: they shared one, paths stay as recorded)."""
        if path is None or self.cwd is None:
            return path
        if not os.path.isabs(path):
            path = os.path.join(self.cwd, path)
        return os.path.normpath(path)


def merge_traces(raws: Sequence[RawTrace], path: str) -> TraceIndex:
    """Join the traces ``raws`` (one per process) into one merged index (module doc)."""
    processes = [_process(number, raw) for number, raw in enumerate(raws, start=1)]
    # Relative checkpoint paths mean the same file only in the same working directory.
    cwds = {raw.header.cwd for raw in raws if any(isinstance(r, SessionRecord)
                                                   for r in raw.records)}
    common = cwds.pop() if len(cwds) == 1 else None
    members: list[_Member] = []
    checkpoints: dict[str, CheckpointRecord] = {}
    for process, raw in zip(processes, raws):
        members.extend(_members(process, raw, len(members), checkpoints,
                                None if common is not None else raw.header.cwd))
    groups = _group(members)
    # Two processes of one job and task in one merged session (a restarted worker) are
    # told apart by pid; the same task in two clusters is told apart by the session.
    told = {p.number for group in groups
            for p in tell_apart(list({m.process.number: m.process for m in group}.values()))
            if p.same_task}
    processes = [replace(p, same_task=True) if p.number in told else p for p in processes]
    for member in members:
        member.process = processes[member.process.number - 1]
    notes = _not_joined(processes, members, groups) + _missing(processes, raws)
    records: list[Any] = []
    provenance: dict[tuple[int, int], tuple[Process, int, int, int]] = {}
    for number, group in enumerate(groups, start=1):
        records.extend(_merged_session(number, group, provenance))
    records.extend(checkpoints.values())
    created = min((raw.header.created for raw in raws), default=0.0)
    # The program is the one whose sessions come first (a ps runs none).
    first = raws[groups[0][0].process.number - 1] if groups else raws[0]
    header = Header(version=FORMAT_VERSION, tftrace=first.header.tftrace, created=created,
                    script=first.header.script, cwd=common, python=first.header.python,
                    tensorflow=first.header.tensorflow)
    merged = RawTrace(path=path, header=header, records=records,
                      truncated=any(raw.truncated for raw in raws),
                      skipped=sum(raw.skipped for raw in raws))
    index = build_index(merged)
    _attach_processes(index, groups, provenance)
    index.processes = processes
    index.merge_notes = notes
    return index


def _process(number: int, raw: RawTrace) -> Process:
    folded = None
    for record in raw.records:
        if isinstance(record, ProcessRecord):  # the latest wins, field by field
            folded = record if folded is None else folded.updated(record)
    if folded is None:
        return Process(number=number, trace=raw.path, pid=raw.header.pid)
    return Process(number=number, trace=raw.path, host=folded.host,
                   pid=folded.pid if folded.pid is not None else raw.header.pid,
                   job=folded.job, task=folded.task, is_chief=folded.is_chief)


def is_chief(job: str | None, task: int | None, chief: bool | None,
             cluster: dict[str, Any] | None) -> bool | None:
    """Whether a task is its cluster's chief: as the program said
    (``MonitoredTrainingSession(is_chief=...)``), else by convention — the ``chief`` job's
    task when the cluster has one, worker 0 otherwise. None when nothing tells."""
    if chief is not None:
        return chief
    if job is None:
        return None
    if job == "chief":
        return True
    if cluster and "chief" in cluster:
        return job == "chief"
    return job == "worker" and task == 0 if job in ("worker", "chief") else None


def cluster_of(raw: RawTrace) -> dict[str, tuple[str, ...]] | None:
    """The cluster spec the process last recorded (job -> addresses), if any."""
    found = None
    for record in raw.records:
        if isinstance(record, ProcessRecord) and record.cluster is not None:
            found = record.cluster
    return found


def _members(process: Process, raw: RawTrace, first: int,
             checkpoints: dict[str, CheckpointRecord], cwd: str | None) -> list[_Member]:
    """The sessions of one process's trace; ``cwd`` (when the processes' working
    directories differ) makes its checkpoint paths absolute."""
    variables: dict[int, dict[str, VariableRecord]] = {}
    savers: dict[int, list[SaverRecord]] = {}
    sessions: dict[int, _Member] = {}
    cluster = cluster_of(raw)
    pending: list[Any] = []
    for record in raw.records:
        if isinstance(record, VariableRecord):
            variables.setdefault(record.graph, {})[record.name] = record
        elif isinstance(record, SaverRecord):
            savers.setdefault(record.graph, []).append(record)
        elif isinstance(record, SessionRecord) and record.session not in sessions:
            sessions[record.session] = _Member(
                number=first + len(sessions), process=process, cwd=cwd, record=record,
                variables=variables.setdefault(record.graph, {}),
                savers=savers.setdefault(record.graph, []))
        elif isinstance(record, CheckpointRecord):
            path = record.path if cwd is None else os.path.normpath(
                os.path.join(cwd, record.path))
            checkpoints[path] = replace(record, path=path)
        else:
            if isinstance(record, SessionEnd) and record.session in sessions:
                member = sessions[record.session]
                member.declared_at_end = len(member.variables)
            pending.append(record)
    for record in pending:
        member = sessions.get(getattr(record, "session", None))
        if member is None:
            continue  # the reader of each trace already rejected orphans
        if isinstance(record, (RunRecord, StreakRecord)):
            member.items.append(record)
        elif isinstance(record, SessionEnd):
            member.end = record
        elif isinstance(record, RecorderError):
            member.errors.append(record)
    for member in sessions.values():
        member.items.sort(key=lambda r: r.run if isinstance(r, RunRecord) else r.first_run)
        member.keys = {name: _server(member, record, cluster)
                       for name, record in member.variables.items()}
    return list(sessions.values())


def _server(member: _Member, variable: VariableRecord, cluster: Any) -> Any:
    """What identifies the storage of ``variable`` as seen from ``member``'s session."""
    session = member.record
    if not session.remote:
        return ("local", member.number)  # a local session's variables are its own
    device = variable.device or ""
    job, task = _job_task(device)
    if job is None:
        return ("unplaced", member.number)
    incarnation = _incarnation(session.devices, job, task, device)
    if incarnation is not None:
        return ("server", incarnation)
    if cluster:
        return ("spec", json.dumps(cluster, sort_keys=True), job, task)
    return ("unplaced", member.number)


def _job_task(device: str) -> tuple[str | None, int]:
    job, task = _JOB.search(device), _TASK.search(device)
    return (job.group(1) if job else None), (int(task.group(1)) if task else 0)


def _incarnation(devices: dict[str, str], job: str, task: int, device: str) -> str | None:
    """The incarnation of the server device a variable placed on ``device`` lives on:
    the device it names, else that task's CPU:0, else any device of that task."""
    mine = [(name, inc) for name, inc in sorted(devices.items())
            if _job_task(name) == (job, task)]
    if not mine:
        return None
    wanted = _KIND.search(device)
    for name, inc in mine:
        if wanted and name.lower().endswith(wanted.group(0).lower()):
            return inc
    for name, inc in mine:
        if name.upper().endswith("CPU:0"):
            return inc
    return mine[0][1]


def _group(members: list[_Member]) -> list[list[_Member]]:
    """Members sharing a server identity, as groups ordered by when they started; names
    that mean different storage within one group get the process label appended."""
    parent = list(range(len(members)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Any, int] = {}
    for member in members:
        for key in member.keys.values():
            if key[0] in ("server", "spec"):
                if key in owner:
                    parent[find(member.number)] = find(owner[key])
                else:
                    owner[key] = member.number
    groups: dict[int, list[_Member]] = {}
    for member in members:
        groups.setdefault(find(member.number), []).append(member)
    ordered = sorted(groups.values(), key=lambda g: (min(m.record.time for m in g),
                                                     g[0].number))
    for group in ordered:
        taken: dict[str, Any] = {}
        for member in group:
            for name, key in member.keys.items():
                if taken.setdefault(name, key) != key:
                    member.names[name] = f"{name}@{member.process.label}"
    return ordered


def _not_joined(processes: list[Process], members: list[_Member],
                groups: list[list[_Member]]) -> list[MergeNote]:
    with_sessions = {m.process.number for m in members}
    if len(with_sessions) < 2:
        return []
    notes = []
    saved, restored = _checkpoints_used(members)
    for process in processes:
        mine = [g for g in groups if any(m.process is process for m in g)]
        if not mine or any(len({m.process.number for m in g}) > 1 for g in mine):
            continue
        n = process.number
        if any(saved[n] & restored[o] or restored[n] & saved[o] for o in saved if o != n):
            continue  # runs that hand checkpoints to each other: linked, not unrelated
        own = [m for m in members if m.process is process]
        if all(not m.record.remote for m in own):
            why = "its sessions are local (no tf.train.Server target)"
        elif any(k[0] == "unplaced" for m in own for k in m.keys.values()):
            why = "its variables have no recorded device"
        else:
            why = ("its variables live on other servers (another cluster, or a restarted "
                   "one: other device incarnations)")
        notes.append(MergeNote(
            kind="not-joined", processes=(process,),
            message=(f"{process.trace} ({process.label}) shares no variable with the other "
                     f"traces: {why}; shown apart, linked to the others only through "
                     "checkpoints")))
    return notes


def _checkpoints_used(members: list[_Member]) -> tuple[dict[int, set], dict[int, set]]:
    """process number -> checkpoint paths it saved, and those it restored (absolute)."""
    saved: dict[int, set] = {}
    restored: dict[int, set] = {}
    for m in members:
        n = m.process.number
        saved.setdefault(n, set())
        restored.setdefault(n, set())
        for record in m.items:
            if isinstance(record, RunRecord) and record.save is not None and record.save.path:
                saved[n].add(m.path(record.save.path))
            for w in record.writes:
                if w.checkpoint is not None and w.kind in ("restore", "initializer"):
                    restored[n].add(m.path(w.checkpoint))
    return saved, restored


def _missing(processes: list[Process], raws: Sequence[RawTrace]) -> list[MergeNote]:
    traced = {(p.job, p.task) for p in processes if p.job is not None}
    expected: dict[tuple[str, int], str] = {}
    for raw in raws:
        for job, addresses in (cluster_of(raw) or {}).items():
            for task, address in enumerate(addresses):
                expected.setdefault((job, task), address)
    return [MergeNote(kind="missing", job=job, task=task,
                      message=f"the cluster spec lists {job}:{task} ({address}) but no trace "
                              "of it was given; what it wrote is not in this story")
            for (job, task), address in sorted(expected.items()) if (job, task) not in traced]


# --- one merged session -------------------------------------------------------------------

@dataclass
class _Item:
    """A run or a piece of an update streak, placed in the merged order."""

    time: float
    phase: int  # 1: the rest of a streak split at another process's write at ``time``
    member: _Member
    record: Any
    local: tuple[int, int]  # first and last run in the process's own session
    counts: tuple[int, int] | None = None  # a streak piece: its runs (a, b] of the streak

    @property
    def order(self) -> tuple[float, int, int, int]:
        return (self.time, self.phase, self.member.number, self.local[0])


def _merged_session(number: int, group: list[_Member],
                    provenance: dict[tuple[int, int], tuple[Process, int, int, int]],
                    ) -> Iterator[Any]:
    first = min(group, key=lambda m: (m.record.time, m.number))
    yield SessionRecord(session=number, graph=number, kind=first.record.kind,
                        location=first.record.location, time=first.record.time,
                        target=first.record.target,
                        remote=any(m.record.remote for m in group))
    # Variables its graph gained after a lone session ended come after its end, as in its
    # trace; a joined session has them all.
    alone = len(group) == 1
    later = _variables(number, group)
    if alone and group[0].declared_at_end is not None:
        for _ in range(group[0].declared_at_end):
            yield next(later)
    else:
        yield from later
    yield from _savers(number, group)
    items = sorted(_items(group), key=lambda item: item.order)
    # A session of one process keeps its own run numbers; a joined one counts its runs
    # in the merged order.
    for ordinal, item in enumerate(items, start=1):
        run = item.local[0] if alone else ordinal
        provenance[(number, run)] = (item.member.process, item.member.record.session,
                                     *item.local)
        yield _placed(item, number, run, alone)
    for member in group:
        for error in member.errors:
            yield replace(error, session=number)
    ends = [m.end for m in group]
    if all(end is not None for end in ends):
        reads = {m.name(n): None for m in group for n in m.end.reads}
        if alone:  # everything it says holds as it is (fields of later versions too)
            yield replace(ends[0], session=number, reads=tuple(reads))
        else:
            yield SessionEnd(session=number, runs=len(items),
                             time=max(e.time for e in ends), reads=tuple(reads))
    yield from later


def _variables(number: int, group: list[_Member]) -> Iterator[VariableRecord]:
    declared: set[str] = set()
    for member in group:
        for name, record in member.variables.items():
            merged = member.name(name)
            if merged in declared:
                continue
            declared.add(merged)
            init = record.initializer
            if init is not None:
                init = replace(init, sources=tuple(member.name(s) for s in init.sources),
                               checkpoint=member.path(init.checkpoint))
            yield replace(record, graph=number, name=merged, initializer=init)


def _savers(number: int, group: list[_Member]) -> Iterator[SaverRecord]:
    seen: set[tuple[str, tuple]] = set()
    for member in group:
        for saver in member.savers:
            keys = {k: member.name(v) for k, v in saver.keys.items()}
            identity = (saver.name, tuple(sorted(keys.items())))
            if identity not in seen:
                seen.add(identity)
                yield replace(saver, graph=number, keys=keys)


def _items(group: list[_Member]) -> Iterator[_Item]:
    """Every run of the group's members, streaks split where another member wrote."""
    writes = sorted(((m, r) for m in group for r in m.items
                     if isinstance(r, RunRecord) and r.error is None
                     and any(w.kind in ORIGIN_KINDS for w in r.writes)),
                    key=lambda pair: pair[1].time)
    times = [r.time for _, r in writes]
    for member in group:
        clock = float("-inf")  # run order inside a process wins over its clock
        for record in member.items:
            if isinstance(record, RunRecord):
                clock = max(clock, record.time)
                yield _Item(clock, 0, member, record, (record.run, record.run))
                continue
            clock = max(clock, record.time)
            # Other processes' writes while the streak ran (by time; bisect: a cluster
            # job has many streaks and many writes).
            window = writes[bisect.bisect_right(times, clock):
                            bisect.bisect_left(times, max(record.last_time, clock))]
            yield from _split(member, record, clock, [(m, r) for m, r in window
                                                      if m is not member])
            clock = max(clock, record.last_time)


def _split(member: _Member, streak: StreakRecord, start: float,
           writes: list[tuple[_Member, RunRecord]]) -> Iterator[_Item]:
    names = {member.name(w.variable) for w in streak.writes}
    end = max(streak.last_time, start)
    # (runs of the streak before the piece, when the piece starts, 1: after another's write)
    bounds: list[tuple[int, float, int]] = [(0, start, 0)]
    for other, run in writes:  # sorted by time
        if not start < run.time < end:
            continue
        hit = [w for w in run.writes if w.kind in ORIGIN_KINDS
               and other.name(w.variable) in names]
        if not hit:
            continue
        done = bounds[-1][0]
        at = _split_point(member, streak, start, end, other, run, hit, done)
        if done < at < streak.count:
            bounds.append((at, run.time, 1))
        elif at <= done:  # none of the piece's runs came before the write: it follows it
            bounds[-1] = (done, run.time, 1)
    for i, (a, t, phase) in enumerate(bounds):
        b = bounds[i + 1][0] if i + 1 < len(bounds) else streak.count
        yield _Item(t, phase, member, streak, _local_runs(streak, a, b), counts=(a, b))


def _split_point(member: _Member, streak: StreakRecord, start: float, end: float,
                 other: _Member, run: RunRecord, hit: list[Any], done: int) -> int:
    """How many runs of ``streak`` came before ``run`` (another process's write)."""
    at = round(streak.count * (run.time - start) / (end - start)) if end > start else done
    for write in hit:
        pinned = _pinned(member, streak, other.name(write.variable), run.values.get(
            write.variable), done)
        if pinned is not None:
            low, high, guess = pinned
            return min(max(guess if guess is not None else at, low), high)
    return at


def _pinned(member: _Member, streak: StreakRecord, name: str, written: Any,
            done: int) -> tuple[int, int, int | None] | None:
    """Where an integer counter's samples go back: the write came after the sample
    before the drop and before the one after it. With the written value known, the
    counter's value after the drop says how many of this process's runs followed."""
    samples = []
    for sample in streak.samples:
        for variable, value in sample.values.items():
            if member.name(variable) == name and _integer(value):
                samples.append((sample.count, value.values))
    samples.sort()
    for (c0, v0), (c1, v1) in zip(samples, samples[1:]):
        if c1 > done and v1 < v0:
            guess = None
            if written is not None and _integer(written) and v1 >= written.values:
                guess = c1 - (v1 - written.values)
            return c0, c1 - 1, guess
    return None


def _integer(value: Any) -> bool:
    return (value is not None and value.has_values and type(value.values) is int
            and value.dtype.startswith(("int", "uint")))


def _local_runs(streak: StreakRecord, a: int, b: int) -> tuple[int, int]:
    """The process's own run numbers of a streak's runs (a, b], as near as samples say."""
    runs = {s.count: s.run for s in streak.samples}
    first = streak.first_run if a == 0 else runs.get(a, streak.first_run + a - 1) + 1
    last = streak.last_run if b == streak.count else runs.get(b, streak.first_run + b - 1)
    return first, max(first, last)


def _placed(item: _Item, session: int, run: int, own_runs: bool) -> Any:
    """The item's record renumbered into the merged session (``own_runs``: keeping the
    process's run numbers), names and paths mapped."""
    member, record = item.member, item.record
    writes = tuple(replace(w, variable=member.name(w.variable),
                           sources=tuple(member.name(s) for s in w.sources),
                           checkpoint=member.path(w.checkpoint)) for w in record.writes)
    if isinstance(record, RunRecord):
        save = record.save
        if save is not None:
            save = SaveInfo(path=member.path(save.path),
                            keys={k: member.name(v) for k, v in save.keys.items()})
        error = record.error
        if error is not None:
            error = replace(error, uninitialized=tuple(member.name(n)
                                                       for n in error.uninitialized))
        return replace(record, session=session, run=run, writes=writes,
                       values=_names(member, record.values), save=save, error=error,
                       reads=tuple(member.name(n) for n in record.reads))
    a, b = item.counts
    samples = tuple(StreakSample(run=s.run if own_runs else run, count=s.count - a,
                                 values=_names(member, s.values))
                    for s in record.samples if a < s.count <= b)
    last_run = record.last_run if own_runs else run
    return replace(record, session=session, streak=run, first_run=run, last_run=last_run,
                   count=b - a, writes=writes, samples=samples, time=item.time)


def _names(member: _Member, values: dict[str, Any]) -> dict[str, Any]:
    return {member.name(k): v for k, v in values.items()}


def _attach_processes(index: TraceIndex, groups: list[list[_Member]],
                      provenance: dict[tuple[int, int], tuple[Process, int, int, int]]) -> None:
    """Each event learns its process and its own session/run; sessions their members."""
    index.events_of_run.clear()
    for key, events in index.events.items():
        placed = []
        for event in events:
            process, session, first, last = provenance[(event.session, event.run)]
            event = replace(event, process=process, local=(session, first, last))
            placed.append(event)
            index.events_of_run.setdefault((event.session, event.run), []).append(event)
        index.events[key] = placed
    for number, group in enumerate(groups, start=1):
        index.sessions[number] = replace(
            index.sessions[number],
            members=tuple((m.process, m.record.session) for m in group))
    index.run_processes = provenance


def run_process(index: TraceIndex, session: int, run: int | None,
                ) -> tuple[Process, int, int] | None:
    """(process, its session, its run) of a run of a merged trace; None otherwise."""
    if run is None:
        return None
    found = index.run_processes.get((session, run))
    return None if found is None else found[:3]


def processes_of(index: TraceIndex, places: Iterable[tuple[int, int | None]],
                 ) -> list[Process]:
    """The processes that ran the given (session, run) places, each once, in order."""
    found: dict[int, Process] = {}
    for session, run in places:
        hit = run_process(index, session, run)
        if hit is not None:
            found.setdefault(hit[0].number, hit[0])
    return [found[n] for n in sorted(found)]


def locate(index: TraceIndex, diagnostics: list[Any]) -> list[Any]:
    """Findings of a merged trace with their ``process`` (where it happened, with its own
    session and run) and ``processes`` (every process it involves), PRODUCT §5."""
    out = []
    for d in diagnostics:
        if d.processes is not None:
            out.append(d)
            continue
        here = run_process(index, d.session, d.run)
        process = None
        if here is not None:
            process = {**here[0].to_json(), "session": here[1], "run": here[2]}
        places = [(d.session, d.run)] + [(s.session, s.run) for s in d.sites
                                         if s.session is not None]
        involved = processes_of(index, places)
        if not involved and d.session in index.sessions:
            involved = [p for p, _ in index.sessions[d.session].members]
        out.append(replace(d, process=process,
                           processes=tuple(p.to_json() for p in involved)))
    return out
