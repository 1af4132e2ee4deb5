"""Evidence only graph construction has, against real TensorFlow: the name asked for when
TensorFlow uniquified it, the name scope get_variable ignored, fed initializers, direct
fetches of reference variables, UPDATE_OPS writers and ops added between runs.
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tftrace  # noqa: E402
from tftrace.tracefile import read_trace, SessionEnd, VariableRecord  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1


def variables(trace_path):
    out = {}
    for record in read_trace(str(trace_path)).records:
        if isinstance(record, VariableRecord):
            out[record.name] = record
    return out


def test_requested_names_are_recorded_only_when_the_program_asked(tmp_path):
    trace = tmp_path / "trace.json"
    with tftrace.tracing(trace):
        with tf.Graph().as_default():
            first = tf.Variable(1.0, name="counter")
            second = tf.Variable(2.0, name="counter")  # asked for "counter" again
            tf.Variable(0.0)
            tf.Variable(0.0)  # Variable_1: nobody asked for "Variable"
            v1.Variable(1.0, name="ref", use_resource=False)
            v1.Variable(1.0, name="ref", use_resource=False)  # VariableV2 ref_1
            for _ in range(2):
                with v1.variable_scope(None, default_name="dense"):  # dense, dense_1
                    v1.get_variable("w", [1])
            with v1.name_scope("block"):
                v1.get_variable("ignored", [1])
            with v1.variable_scope("enc"):
                v1.get_variable("honoured", [1])
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
    assert (first.op.name, second.op.name) == ("counter", "counter_1")
    got = variables(trace)
    assert got["counter_1"].requested == "counter"
    assert got["ref_1"].requested == "ref" and got["ref_1"].op == "VariableV2"
    assert {n for n, r in got.items() if r.requested} == {"counter_1", "ref_1"}
    assert got["ignored"].ignored_name_scope == "block"
    assert got["enc/honoured"].ignored_name_scope is None
    assert got["dense_1/w"].ignored_name_scope is None


def test_a_graph_built_before_tracing_falls_back_to_the_source_line(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        tf.Variable(1.0, name="w")
        tf.Variable(1.0, name="w")
        tf.Variable(0.0)
        tf.Variable(0.0)
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
    got = variables(trace)
    assert got["w_1"].requested == "w"
    assert got["Variable_1"].requested is None


def test_fed_initial_values_are_the_initializer_and_direct_fetches_are_reads(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        w = v1.get_variable("w", [2], use_resource=False)
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer(),
                     feed_dict={w.initial_value: np.array([3.0, 4.0], np.float32)})
        with tftrace.Session(trace=trace) as sess:
            with pytest.raises(tf.errors.FailedPreconditionError):
                sess.run(w)
        with tftrace.Session(trace=trace) as sess:
            w.load(np.ones(2, np.float32), sess)  # the initializer fetched, fed: an assign
            assert sess.run(w).tolist() == [1.0, 1.0]  # reads w itself, no read op
    loaded = tftrace.load(str(trace))
    event, = loaded.events("w", session=1)
    assert event.kind == "initializer" and event.sources == ("<feed>",)
    assert event.value.values == [3.0, 4.0]
    assert "w" in loaded.session(3).reads
    assert loaded.origin("w", session=3).kind == "assign"


def test_update_ops_writers_and_ops_added_between_runs(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        mean = v1.get_variable("bn/moving_mean", [2], trainable=False,
                               initializer=v1.zeros_initializer())
        update = v1.assign(mean, mean * 0.9 + 1.0)
        v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, update)
        w = v1.get_variable("w", [2], initializer=v1.zeros_initializer())
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
            for i in range(5):
                sess.run(v1.assign(w, [float(i), 0.0]))  # a new op per step
    assert variables(trace)["bn/moving_mean"].update_ops == (update.op.name,)
    end, = [r for r in read_trace(str(trace)).records if isinstance(r, SessionEnd)]
    growth, = end.graph_growth
    assert growth.runs == 5 and growth.ops >= 10 and growth.first_run == 2
    assert growth.location.endswith(f"test_construction.py:{_line_of('a new op per step')}")


def _line_of(marker):
    with open(__file__, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if marker in line and "_line_of" not in line:
                return number
    raise AssertionError(marker)


def test_a_graph_built_before_tracing_reads_the_name_scope_from_the_source(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        with v1.name_scope("block"):
            v1.get_variable("w", [1])
        with v1.variable_scope("enc"):
            v1.get_variable("v", [1])
        image = v1.get_variable("image", [1])
        with v1.variable_scope("vgg_19"):
            tf.identity(image * 2.0)  # read inside a scope: no evidence of anything
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
    got = variables(trace)
    assert got["w"].ignored_name_scope == "block"
    assert got["enc/v"].ignored_name_scope is None
    assert got["image"].ignored_name_scope is None


def test_moving_averages_kept_by_an_ema_in_update_ops_are_checked_too(tmp_path):
    trace = tmp_path / "trace.json"
    with tf.Graph().as_default():
        x = tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2))
        with v1.variable_scope("bn"):
            gamma = v1.get_variable("gamma", [2], initializer=v1.ones_initializer())
            mean, variance = tf.nn.moments(x, [0])
            ema = v1.train.ExponentialMovingAverage(0.9)
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, ema.apply([mean, variance]))
        loss = tf.reduce_sum(tf.square(gamma * (x - mean)))
        train = v1.train.GradientDescentOptimizer(0.01).minimize(loss)  # no UPDATE_OPS
        with tftrace.Session(trace=trace) as sess:
            sess.run(v1.global_variables_initializer())
            for _ in range(3):
                sess.run(train)
    found = [d for d in tftrace.load(str(trace)).diagnostics()
             if d.rule == "moving-statistics-never-updated"]
    assert len(found) == 1 and all("ExponentialMovingAverage" in v for v in found[0].variables)
    assert "bn/gamma" in found[0].message


def test_a_name_passed_through_a_helper_counts_as_asked_for(tmp_path):
    def layer(name):
        return tf.Variable(0.0, name=name)  # no literal here: a parameter holds it

    wanted = "-".join(["enc", "w"]).replace("-", "_")  # built at run time: no literal
    trace = tmp_path / "trace.json"
    with tftrace.tracing(trace):
        with tf.Graph().as_default():
            first, second = layer(wanted), layer(wanted)
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
    assert second.op.name == first.op.name + "_1"
    assert variables(trace)[second.op.name].requested == wanted


def test_the_note_on_a_missing_key_blames_the_renaming(tmp_path):
    with tf.Graph().as_default():
        w = tf.Variable(1.0, name="w")
        saver = v1.train.Saver([w])
        with v1.Session() as sess:
            sess.run(w.initializer)
            ckpt = saver.save(sess, str(tmp_path / "model.ckpt"))
    with tf.Graph().as_default():
        tf.Variable(1.0, name="w")
        tf.Variable(1.0, name="w")  # w_1: the model built twice
        saver = v1.train.Saver()
        with tftrace.Session(trace=tmp_path / "trace.json") as sess:
            with pytest.raises(tf.errors.NotFoundError) as caught:
                saver.restore(sess, ckpt)
    error, notes = caught.value, []
    while error is not None:  # Saver.restore re-raises from the run's own error
        notes += getattr(error, "__notes__", [])
        error = error.__context__
    note = "\n".join(notes)
    assert "w_1 asked for w" in note and "another model" not in note
