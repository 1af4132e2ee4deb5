"""`tftrace check` and the diagnostics rules, on traces recorded from real programs.

Each rule has a positive case (an example trace where the bug is) and negative cases (the
clean examples, which must produce no warning and no error — a false alarm is a bug).
Golden text/JSON outputs live in tests/golden/check/ (TFTRACE_REGEN_GOLDEN=1 regenerates).
"""
from __future__ import annotations

import io
import json
import os

import pytest

import tftrace
from tftrace.cli import main
from tftrace.views.check import check_json, write_check_text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACES = os.path.join(ROOT, "examples", "traces")

CLEAN = ["init_then_restore", "partial_restore_correct", "train_save_resume",
         "finetune_init_from_checkpoint", "monitored_resume", "training_loop",
         "unexpected_sources", "bert_finetune", "init_fed_weights", "growing_graph_sessions",
         "input_image_variable", "batchnorm_update_ops", "graph_fixed", "checkpoint_trained"]

# example -> {(rule, severity): variables of the finding}
EXPECTED = {
    "restore_then_init": {("restore-overwritten", "error"): ("dense/bias", "dense/kernel")},
    "partial_restore_init": {
        ("restore-overwritten", "error"): ("encoder/dense/bias", "encoder/dense/kernel"),
        ("restored-partially", "info"): ("encoder/dense/bias", "encoder/dense/kernel")},
    "reinit_resets_state": {("initializer-reset", "warning"): ("b", "epoch", "w"),
                            ("unseeded-random-init", "info"): ("b",)},
    "uninitialized_read": {("uninitialized-read", "error"): ("dense/bias", "dense/kernel"),
                           ("never-initialized", "info"): ("debug/scale",)},
    "checkpoint_key_mismatch": {
        ("checkpoint-key-missing", "error"): ("enc/dense/bias", "enc/dense/kernel")},
    "shape_mismatch": {("checkpoint-shape-mismatch", "error"): ("dense/kernel",)},
    "get_variable_name_scope": {("get-variable-ignores-name-scope", "info"): ("b", "w")},
    "name_requested_twice": {("name-uniquified", "warning"): ("counter_1",)},
    "batchnorm_update_ops_missing": {
        ("moving-statistics-never-updated", "warning"): ("layer2/bn/moving_mean",
                                                         "layer2/bn/moving_variance")},
    "graph_grows": {("graph-grows-during-session", "warning"): ("w",)},
    "checkpoint_untrained": {("checkpoint-untrained", "warning"): ("classifier/bias",
                                                                   "classifier/kernel")},
    "nan_divergence": {("non-finite-value", "error"): ("regression/b", "regression/w")},
}


def load(name):
    return tftrace.load(os.path.join(TRACES, name + ".json"))


