"""`tftrace merge`, `diff`, `explain --with` and several traces on the command line.

Runs from the repository root with relative paths, so goldens hold no machine paths.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tftrace.cli import main

ROOT = Path(__file__).parent.parent
WIPE = "tests/data/cluster_wipe"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_merge_writes_a_trace_every_command_reads(tmp_path, capsys):
    out = tmp_path / "job.json"
    code, stdout, err = run(capsys, "merge", "-o", str(out), WIPE)
    assert (code, stdout) == (0, "")
    assert err.splitlines() == [
        f"tftrace: merged 3 traces (ps:0, worker:0, worker:1) into {out}: 1 session, 1 of "
        "them shared by several processes"]
    code, stdout, _ = run(capsys, "check", str(out), "--format", "json")
    assert code == 1 and json.loads(stdout)["diagnostics"][0]["rule"] == "initializer-reset"
    code, stdout, _ = run(capsys, "render", str(out), "-o", "-")
    assert code == 0 and stdout.startswith("digraph")


def test_merge_names_what_it_could_not_join(tmp_path, capsys):
    code, _, err = run(capsys, "merge", "-o", str(tmp_path / "m.json"),
                       "tests/data/cluster_clean", "tests/data/reinit.jsonl")
    assert code == 0
    assert "tftrace: note: tests/data/reinit.jsonl (pid 4246) shares no variable" in err
    assert "tftrace: note: the cluster spec lists ps:0 (127.0.0.1:2222)" in err


def test_check_takes_a_directory_or_several_traces(capsys):
    code_dir, out_dir, _ = run(capsys, "check", WIPE, "--format", "json")
    code_files, out_files, _ = run(
        capsys, "check", f"{WIPE}/ps0.jsonl", f"{WIPE}/worker0.jsonl", f"{WIPE}/worker1.jsonl",
        "--format", "json")
    assert code_dir == code_files == 1
    assert json.loads(out_dir) == json.loads(out_files)


def test_merged_check_and_explain_goldens(capsys, golden):
    for fmt in ("text", "json"):
        _, out, _ = run(capsys, "check", WIPE, "--format", fmt)
        golden(f"merge/check--cluster_wipe.{'txt' if fmt == 'text' else 'json'}",
               out.rstrip("\n"))
        _, out, _ = run(capsys, "explain", WIPE, "global_step", "--format", fmt)
        golden(f"merge/explain--cluster_wipe--global_step.{'txt' if fmt == 'text' else 'json'}",
               out.rstrip("\n"))
    _, out, _ = run(capsys, "check", "tests/data/cluster_restore")
    golden("merge/check--cluster_restore.txt", out.rstrip("\n"))
    _, out, _ = run(capsys, "check", f"{WIPE}/worker0.jsonl")
    golden("merge/check--cluster_wipe--worker0.txt", out.rstrip("\n"))


def test_explain_with_follows_lineage_into_the_run_that_saved_the_checkpoint(capsys):
    code, out, _ = run(capsys, "explain", "tests/data/cluster_restore/worker0.jsonl", "w",
                       "--with", "tests/data/pretrain.jsonl")
    assert code == 0
    lineage = out.split("  lineage:\n")[1].splitlines()
    assert lineage[1].strip().startswith("w (session 1): initializer run 1 at pretrain.py:33, "
                                         "then 100 updates; saved to "
                                         "/tmp/pretrain/model.ckpt-100 in run 102")
    assert lineage[1].endswith("(trace tests/data/pretrain.jsonl)")
    code, out, _ = run(capsys, "explain", "tests/data/cluster_restore/worker0.jsonl", "w",
                       "--with", "tests/data/pretrain.jsonl", "--format", "json")
    steps = json.loads(out)["lineage"]
    assert [(s["depth"], s["trace"], s["origin"]["kind"]) for s in steps] == [
        (0, "tests/data/cluster_restore/worker0.jsonl", "restore"),
        (1, "tests/data/pretrain.jsonl", "initializer")]
    assert steps[1]["via"] == {"path": "/tmp/pretrain/model.ckpt-100", "session": 1,
                               "run": 102}


def test_diff_of_two_runs_most_significant_first(capsys, golden):
    a, b = "tests/data/cluster_clean", WIPE
    code, out, _ = run(capsys, "diff", a, b, "--format", "json")
    got = json.loads(out)
    assert code == 1 and (got["a"], got["b"]) == (a, b)
    assert [(v["variable"], v["change"]) for v in got["variables"]] == [
        ("global_step", "origin"), ("w", "origin")]
    first = got["variables"][0]
    assert list(first) == ["variable", "change", "a", "b"]
    assert list(first["a"]) == ["origin", "updates_since_origin", "value"]
    assert (first["a"]["updates_since_origin"], first["b"]["updates_since_origin"]) == (15, 7)
    golden("merge/diff--clean--wipe.json", out.rstrip("\n"))
    _, out, _ = run(capsys, "diff", a, b)
    golden("merge/diff--clean--wipe.txt", out.rstrip("\n"))


def test_diff_of_two_sessions_and_of_identical_traces(capsys):
    code, out, _ = run(capsys, "diff", "tests/data/save_then_restore.jsonl:1",
                       "tests/data/save_then_restore.jsonl:2", "--format", "json")
    got = json.loads(out)
    assert code == 1
    changes = {v["variable"]: v["change"] for v in got["variables"]}
    assert changes["w"] == "origin"  # initialized in session 1, restored in session 2
    code, out, _ = run(capsys, "diff", WIPE, WIPE)
    assert code == 0 and out.rstrip().endswith("no differences in origins, update counts "
                                               "or values")


def test_diff_only_on_one_side_and_updates(tmp_path, capsys):
    code, out, _ = run(capsys, "diff", "tests/data/reinit.jsonl",
                       "tests/data/restore_then_init.jsonl", "--format", "json")
    kinds = {v["change"] for v in json.loads(out)["variables"]}
    assert kinds == {"only-in-a", "only-in-b"}
    order = [v["change"] for v in json.loads(out)["variables"]]
    assert order == sorted(order, key=["origin", "only-in-a", "only-in-b", "updates",
                                       "value"].index)
    code, out, _ = run(capsys, "diff", f"{WIPE}/worker0.jsonl",
                       "tests/data/cluster_clean/worker0.jsonl", "--format", "json")
    assert {v["change"] for v in json.loads(out)["variables"]} == {"updates"}


@pytest.mark.parametrize("argv, message", [
    (["diff", "tests/data/reinit.jsonl:5", "tests/data/reinit.jsonl"], "no session 5"),
    (["diff", "nope.json", "tests/data/reinit.jsonl"], "nope.json: no such file"),
    (["merge", "-o", "/nonexistent/dir/m.json", WIPE], "cannot write"),
    (["view", "--follow", WIPE], "--follow reads one trace file"),
    (["check", "tests/recorder"], "no trace files"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err
