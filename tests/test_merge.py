"""Merged traces of a cluster's processes (PRODUCT §4 "Several traces", §1 bug 9).

Fixtures (tests/data/cluster_*/, written by tests/data/make_cluster_fixtures.py) are a
1-ps/2-worker cluster: ``cluster_wipe`` — worker 1 (non-chief, plain Session) runs the
initializer while worker 0 trains; ``cluster_restore`` — the chief restores a pretrained
checkpoint, then worker 1 initializes; ``cluster_clean`` — only the chief initializes,
worker 1 waits for it, both train (another cluster: other device incarnations).
"""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

import tftrace
from tftrace.errors import TraceFormatError
from tftrace.model import Trace
from tftrace.model.merge import read_traces
from tftrace.tracefile.merged import write_merged

DATA = Path(__file__).parent / "data"
WIPE, CLEAN, RESTORE = DATA / "cluster_wipe", DATA / "cluster_clean", DATA / "cluster_restore"


def rules(trace: Trace, floor: str = "info") -> list[str]:
    return [d.rule for d in trace.diagnostics(floor)]


# --- joining ------------------------------------------------------------------------------

def test_variables_on_one_server_are_one_variable_with_every_process_events():
    trace = tftrace.load(WIPE)
    assert [p.label for p in trace.processes] == ["ps:0", "worker:0", "worker:1"]
    assert len(trace.sessions) == 1 and trace.sessions[0].remote
    assert [(p.label, s) for p, s in trace.sessions[0].members] == [("worker:0", 1),
                                                                    ("worker:1", 1)]
    events = trace.events("global_step")
    assert [(e.kind, e.process.label, e.count) for e in events] == [
        ("initializer", "worker:0", 1), ("update", "worker:0", 8),
        ("initializer", "worker:1", 1), ("update", "worker:0", 4), ("update", "worker:1", 3)]
    # Each event keeps its session and runs in its own process's trace.
    assert [e.local for e in events] == [(1, 1, 1), (1, 2, 9), (1, 1, 1), (1, 10, 13),
                                         (1, 2, 4)]


def test_the_streak_is_split_where_the_counter_pins_the_other_process_write():
    # By time alone worker 1's initializer falls after 9 of worker 0's 12 steps; the
    # global_step samples (8 at step 8, 4 at step 12, 0 written) put it after step 8.
    first, _, rest = [e for e in tftrace.load(WIPE).events("w") if e.process.job][1:4]
    assert (first.count, rest.count) == (8, 4)
    assert first.value.values == [pytest.approx(-0.3), pytest.approx(0.3)]


def test_origin_and_update_counts_span_processes():
    trace = tftrace.load(WIPE)
    origin = trace.origin("global_step")
    assert (origin.kind, origin.event.process.label) == ("initializer", "worker:1")
    assert trace.updates_since_origin("global_step") == 4 + 3
    clean = tftrace.load(CLEAN)
    assert clean.updates_since_origin("global_step") == 10 + 5  # both workers' steps
    assert clean.origin("global_step").event.process.label == "worker:0"


def test_explain_json_carries_the_process_of_the_origin_and_of_each_event():
    got = tftrace.load(WIPE).explain("global_step").to_json()
    assert got["origin"]["process"] == {
        "trace": str(WIPE / "worker1.jsonl"), "host": "node1", "pid": 4242, "job": "worker",
        "task": 1, "session": 1, "run": 1}
    assert [e["process"]["task"] for e in got["events"]] == [0, 0, 1, 0, 1]
    assert got["updates_since_origin"] == 7


def test_a_single_process_trace_has_no_process_fields():
    got = tftrace.load(WIPE / "worker0.jsonl").explain("global_step").to_json()
    assert "process" not in got["origin"] and "process" not in got["events"][0]
    assert all("process" not in d.to_json() for d in tftrace.load(WIPE / "worker0.jsonl")
               .diagnostics())


# --- findings -----------------------------------------------------------------------------

