"""Graph-growth bookkeeping without TensorFlow: what is counted, against which line, bounded.

``GrowthTracking`` is the session recorder's growth half; here its host is a stand-in
graph (a version and a list of fake ops, each with the traceback TensorFlow keeps), so the
counting and the choice of creation site are tested directly.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tftrace.recorder.growth import GROWTH_LINES, GrowthTracking, newest_fetched, newest_op


def fake_op(op_id: int, line: int, filename: str = "/home/me/train.py"):
    return SimpleNamespace(_id=op_id, name=f"op_{op_id}",
                           traceback=[SimpleNamespace(filename=filename, lineno=line)])


class Graph:
    """ids from 2, the version one less than the newest id (as TensorFlow 2.13+)."""

    def __init__(self) -> None:
        self.operations: list = []

    @property
    def version(self) -> int:
        return len(self.operations)

    def build(self, line: int, count: int = 1) -> list:
        new = [fake_op(len(self.operations) + 2, line) for _ in range(count)]
        self.operations.extend(new)
        return new


class Host(GrowthTracking):
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.run_index = 0
        self._init_growth()

    def run(self, fetched=()) -> None:
        self._note_growth(fetched)
        self.run_index += 1


def test_ops_built_before_the_first_run_are_not_growth():
    graph = Graph()
    graph.build(line=3, count=5)
    host = Host(graph)
    graph.build(line=4, count=2)  # still building, before any run
    host.run()
    host.run()
    assert host._growth_records() == ()


def test_ops_built_between_runs_are_counted_against_the_newest_fetched_op():
    graph, host = Graph(), None
    graph.build(line=3, count=5)
    host = Host(graph)
    host.run()
    for _ in range(3):
        built = graph.build(line=10, count=2)  # e.g. w * 0.9 and the assign, fetched
        graph.build(line=20)  # built after it, not fetched: the fetched op names the line
        host.run(fetched=[SimpleNamespace(op=built[-1])])
    [growth] = host._growth_records()
    assert (growth.location, growth.runs, growth.ops, growth.first_run) == \
        ("/home/me/train.py:10", 3, 9, 2)


def test_without_a_new_fetched_op_the_graphs_newest_op_names_the_line():
    graph = Graph()
    host = Host(graph)
    host.run()
    old = graph.build(line=5)
    host.run(fetched=old)  # the op it just built
    graph.build(line=7, count=3)
    host.run(fetched=old)  # an old fetch: the newest op (line 7) is the site
    records = {r.location: (r.runs, r.ops) for r in host._growth_records()}
    assert records == {"/home/me/train.py:5": (1, 1), "/home/me/train.py:7": (1, 3)}
    assert [r.location for r in host._growth_records()][0] == "/home/me/train.py:7"


def test_lines_past_the_bound_are_counted_as_elsewhere():
    graph = Graph()
    host = Host(graph)
    host.run()
    for line in range(GROWTH_LINES + 4):
        graph.build(line=100 + line)
        host.run()
    records = host._growth_records()
    assert len(records) == GROWTH_LINES + 1
    [elsewhere] = [r for r in records if r.location is None]
    assert (elsewhere.runs, elsewhere.ops) == (4, 4)


def test_newest_fetched_ignores_what_the_run_had_seen_and_non_ops():
    a, b = fake_op(5, 1), fake_op(9, 2)
    assert newest_fetched([a, SimpleNamespace(op=b), "loss:0", 3], since=4) is b
    assert newest_fetched([a, SimpleNamespace(op=b)], since=9) is None


def test_newest_op_reads_the_graphs_own_list_or_the_old_id_table():
    graph = Graph()
    assert newest_op(graph) is None
    graph.build(line=1, count=3)
    assert newest_op(graph) is graph.operations[-1]
    # TensorFlow before PyGraph: no `operations`, a dict of ids; the newest id is the version
    old_ops = {i: fake_op(i, 1) for i in range(1, 6)}
    old_graph = SimpleNamespace(_nodes_by_id=old_ops, version=5)
    assert newest_op(old_graph) is old_ops[5]
    # Anything else: the full op list
    other = SimpleNamespace(get_operations=lambda: [old_ops[1], old_ops[2]], version=7)
    assert newest_op(other) is old_ops[2]


@pytest.mark.tf
def test_newest_op_and_the_id_offset_on_this_tensorflow():
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        x = tf.constant(1.0)
        for _ in range(3):
            x = x + 1.0
        host = Host(graph)
        host.run()
        built = tf.identity(x)
        tf.constant(2.0)  # built after it
        host.run(fetched=[built])
    assert newest_op(graph) is graph.get_operations()[-1]
    # "built since the last run" is exact: the fetched op, not the constant after it
    [growth] = host._growth_records()
    assert growth.location.endswith(f"test_growth_tracking.py:{_line_of('tf.identity(x)')}")
    assert growth.ops == 2


def _line_of(text: str) -> int:
    with open(__file__, encoding="utf-8") as f:
        return next(i for i, line in enumerate(f, 1) if text in line and "_line_of" not in line)
