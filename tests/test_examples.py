"""What the committed example traces say: each bug of PRODUCT §1, read back without TF.

These traces were recorded from examples/*.py with `tftrace run` (tools/record_examples.py);
tests/recorder/test_example_freshness.py checks that re-recording gives the same story.
"""
from __future__ import annotations

import os

import pytest

import tftrace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACES = os.path.join(ROOT, "examples", "traces")
EXAMPLES = sorted(n[:-3] for n in os.listdir(os.path.join(ROOT, "examples"))
                  if n.endswith(".py"))


def load(name):
    return tftrace.load(os.path.join(TRACES, name + ".json"))


def kinds(trace, variable, session=None):
    return [e.kind for e in trace.events(variable, session=session)]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_has_a_complete_trace_without_recorder_errors(name):
    trace = load(name)
    assert not trace.truncated
    assert trace.sessions and all(s.closed for s in trace.sessions)
    assert trace.recorder_errors == []
    assert trace.header.script == f"examples/{name}.py"


def test_restore_then_init_origin_is_the_initializer_after_the_restore():
    trace = load("restore_then_init")
    for variable in ("dense/kernel", "dense/bias"):
        got = trace.explain(variable).to_json()
        assert got["session"] == 2
        assert [e["kind"] for e in got["events"]] == ["restore", "initializer"]
        assert got["origin"]["kind"] == "initializer"
        restore = got["events"][0]
        assert restore["checkpoint"] == "ckpt/restore_then_init/model.ckpt"
        assert restore["key"] == variable
        assert restore["value"]["digest"] != got["events"][1]["value"]["digest"]


def test_init_then_restore_is_restored_then_trained():
    trace = load("init_then_restore")
    got = trace.explain("dense/kernel").to_json()
    assert got["origin"]["kind"] == "restore"
    assert got["origin"]["key"] == "dense/kernel"
    assert got["updates_since_origin"] == 10


def test_partial_restore_init_clobbers_only_the_encoder_restore():
    trace = load("partial_restore_init")
    assert kinds(trace, "encoder/dense/kernel") == ["restore", "initializer"]
    assert "restore" not in kinds(trace, "head/kernel", session=2)


def test_partial_restore_correct_keeps_the_restored_encoder_and_probes():
    trace = load("partial_restore_correct")
    assert trace.origin("encoder/dense/kernel").kind == "restore"
    probe_failures = [r for r in trace.failed_runs if r.session == 2]
    assert probe_failures and all(r.error.type == "FailedPreconditionError"
                                  for r in probe_failures)


def test_reinit_resets_state_events():
    trace = load("reinit_resets_state")
    events = trace.events("epoch")
    assert [e.kind for e in events] == ["initializer", "initializer", "update", "initializer"]
    assert [e.count for e in events] == [1, 1, 3, 1]
    assert events[2].value.values == 3 and events[-1].value.values == 0
    b = trace.variable("b")
    assert b.initializer.unseeded  # the reproducibility trap


def test_saver_too_early_checkpoint_lacks_the_optimizer_slots():
    trace = load("saver_too_early")
    saved = {key for save in trace.saves for key in save.keys}
    assert saved == {"linear/w", "linear/b"}
    assert trace.origin("linear/w/Adam", session=2).kind == "initializer"


def test_train_save_resume_lineage_reaches_the_first_session():
    trace = load("train_save_resume")
    got = trace.explain("hidden/kernel/Adam").to_json()
    assert got["session"] == 2 and got["origin"]["kind"] == "restore"
    steps = trace.lineage("hidden/kernel/Adam")
    assert "session 1" in repr(steps)


def test_checkpoint_key_mismatch_failed_restore_is_recorded():
    trace = load("checkpoint_key_mismatch")
    failed = trace.failed_runs
    assert [r.error.type for r in failed] == ["NotFoundError"]
    assert {w.kind for w in failed[0].writes} == {"restore"}
    assert any(k.startswith("encoder/") for cp in trace.checkpoints.values() for k in cp.keys)


def test_name_uniquified_second_variable_is_w_1():
    trace = load("name_uniquified")
    assert {"w", "w_1"} <= set(trace.variable_names(session=2))


def test_shape_mismatch_restore_holds_the_checkpoint_shape():
    trace = load("shape_mismatch")
    declared = trace.variable("dense/kernel").shape
    restored = trace.origin("dense/kernel").event.value.shape
    assert declared == (12, 4) and restored == (10, 4)


def test_nan_divergence_is_visible_in_the_value_samples():
    trace = load("nan_divergence")
    values = [e.value for e in trace.events("regression/w") if e.value is not None]
    assert values[0].finite and not values[-1].finite
    poisoned = [r.save.path for r in trace.runs
                if r.save and any(not v.finite for v in r.values.values())]
    assert poisoned


def test_unexpected_sources_show_the_true_origin():
    trace = load("unexpected_sources")
    warm = trace.origin("new_scope/w")
    assert (warm.kind, warm.key) == ("restore", "old_scope/w")
    mapped = trace.origin("d")
    assert (mapped.kind, mapped.key) == ("restore", "a")
    assert trace.origin("a").kind == "restore"  # the meta-graph import
    assert trace.variable("u").initializer.sources == ("v",)


def test_monitored_resume_restores_by_itself_and_keeps_training():
    trace = load("monitored_resume")
    got = trace.explain("global_step").to_json()
    assert got["session"] == 2 and got["origin"]["kind"] == "restore"
    assert got["origin"]["checkpoint"].endswith("model.ckpt-10")
    assert got["updates_since_origin"] == 10


def test_training_loop_streak_is_coalesced():
    trace = load("training_loop")
    got = trace.explain("global_step").to_json()
    assert got["updates_since_origin"] == 1000
    assert len(got["events"]) <= 4  # 1000 steps are one coalesced event, not 1000