def test_non_chief_initializer_is_an_initializer_reset_naming_both_processes():
    trace = tftrace.load(WIPE)
    assert rules(trace) == ["initializer-reset"]
    d = trace.diagnostics()[0].to_json()
    assert d["variables"] == ["global_step", "w"]
    assert d["message"].startswith("worker:1 ran the initializer at trainer.py:45 (its run 1")
    assert "worker:0 had trained: global_step (8 updates), w (8 updates)" in d["message"]
    # The chief's later save holds the reset values, and says so.
    assert "save to /tmp/ckpt/model.ckpt-4" in d["message"]
    assert "4 updates since the reset" in d["message"]
    assert (d["process"]["job"], d["process"]["task"], d["process"]["run"]) == ("worker", 1, 1)
    assert [(p["job"], p["task"]) for p in d["processes"]] == [("worker", 0), ("worker", 1)]


def test_non_chief_initializer_after_the_chief_restore_is_restore_overwritten_once():
    trace = tftrace.load(RESTORE)
    assert rules(trace) == ["restore-overwritten"]  # not also the single-process version
    d = trace.diagnostics()[0]
    assert d.severity == "error"
    assert "worker:0 had restored from /tmp/pretrain/model.ckpt-100" in d.message
    assert "global_step (then 5 updates)" in d.message


def test_worker_own_trace_shows_the_wipe_as_an_external_write():
    trace = tftrace.load(WIPE / "worker0.jsonl")
    assert rules(trace) == ["external-write"]
    d = trace.diagnostics()[0]
    assert "global_step went back from 8 (run 9) to 4 (run 13)" in d.message
    assert "w returned at run 13 to the value it held at run 5" in d.message
    # The merge explains the move (worker 1's initializer): no external-write there.
    assert "external-write" not in rules(tftrace.load(WIPE))


def test_the_late_worker_own_trace_says_it_initialized_without_being_the_chief(tmp_path):
    trace = tftrace.load(WIPE / "worker1.jsonl")
    (d,) = trace.diagnostics()
    assert (d.rule, d.severity, d.run) == ("non-chief-initializer", "warning", 1)
    assert d.message.startswith("worker:1, not the chief, ran the initializer at "
                                "trainer.py:45 (run 1) on the cluster's servers "
                                "(grpc://127.0.0.1:2224)")
    # The chief initializing is the right thing; so is a worker said to be the chief.
    assert tftrace.load(WIPE / "worker0.jsonl").diagnostics()[0].rule == "external-write"
    text = (WIPE / "worker1.jsonl").read_text().replace('"is_chief": false',
                                                          '"is_chief": true')
    (tmp_path / "w1.jsonl").write_text(text)
    assert tftrace.load(tmp_path / "w1.jsonl").diagnostics() == []


def test_a_countdown_is_not_an_external_write_until_it_goes_up(tmp_path):
    def countdown(values):
        samples = ", ".join(
            f'{{"run": {i + 2}, "count": {i + 1}, "values": {{"global_step": {{"digest": '
            f'"{v % 2**64:016x}", "dtype": "int64", "shape": [], "min": {v}.0, "max": {v}.0, '
            f'"mean": {v}.0, "std": 0.0, "nan": 0, "inf": 0, "values": {v}}}}}}}'
            for i, v in enumerate(values))
        lines = (WIPE / "worker0.jsonl").read_text().splitlines()
        lines = [line for line in lines if '"type": "streak"' not in line
                 and '"save":' not in line or '"run": 1,' in line]
        streak = ('{"type": "streak", "session": 1, "streak": 1, "first_run": 2, '
                  f'"last_run": {len(values) + 1}, "count": {len(values)}, '
                  '"location": "t.py:9", "writes": [{"variable": "global_step", "kind": '
                  f'"update", "op": "AssignSub"}}], "samples": [{samples}], "final": true}}')
        path = tmp_path / f"c{len(values)}.jsonl"
        path.write_text("\n".join(lines[:-1] + [streak, lines[-1]]) + "\n")
        return [d.rule for d in tftrace.load(path).diagnostics()]

    # From the initializer's 0, assign_sub only ever takes it down; up again is someone else.
    assert countdown([-1, -2, -4, -8]) == []
    assert countdown([-1, -2, -4, -8, -3]) == ["external-write"]


