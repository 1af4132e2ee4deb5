"""The recorder: the only part of tftrace that imports TensorFlow.

``session`` holds the traced session classes; ``classify`` decides which variables a run
writes and how; ``capture`` turns values and stacks into plain data; ``patch`` and
``launcher`` trace unmodified programs (``tftrace run``).
"""

#: The one line said when recording is asked for and TensorFlow is not installed (by
#: ``tftrace run`` as an error, by ``tftrace.Session`` as an ``ImportError``).
TENSORFLOW_MISSING = ("TensorFlow is not installed, and recording a trace needs it (reading "
                      "one does not): pip install 'tftrace[tf]' or pip install tensorflow-cpu")
