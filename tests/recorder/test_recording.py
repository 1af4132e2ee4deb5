"""The recorder against real TensorFlow: what each kind of run is recorded as.

All of these run in this one process (TensorFlow is imported once); each test builds its
own ``tf.Graph``.
"""
from __future__ import annotations

import json
import os
import traceback

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tftrace  # noqa: E402
from tftrace.recorder import live as recorder_live  # noqa: E402
from tftrace.recorder import session as recorder_session  # noqa: E402
from tftrace.tracefile import RunRecord, StreakRecord, read_trace  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1

KINDS = ["resource", "reference"]


def variable(name, value, kind, **kwargs):
    return v1.get_variable(name, initializer=value, use_resource=(kind == "resource"),
                           **kwargs)


def save_checkpoint(path, values, kind="resource"):
    """A checkpoint holding ``values`` (key -> array), written by a throwaway graph."""
    with tf.Graph().as_default():
        variables = [variable(k, np.asarray(v, np.float32), kind) for k, v in values.items()]
        saver = v1.train.Saver(variables)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            return saver.save(sess, str(path))


def explain(trace_path, name, session=None):
    return tftrace.load(str(trace_path)).explain(name, session=session).to_json()


def kinds(explanation):
    return [e["kind"] for e in explanation["events"]]


@pytest.mark.parametrize("kind", KINDS)
def test_restore_then_global_init_leaves_the_initializer_as_origin(tmp_path, kind):
    ckpt = save_checkpoint(tmp_path / "model.ckpt", {"w": [[1.0, 2.0]]}, kind)
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        w = variable("w", np.zeros((1, 2), np.float32), kind)
        saver = v1.train.Saver()
        with tftrace.Session(trace=trace) as sess:
            saver.restore(sess, ckpt)
            sess.run(v1.global_variables_initializer())
            assert sess.run(w).tolist() == [[0.0, 0.0]]  # the bug: the restore is gone
    got = explain(trace, "w")
    assert kinds(got) == ["restore", "initializer"]
    assert got["origin"]["kind"] == "initializer"
    restore = got["events"][0]
    assert restore["checkpoint"] == ckpt and restore["key"] == "w"
    assert restore["value"]["values"] == [[1.0, 2.0]]
    assert got["events"][1]["value"]["values"] == [[0.0, 0.0]]


@pytest.mark.parametrize("kind", KINDS)
def test_init_then_restore_gives_the_checkpoint_as_origin(tmp_path, kind):
    ckpt = save_checkpoint(tmp_path / "model.ckpt", {"w": [[1.0, 2.0]]}, kind)
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        variable("w", np.zeros((1, 2), np.float32), kind)
        saver = v1.train.Saver()
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
            saver.restore(sess, ckpt)
    got = explain(trace, "w:0")
    assert got["origin"]["kind"] == "restore"
    assert got["origin"]["checkpoint"] == ckpt and got["origin"]["key"] == "w"
    assert got["origin"]["location"].endswith(f"test_recording.py:{_line_of('saver.restore(sess, ckpt)', 2)}")
    assert got["events"][-1]["value"]["values"] == [[1.0, 2.0]]


def _line_of(text, occurrence=1):
    """Line number of the n-th occurrence of ``text`` in this file (for call-site checks)."""
    with open(__file__, encoding="utf-8") as f:
        hits = [i for i, line in enumerate(f, 1) if text in line]
    return hits[occurrence - 1]


def test_var_list_mapping_restores_key_into_another_variable(tmp_path):
    ckpt = save_checkpoint(tmp_path / "model.ckpt", {"a": [3.0]})
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        d = variable("d", np.zeros(1, np.float32), "resource")
        saver = v1.train.Saver(var_list={"a": d})
        with tftrace.Session(trace=trace) as sess:
            sess.run(d.initializer)
            saver.restore(sess, ckpt)
    got = explain(trace, "d")
    assert got["origin"]["kind"] == "restore" and got["origin"]["key"] == "a"


