"""The recording API: ``tftrace.Session``, ``InteractiveSession``, ``wrap`` and ``tracing``.

Four ways into the one traced run (:func:`tftrace.recorder.session.traced_run`): two
drop-in session classes, one wrapper for a session that already exists, and a block that
patches TensorFlow's ``BaseSession`` so every session made inside it is traced (what
``tftrace run`` does for a whole program). ``tftrace.Session`` and the others are these,
imported from here by the package facade on first use.
"""
from __future__ import annotations

import contextlib
import os
import types
from typing import Any, Iterator

from tensorflow.python.client import session as _tf_session

from tftrace.recorder import TRACE_ENV, patch
from tftrace.recorder.live import finish, finish_all, recorder_of
from tftrace.recorder.session import attach, traced_run

__all__ = ["Session", "InteractiveSession", "wrap", "tracing"]


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
