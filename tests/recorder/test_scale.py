"""The recorder on real training-loop shapes (issue 10): every repeated run shape is a
streak, interleaved shapes keep theirs, a growing graph keeps one, and the analysis is
one pass per signature. Counts and record numbers, never times (see benchmarks/)."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tftrace  # noqa: E402
from tftrace.recorder.classify import analyze_run  # noqa: E402
from tftrace.recorder.graph_index import GraphIndex  # noqa: E402
from tftrace.recorder.graph_ops import upstream  # noqa: E402
from tftrace.recorder.live import recorder_of  # noqa: E402
from tftrace.tracefile import RunRecord, StreakRecord, read_trace  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1


def records(trace, kind):
    return [r for r in read_trace(str(trace)).records if isinstance(r, kind)]


def regression(name="w"):
    x = v1.placeholder(tf.float32, [None, 2], name="x")
    w = v1.get_variable(name, [2, 1], initializer=v1.zeros_initializer())
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
    return x, w, loss


def test_learning_rate_assigned_from_a_feed_every_step_is_one_streak(tmp_path):
    trace = tmp_path / "t.json"
    with tf.Graph().as_default():
        x, w, loss = regression()
        lr = v1.get_variable("lr", [], initializer=v1.constant_initializer(0.1),
                             trainable=False)
        lr_in = v1.placeholder(tf.float32, [], name="lr_in")
        set_lr = lr.assign(lr_in)
        train = v1.train.GradientDescentOptimizer(lr).minimize(loss)
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
            for step in range(200):
                sess.run(set_lr, {lr_in: 0.1 / (1 + step)})
                sess.run(train, {x: np.ones((4, 2), np.float32)})
    # the first assign is a run record as ever; the 199 after it and the 200 updates are
    # one streak each, which do not end each other
    assert len(records(trace, RunRecord)) == 2  # the initializer and the first assign
    got = tftrace.load(str(trace)).explain("lr").to_json()
    assert [(e["kind"], e["count"]) for e in got["events"]] == [
        ("initializer", 1), ("assign", 1), ("assign", 199)]
    origin = tftrace.load(str(trace)).origin("lr").event
    assert origin.kind == "assign" and origin.sources == ("<feed>",)
    assert origin.last_run == 400  # the last assign is the origin, with its value
    assert origin.value.values == pytest.approx(0.1 / 200)
    w_got = tftrace.load(str(trace)).explain("w").to_json()
    assert w_got["updates_since_origin"] == 200
    assert [e["count"] for e in w_got["events"]] == [1, 200]


def test_gan_alternating_updates_and_hook_fetches_keep_one_streak_each(tmp_path):
    trace = tmp_path / "t.json"
    with tf.Graph().as_default():
        x, d, d_loss = regression("d")
        g = v1.get_variable("g", [2], initializer=v1.ones_initializer())
        g_loss = tf.reduce_sum(tf.square(g - d[:, 0]))
        step = v1.train.get_or_create_global_step()
        d_train = v1.train.AdamOptimizer(0.01).minimize(d_loss, var_list=[d],
                                                        global_step=step)
        g_train = v1.train.AdamOptimizer(0.01, name="g_adam").minimize(g_loss, var_list=[g])
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
            feed = {x: np.ones((4, 2), np.float32)}
            for i in range(100):
                # every 10th D step also fetches the losses, as a logging hook does
                sess.run([d_train, d_loss, g_loss] if i % 10 == 0 else d_train, feed)
                sess.run(g_train, feed)
    streaks = {(r.session, r.streak): r for r in records(trace, StreakRecord)}
    assert sorted(r.count for r in streaks.values()) == [100, 100]
    loaded = tftrace.load(str(trace))
    for name in ("d", "g", "global_step"):
        got = loaded.explain(name).to_json()
        assert got["updates_since_origin"] == 100
        assert [e["kind"] for e in got["events"]] == ["initializer", "update"]


def test_an_op_built_inside_the_loop_extends_one_streak(tmp_path):
    trace = tmp_path / "t.json"
    with tf.Graph().as_default():
        w = v1.get_variable("w", [3], initializer=v1.ones_initializer())
        with tftrace.Session(trace=trace) as sess:
            sess.run(w.initializer)
            for _ in range(100):
                sess.run(w.assign(w * 0.999))  # a new op, so a new signature, every step
            plans = len(recorder_of(sess)._plans)  # noqa: SLF001
    assert len({r.streak for r in records(trace, StreakRecord)}) == 1
    got = tftrace.load(str(trace)).explain("w").to_json()
    assert got["updates_since_origin"] == 100
    assert got["events"][-1]["value"]["values"] == pytest.approx([0.999 ** 100] * 3, rel=1e-5)
    assert plans == 101  # one per signature (bounded: see _PLAN_CACHE_LIMIT)


def test_an_assign_op_built_inside_the_loop_between_reads_extends_one_streak(tmp_path):
    """examples/graph_grows.py: read the variable, assign it a new constant op each step."""
    trace = tmp_path / "t.json"
    with tf.Graph().as_default():
        w = v1.get_variable("w", [], initializer=v1.zeros_initializer())
        with tftrace.Session(trace=trace) as sess:
            sess.run(w.initializer)
            for step in range(30):
                current = sess.run(w)
                sess.run(v1.assign(w, current + 1.0))
    streaks = {r.streak for r in records(trace, StreakRecord)}
    assert len(streaks) == 1
    events = tftrace.load(str(trace)).events("w")
    assert [(e.kind, e.count) for e in events] == [("initializer", 1), ("assign", 1),
                                                    ("assign", 29)]
    assert events[-1].value.values == 30.0


def test_tracing_adds_no_op_to_a_graph_of_raw_var_handles(tmp_path):
    """Issue 14 item 13: the graph the user sees is the graph the user built."""
    from tensorflow.python.ops import gen_resource_variable_ops as rv

    trace = tmp_path / "t.json"
    with tf.Graph().as_default() as graph:
        handle = rv.var_handle_op(dtype=tf.float32, shape=[2], shared_name="raw")
        assign = rv.assign_variable_op(handle, tf.constant([1.0, 2.0]), name="set_raw")
        before = [op.name for op in graph.get_operations()]
        with tftrace.Session(trace=trace) as sess:
            sess.run(assign)
            sess.run(assign)
        after = [op.name for op in graph.get_operations()]
        meta = v1.train.export_meta_graph(graph=graph)
    assert after == before
    assert not any("tftrace" in node.name for node in meta.graph_def.node)
    got = tftrace.load(str(trace)).explain(handle.op.name).to_json()
    assert got["origin"]["kind"] == "assign"  # recorded, without a value


def test_value_reads_match_a_walk_per_write_through_a_while_loop_cycle():
    """The one-pass analysis gives what one upstream walk per write gives, with the
    cycles of a v1 while loop (Merge <- NextIteration) in the value's graph."""
    from tensorflow.python.ops import control_flow_util

    was_v2 = control_flow_util.ENABLE_CONTROL_FLOW_V2
    control_flow_util.ENABLE_CONTROL_FLOW_V2 = False
    try:
        with tf.Graph().as_default() as graph:
            a = v1.get_variable("a", [], initializer=v1.ones_initializer(), use_resource=False)
            b = v1.get_variable("b", [], initializer=v1.ones_initializer(), use_resource=False)
            c = v1.get_variable("c", [], initializer=v1.ones_initializer(), use_resource=False)
            fed = v1.placeholder(tf.float32, [], name="fed")
            _, total = v1.while_loop(lambda i, t: i < 3, lambda i, t: (i + 1, t + a * fed),
                                     [tf.constant(0), tf.constant(0.0)])
            assert any(op.type == "NextIteration" for op in graph.get_operations())
            writes = [b.assign(total), c.assign(c + b), a.assign(tf.constant(2.0))]
            index = GraphIndex(graph, 1)
            index.refresh()
            plan = analyze_run(index, [w.op for w in writes], ["fed:0"])
    finally:
        control_flow_util.ENABLE_CONTROL_FLOW_V2 = was_v2
    got = {w.variable: (w.kind, w.sources) for w in plan.writes}
    assert got == {"b": ("assign", ("a", "<feed>")), "c": ("update", ()),
                   "a": ("assign", ())}
    # and the same as a walk per write (the old analysis)
    ops, uses_feed = upstream([writes[0].op.inputs[1].op], frozenset({"fed:0"}),
                              expand=lambda op: op.type not in ("VariableV2",))
    assert {op.name for op in ops if op.type == "VariableV2"} == {"a"} and uses_feed


