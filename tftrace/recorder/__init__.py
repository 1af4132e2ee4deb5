"""The recorder: the only part of tftrace that imports TensorFlow.

``public`` holds the recording API (``Session``, ``InteractiveSession``, ``wrap``,
``tracing``); ``session`` the per-session recorder and the traced run they all share;
``live`` the recorders alive in the process (closed at exit); ``signature`` keys a run's
fetches and feeds; ``streaks`` coalesces repeated runs (the geometric sampling schedule);
``growth`` counts ops built between runs; ``traces`` holds the process-wide registries (a
trace per path, an index per graph); ``tf_errors`` reads a failed run's error text.
``graph_index`` knows a graph's variables and Savers, ``classify`` decides which variables
a run writes and how, both on ``graph_ops`` (op types, graph walks); ``capture`` turns
values and stacks into plain data; ``patch`` and ``launcher`` trace unmodified programs
(``tftrace run``).
"""
import re


#: Where a trace goes when no path is given (``tftrace.Session()``, ``tftrace run``).
DEFAULT_TRACE = "tftrace.json"
#: The environment variable naming the trace: set by ``tftrace run`` and ``tracing()``,
#: read by every traced session of the process.
TRACE_ENV = "TFTRACE_TRACE"
#: The placeholders of a per-process trace path pattern (``traces/{job}{task}.json``,
#: filled by ``cluster.expand``); anything else in braces is left as written.
PATH_PLACEHOLDER = re.compile(r"\{(job|task|pid|host)\}")

#: The one line said when recording is asked for and TensorFlow is not installed (by
#: ``tftrace run`` as an error, by ``tftrace.Session`` as an ``ImportError``).
TENSORFLOW_MISSING = ("TensorFlow is not installed, and recording a trace needs it (reading "
                      "one does not): pip install 'tftrace[tf]' or pip install tensorflow-cpu")
