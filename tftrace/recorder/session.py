"""Traced sessions: ``tftrace.Session``, ``InteractiveSession``, ``wrap`` and ``tracing``.

Per run, the recorder (1) looks up the cached ``RunPlan`` for the run's signature — the
fetches, the fed tensors and the graph version — (2) runs the user's run unchanged, and
(3) only when the plan writes or saves something, records it. Repeated runs whose writes
are all updates or assigns (a train op, a learning rate assigned each step) are coalesced
into streaks, one per run shape (what the run writes, however it is fetched): a counter
bump per step, plus a batched value read at steps 1, 2, 4, 8, ... so divergence is still
caught. Streaks of different shapes interleave unless one assigns what the other writes.

Fail-open: any exception inside tftrace disables recording for that session with one line
on stderr; the user's run and its result or exception are never touched.
"""
from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import platform
import sys
import threading
import time
import types
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterator

from tensorflow.python.client import session as _tf_session
from tensorflow.python.framework import ops as _ops

from tftrace.escape import printable
from tftrace.recorder import DEFAULT_TRACE, TRACE_ENV, cluster, notes, patch
from tftrace.recorder.capture import (
    caller_location,
    checkpoint_contents,
    creation_location,
    short_names,
    summarize,
)
from tftrace.recorder.classify import GraphIndex, RunPlan, analyze_run, resolve_string
from tftrace.tracefile import (
    GraphGrowth,
    Header,
    RecorderError,
    RunError,
    RunRecord,
    SaveInfo,
    SessionEnd,
    SessionRecord,
    StreakRecord,
    StreakSample,
    TraceWriter,
    VariableRecord,
    Write,
)

_PLAN_CACHE_LIMIT = 4096
_MESSAGE_LIMIT = 4000

_ORIG = patch.originals(_tf_session.BaseSession)
_orig_run = _ORIG["run"]


def default_trace_path() -> str:
    return os.environ.get(TRACE_ENV) or DEFAULT_TRACE


# --- process-wide state: one writer per trace path, one index per graph -------------------

class TraceState:
    """A trace file shared by every session of this process that names its path.

    ``requested`` is the path as given, maybe a pattern (``traces/{job}{task}.json``);
    ``path`` is the file written (see ``cluster.expand`` for the rule).
    """

    def __init__(self, path: str):
        self.requested = path
        self.path, complete = cluster.expand(path)
        self.provisional = not complete  # {job}/{task} guessed: renamed once they are known
        self.lock = threading.RLock()
        self.writer = TraceWriter(self.path, _header())
        self.write(cluster.process_record())
        self._session_numbers = itertools.count(1)
        self.emitted: dict[tuple[int, str], Any] = {}  # (graph, name) -> record written
        self.synced: dict[int, int] = {}  # graph -> how many of its index's records synced
        self.checkpoints: dict[str, Any] = {}  # path -> CheckpointRecord
        # variable name -> sessions that gave it a value (for "initialized only in session 1")
        self.initialized_in: dict[str, set[int]] = {}
        self.sessions = 0
        self.open_sessions = 0

    def new_session_number(self) -> int:
        with self.lock:
            self.sessions += 1
            self.open_sessions += 1
            if self.writer.closed:
                self.writer.reopen()  # a later session of the same trace: append to it
            return next(self._session_numbers)

    def session_closed(self) -> None:
        """The file is closed while no session of it is open (no leaked handles in
        programs that open many sessions); the next session appends to it."""
        with self.lock:
            self.open_sessions -= 1
            if self.open_sessions <= 0:
                self.open_sessions = 0
                self.writer.close()

    def write(self, record: Any, flush: bool = True) -> None:
        self.writer.write(record.to_json(), flush=flush)

    def sync_graph(self, index: GraphIndex, full: bool = True) -> None:
        """Write variable and Saver records this trace has not seen (or that changed):
        the index's records since this trace's last sync, the latest of each."""
        if full:
            index.refresh()
        with self.lock:
            position = self.synced.get(index.graph_id, 0)
            if position == len(index.records):
                return
            fresh = index.records[position:]
            self.synced[index.graph_id] = len(index.records)
            latest: dict[str, Any] = {}
            for record in fresh:
                name = record.name if isinstance(record, VariableRecord) else "saver:" + record.name
                latest[name] = record
            variables = sorted((r for r in latest.values() if isinstance(r, VariableRecord)),
                               key=lambda r: r.index)  # creation order
            savers = [r for r in latest.values() if not isinstance(r, VariableRecord)]
            for record in [*variables, *savers]:
                name = record.name if isinstance(record, VariableRecord) else "saver:" + record.name
                key = (index.graph_id, name)
                if self.emitted.get(key) is not record:
                    self.emitted[key] = record
                    self.write(record, flush=False)
            self.writer.flush()

    def process_changed(self, record: Any) -> None:
        """The process learned its cluster role: say so in the trace (even when no session
        is open), and move a pattern's file to its real name if it was a guess."""
        with self.lock:
            if self.provisional:
                path, complete = cluster.expand(self.requested, record)
                if path != self.path:
                    # The open file moves with its name; never over another process's
                    # live trace (the writer picks a sibling then, and says so).
                    self.path = self.writer.rename(path)
                self.provisional = not complete
            reopened = self.writer.closed
            if reopened:
                self.writer.reopen()
            self.write(record)
            if reopened:
                self.writer.close()

    def record_checkpoint(self, path: str | None) -> None:
        if not path:
            return
        with self.lock:
            if path in self.checkpoints:
                return
            record = self.checkpoints[path] = checkpoint_contents(path)
        self.write(record)


