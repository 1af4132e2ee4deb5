"""Process-wide registries: one trace (file and writer) per path, one index per graph.

Every traced session of the process that names the same path shares its ``TraceState``;
every session on the same ``tf.Graph`` shares its ``GraphIndex``. Nothing here imports
TensorFlow.
"""
from __future__ import annotations

import itertools
import os
import platform
import sys
import threading
import time
import weakref
from typing import Any

from tftrace.recorder import DEFAULT_TRACE, TRACE_ENV, cluster
from tftrace.recorder.capture import checkpoint_contents
from tftrace.recorder.graph_index import GraphIndex
from tftrace.tracefile import Header, TraceWriter, VariableRecord


def default_trace_path() -> str:
    return os.environ.get(TRACE_ENV) or DEFAULT_TRACE


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
        the index's records since this trace's last sync, the latest of each. The index
        only appends, and a changed record is a new one, so that position alone keeps a
        record from being written twice."""
        if full:
            index.refresh()
        with self.lock:
            position = self.synced.get(index.graph_id, 0)
            if position == len(index.records):
                return
            fresh = index.records[position:]
            self.synced[index.graph_id] = position + len(fresh)  # not len(): it may have grown
            latest: dict[str, Any] = {}
            for record in fresh:
                name = record.name if isinstance(record, VariableRecord) else "saver:" + record.name
                latest[name] = record
            variables = sorted((r for r in latest.values() if isinstance(r, VariableRecord)),
                               key=lambda r: r.index)  # creation order
            savers = [r for r in latest.values() if not isinstance(r, VariableRecord)]
            for record in [*variables, *savers]:
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