def test_a_waiting_worker_makes_no_uninitialized_claims():
    trace = tftrace.load(CLEAN / "worker1.jsonl")
    assert rules(trace) == []  # no never-initialized: the chief owns the values
    assert trace.origin("global_step").kind == "external"
    assert trace.explain("w").to_json()["origin"]["kind"] == "external"


def test_a_clean_cluster_has_no_warning_and_names_the_untraced_ps_as_info():
    trace = tftrace.load(CLEAN)
    assert rules(trace, "warning") == []
    (d,) = trace.diagnostics()
    assert (d.rule, d.severity) == ("process-missing", "info")
    assert "ps:0 (127.0.0.1:2222)" in d.message


def test_a_missing_worker_is_named(tmp_path):
    for name in ("ps0.jsonl", "worker0.jsonl"):
        shutil.copy(WIPE / name, tmp_path / name)
    trace = tftrace.load(tmp_path)
    missing = [d for d in trace.diagnostics() if d.rule == "process-missing"]
    assert [(d.severity, "worker:1 (127.0.0.1:2224)" in d.message) for d in missing] == [
        ("warning", True)]


def test_two_clusters_reusing_names_stay_apart():
    trace = Trace.merge([WIPE / "worker0.jsonl", CLEAN / "worker0.jsonl"])
    assert len(trace.sessions) == 2  # other ps incarnations: other variables
    notes = [d for d in trace.diagnostics() if d.rule == "traces-not-joined"]
    assert len(notes) == 2 and "other device incarnations" in notes[0].message


def test_a_trace_given_twice_is_read_once():
    trace = Trace.merge([WIPE, WIPE / "worker0.jsonl"])
    assert len(trace.processes) == 3
    assert trace.updates_since_origin("global_step") == 7


def test_a_restarted_worker_is_told_apart_by_its_pid(tmp_path):
    shutil.copytree(WIPE, tmp_path / "job")
    text = (WIPE / "worker1.jsonl").read_text().replace("4242", "5252")
    (tmp_path / "job" / "worker1-again.jsonl").write_text(text)
    labels = [p.label for p in tftrace.load(tmp_path / "job").processes]
    assert labels == ["ps:0", "worker:0", "worker:1 pid 5252", "worker:1 pid 4242"]  # by name


def test_runs_linked_by_a_checkpoint_are_one_story():
    trace = Trace.merge([DATA / "pretrain.jsonl", RESTORE])
    assert "traces-not-joined" not in rules(trace)
    assert len(trace.sessions) == 2  # a local run, then the cluster that restored its save
    steps = list(trace.lineage("w", 2))
    assert [(s.session, s.origin.kind) for s in steps] == [(2, "initializer")]
    # The chief's restore links back to the run that saved the checkpoint.
    restore = trace.events("w", 2)[0]
    assert restore.kind == "restore"
    from tftrace.model.lineage import find_save

    found = find_save(trace.index, (trace.index,), restore.checkpoint, "w", 2, restore.run,
                      restore.time)
    # A session no other process joins keeps its own run numbers.
    assert found is not None and (found[1].session, found[1].run) == (1, 102)


def test_unrelated_programs_are_stated_as_not_joined():
    trace = Trace.merge([WIPE, DATA / "reinit.jsonl"])
    (note,) = [d for d in trace.diagnostics() if d.rule == "traces-not-joined"]
    assert note.message.startswith(f"{DATA / 'reinit.jsonl'} (pid 4246) shares no variable")
    assert "local" in note.message
    assert note.to_json()["processes"][0]["pid"] == 4246
    # Its own story is untouched: the reinit trace's finding is still there, as is the wipe.
    assert {"initializer-reset", "traces-not-joined"} <= set(rules(trace))