def _header() -> Header:
    tf = sys.modules.get("tensorflow")
    return Header(tftrace=_version(), created=time.time(), pid=os.getpid(),
                  argv=tuple(sys.argv), script=sys.argv[0] if sys.argv else None,
                  cwd=os.getcwd(), python=platform.python_version(),
                  tensorflow=getattr(tf, "__version__", None))


def _version() -> str:
    from tftrace import __version__

    return __version__


_states: dict[str, TraceState] = {}
_states_lock = threading.Lock()
_graphs: "weakref.WeakKeyDictionary[Any, GraphIndex]" = weakref.WeakKeyDictionary()
_graph_numbers = itertools.count(1)
_recorders: "weakref.WeakSet[SessionRecorder]" = weakref.WeakSet()


def trace_state(path: str | os.PathLike[str] | None) -> TraceState:
    path = os.path.abspath(os.fspath(path or default_trace_path()))
    with _states_lock:
        state = _states.get(path)
        if state is None:
            state = _states[path] = TraceState(path)
        return state


def _process_changed(record: Any) -> None:
    with _states_lock:
        states = list(_states.values())
    for state in states:
        state.process_changed(record)


cluster.subscribe(_process_changed)


def graph_index(graph: Any) -> GraphIndex:
    index = _graphs.get(graph)
    if index is None:
        index = _graphs[graph] = GraphIndex(graph, next(_graph_numbers))
    return index


# --- the per-session recorder -------------------------------------------------------------

@dataclass
class _Streak:
    number: int
    plan: RunPlan
    first_run: int
    location: str | None
    count: int = 0
    last_run: int = 0
    sampled_at: int = 0  # count at the last value sample
    pending: list[StreakSample] = field(default_factory=list)
    started: float = 0.0
    written: bool = False  # a record of it is in the trace (later ones omit its writes)