# a session and a one-variable update step, for the scripts below
STEP = """
import tensorflow as tf
v1 = tf.compat.v1
v1.disable_eager_execution()
w = v1.get_variable("w", [1], initializer=v1.zeros_initializer())
step = w.assign_add([1.0])
sess = v1.Session()
sess.run(w.initializer)
"""

WORKER_OUTLIVES_MAIN = STEP + """
import threading
started = threading.Event()

def train():
    started.set()
    for _ in range(50):
        sess.run(step)

threading.Thread(target=train, name="worker").start()
started.wait()
# the main thread ends here, the worker trains on: Python joins it before exiting
"""

DAEMON_AFTER_EXIT = STEP + """
import atexit, threading
go = threading.Event()
done = threading.Event()

def train():
    go.wait()
    sess.run(step)
    done.set()

threading.Thread(target=train, name="daemon-worker", daemon=True).start()
# runs at interpreter exit, after tftrace run has finished the trace (and joined the
# non-daemon threads): the daemon's run comes too late to be recorded
def late():
    go.set()
    done.wait(60)
atexit.register(late)
"""


def _run_script(tmp_path, source):
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = tmp_path / "script.py"
    script.write_text(source)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=root)
    env.pop("TFTRACE_TRACE", None)
    return subprocess.run([sys.executable, "-m", "tftrace", "run", "-o", "t.json",
                           str(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)


def test_a_worker_thread_that_outlives_the_main_thread_is_recorded(tmp_path):
    """Issue 14 item 7: every run of the worker is in the trace."""
    result = _run_script(tmp_path, WORKER_OUTLIVES_MAIN)
    assert result.returncode == 0, result.stderr
    got = tftrace.load(str(tmp_path / "t.json")).explain("w").to_json()
    assert got["updates_since_origin"] == 50


def test_runs_after_the_trace_was_finished_are_said_on_stderr(tmp_path):
    result = _run_script(tmp_path, DAEMON_AFTER_EXIT)
    assert result.returncode == 0, result.stderr
    assert "ran after its trace was finished (thread daemon-worker)" in result.stderr
