"""Run recording: the per-session recorder and the traced run every way of tracing shares.

Per run, the recorder (1) looks up the cached ``RunPlan`` for the run's signature — the
fetches, the fed tensors and the graph index's ``generation`` (bumped when an initializer
is replaced; a growing graph keeps its plans) — (2) runs the user's run unchanged, and
(3) only when the plan writes or saves something, records it: the run record with its
writes and a batched read of the written values. Repeated runs whose writes are all
updates or assigns are coalesced into streaks (:mod:`tftrace.recorder.streaks`); ops built
between runs are counted (:mod:`tftrace.recorder.growth`). The public classes that lead
here are in :mod:`tftrace.recorder.public`, the set of live recorders in
:mod:`tftrace.recorder.live`.

Fail-open: any exception inside tftrace disables recording for that session with one line
on stderr; the user's run and its result or exception are never touched.
"""
from __future__ import annotations

import itertools
import os
import sys
import threading
import time
import weakref
from typing import Any

from tensorflow.python.client import session as _tf_session

from tftrace.escape import printable
from tftrace.recorder import cluster, live, notes, patch
from tftrace.recorder.capture import caller_location, short_names, summarize
from tftrace.recorder.classify import RunPlan, analyze_run
from tftrace.recorder.graph_ops import resolve_string
from tftrace.recorder.signature import (
    feed_key as _feed_key,
    fed_names as _fed_names,
    feed_values as _feed_values,
    fetch_key as _fetch_key,
    leaf_op as _leaf_op,
)
from tftrace.recorder.growth import GrowthTracking
from tftrace.recorder.streaks import StreakTracking
from tftrace.recorder.tf_errors import run_error_message as _message
from tftrace.recorder.tf_errors import uninitialized_names as _uninitialized_names
from tftrace.recorder.traces import TraceState, graph_index, trace_state
from tftrace.tracefile import (
    RecorderError,
    RunError,
    RunRecord,
    SaveInfo,
    SessionEnd,
    SessionRecord,
    Write,
)

_PLAN_CACHE_LIMIT = 4096

_ORIG = patch.originals(_tf_session.BaseSession)
_orig_run = _ORIG["run"]
_KEY = live.RECORDER_KEY


# --- the per-session recorder -------------------------------------------------------------

class SessionRecorder(StreakTracking, GrowthTracking):
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
        self._init_streaks()
        self._seen_plans: set[int] = set()
        self.reads: set[str] = set()
        self.initialized: set[str] = set()  # given a value (not just updated) by some run
        self.failed_restores: dict[str, tuple[str | None, int, str]] = {}
        self._init_growth()
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
        live.add(self)

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
                # ops built between runs (graph-grows-during-session)
                self._note_growth(leaves[:fetch_count])
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

    def _new_plan(self, key: Any, leaves: list[Any], fetch_count: int,
                  feed_dict: Any) -> RunPlan:
        graph = self.graph
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
        return plan

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


def _target(session: Any) -> str:
    target = getattr(session, "_target", "")
    return target.decode("utf-8", "replace") if isinstance(target, bytes) else str(target or "")


def _devices(session: Any) -> dict[str, str]:
    try:
        return cluster.session_devices(session)
    except Exception:  # the cluster is not reachable (yet): the trace just lacks them
        return {}


# --- the traced run, shared by every way of tracing (tftrace.recorder.public, patch) -------

def traced_run(session: Any, fetches: Any, feed_dict: Any = None, options: Any = None,
               run_metadata: Any = None) -> Any:
    recorder = session.__dict__.get(_KEY)
    if recorder is None and _KEY not in session.__dict__ and \
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
        session.__dict__[_KEY] = None
        sys.stderr.write(f"tftrace: internal error; not recording this session (your program "
                         f"is not affected): {type(e).__name__}: {printable(e)}\n")
        return None
    session.__dict__[_KEY] = recorder
    return recorder
