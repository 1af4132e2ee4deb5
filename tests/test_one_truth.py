"""The facts both `check` and the diagram state come from one model query each.

Unit tests of those queries on hand-built traces (see ``tests/test_rules.py``), and a test
that, on every committed trace, the variables the diagram marks (failed reads, missing
keys, shape mismatches) are exactly those the corresponding findings name.
"""
from __future__ import annotations

import dataclasses
import glob
import os

import pytest

from test_rules import init, restore, run, trace  # tests/ is on the path (rootdir)
from tftrace.model import Trace
from tftrace.model.diagnostics import checkpoints, initialization
from tftrace.model.queries import KeyProblem
from tftrace.tracefile import CheckpointRecord, RunError, SaveInfo, SessionEnd, Write
from tftrace.views.dot.parts import ALL_SESSIONS, DiagramOptions
from tftrace.views.dot.select import select

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def uninitialized(*names, type="FailedPreconditionError") -> RunError:
    return RunError(type, "uninitialized", uninitialized=names)


# --- uninitialized reads --------------------------------------------------------------------

def test_uninitialized_reads_name_every_variable_without_a_value():
    # TensorFlow names w; the run also read b (no origin yet) and c (initialized in run 1)
    t = trace(run(1, 1, *init("c")),
              run(1, 2, reads=("w", "b", "c", "not/declared"), error=uninitialized("w")),
              variables=("w", "b", "c"))
    [read] = t.uninitialized_reads()
    assert (read.run.run, read.variables) == (2, ("w", "b"))
    assert [r.run for r in t.uninitialized_reads_of("b", 1)] == [2]
    assert t.uninitialized_reads_of("c", 1) == []


def test_only_a_failed_precondition_is_an_uninitialized_read():
    # A run failing for another reason read w before any initializer: neither the rule
    # nor the diagram may call that an uninitialized read.
    t = trace(run(1, 1, reads=("w",), error=uninitialized(type="InvalidArgumentError")),
              run(1, 2, *init("w")), SessionEnd(session=1, runs=2))
    assert t.uninitialized_reads() == []
    assert list(initialization.uninitialized_read(t)) == []
    [part] = select(t, DiagramOptions()).sessions
    assert [f.kind for f in part.facts[0].failures] == []


def test_the_diagram_draws_the_reads_the_rule_reports():
    t = trace(run(1, 1, reads=("w", "b"), error=uninitialized("w")),
              SessionEnd(session=1, runs=1), variables=("w", "b"))
    [d] = initialization.uninitialized_read(t)
    [part] = select(t, DiagramOptions()).sessions
    drawn = {f.name for f in part.facts if any(x.kind == "read" for x in f.failures)}
    assert drawn == set(d.variables) == {"w", "b"}


# --- checkpoint keys --------------------------------------------------------------------------

def test_restore_matches_and_key_problems():
    t = trace(run(1, 1, *restore("w", "b"), error=RunError("NotFoundError", "key b")),
              run(1, 2, *restore("w", checkpoint="/ckpt/other")),
              run(1, 3, *restore("w", checkpoint="/ckpt/broken"),
                  error=RunError("DataLossError", "bad")),
              CheckpointRecord("/ckpt/model", keys={"w": ((2,), "float32")}),
              CheckpointRecord("/ckpt/other", keys={"w": ((3,), "float32")}),
              CheckpointRecord("/ckpt/broken", error="corrupted"),
              variables=("w", "b"))
    matches = t.restore_matches()
    assert [(m.run.run, m.path, m.failed) for m in matches] == [
        (1, "/ckpt/model", True), (2, "/ckpt/other", False), (3, "/ckpt/broken", True)]
    assert matches[2].match is None  # nothing to match against: checkpoint-unreadable's
    assert t.key_problem(1, 1, "b") == KeyProblem("missing", "b")
    assert t.key_problem(1, 1, "w") is None
    assert t.key_problem(1, 2, "w") == KeyProblem("shape", "w", (2,), (3,))
    assert t.key_problem(1, 3, "w") is None
    assert [d.variables for d in checkpoints.checkpoint_key_missing(t)] == [("b",)]
    assert [d.variables for d in checkpoints.checkpoint_shape_mismatch(t)] == [("w",)]
    assert [d.variables for d in checkpoints.checkpoint_unreadable(t)] == [("w",)]


def test_a_declared_shape_with_an_unknown_dimension_is_no_mismatch_anywhere():
    t = trace(run(1, 1, *restore("w")),
              CheckpointRecord("/ckpt/model", keys={"w": ((5, 3), "float32")}))
    declared = t.variables[1]  # the trace's own declarations: w as (None, 3)
    declared["w"] = dataclasses.replace(declared["w"], shape=(None, 3))
    assert t.key_problem(1, 1, "w") is None
    assert list(checkpoints.checkpoint_shape_mismatch(t)) == []
    [part] = select(t, DiagramOptions()).sessions
    assert part.facts[0].event_marks == (None,)