def findings(name):
    return {(d.rule, d.severity): d.variables for d in load(name).diagnostics()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bug_example_gives_exactly_its_findings(name):
    assert findings(name) == EXPECTED[name]


@pytest.mark.parametrize("name", CLEAN)
def test_clean_example_has_no_warning_or_error(name):
    bad = [d for d in load(name).diagnostics() if d.severity != "info"]
    assert bad == []


def test_probe_pattern_is_info_not_error():
    probe = [d for d in load("partial_restore_correct").diagnostics()
             if d.rule == "uninitialized-read"]
    assert [d.severity for d in probe] == ["info"]
    assert "probe" in probe[0].message


def test_restore_overwritten_names_both_call_sites_and_the_new_variables():
    d, = [d for d in load("partial_restore_init").diagnostics()
          if d.rule == "restore-overwritten"]
    assert [(s.role, s.location) for s in d.sites] == [
        ("restored", "examples/partial_restore_init.py:86"),
        ("initializer", "examples/partial_restore_init.py:87")]
    assert "variables_initializer" in d.hint and "'head/bias', 'head/kernel'" in d.hint


def test_key_missing_lists_all_keys_closest_matches_and_a_var_list():
    d, = load("checkpoint_key_mismatch").diagnostics()
    assert "lacks 2 keys" in d.message and "TensorFlow reports only the first" in d.message
    assert "enc/dense/kernel <- encoder/dense/kernel ([4, 16])" in d.hint
    assert "'encoder/dense/kernel': var('enc/dense/kernel')" in d.hint


def test_not_in_saver_names_the_adam_slots():
    found = [d for d in load("saver_too_early").diagnostics() if d.rule == "not-in-saver"]
    assert found and all(d.severity == "warning" for d in found)
    assert "linear/w/Adam" in found[0].variables and "global_step" in found[0].variables
    assert "before minimize()" in found[0].message


def test_name_uniquified_is_flagged_and_optimizer_slots_are_not():
    found = [d for d in load("name_uniquified").diagnostics() if d.rule == "name-uniquified"]
    assert sorted(v for d in found for v in d.variables) == ["b_1", "w_1"]
    for name in CLEAN:
        assert not [d for d in load(name).diagnostics() if d.rule == "name-uniquified"]


def test_non_finite_names_the_poisoned_checkpoints():
    d, = load("nan_divergence").diagnostics()
    assert d.run == 153 and "model.ckpt-150" in d.message and "model.ckpt-200" in d.message


@pytest.mark.parametrize("name", ["restore_then_init", "reinit_resets_state",
                                  "checkpoint_key_mismatch", "uninitialized_read",
                                  "saver_too_early", "init_then_restore", "name_uniquified",
                                  "name_requested_twice", "bert_finetune",
                                  "batchnorm_update_ops_missing", "graph_grows",
                                  "checkpoint_untrained"])
def test_golden_text_and_json(name, golden):
    diagnostics = load(name).diagnostics()
    out = io.StringIO()
    write_check_text(diagnostics, f"{name}.json", out, color=False)
    golden(f"check/{name}.txt", out.getvalue().rstrip("\n"))
    golden(f"check/{name}.json", check_json(diagnostics))


def test_json_has_the_product_fields(capsys):
    assert main(["check", os.path.join(TRACES, "restore_then_init.json"),
                 "--format", "json"]) == 1
    got = json.loads(capsys.readouterr().out)
    d, = got["diagnostics"]
    for field, kind in [("rule", str), ("severity", str), ("variables", list),
                        ("message", str), ("hint", str), ("session", int)]:
        assert isinstance(d[field], kind), field
    assert d["run"] == 2 and d["location"] == "examples/restore_then_init.py:73"
    assert d["rule"] == "restore-overwritten" and d["severity"] == "error"


@pytest.mark.parametrize("name, min_severity, code", [
    ("restore_then_init", "info", 1), ("init_then_restore", "info", 0),
    ("reinit_resets_state", "error", 0), ("reinit_resets_state", "warning", 1),
    ("get_variable_name_scope", "info", 0)])
def test_exit_codes(name, min_severity, code, capsys):
    path = os.path.join(TRACES, name + ".json")
    assert main(["check", path, "--min-severity", min_severity]) == code
    out = capsys.readouterr().out
    if min_severity == "error" and code == 0:
        assert "no findings" in out


def test_hidden_findings_are_counted_not_silently_dropped(capsys):
    path = os.path.join(TRACES, "reinit_resets_state.json")
    assert main(["check", path, "--min-severity", "error"]) == 0
    assert "no findings (2 lower-severity findings hidden by --min-severity)" in \
        capsys.readouterr().out


def test_name_uniquified_needs_the_name_asked_for_not_a_suffix():
    found = [d for d in load("name_requested_twice").diagnostics()
             if d.rule == "name-uniquified"]
    d, = found  # not Variable_1, dense_1/..., beta1_power_1 or the Adam_1 slots
    assert d.variables == ("counter_1",)
    assert "taken by the variable created at " \
           "examples/name_requested_twice.py:" in d.message
    assert "two places asked for the same name" in d.message and d.location.endswith(":62")


def test_key_missing_after_renaming_blames_the_renaming_not_another_model():
    d, = [d for d in load("name_uniquified").diagnostics()
          if d.rule == "checkpoint-key-missing"]
    assert "name-uniquified" in d.message and "w_1 asked for w" in d.message
    assert "another model" not in d.hint
    assert "renamed (name-uniquified)" in [s.role for s in d.sites]


def test_not_in_saver_is_said_once_for_graphs_built_by_the_same_line():
    found = [d for d in load("saver_too_early").diagnostics() if d.rule == "not-in-saver"]
    assert len(found) == 1 and "sessions 1 and 2" in found[0].message


def test_slots_created_after_a_session_closed_are_not_its_business():
    trace = load("growing_graph_sessions")
    assert not [d for d in trace.diagnostics() if d.rule in ("never-initialized",
                                                              "not-in-saver")]


def test_a_variable_read_inside_a_scope_is_not_get_variable_in_a_name_scope():
    assert not [d for d in load("input_image_variable").diagnostics()
                if d.rule == "get-variable-ignores-name-scope"]


def test_fed_initial_values_are_the_initializer_not_random():
    trace = load("init_fed_weights")
    origin = trace.origin("fc1/kernel")
    assert origin.kind == "initializer" and origin.sources == ("<feed>",)
    assert not [d for d in trace.diagnostics() if d.rule == "unseeded-random-init"]


def test_partial_restore_names_model_variables_slots_and_unused_keys():
    d, = [d for d in load("bert_finetune").diagnostics() if d.rule == "restored-partially"]
    assert "3 model variables (global_step, output_weights, output_bias) and 20 optimizer " \
           "slots" in d.message
    assert "not restored (missing keys): 3 model variables" in d.message
    assert "checkpoint keys no variable used (unexpected keys): cls/* (2 keys)" in d.message
    assert "wired by tf.train.init_from_checkpoint at examples/bert_finetune.py:" in d.message
    assert [s.role for s in d.sites] == ["wired by tf.train.init_from_checkpoint", "restored"]


def test_moving_statistics_spare_the_frozen_layer_and_show_the_fix():
    d, = load("batchnorm_update_ops_missing").diagnostics()
    assert "layer1" not in " ".join(d.variables)
    assert "still hold their initial values (0 and 1)" in d.message
    assert "tf.control_dependencies(update_ops)" in d.hint


def test_graph_growth_names_the_line_and_the_ops_per_run():
    d, = load("graph_grows").diagnostics()
    assert d.location == "examples/graph_grows.py:57"
    assert "before 60 of its" in d.message and "3 ops per run" in d.message


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["check", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tftrace: error: ")


def test_hostile_names_are_shown_literally(tmp_path):
    name = "[bold]x\u001b[31m"
    lines = [
        {"format": "tftrace-trace", "version": 1},
        {"type": "session", "session": 1, "graph": 1},
        {"type": "variable", "graph": 1, "name": name, "shape": [1]},
        {"type": "run", "session": 1, "run": 1, "location": "[red]a.py:1",
         "writes": [{"variable": name, "kind": "restore", "checkpoint": "<m>", "key": "k"}]},
        {"type": "run", "session": 1, "run": 2, "location": "a.py:2",
         "writes": [{"variable": name, "kind": "initializer"}]},
    ]
    path = tmp_path / "hostile.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    trace = tftrace.load(str(path))
    out = io.StringIO()
    write_check_text(trace.diagnostics(), str(path), out, color=True)
    text = out.getvalue()
    assert "[bold]x\\x1b[31m" in text and "[red]a.py:1" in text
    assert name not in text  # the raw escape sequence never reaches the terminal


def test_inspect_uses_the_checkpoint_recorded_in_the_trace_without_tensorflow(
        monkeypatch, capsys):
    # As on a machine without TensorFlow: importing the checkpoint reader fails.
    monkeypatch.setitem(__import__("sys").modules, "tftrace.recorder.capture", None)
    trace = os.path.join(TRACES, "checkpoint_key_mismatch.json")
    code = main(["inspect", "ckpt/checkpoint_key_mismatch/model.ckpt", "--against", trace])
    out = capsys.readouterr().out
    assert code == 1
    assert "4 keys, 456 B (as recorded in the trace)" in out
    assert "missing   enc/dense/kernel [4, 16]  (closest key: encoder/dense/kernel)" in out
    assert "'encoder/dense/bias': var('enc/dense/bias')" in out


def test_inspect_without_tensorflow_or_trace_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "tftrace.recorder.capture", None)
    assert main(["inspect", "ckpt/whatever/model.ckpt"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs TensorFlow" in err


def test_a_trained_restore_reset_by_the_initializer_is_reported_once(tmp_path):
    lines = [
        {"format": "tftrace-trace", "version": 1},
        {"type": "session", "session": 1, "graph": 1},
        {"type": "variable", "graph": 1, "name": "w", "shape": [1]},
        {"type": "run", "session": 1, "run": 1, "location": "a.py:1",
         "writes": [{"variable": "w", "kind": "restore", "checkpoint": "m", "key": "w"}]},
        {"type": "streak", "session": 1, "streak": 1, "first_run": 2, "last_run": 4,
         "count": 3, "writes": [{"variable": "w", "kind": "update"}]},
        {"type": "run", "session": 1, "run": 5, "location": "a.py:3",
         "writes": [{"variable": "w", "kind": "initializer"}]},
    ]
    path = tmp_path / "t.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    rules = [d.rule for d in tftrace.load(str(path)).diagnostics()
             if d.severity != "info"]
    assert rules == ["restore-overwritten"]


def test_init_from_checkpoint_origin_names_the_wiring_and_the_initializer_run():
    from tftrace.views.text import verdict

    text = verdict(load("bert_finetune").explain("bert/pooler/dense/kernel"))
    assert "by its initializer at examples/bert_finetune.py:123" in text  # MonitoredTrainingSession
    assert "wired by tf.train.init_from_checkpoint at examples/bert_finetune.py:121" in text


def test_a_fed_initial_value_is_said_in_the_explanation():
    from tftrace.views.text import verdict

    assert "with a fed initial value" in verdict(load("init_fed_weights").explain("fc1/bias"))


def test_check_of_two_runs_linked_by_a_checkpoint_finds_the_untrained_save(tmp_path, capsys):
    """`check train.json tune.json` reads both runs as one story: a fine-tuning run that
    restores a checkpoint its training run saved before any update is checkpoint-untrained,
    which neither trace shows alone. Hand-written traces carry no pid: the finding names
    the trace file instead."""
    from tftrace.tracefile import (Header, InitializerInfo, RunRecord, SaveInfo, SessionEnd,
                                   SessionRecord, TraceWriter, VariableRecord, Write)

    def write(name: str, *records) -> str:
        path = str(tmp_path / name)
        writer = TraceWriter(path, Header(script=name.replace(".jsonl", ".py"), cwd="/p"))
        for record in (SessionRecord(session=1, graph=1),
                       VariableRecord(graph=1, name="w", shape=(2,), location="m.py:3",
                                      initializer=InitializerInfo(op="w/Assign")),
                       *records, SessionEnd(session=1, runs=2)):
            writer.write(record.to_json())
        writer.close()
        return path

    train = write("train.jsonl",
                  RunRecord(session=1, run=1, writes=(Write("w", "initializer"),)),
                  RunRecord(session=1, run=2, location="train.py:12",
                            save=SaveInfo(path="/p/ckpt/model", keys={"w": "w"})))
    tune = write("tune.jsonl",
                 RunRecord(session=1, run=1, location="tune.py:11", writes=(
                     Write("w", "restore", checkpoint="/p/ckpt/model", key="w"),)))
    assert main(["check", tune]) == 0
    capsys.readouterr()
    assert main(["check", train, tune]) == 1
    out = capsys.readouterr().out
    assert "warning checkpoint-untrained  (session 2, run 1, tune.jsonl, tune.py:11)" in out
    assert "saved at train.py:12" in out
