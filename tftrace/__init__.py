"""tftrace: where did the value in this TensorFlow variable come from?

Record a ``tf.compat.v1`` program::

    import tensorflow as tf
    import tftrace

    with tf.Graph().as_default():
        w = tf.compat.v1.get_variable("dense/kernel", shape=[4, 2])
        init = tf.compat.v1.global_variables_initializer()
        saver = tf.compat.v1.train.Saver()
        with tftrace.Session(trace="trace.json") as sess:
            sess.run(init)
            saver.restore(sess, "model.ckpt")

or run it unchanged with ``tftrace run -o trace.json train.py``; then ask::

    trace = tftrace.load("trace.json")
    trace.origin("dense/kernel")

Importing this package is cheap: TensorFlow is imported only when a recording class
(``Session``, ``InteractiveSession``, ``wrap``, ``tracing``) is first used.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_RECORDER_NAMES = {"Session", "InteractiveSession", "wrap", "tracing"}

__all__ = ["load", "Trace", "Session", "InteractiveSession", "wrap", "tracing", "__version__"]


def load(path: str) -> "Any":
    """Load a trace file into a :class:`tftrace.api.Trace`: the model's
    :class:`tftrace.model.Trace` with ``to_dot()`` and a notebook diagram (no TensorFlow
    needed)."""
    from tftrace.api import Trace

    return Trace.load(path)


def __getattr__(name: str) -> Any:
    # Module-level __getattr__ (PEP 562) keeps `import tftrace` free of TensorFlow.
    if name in _RECORDER_NAMES:
        try:
            from tftrace.recorder import session
        except ImportError as e:
            if (e.name or "").partition(".")[0] != "tensorflow":
                raise
            from tftrace.recorder import TENSORFLOW_MISSING

            # One clear line instead of a traceback from inside the recorder.
            raise ImportError(TENSORFLOW_MISSING, name="tensorflow") from None

        return getattr(session, name)
    if name == "Trace":
        from tftrace.api import Trace

        return Trace
    raise AttributeError(f"module 'tftrace' has no attribute {name!r}")
