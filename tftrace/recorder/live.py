"""The live recorders: which session each recorder records, and closing them all at the end.

A session's recorder is kept in the session's own ``__dict__`` (so the traced run finds it
with one dict lookup, and it dies with the session); every recorder is also in a weak set,
so the end of the process, of ``tftrace run`` or of a ``tracing()`` block closes the ones
the program never closed, then flushes (or closes) every trace file. Which trace a path
names lives in :mod:`tftrace.recorder.traces`; what a recorder does, in
:mod:`tftrace.recorder.session`. Nothing here imports TensorFlow.
"""
from __future__ import annotations

import atexit
import threading
import weakref
from typing import Any

from tftrace.recorder.traces import TraceState, _states, _states_lock

#: The session attribute holding its recorder (None: attaching failed; not recorded).
RECORDER_KEY = "_tftrace_recorder"

_recorders: "weakref.WeakSet[Any]" = weakref.WeakSet()


def add(recorder: Any) -> None:
    """Count ``recorder`` among the live ones (closed by :func:`finish_all`)."""
    _recorders.add(recorder)


def recorder_of(session: Any) -> Any:
    """The recorder attached to a session, if any (for tests and tools)."""
    return session.__dict__.get(RECORDER_KEY)


def finish(session: Any) -> None:
    """Record the end of ``session`` (idempotent; never raises)."""
    recorder = session.__dict__.get(RECORDER_KEY)
    if recorder is None:
        return
    try:
        recorder.close()
    except Exception as e:
        recorder.fail(e)


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
