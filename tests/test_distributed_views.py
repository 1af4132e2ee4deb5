"""Merged traces in the views (diagram, TUI cells, TUI app) and the real cluster examples.

``examples/distributed/traces/`` were recorded on a real 1-ps/2-worker cluster on
127.0.0.1 (tools/record_cluster_examples.py); the assertions here are the story their
README tells, not numbers of a particular recording.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import tftrace
from tftrace.views.tui import cells
from tftrace.views.tui.status import variable_status

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data"
EXAMPLES = ROOT / "examples" / "distributed" / "traces"


# --- the real cluster examples ------------------------------------------------------------

def test_real_wipe_merged_names_the_late_worker_and_the_chief():
    trace = tftrace.load(EXAMPLES / "wipe")
    (d,) = trace.diagnostics("warning")
    assert d.rule == "initializer-reset"
    assert d.message.startswith("worker:1 ran the initializer")
    assert "that worker:0 had trained" in d.message and "global_step" in d.variables
    origin = trace.origin("global_step")
    assert origin.kind == "initializer" and origin.event.process.label == "worker:1"
    # The chief's save after the wipe is named for what it holds.
    assert "afterwards holds these reset values" in d.message


def test_real_wipe_seen_from_the_chief_alone_is_an_external_write():
    trace = tftrace.load(EXAMPLES / "wipe" / "worker0.json")
    assert [d.rule for d in trace.diagnostics("warning")] == ["external-write"]
    assert "global_step went back from 8" in trace.diagnostics("warning")[0].message


def test_real_restore_wipe_is_restore_overwritten_across_processes():
    trace = tftrace.load(EXAMPLES / "restore_wipe")
    (d,) = trace.diagnostics("warning")
    assert (d.rule, d.severity) == ("restore-overwritten", "error")
    assert "worker:0 had restored from" in d.message


def test_real_clean_cluster_is_clean_and_counts_every_worker_updates():
    merged = tftrace.load(EXAMPLES / "clean")
    assert merged.diagnostics("warning") == []
    chief = tftrace.load(EXAMPLES / "clean" / "worker0.json")
    waiting = tftrace.load(EXAMPLES / "clean" / "worker1.json")
    assert merged.updates_since_origin("global_step") == (
        chief.updates_since_origin("global_step")
        + waiting.updates_since_origin("global_step"))
    # The waiting worker alone makes no uninitialized claims.
    assert waiting.diagnostics() == [] and waiting.origin("global_step").kind == "external"


# --- the diagram --------------------------------------------------------------------------

def test_diagram_draws_a_cluster_per_process_only_for_merged_traces():
    merged = tftrace.load(DATA / "cluster_wipe").to_dot()
    assert "subgraph cluster_p1_1" in merged and "<b>worker:0</b>" in merged
    assert "<b>worker:1</b>" in merged and "(worker:1 r1)" in merged
    single = tftrace.load(DATA / "cluster_wipe" / "worker0.jsonl").to_dot()
    assert "cluster_p" not in single and "worker:0" not in single


# --- the TUI ------------------------------------------------------------------------------

def test_timeline_has_a_process_column_only_for_merged_traces():
    merged = tftrace.load(DATA / "cluster_wipe")
    rows = cells.timeline(merged, "global_step", 1)
    assert cells.timeline_columns(rows)[:3] == ("kind", "s", "process")
    assert [r.process for r in rows if r.kind != "saved"] == [
        "worker:0 r1", "worker:0 r2-9", "worker:1 r1", "worker:0 r10-13", "worker:1 r2-4"]
    assert [r.process for r in rows if r.kind == "saved"] == ["worker:0 r14"]
    assert len(rows[0].cells(())) == len(cells.TIMELINE_COLUMNS) + 1
    single = tftrace.load(DATA / "cluster_wipe" / "worker0.jsonl")
    rows = cells.timeline(single, "global_step", 1)
    assert cells.timeline_columns(rows) == cells.TIMELINE_COLUMNS
    assert len(rows[0].cells(())) == len(cells.TIMELINE_COLUMNS)


def test_session_label_of_a_merged_session_lists_its_processes():
    label = cells.session_label(tftrace.load(DATA / "cluster_wipe"), 1, None).plain
    assert label.endswith("processes: worker:0 s1, worker:1 s1")
    single = cells.session_label(tftrace.load(DATA / "cluster_wipe" / "worker0.jsonl"), 1,
                                 None).plain
    assert "processes" not in single


def test_a_remote_variable_without_writes_gets_the_external_badge():
    trace = tftrace.load(DATA / "cluster_clean" / "worker1.jsonl")
    status = variable_status(trace, "global_step", 1, None)
    assert status.origin == "external"
    assert "EXTN" in cells.variable_label("global_step", status).plain



def test_merged_diagram_golden(golden, monkeypatch):
    monkeypatch.chdir(ROOT)
    golden("merge/cluster_wipe.dot", tftrace.load("tests/data/cluster_wipe").to_dot())


def test_diagram_says_external_where_explain_and_the_tui_do():
    # The waiting worker's session is remote: no write of its own, the value is on the
    # server. The diagram used to draw "no value (uninitialized)" there.
    trace = tftrace.load(EXAMPLES / "clean" / "worker1.json")
    names = ("global_step", "linear/b", "linear/w")
    assert {trace.origin(n).kind for n in names} == {"external"}
    dot = trace.to_dot()
    assert dot.count("origin: external (from another process) + 8 updates") == 3
    assert "uninitialized" not in dot and "dashed: no value" not in dot
    assert "value written by another process" in dot  # the legend names the fill
    summarized = trace.to_dot(max_nodes=1)
    assert "uninitialized" not in summarized