def test_worker_local_variables_with_one_name_stay_two_variables(tmp_path):
    for name in ("worker0.jsonl", "worker1.jsonl"):
        text = (WIPE / name).read_text().replace(
            '"name": "w", "op": "VarHandleOp", "resource": true, "dtype": "float32", '
            '"shape": [2], "index": 1, "location": "trainer.py:22", "trainable": true, '
            '"initializer": {"op": "w/Assign", "random": [], "unseeded": [], "sources": [], '
            '"checkpoint": null, "key": null}, "collections": ["variables", '
            '"trainable_variables"], "used_in": null, "device": "/job:ps/task:0"',
            '"name": "w", "op": "VarHandleOp", "resource": true, "dtype": "float32", '
            '"shape": [2], "index": 1, "location": "trainer.py:22", "trainable": true, '
            '"initializer": null, "collections": ["local_variables"], "used_in": null, '
            f'"device": "/job:worker/task:{name[6]}"')
        (tmp_path / name).write_text(text)
    trace = tftrace.load(tmp_path)
    assert trace.variable_names() == ["global_step", "w", "w@worker:1"]
    assert {e.process.label for e in trace.events("w@worker:1")} == {"worker:1"}


# --- the merged file ----------------------------------------------------------------------

def test_merged_file_reads_back_as_the_same_story(tmp_path):
    out = tmp_path / "job.json"
    with open(out, "w") as f:
        assert write_merged(f, read_traces([str(WIPE)]), "0.1.0") == 3
    merged, direct = tftrace.load(out), tftrace.load(WIPE)
    assert merged.explain("global_step").to_json() == direct.explain("global_step").to_json()
    assert [d.to_json() for d in merged.diagnostics()] == [d.to_json()
                                                          for d in direct.diagnostics()]
    # A merged file merges again with other traces.
    again = Trace.merge([out, DATA / "reinit.jsonl"])
    assert len(again.processes) == 4


def test_merged_file_cut_short_loads_what_is_complete(tmp_path):
    buf = io.StringIO()
    write_merged(buf, read_traces([str(WIPE)]), "0.1.0")
    text = buf.getvalue()
    (tmp_path / "cut.json").write_text(text[:len(text) - 40])
    trace = tftrace.load(tmp_path / "cut.json")
    assert trace.truncated and len(trace.processes) == 3


@pytest.mark.parametrize("content, message", [
    ('{"format": "tftrace-merged", "version": 9}\n', "merged trace version 9 is newer"),
    ('{"format": "tftrace-merged", "version": 1}\n{"type": "run", "process": 1}\n',
     "record of process 1, which the file never introduced"),
    ('{"format": "tftrace-merged", "version": 1}\n{"type": "trace", "process": 1, '
     '"path": "a", "header": {"format": "tftrace-trace", "version": 7}}\n',
     "embedded trace has format version 7"),
])
def test_bad_merged_files_give_one_line_errors(tmp_path, content, message):
    (tmp_path / "bad.json").write_text(content)
    with pytest.raises(TraceFormatError, match=message):
        tftrace.load(tmp_path / "bad.json")


def test_a_directory_without_traces_is_a_clear_error(tmp_path):
    with pytest.raises(tftrace.errors.TraceNotFound, match="no trace files"):
        tftrace.load(tmp_path)


def test_merge_json_is_stable_text(tmp_path):
    buf = io.StringIO()
    write_merged(buf, read_traces([str(WIPE)]), "0.1.0")
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert lines[0]["format"] == "tftrace-merged" and lines[0]["traces"] == 3
    assert lines[1] == {"type": "trace", "process": 1, "path": str(WIPE / "ps0.jsonl"),
                        "header": lines[1]["header"], "truncated": False}
    assert all(line["process"] in (1, 2, 3) for line in lines[1:])