def test_init_from_checkpoint_counts_as_restore_through_the_initializer(tmp_path):
    ckpt = save_checkpoint(tmp_path / "pre.ckpt", {"old/w": [5.0, 6.0]})
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        with v1.variable_scope("new"):
            variable("w", np.zeros(2, np.float32), "resource")
        v1.train.init_from_checkpoint(ckpt, {"old/": "new/"})
        init = v1.global_variables_initializer()
        with tftrace.Session(trace=trace) as sess:
            sess.run(init)
    got = explain(trace, "new/w")
    assert got["origin"]["kind"] == "restore"
    assert got["origin"]["checkpoint"] == ckpt and got["origin"]["key"] == "old/w"
    assert got["events"][0]["value"]["values"] == [5.0, 6.0]


@pytest.mark.parametrize("kind", KINDS)
def test_rerunning_the_initializer_after_updates(tmp_path, kind):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        counter = variable("counter", 0, kind, dtype=tf.int32)
        inc = v1.assign_add(counter, 1)
        init = v1.global_variables_initializer()
        with tftrace.Session(trace=trace) as sess:
            sess.run(init)
            sess.run(init)
            for _ in range(3):
                sess.run(inc)
            sess.run(init)
    got = explain(trace, "counter")
    assert kinds(got) == ["initializer", "initializer", "update", "initializer"]
    assert [e["count"] for e in got["events"]] == [1, 1, 3, 1]
    assert got["events"][2]["value"]["values"] == 3  # sampled when the streak ended
    assert got["events"][-1]["value"]["values"] == 0  # the reset
    assert got["updates_since_origin"] == 0


@pytest.mark.tf
def test_a_variable_outside_an_earlier_new_plans_closure_is_still_indexed(tmp_path):
    # A new plan indexes only its closure: ops built meanwhile that it does not reach must
    # still be found by the next new plan, and by the full refresh at session close.
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        a = variable("a", 1.0, "resource")
        with tftrace.Session(trace=trace) as sess:
            sess.run(a.initializer)
            b = variable("b", 2.0, "resource")
            c = tf.constant(3.0, name="c")
            assert sess.run(c) == 3.0  # a new plan whose closure misses b
            sess.run(b.initializer)
    records = {r.name for r in read_trace(str(trace)).records
               if type(r).__name__ == "VariableRecord"}
    assert records == {"a", "b"}
    got = explain(trace, "b")
    assert kinds(got) == ["initializer"]
    assert got["events"][0]["value"]["values"] == 2.0


def test_each_variable_and_saver_record_is_written_once_per_trace(tmp_path):
    # Sessions of one graph share its index; each trace copies the index's records it has
    # not copied yet, the latest of each name: a record changed between sessions (a
    # replaced initializer) is written again, an unchanged one never is.
    ckpt = save_checkpoint(tmp_path / "pre.ckpt", {"old/w": [5.0, 6.0]})
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    with tf.Graph().as_default():
        with v1.variable_scope("new"):
            variable("w", np.zeros(2, np.float32), "resource")
        v1.train.Saver()
        init = v1.global_variables_initializer()
        with tftrace.Session(trace=first) as sess:
            sess.run(init)
        v1.train.init_from_checkpoint(ckpt, {"old/": "new/"})  # w's initializer replaced
        init = v1.global_variables_initializer()
        with tftrace.Session(trace=first) as sess, tftrace.Session(trace=second) as other:
            sess.run(init)
            other.run(init)
            sess.run(init)

    def written(trace):
        return [(type(r).__name__, r.name, getattr(r, "initializer", None))
                for r in read_trace(str(trace)).records
                if type(r).__name__ in ("VariableRecord", "SaverRecord")]

    got = written(first)
    assert [kind for kind, _, _ in got] == ["VariableRecord", "SaverRecord", "VariableRecord"]
    assert got[0][2] != got[2][2] and got[2][2].key == "old/w"  # the replaced initializer
    assert written(second) == [got[2], got[1]]  # the latest of each; variables first