class SessionRecorder:
    """Records one session's runs into a trace."""

    def __init__(self, session: Any, state: TraceState, location: str | None):
        self._session = weakref.ref(session)
        self.state = state
        self.graph = session.graph
        self.index = graph_index(self.graph)
        self.number = state.new_session_number()
        self.disabled = False
        self.closed = False
        self.finished_by_exit = False  # closed by finish_all, not by the program
        self.warned_unrecorded = False
        self.run_index = 0
        self._lock = threading.RLock()
        self._plans: dict[Any, RunPlan] = {}
        self._plan_ids = itertools.count(1)
        self._streak_numbers = itertools.count(1)
        self._streaks: dict[int, _Streak] = {}  # streak key (a plan shape) -> running streak
        self._shapes: dict[tuple[Any, ...], int] = {}  # plan shape -> streak key
        self._shape_numbers = itertools.count(1)
        self._shapes_run: set[int] = set()  # assign shapes that ran once already
        self._seen_plans: set[int] = set()
        self.reads: set[str] = set()
        self.initialized: set[str] = set()  # given a value (not just updated) by some run
        self.failed_restores: dict[str, tuple[str | None, int, str]] = {}
        # Ops added between runs, by creating line: [runs, ops, first run] (graph growth)
        self._growth: dict[str | None, list[int]] = {}
        self._version_seen = self.graph.version
        target = _target(session)
        self._declaration = SessionRecord(
            session=self.number, graph=self.index.graph_id, kind=type(session).__name__,
            location=location, time=time.time(), target=target,
            remote=cluster.is_remote(target))
        # A remote session is declared after its first run, with the devices it sees: only
        # then is listing them one quick call (see _declare).
        self.undeclared = self._declaration.remote
        if not self.undeclared:
            state.write(self._declaration)
        with self.graph.as_default():
            state.sync_graph(self.index)
        _recorders.add(self)

    # -- before the run: the plan (hot path) --

    def before(self, fetches: Any, feed_dict: Any) -> RunPlan:
        leaves: list[Any] = []
        fetch_key = _fetch_key(fetches, leaves)
        fetch_count = len(leaves)
        # No graph version in the key: an op's inputs never change, so a signature's plan
        # stays right while the graph grows (a replaced initializer bumps the generation).
        key = (fetch_key, _feed_key(feed_dict, leaves), self.index.generation)
        plan = self._plans.get(key)  # the hot path: a dict lookup, no lock (atomic under GIL)
        grew = self.graph.version != self._version_seen
        if plan is not None and not grew and (not plan.records_something
                                              or plan.streak_key in self._streaks):
            return plan  # nothing to record, or one more run of a running streak
        with self._lock:
            if grew:
                self._note_growth()  # ops built between runs (graph-grows-during-session)
            plan = self._plans.get(key)
            if plan is None:
                with self.graph.as_default():  # TF refuses graph access from outside it
                    plan = self._new_plan(key, leaves, fetch_count, feed_dict)
            if self._streaks and plan.records_something:
                # Sample streak values *before* this run changes them.
                if self._starts_streak(plan):
                    self._end_streaks(self._conflicts(plan))
                elif plan.streak_key not in self._streaks:
                    self._end_streaks()
        return plan

    def _starts_streak(self, plan: RunPlan) -> bool:
        """Whether this run of ``plan`` is a streak's (an assign shape's first run is a
        run record of its own, exactly as a one-off assign)."""
        return plan.streakable and (plan.update_only or plan.streak_key in self._shapes_run)

    def _conflicts(self, plan: RunPlan) -> list[_Streak]:
        """Running streaks that cannot interleave with ``plan``'s: one of the two assigns
        a variable the other writes. Update streaks interleave freely (GAN D/G steps, a
        train op with and without the hooks' fetches): counts add up whatever the order,
        while the order of a variable's assigns decides its value."""
        return [s for s in self._streaks.values()
                if s.plan.streak_key != plan.streak_key  # its own streak goes on
                and (s.plan.assigned.intersection(plan.written)
                     or plan.assigned.intersection(s.plan.written))]

    def _new_plan(self, key: Any, leaves: list[Any], fetch_count: int,
                  feed_dict: Any) -> RunPlan:
        graph = self.graph
        self._note_growth()
        targets, names = [], []
        for leaf in leaves[:fetch_count]:
            op = _leaf_op(graph, leaf)
            if op is not None:
                targets.append(op)
                names.append(leaf if isinstance(leaf, str) else getattr(leaf, "name", op.name))
        fed = _fed_names(graph, feed_dict)
        plan = analyze_run(self.index, targets, fed)
        plan.fetch_names = short_names(str(n) for n in names)
        plan.keepalive = leaves
        plan.id = next(self._plan_ids)
        if plan.streakable:
            shape = plan.shape
            key_of_shape = self._shapes.get(shape)
            if key_of_shape is None:
                if len(self._shapes) >= _PLAN_CACHE_LIMIT:  # bounded: forget the oldest
                    del self._shapes[next(iter(self._shapes))]
                key_of_shape = self._shapes[shape] = next(self._shape_numbers)
            plan.streak_key = key_of_shape
        self.state.sync_graph(self.index, full=False)
        if len(self._plans) >= _PLAN_CACHE_LIMIT:
            # A loop that builds ops makes a signature per step: drop the oldest plans.
            for old in list(itertools.islice(self._plans, _PLAN_CACHE_LIMIT // 4)):
                del self._plans[old]
        self._plans[key] = plan
        self._version_seen = graph.version  # ops tftrace itself added are not growth
        return plan

    def _note_growth(self) -> None:
        """Ops added to the graph since the last run that saw it (checked on every run, one
        comparison): after the first run, that is the program building ops between runs.
        Kept as a counter per creating line, written at the session's end."""
        version = self.graph.version
        added = version - self._version_seen
        self._version_seen = version
        if added <= 0 or self.run_index == 0:
            return
        location = creation_location(_newest_op(self.graph))
        entry = self._growth.get(location)
        if entry is None:
            if len(self._growth) >= 16:
                location = None  # bounded: the trace says only "elsewhere"
                entry = self._growth.get(None)
            if entry is None:
                entry = self._growth[location] = [0, 0, self.run_index + 1]
        entry[0] += 1
        entry[1] += added

    def _growth_records(self) -> tuple[GraphGrowth, ...]:
        items = sorted(self._growth.items(), key=lambda kv: (-kv[1][1], kv[1][2]))
        return tuple(GraphGrowth(location=loc, runs=runs, ops=ops, first_run=first)
                     for loc, (runs, ops, first) in items)

    # -- after the run --

    @property
    def remote(self) -> bool:
        return self._declaration.remote

    @property
    def target(self) -> str:
        return self._declaration.target

    def _declare(self, list_devices: bool) -> None:
        """Write the session record of a remote session, with its devices' incarnations.

        ``list_devices()`` before the session exists on the master makes TensorFlow create
        it and wait for every task of the cluster, holding the GIL (a hung process while a
        task is down); after a successful run it is one quick call for the session's own
        devices. So: after the first successful run, and never otherwise.
        """
        self.undeclared = False
        devices = {}
        session = self._session()
        if list_devices and session is not None:
            devices = _devices(session)
        self.state.write(SessionRecord(**{**self._declaration.__dict__, "devices": devices}))

    def after(self, plan: RunPlan, feed_dict: Any, started: float) -> None:
        with self._lock:
            if self.undeclared:
                self._declare(list_devices=True)
            self.run_index += 1
            if plan.id not in self._seen_plans:
                if len(self._seen_plans) >= _PLAN_CACHE_LIMIT:
                    self._seen_plans.clear()  # bounded; adding reads again changes nothing
                self._seen_plans.add(plan.id)
                self.reads.update(plan.reads)
            if not plan.records_something:
                return
            if plan.streak_key in self._streaks or self._starts_streak(plan):
                self._streak_step(plan)
            else:
                if plan.streakable:
                    self._shapes_run.add(plan.streak_key)
                with self.graph.as_default():
                    self._record_run(plan, feed_dict, started, None)

    def after_error(self, plan: RunPlan, feed_dict: Any, started: float,
                    error: BaseException) -> None:
        with self._lock:
            if self.undeclared:
                self._declare(list_devices=False)
            self.run_index += 1
            self.reads.update(plan.reads)
            with self.graph.as_default():
                if self._streaks:
                    self._end_streaks()
                record = self._record_run(plan, feed_dict, started, error)
            add_note = getattr(error, "add_note", None)  # Python >= 3.11
            note = notes.for_failed_run(self, record, error) if add_note else None
            if note:
                add_note(note)

    def _streak_step(self, plan: RunPlan) -> None:
        streak = self._streaks.get(plan.streak_key)
        if streak is None:
            streak = _Streak(number=next(self._streak_numbers), plan=plan,
                             first_run=self.run_index, location=caller_location(),
                             started=time.time())
            self._streaks[plan.streak_key] = streak
        streak.count += 1
        streak.last_run = self.run_index
        count = streak.count
        if count & (count - 1) == 0:  # 1, 2, 4, 8, ...: the geometric schedule
            self._sample([streak])
            self._write_streak(streak, final=False)

    def _sample(self, streaks: list[_Streak]) -> None:
        names = sorted({name for s in streaks for name in s.plan.written})
        with self.graph.as_default():
            values = self._read_values(names)
        for streak in streaks:
            streak.sampled_at = streak.count
            streak.pending.append(StreakSample(
                run=streak.last_run, count=streak.count,
                values={n: values[n] for n in streak.plan.written if n in values}))

    def _write_streak(self, streak: _Streak, final: bool) -> None:
        plan = streak.plan
        self.state.write(StreakRecord(
            session=self.number, streak=streak.number, first_run=streak.first_run,
            last_run=streak.last_run, count=streak.count, location=streak.location,
            fetches=() if streak.written else plan.fetch_names,
            # The reader keeps the first record's writes; repeating them costs space only.
            writes=() if streak.written else tuple(
                Write(variable=w.variable, kind=w.kind, op=w.op, sources=w.sources)
                for w in plan.writes),
            samples=tuple(streak.pending), final=final, time=streak.started,
            last_time=time.time()))
        streak.pending = []
        streak.written = True

    def _end_streaks(self, which: list[_Streak] | None = None) -> None:
        """End ``which`` (default: every running streak), sampled first if they moved."""
        if which is None:
            streaks = sorted(self._streaks.values(), key=lambda s: s.number)
            self._streaks.clear()
        else:
            streaks = sorted(which, key=lambda s: s.number)
            for streak in streaks:
                del self._streaks[streak.plan.streak_key]
        if not streaks:
            return
        unsampled = [s for s in streaks if s.sampled_at != s.count]
        if unsampled:
            self._sample(unsampled)
        for streak in streaks:
            self._write_streak(streak, final=True)

    def _record_run(self, plan: RunPlan, feed_dict: Any, started: float,
                    error: BaseException | None) -> RunRecord:
        feeds = _feed_values(self.graph, feed_dict) if (plan.saves or any(
            w.prefix_tensor is not None for w in plan.writes)) else {}
        writes = []
        for w in plan.writes:
            checkpoint = resolve_string(w.prefix_tensor, feeds) if w.prefix_tensor is not None \
                else None
            if checkpoint is not None:
                self.state.record_checkpoint(checkpoint)
            writes.append(Write(variable=w.variable, kind=w.kind, op=w.op,
                                checkpoint=checkpoint, key=w.key, sources=w.sources))
        saves = [SaveInfo(path=resolve_string(s.prefix_tensor, feeds), keys=s.keys)
                 for s in plan.saves]
        to_read = set(plan.written)
        for save in saves:
            to_read.update(save.keys.values())
        values = {} if error is not None else self._read_values(sorted(to_read))
        run_error = None
        if error is not None:
            run_error = RunError(type=type(error).__name__, message=_message(error),
                                 uninitialized=_uninitialized_names(error))
        record = RunRecord(
            session=self.number, run=self.run_index, time=started,
            duration=time.time() - started, location=caller_location(),
            fetches=plan.fetch_names, writes=tuple(writes), values=values,
            save=saves[0] if saves else None, error=run_error,
            reads=tuple(sorted(plan.reads)) if error is not None else ())
        self.state.write(record)
        self._remember(record)
        for save in saves[1:]:  # several Savers saved in one run: rare, one record each
            self.state.write(RunRecord(session=self.number, run=self.run_index, time=started,
                                       location=record.location, save=save))
        return record

    def _remember(self, record: RunRecord) -> None:
        """What the exception notes need later: who gave which variable a value."""
        if record.error is not None:
            for w in record.writes:
                if w.kind == "restore":
                    self.failed_restores[w.variable] = (record.location, record.run,
                                                        record.error.type)
            return
        for w in record.writes:
            if w.kind != "update":
                self.initialized.add(w.variable)
                self.failed_restores.pop(w.variable, None)
                self.state.initialized_in.setdefault(w.variable, set()).add(self.number)

    def _read_values(self, names: list[str]) -> dict[str, Any]:
        """Value summaries of ``names``, read in one batched run."""
        session = self._session()
        if session is None or not names:
            return {}
        pairs = [(n, self.index.read_tensor(n)) for n in names]
        pairs = [(n, t) for n, t in pairs if t is not None]
        if not pairs:
            return {}
        try:
            arrays = _orig_run(session, [t for _, t in pairs])
        except Exception:
            # One of them is not initialized (a write failed half-way): read one by one.
            arrays = []
            for _, tensor in pairs:
                try:
                    arrays.append(_orig_run(session, tensor))
                except Exception:
                    arrays.append(None)
        out = {}
        for (name, _), array in zip(pairs, arrays):
            if array is not None:
                dtype = self.index.variables[name].record.dtype
                out[name] = summarize(array, dtype)
        return out

    # -- end of the session --

    def close(self) -> None:
        with self._lock:
            if self.closed or self.disabled:
                return
            self.closed = True
            if self.undeclared:
                self._declare(list_devices=False)
            with self.graph.as_default():
                if self._streaks:
                    self._end_streaks()
                self.state.sync_graph(self.index)
            self.state.write(SessionEnd(session=self.number, runs=self.run_index,
                                        time=time.time(), reads=tuple(sorted(self.reads)),
                                        graph_growth=self._growth_records()))
            self.state.session_closed()

    def unrecorded_run(self) -> None:
        """A run after the trace was finished (a daemon thread still running at exit, or
        a session used after ``tracing()`` ended): not recorded, and said once."""
        if self.warned_unrecorded:
            return
        self.warned_unrecorded = True
        try:
            sys.stderr.write(
                f"tftrace: session {self.number} ran after its trace was finished (thread "
                f"{printable(threading.current_thread().name)}); runs from here on are not "
                f"in {printable(self.state.path)}\n")
        except Exception:
            pass

    def fail(self, error: BaseException) -> None:
        """An internal error: stop recording this session, say so once, carry on."""
        if self.disabled:
            return
        self.disabled = True
        self._streaks.clear()
        message = f"{type(error).__name__}: {error}"
        try:
            if self.undeclared:
                self._declare(list_devices=False)
            self.state.write(RecorderError(session=self.number, message=message,
                                           time=time.time()))
            if not self.closed:
                self.closed = True
                self.state.session_closed()
        except Exception:
            pass
        try:
            sys.stderr.write(f"tftrace: internal error; stopped recording session "
                             f"{self.number} (your program is not affected): "
                             f"{printable(message)}\n")
        except Exception:
            pass


def _newest_op(graph: Any) -> Any:
    """The op created last (TensorFlow numbers ops from 2: the newest is version + 1)."""
    try:
        return graph._nodes_by_id[graph.version + 1]  # noqa: SLF001 - O(1), read only
    except Exception:
        operations = graph.get_operations()
        return operations[-1] if operations else None


def _target(session: Any) -> str:
    target = getattr(session, "_target", "")
    return target.decode("utf-8", "replace") if isinstance(target, bytes) else str(target or "")


def _devices(session: Any) -> dict[str, str]:
    try:
        return cluster.session_devices(session)
    except Exception:  # the cluster is not reachable (yet): the trace just lacks them
        return {}


def _message(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error)
    return message if len(message) <= _MESSAGE_LIMIT else message[:_MESSAGE_LIMIT] + " ..."


_UNINITIALIZED_PATTERNS = None


def _uninitialized_names(error: BaseException) -> tuple[str, ...]:
    """Variables TensorFlow's FailedPreconditionError says were read uninitialized."""
    global _UNINITIALIZED_PATTERNS
    if type(error).__name__ != "FailedPreconditionError":
        return ()
    import re

    if _UNINITIALIZED_PATTERNS is None:
        _UNINITIALIZED_PATTERNS = [
            re.compile(r"uninitialized value ([^\s\[\]\"';,]+)"),
            re.compile(r"reading resource variable ([^\s\[\]\"';,]+) from Container"),
            re.compile(r"Could not find variable ([^\s\[\]\"';,]+?)\.?(?:\s|$)"),
        ]
    text = str(error)
    names = []
    for pattern in _UNINITIALIZED_PATTERNS:
        names.extend(m.group(1).rstrip(".") for m in pattern.finditer(text))
    return tuple(dict.fromkeys(names))


# --- run signatures -----------------------------------------------------------------------

def _fetch_key(fetches: Any, leaves: list[Any]) -> Any:
    """A hashable key for the fetch structure; graph elements by identity.

    The leaf objects are kept alive by the cached plan, so an ``id`` in a key can never
    be reused by another object while the plan exists. This runs on every run: the usual
    ``[train_op, loss]`` takes one loop, without recursion.
    """
    kind = type(fetches)
    if kind is list or kind is tuple:
        key: list[Any] = [kind]
        for item in fetches:
            if isinstance(item, _CONTAINERS) or item is None:
                key.append(_fetch_key(item, leaves))
            else:
                leaves.append(item)
                key.append(id(item))
        return tuple(key)
    if kind is dict:  # MonitoredSession's {caller: ..., hook: ...}, one loop as above
        key = [dict]
        for name, item in fetches.items():
            if isinstance(item, _CONTAINERS) or item is None:
                key.append((name, _fetch_key(item, leaves)))
            else:
                leaves.append(item)
                key.append((name, id(item)))
        return tuple(key)
    if isinstance(fetches, str):
        leaves.append(fetches)
        return fetches
    if isinstance(fetches, (list, tuple)):  # namedtuples and other subclasses
        return (kind, *[_fetch_key(f, leaves) for f in fetches])
    if isinstance(fetches, dict):
        return (dict, *[(k, _fetch_key(v, leaves)) for k, v in fetches.items()])
    if fetches is None:
        return None
    leaves.append(fetches)
    return id(fetches)


_CONTAINERS = (list, tuple, dict, str)


def _feed_key(feed_dict: Any, leaves: list[Any]) -> Any:
    if not feed_dict:
        return ()
    leaves.extend(feed_dict)
    # Strings are names (compared by value); anything else by identity.
    return tuple(k if type(k) is str else id(k) for k in feed_dict)


def _leaf_op(graph: Any, leaf: Any) -> Any | None:
    try:
        element = graph.as_graph_element(leaf, allow_tensor=True, allow_operation=True)
    except Exception:
        # SparseTensor and other composites: their components' ops.
        for attr in ("indices", "values", "op"):
            part = getattr(leaf, attr, None)
            if part is not None and hasattr(part, "op"):
                return part.op
            if part is not None and hasattr(part, "type") and hasattr(part, "inputs"):
                return part
        return None
    return element if isinstance(element, _ops.Operation) else element.op


def _feed_tensor_name(graph: Any, key: Any) -> str | None:
    try:
        element = graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
    except Exception:
        return None
    return getattr(element, "name", None)


def _fed_names(graph: Any, feed_dict: Any) -> list[str]:
    if not feed_dict:
        return []
    names = []
    for key in feed_dict:
        name = _feed_tensor_name(graph, key)
        if name is not None:
            names.append(name)
    return names


def _feed_values(graph: Any, feed_dict: Any) -> dict[str, Any]:
    if not feed_dict:
        return {}
    out = {}
    for key, value in feed_dict.items():
        name = _feed_tensor_name(graph, key)
        if name is not None:
            out[name] = value
    return out


# --- the traced run, shared by every way of tracing ---------------------------------------

def traced_run(session: Any, fetches: Any, feed_dict: Any = None, options: Any = None,
               run_metadata: Any = None) -> Any:
    recorder = session.__dict__.get("_tftrace_recorder")
    if recorder is None and "_tftrace_recorder" not in session.__dict__ and \
            patch.SESSION_MODULE in sys.modules and \
            patch._ORIGINALS in _tf_session.BaseSession.__dict__:
        recorder = attach(session, None)  # a session created before tracing was installed
    if recorder is None or recorder.disabled or recorder.closed:
        if recorder is not None and recorder.finished_by_exit:
            recorder.unrecorded_run()
        return _orig_run(session, fetches, feed_dict, options, run_metadata)
    try:
        plan = recorder.before(fetches, feed_dict)
    except Exception as e:  # never let tftrace break the user's run
        recorder.fail(e)
        return _orig_run(session, fetches, feed_dict, options, run_metadata)
    started = time.time()
    try:
        result = _orig_run(session, fetches, feed_dict, options, run_metadata)
    except BaseException as error:
        try:
            recorder.after_error(plan, feed_dict, started, error)
        except Exception as e:
            recorder.fail(e)
        raise  # the same exception object, its traceback untouched
    try:
        recorder.after(plan, feed_dict, started)
    except Exception as e:
        recorder.fail(e)
    return result


def attach(session: Any, trace: str | os.PathLike[str] | None) -> SessionRecorder | None:
    """Start recording ``session`` into ``trace``; never raises."""
    try:
        recorder = SessionRecorder(session, trace_state(trace), caller_location())
    except Exception as e:
        session.__dict__["_tftrace_recorder"] = None
        sys.stderr.write(f"tftrace: internal error; not recording this session (your program "
                         f"is not affected): {type(e).__name__}: {printable(e)}\n")
        return None
    session.__dict__["_tftrace_recorder"] = recorder
    return recorder


def finish(session: Any) -> None:
    """Record the end of ``session`` (idempotent; never raises)."""
    recorder = session.__dict__.get("_tftrace_recorder")
    if recorder is None:
        return
    try:
        recorder.close()
    except Exception as e:
        recorder.fail(e)


def recorder_of(session: Any) -> SessionRecorder | None:
    """The recorder attached to a session, if any (for tests and tools)."""
    return session.__dict__.get("_tftrace_recorder")


# --- public classes -----------------------------------------------------------------------

class _Traced:
    """What the traced session classes add to TensorFlow's: ``trace=`` and a traced run."""

    def __init__(self, target: str = "", graph: Any = None, config: Any = None, *,
                 trace: str | os.PathLike[str] | None = None):
        # Set before TensorFlow's __init__, so a patched BaseSession (tftrace run) does not
        # attach a second recorder with the default trace path.
        self.__dict__["_tftrace_explicit"] = True
        super().__init__(target, graph, config)  # type: ignore[call-arg]
        attach(self, trace)

    def run(self, fetches: Any, feed_dict: Any = None, options: Any = None,
            run_metadata: Any = None) -> Any:
        return traced_run(self, fetches, feed_dict, options, run_metadata)

    def close(self) -> None:
        finish(self)
        super().close()  # type: ignore[misc]


class Session(_Traced, _tf_session.Session):
    """A ``tf.compat.v1.Session`` that records every variable write into a trace.

    Drop-in: same constructor plus ``trace=`` (the trace file; default ``$TFTRACE_TRACE`` or
    ``tftrace.json``). Sessions of one process naming the same path share one trace::

        with tftrace.Session(trace="trace.json") as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
    """


class InteractiveSession(_Traced, _tf_session.InteractiveSession):
    """A traced ``tf.compat.v1.InteractiveSession`` (installs itself as default session)."""


def wrap(session: Any, trace: str | os.PathLike[str] | None = None) -> Any:
    """Trace an existing session in place and return it.

    Its ``run`` and ``close`` are replaced on the instance, so code holding the session
    (and ``op.run()`` through the default session) is traced from now on.
    """
    if recorder_of(session) is None:
        session.__dict__["_tftrace_explicit"] = True
        attach(session, trace)
        session.run = types.MethodType(traced_run, session)
        original_close = session.close

        def close() -> None:
            finish(session)
            original_close()

        session.close = close
    return session


@contextlib.contextmanager
def tracing(trace: str | os.PathLike[str] | None = None) -> Iterator[None]:
    """Trace every session created inside the block (MonitoredSession's too)::

        with tftrace.tracing("trace.json"):
            with tf.compat.v1.train.MonitoredTrainingSession(...) as sess:
                ...
    """
    previous = os.environ.get(TRACE_ENV)
    if trace is not None:
        os.environ[TRACE_ENV] = os.fspath(trace)
    patch.install()
    try:
        yield
    finally:
        finish_all()
        patch.uninstall()
        if trace is not None:
            if previous is None:
                os.environ.pop(TRACE_ENV, None)
            else:
                os.environ[TRACE_ENV] = previous


def finish_all() -> None:
    """Close every open recorder and flush every trace (process exit, end of ``run``)."""
    for recorder in list(_recorders):
        try:
            if not recorder.closed:
                recorder.finished_by_exit = True
            recorder.close()
        except Exception as e:
            recorder.fail(e)
    with _states_lock:
        for state in _states.values():
            try:
                state.writer.flush()
            except Exception:
                pass


def close_traces(join_threads: bool = False) -> list[TraceState]:
    """Finish every recorder and close every trace file; returns the traces written.

    ``join_threads``: first wait for the program's non-daemon threads, as the interpreter
    does when the main thread ends (``threading._shutdown`` runs before ``atexit``
    handlers): a worker that outlives the main thread is still recorded.
    """
    if join_threads:
        join_program_threads()
    finish_all()
    with _states_lock:
        states = list(_states.values())
        _states.clear()
    for state in states:
        state.writer.close()
    return states


def join_program_threads() -> None:
    """Wait for every non-daemon thread but this one (what Python does at exit)."""
    current = threading.current_thread()
    while True:
        alive = [t for t in threading.enumerate()
                 if t is not current and not t.daemon and t.is_alive()
                 and t is not threading.main_thread()]
        if not alive:
            return
        for thread in alive:
            thread.join()


atexit.register(finish_all)