def test_a_worker_reading_before_the_chief_initialized_is_waiting_not_a_bug(tmp_path):
    # tests/data/cluster_waiting_worker.jsonl: cluster_clean's worker 1 with a failed read
    # (FailedPreconditionError) before the chief's initializer, then its training.
    trace = tftrace.load(DATA / "cluster_waiting_worker.jsonl")
    assert [(d.rule, d.severity) for d in trace.diagnostics()] == [("uninitialized-read",
                                                                   "info")]
    # The same failure as the session's last run: an error, with the cluster's reason.
    lines = (DATA / "cluster_waiting_worker.jsonl").read_text().splitlines(keepends=True)
    kept = [line for line in lines if '"type": "streak"' not in line]
    (tmp_path / "t.jsonl").write_text("".join(kept).replace('"runs": 8', '"runs": 1'))
    (d,) = tftrace.load(tmp_path / "t.jsonl").diagnostics()
    assert d.severity == "error" and "not yet initialized on its server" in d.message


def test_hostile_process_fields_are_shown_literally(tmp_path):
    for name in ("worker0.jsonl", "worker1.jsonl"):
        text = (WIPE / name).read_text().replace('"job": "worker"',
                                                  '"job": "[bold]w\\u001b[31m<b>"')
        (tmp_path / name).write_text(text)
    trace = tftrace.load(tmp_path)
    label = trace.processes[1].label
    assert "\x1b" not in label and "[bold]w" in label
    from tftrace.views.check import write_check_text

    out = io.StringIO()
    write_check_text(trace.diagnostics(), str(tmp_path), out, color=True)
    assert "\x1b[31m<b>" not in out.getvalue() and "[bold]w" in out.getvalue()
    dot = trace.to_dot()
    assert "<b>[bold]w\\\\x1b[31m&lt;b&gt;:0</b>" in dot  # printable, then HTML-escaped
    assert "\x1b" not in dot


def _without_process(d):
    if isinstance(d, dict):
        return {k: _without_process(v) for k, v in d.items()
                if k not in ("process", "processes")}
    if isinstance(d, list):
        return [_without_process(x) for x in d]
    return d


@pytest.mark.parametrize("path", sorted((DATA.parent.parent / "examples" / "traces")
                                        .glob("*.json")), ids=lambda p: p.stem)
def test_one_process_merged_alone_tells_the_same_story(path):
    alone, merged = tftrace.load(path), Trace.merge([path])
    assert _without_process([d.to_json() for d in merged.diagnostics()]) == [
        d.to_json() for d in alone.diagnostics()]
    for name in alone.variable_names():
        try:
            want = alone.explain(name).to_json()
        except tftrace.errors.UnknownSession:
            continue
        assert _without_process(merged.explain(name).to_json()) == want


def test_a_write_just_after_a_streak_began_comes_before_all_of_it(tmp_path):
    # Worker 1 initializes 0.01 s into worker 0's 2 s streak of 10 runs (no counter drop
    # to pin it): by time no run of the streak came before, so it all follows the write.
    shutil.copy(CLEAN / "worker0.jsonl", tmp_path / "worker0.jsonl")
    lines = (CLEAN / "worker1.jsonl").read_text().splitlines(keepends=True)
    init = next(line for line in (WIPE / "worker1.jsonl").read_text().splitlines()
                if '"fetches": ["init"]' in line).replace("1763891003.5", "1763891002.01")
    lines.insert(5, init + "\n")
    (tmp_path / "worker1.jsonl").write_text("".join(lines))
    trace = tftrace.load(tmp_path)
    assert [(e.kind, e.process.label, e.count) for e in trace.events("global_step")] == [
        ("initializer", "worker:0", 1), ("initializer", "worker:1", 1),
        ("update", "worker:0", 10), ("update", "worker:1", 5)]
    assert "initializer-reset" not in rules(trace)