@pytest.mark.parametrize("kind", KINDS)
def test_assign_kinds(tmp_path, kind):
    """assign of a constant / feed / other variable is a new origin; v.assign(v+1) updates."""
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        a = variable("a", 1.0, kind)
        b = variable("b", 2.0, kind)
        copy = v1.assign(b, a * 2.0)
        bump = v1.assign(a, a + 1.0)
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
            sess.run(copy)
            sess.run(bump)
            if kind == "reference":
                a.load(10.0, sess)
    b_got = explain(trace, "b")
    assert b_got["origin"]["kind"] == "assign"
    assert b_got["events"][-1]["value"]["values"] == 2.0
    a_got = explain(trace, "a")
    if kind == "reference":
        assert a_got["origin"]["kind"] == "assign"  # load() feeds the initializer's value
        assert a_got["events"][-1]["value"]["values"] == 10.0
    else:
        assert a_got["origin"]["kind"] == "initializer"
        assert a_got["updates_since_origin"] == 1
    raw = read_trace(str(trace))
    sources = [w.sources for r in raw.records if isinstance(r, RunRecord)
               for w in r.writes if w.variable == "b" and w.kind == "assign"]
    assert sources == [("a",)]


def test_adam_steps_after_restore_count_as_updates_of_weights_slots_and_step(tmp_path):
    ckpt = save_checkpoint(tmp_path / "model.ckpt", {"w": [[0.5], [0.5]]})
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        v1.set_random_seed(1)
        x = v1.placeholder(tf.float32, [None, 2])
        w = variable("w", np.zeros((2, 1), np.float32), "resource")
        step = v1.train.get_or_create_global_step()
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
        train = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=step)
        restorer = v1.train.Saver([w])
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
            restorer.restore(sess, ckpt)
            batch = np.ones((4, 2), np.float32)
            for _ in range(100):
                sess.run([train, loss], {x: batch})
    got = explain(trace, "w")
    assert got["origin"]["kind"] == "restore"
    assert got["updates_since_origin"] == 100
    step_got = explain(trace, "global_step")
    assert step_got["origin"]["kind"] == "initializer"
    assert step_got["updates_since_origin"] == 100
    assert step_got["events"][-1]["value"]["values"] == 100
    # Adam's slots are written by the same ResourceApplyAdam op
    trace_obj = tftrace.load(str(trace))
    slot_names = [n for n in trace_obj.variable_names() if "Adam" in n and n.startswith("w/")]
    assert slot_names and all(trace_obj.explain(n).to_json()["updates_since_origin"] == 100
                              for n in slot_names)
    # 100 steps are one streak, sampled on a geometric schedule, not 100 records
    streaks = [r for r in read_trace(str(trace)).records if isinstance(r, StreakRecord)]
    assert len(streaks) == 1 and streaks[0].count == 100
    assert [s.count for s in streaks[0].samples] == [1, 2, 4, 8, 16, 32, 64, 100]


def test_training_trace_grows_logarithmically_with_steps(tmp_path):
    sizes = {}
    for steps in (100, 3000):
        trace = tmp_path / f"trace{steps}.json"
        with tf.Graph().as_default():
            w = variable("w", 1.0, "resource")
            step = v1.assign_add(w, 0.001)
            with tftrace.Session(trace=trace) as sess:
                sess.run(w.initializer)
                for _ in range(steps):
                    sess.run(step)
        recorder_live.close_traces()
        sizes[steps] = os.path.getsize(trace)
    # 30x the steps: 5 more samples (log2), far from 30x the bytes
    assert sizes[3000] < sizes[100] * 2, sizes


def test_saves_record_path_keys_and_values(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        variable("w", np.ones(3, np.float32), "resource")
        saver = v1.train.Saver()
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "m.ckpt"), global_step=7)
    runs = [r for r in read_trace(str(trace)).records if isinstance(r, RunRecord) and r.save]
    assert len(runs) == 1
    assert runs[0].save.path == path and runs[0].save.keys == {"w": "w"}
    assert runs[0].values["w"].values == [1.0, 1.0, 1.0]


