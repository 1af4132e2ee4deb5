"""The recorder: the only part of tftrace that imports TensorFlow.

``session`` holds the traced session classes; ``classify`` decides which variables a run
writes and how; ``capture`` turns values and stacks into plain data; ``patch`` and
``launcher`` trace unmodified programs (``tftrace run``).
"""