# --- saves, checkpoint reads, findings per variable -------------------------------------------

def test_saves_of_and_checkpoint_reads():
    t = trace(run(1, 1, *init("w", "b")),
              run(1, 2, save=SaveInfo(path="ckpt/m", keys={"w": "w", "w_copy": "w",
                                                           "b": "b"})),
              run(2, 1, *restore("w", checkpoint="ckpt/m")),
              run(2, 2, Write("b", "restore", checkpoint="/job/ckpt/m", key="b"),
                  error=RunError("NotFoundError", "b")),
              sessions=(1, 2), variables=("w", "b"))
    [(save, key), (again, copy)] = t.saves_of("w", 1)
    assert (save.run, key, copy) == (2, "w", "w_copy") and save is again
    assert t.saves_of("w", 2) == []
    # one path however it was spelled; the failed restore counts too
    assert t.checkpoint_reads() == {"/job/ckpt/m": ((2, 1), (2, 2))}


def test_findings_naming_is_diagnostics_for_without_the_scan():
    t = Trace.load(os.path.join(ROOT, "examples/traces/checkpoint_key_mismatch.json"))
    for session in t.session_numbers:
        for name in t.variable_names(session):
            scanned = [d for d in t.diagnostics() if name in d.variables
                       and d.session == session]
            assert t.findings_naming(name, session) == scanned
            assert t.diagnostics_for(name, session) == scanned
    name = t.variable_names()[0]
    assert t.findings_naming(name) == [d for d in t.diagnostics() if name in d.variables]


# --- every committed trace: the picture and `check` agree ------------------------------------

TRACES = sorted(glob.glob(os.path.join(ROOT, "examples/traces/*.json")))


def drawn_and_found(path: str) -> tuple[dict[str, set], dict[str, set]]:
    t = Trace.load(path)
    selection = select(t, DiagramOptions(session=ALL_SESSIONS))
    drawn: dict[str, set] = {"read": set(), "missing": set(), "shape": set()}
    for part in selection.sessions:
        for f in part.facts:
            where = (part.number, f.name)
            if any(x.kind == "read" for x in f.failures):
                drawn["read"].add(where)
            for mark in (*f.event_marks, *f.failure_marks):
                if mark == "missing":
                    drawn["missing"].add(where)
                elif mark is not None:
                    drawn["shape"].add(where)
    rules = {"read": "uninitialized-read", "missing": "checkpoint-key-missing",
             "shape": "checkpoint-shape-mismatch"}
    found = {what: {(d.session, v) for d in t.diagnostics() if d.rule == rule
                    for v in d.variables} for what, rule in rules.items()}
    return drawn, found


@pytest.mark.parametrize("path", TRACES, ids=os.path.basename)
def test_the_diagram_marks_exactly_what_check_finds(path):
    drawn, found = drawn_and_found(path)
    assert drawn == found


def test_the_committed_traces_exercise_every_mark():
    # Without these, the test above would compare empty sets and prove nothing.
    seen = {what for path in TRACES for what, marked in drawn_and_found(path)[0].items()
            if marked}
    assert seen == {"read", "missing", "shape"}


# --- one wording for what every view shows ---------------------------------------------------

def test_explain_and_the_tui_name_a_written_value_s_source_alike():
    from tftrace.views.text import timeline_table
    from tftrace.views.tui.cells import timeline

    t = Trace.load(os.path.join(ROOT, "tests/data/assign.jsonl"))
    tui = [row.source for row in timeline(t, "f", 1)]
    text = timeline_table(t.events("f", 1))
    assert "fed value" in tui
    assert sum("fed value" in row for row in text) == tui.count("fed value") == 1
    assert not any("<feed>" in row for row in text)


def test_non_finite_counts_and_event_source():
    from tftrace.model.display import event_source, non_finite_counts
    from tftrace.model.events import Event
    from tftrace.tracefile import ValueSummary

    assert non_finite_counts(ValueSummary(digest="d", dtype="f", shape=(2,), nan=3, inf=1)) \
        == ["3 NaN", "1 Inf"]
    assert non_finite_counts(ValueSummary(digest="d", dtype="f", shape=(2,))) == []
    assert event_source(Event("w", "restore", 1, 2, checkpoint="ck", key="k")) == "ck key k"
    assert event_source(Event("w", "assign", 1, 2, sources=("u", "<feed>"))) == \
        "from u + fed value"
    assert event_source(Event("w", "update", 1, 2)) == ""