def test_lineage_links_a_restore_to_the_save_of_another_session(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        w = variable("w", np.ones(2, np.float32), "resource")
        saver = v1.train.Saver()
        with tftrace.Session(trace=trace) as sess:
            sess.run(w.initializer)
            path = saver.save(sess, str(tmp_path / "m.ckpt"))
    with tf.Graph().as_default():
        variable("w", np.zeros(2, np.float32), "resource")
        saver = v1.train.Saver()
        with tftrace.Session(trace=trace) as sess:
            saver.restore(sess, path)
    loaded = tftrace.load(str(trace))
    assert [s.number for s in loaded.sessions] == [1, 2]
    assert loaded.explain("w").to_json()["session"] == 2
    steps = loaded.lineage("w")
    assert any(getattr(s, "session", None) == 1 for s in steps), steps


def test_default_session_runs_are_traced(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        w = variable("w", 4.0, "reference")
        assign = v1.assign(w, 5.0)
        sess = tftrace.Session(trace=trace)
        with sess.as_default():
            w.initializer.run()
            assign.op.run()
            assert w.eval() == 5.0
        sess.close()
    assert kinds(explain(trace, "w")) == ["initializer", "assign"]


def test_interactive_session_and_wrap(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default() as graph:
        w = variable("w", 1.0, "resource")
        sess = tftrace.InteractiveSession(trace=trace)
        w.initializer.run()
        sess.close()
        plain = v1.Session(graph=graph)
        wrapped = tftrace.wrap(plain, trace=trace)
        assert wrapped is plain
        wrapped.run(w.initializer)
        wrapped.close()
    loaded = tftrace.load(str(trace))
    assert [s.kind for s in loaded.sessions] == ["InteractiveSession", "Session"]
    assert kinds(loaded.explain("w", session=2).to_json()) == ["initializer"]


def test_sessions_naming_the_same_trace_share_it(tmp_path):
    trace = tmp_path / "shared.json"
    for _ in range(2):
        with tf.Graph().as_default():
            w = variable("w", 1.0, "resource")
            with tftrace.Session(trace=trace) as sess:
                sess.run(w.initializer)
    loaded = tftrace.load(str(trace))
    assert [s.number for s in loaded.sessions] == [1, 2]
    assert [s.graph for s in loaded.sessions][0] != [s.graph for s in loaded.sessions][1]


def test_variable_records_have_creation_site_and_unseeded_random_init(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        v1.get_variable("rand", [3], initializer=v1.random_normal_initializer())  # creation
        v1.get_variable("seeded", [3], initializer=v1.random_normal_initializer(seed=3))
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
    records = {r.name: r for r in read_trace(str(trace)).records
               if type(r).__name__ == "VariableRecord"}
    line = _line_of('v1.get_variable("rand", [3]')
    assert records["rand"].location == f"{os.path.relpath(__file__)}:{line}"
    assert records["rand"].initializer.unseeded and not records["seeded"].initializer.unseeded
    assert records["rand"].shape == (3,) and records["rand"].dtype == "float32"


def test_failed_run_is_recorded_and_the_exception_is_untouched(tmp_path):
    def program(session_factory):
        with tf.Graph().as_default():
            w = variable("w", 1.0, "resource")
            out = w * 2.0
            with session_factory() as sess:
                sess.run(out)  # never initialized

    def capture(factory):
        try:
            program(factory)
        except tf.errors.FailedPreconditionError as e:
            frames = [f for f in traceback.extract_tb(e.__traceback__)
                      if "tftrace" + os.sep not in f.filename]
            return e, [(f.filename, f.lineno, f.name) for f in frames]
        raise AssertionError("no exception")

    plain_error, plain_frames = capture(v1.Session)
    trace = tmp_path / "trace.json"
    traced_error, traced_frames = capture(lambda: tftrace.Session(trace=trace))
    assert type(traced_error) is type(plain_error)
    assert str(traced_error) .split("\n")[0] == str(plain_error).split("\n")[0]
    assert traced_frames == plain_frames
    runs = [r for r in read_trace(str(trace)).records if isinstance(r, RunRecord)]
    assert len(runs) == 1 and runs[0].error.type == "FailedPreconditionError"
    assert runs[0].error.uninitialized == ("w",) and runs[0].reads == ("w",)


def test_an_internal_error_never_breaks_the_program(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise KeyError("injected")

    monkeypatch.setattr(recorder_session, "analyze_run", broken)
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        w = variable("w", 3.0, "resource")
        with tftrace.Session(trace=trace) as sess:
            sess.run(w.initializer)
            assert sess.run(w * 2.0) == 6.0
    err = capsys.readouterr().err
    assert err.count("tftrace: internal error") == 1 and "injected" in err
    records = read_trace(str(trace)).records
    assert any(type(r).__name__ == "RecorderError" for r in records)


def test_internal_error_while_recording_a_result_keeps_the_result(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("summary failed")

    monkeypatch.setattr(recorder_session, "summarize", broken)
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        w = variable("w", 3.0, "resource")
        with tftrace.Session(trace=trace) as sess:
            assert sess.run([w.initializer, w.initial_value])[1] == 3.0
            assert sess.run(w) == 3.0
    assert "summary failed" in capsys.readouterr().err


def test_monitored_training_session_is_traced_with_its_restore(tmp_path):
    trace = tmp_path / "trace.json"
    ckpt_dir = str(tmp_path / "ckpt")

    def train(last_step):
        with tf.Graph().as_default():
            step = v1.train.get_or_create_global_step()
            w = variable("w", 0.0, "resource")
            train_op = tf.group(v1.assign_add(w, 1.0), v1.assign_add(step, 1))
            hooks = [v1.train.StopAtStepHook(last_step=last_step)]
            with v1.train.MonitoredTrainingSession(
                    checkpoint_dir=ckpt_dir, hooks=hooks, save_summaries_steps=None,
                    save_summaries_secs=None, log_step_count_steps=None) as sess:
                while not sess.should_stop():
                    sess.run(train_op)

    with tftrace.tracing(trace):
        train(3)
        train(5)
    loaded = tftrace.load(str(trace))
    assert len(loaded.sessions) >= 2
    last = loaded.explain("w").to_json()
    assert last["origin"]["kind"] == "restore" and last["origin"]["key"] == "w"
    assert last["origin"]["checkpoint"].startswith(ckpt_dir)
    assert last["updates_since_origin"] == 2


def test_tracing_leaves_plain_sessions_alone_afterwards(tmp_path):
    trace = tmp_path / "trace.json"
    with tftrace.tracing(trace):
        pass
    from tensorflow.python.client import session as tf_session

    assert "_tftrace_originals" not in tf_session.BaseSession.__dict__
    with tf.Graph().as_default():
        w = variable("w", 1.0, "resource")
        with v1.Session() as sess:
            sess.run(w.initializer)
            assert recorder_live.recorder_of(sess) is None


def _notes(error):
    """Every tftrace note on an exception or the exceptions it was raised from."""
    out = []
    while error is not None:
        out += [n for n in getattr(error, "__notes__", []) if n.startswith("tftrace:")]
        error = error.__context__
    return out


def test_failed_read_gets_a_note_naming_every_uninitialized_variable(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default() as graph:
        a = variable("a", 1.0, "resource")
        b = variable("b", 2.0, "resource")
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
        with tftrace.Session(graph=graph, trace=trace) as sess:
            with pytest.raises(tf.errors.FailedPreconditionError) as caught:
                sess.run(a + b)
    notes = _notes(caught.value)
    assert len(notes) == 1
    assert "2 uninitialized variables: a, b (initialized only in session 1" in notes[0]
    assert type(caught.value) is tf.errors.FailedPreconditionError


def test_failed_restore_gets_a_note_with_every_missing_key_and_a_var_list(tmp_path):
    ckpt = save_checkpoint(tmp_path / "model.ckpt", {"encoder/w": [1.0], "encoder/b": [2.0]})
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        variable("enc/w", np.zeros(1, np.float32), "resource")
        variable("enc/b", np.zeros(1, np.float32), "resource")
        saver = v1.train.Saver()
        with tftrace.Session(trace=trace) as sess:
            with pytest.raises(tf.errors.NotFoundError) as caught:
                saver.restore(sess, ckpt)
    notes = _notes(caught.value)
    assert len(notes) == 1
    assert "lacks 2 keys" in notes[0]
    assert "key 'enc/b' for enc/b, key 'enc/w' for enc/w" in notes[0]
    assert "'encoder/w': var('enc/w')" in notes[0]
    # the same finding from `tftrace check`
    diagnostics = tftrace.load(str(trace)).diagnostics()
    assert [d.rule for d in diagnostics] == ["checkpoint-key-missing"]
    assert diagnostics[0].variables == ("enc/b", "enc/w")


def test_inspect_reads_a_real_checkpoint_and_matches_it_against_a_trace(tmp_path, capsys):
    from tftrace.cli import main

    ckpt = save_checkpoint(tmp_path / "ckpt" / "model.ckpt", {"dense/kernel": np.ones((3, 2)),
                                                             "dense/bias": np.ones(2)})
    assert main(["inspect", str(tmp_path / "ckpt")]) == 0  # the directory form
    out = capsys.readouterr().out
    assert out.startswith(f"{ckpt}: 2 keys, 32 B")
    assert "dense/kernel  [3, 2]  float32  24 B" in out
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        variable("dense/kernel", np.zeros((4, 2), np.float32), "resource")
        variable("head/w", np.zeros(2, np.float32), "resource")
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
    assert main(["inspect", ckpt, "--against", str(trace), "--format", "json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["against"]["shape_mismatch"] == [
        {"variable": "dense/kernel", "declared": [4, 2], "checkpoint": [3, 2]}]
    assert got["against"]["missing"] == [{"variable": "head/w", "key": "head/w",
                                          "closest": None}]
    assert got["against"]["unused"] == ["dense/bias"]


def test_restore_from_a_corrupt_checkpoint_is_reported_as_unreadable(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        variable("w", np.zeros(1, np.float32), "resource")
        saver = v1.train.Saver()
        broken = tmp_path / "model.ckpt"
        (tmp_path / "model.ckpt.index").write_bytes(b"not a checkpoint index")
        with tftrace.Session(trace=trace) as sess:
            with pytest.raises(tf.errors.OpError) as caught:
                saver.restore(sess, str(broken))
    found = tftrace.load(str(trace)).diagnostics()
    assert [(d.rule, d.severity, d.variables) for d in found] == [
        ("checkpoint-unreadable", "error", ("w",))]
    assert any("cannot read checkpoint" in n for n in _notes(caught.value))


def test_training_then_restoring_reports_the_discarded_updates(tmp_path):
    ckpt = save_checkpoint(tmp_path / "model.ckpt", {"w": [1.0]})
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        w = variable("w", np.zeros(1, np.float32), "resource")
        step = w.assign_add([0.5])
        saver = v1.train.Saver()
        with tftrace.Session(trace=trace) as sess:
            sess.run(w.initializer)
            for _ in range(5):
                sess.run(step)
            saver.restore(sess, ckpt)  # the 5 updates were never saved
            for _ in range(2):
                sess.run(step)
            saver.save(sess, str(tmp_path / "after.ckpt"))
            saver.restore(sess, str(tmp_path / "after.ckpt"))  # saved first: nothing lost
    found = [d for d in tftrace.load(str(trace)).diagnostics()
             if d.rule == "restore-discards-updates"]
    assert [(d.severity, d.variables, d.run) for d in found] == [("info", ("w",), 7)]
    assert "5 training updates" in found[0].message
