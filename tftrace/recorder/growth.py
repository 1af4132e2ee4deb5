"""Graph growth: ops the program builds between runs, counted per creating line.

Building ops inside the training loop (``sess.run(tf.assign(w, w * 0.9))``) grows the
graph and slows every step; the trace says where. After the first run, every run checks
the graph's version (one comparison, in the recorder's ``before``); when it moved, the ops
added are counted against the line that created the newest of them, bounded at 16 lines
(the rest is "elsewhere"). The counts go into the session's end record.

``GrowthTracking`` is mixed into the session recorder, as ``StreakTracking`` is (its check
runs on the hot path: no extra object in between); it needs from its host ``graph`` and
``run_index``. Nothing here imports TensorFlow: the ops it is given are duck-typed.
"""
from __future__ import annotations

from typing import Any

from tftrace.recorder.capture import creation_location
from tftrace.tracefile import GraphGrowth

#: Creating lines counted separately; ops from further lines are counted as "elsewhere".
GROWTH_LINES = 16


class GrowthTracking:
    """Ops added to one session's graph between its runs, by creating line."""

    def _init_growth(self) -> None:
        # Ops added between runs, by creating line: [runs, ops, first run]
        self._growth: dict[str | None, list[int]] = {}
        self._version_seen = self.graph.version
        self._id_offset: int | None = None  # newest op id - graph version (TF-dependent)

    def _note_growth(self, fetched: Any = ()) -> None:
        """Ops added to the graph since the last run that saw it: after the first run,
        that is the program building ops between runs."""
        version = self.graph.version
        seen = self._version_seen
        added = version - seen
        self._version_seen = version
        if added <= 0 or self.run_index == 0:
            return
        # The usual growing loop fetches the op it just built: take the creation site from
        # the newest fetched op built since the last run, else from the graph's newest op.
        if self._id_offset is None:
            # An op's id is the graph's version when it was built (TF < 2.13), or one more
            # (ids from 2 since): found once, from the newest op, so "built since" is exact.
            newest = newest_op(self.graph)
            newest_id = getattr(newest, "_id", None)
            self._id_offset = newest_id - version if type(newest_id) is int else 0
        op = newest_fetched(fetched, seen + self._id_offset)
        location = creation_location(op if op is not None else newest_op(self.graph))
        entry = self._growth.get(location)
        if entry is None:
            if len(self._growth) >= GROWTH_LINES:
                location = None  # bounded: the trace says only "elsewhere"
                entry = self._growth.get(None)
            if entry is None:
                entry = self._growth[location] = [0, 0, self.run_index + 1]
        entry[0] += 1
        entry[1] += added

    def _growth_records(self) -> tuple[GraphGrowth, ...]:
        """The counts for the session's end record: most ops first, then earliest."""
        items = sorted(self._growth.items(), key=lambda kv: (-kv[1][1], kv[1][2]))
        return tuple(GraphGrowth(location=loc, runs=runs, ops=ops, first_run=first)
                     for loc, (runs, ops, first) in items)


def newest_fetched(fetched: Any, since: int) -> Any:
    """The fetched op created last, if it was created after op id ``since``."""
    best = None
    for leaf in fetched:
        # A tensor's op, or the op itself (a tensor has an `_id` too: a different counter)
        op = getattr(leaf, "op", leaf)
        op_id = getattr(op, "_id", None)
        if type(op_id) is int and op_id > since and (best is None or op_id > best._id):
            best = op
    return best


def newest_op(graph: Any) -> Any:
    """The op the program created last, in O(1) on every TensorFlow 2.x.

    Since TensorFlow's graph became a C++ ``PyGraph`` (2.13+), ``graph.operations`` is
    its own list of ops in creation order, returned without a copy, while ``_nodes_by_id``
    and ``get_operations()`` copy the whole table (~0.2-1 ms at 14 000 ops). Before, the
    graph was Python, with no ``operations``: ``_nodes_by_id`` was a plain dict and the
    newest op's id the graph's version (since, ids start at 2: version + 1). Read only.
    """
    try:
        ops = graph.operations
        if type(ops) is list:
            return ops[-1] if ops else None
    except Exception:
        pass
    try:
        nodes = graph._nodes_by_id  # noqa: SLF001 - a dict lookup before PyGraph
        if type(nodes) is dict:
            version = graph.version
            op = nodes.get(version)
            newer = nodes.get(version + 1)
            return newer if newer is not None else op
    except Exception:
        pass
    operations = graph.get_operations()  # whatever else: correct, O(graph)
    return operations[-1] if operations else None
