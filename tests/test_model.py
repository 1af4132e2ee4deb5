"""The provenance model on hand-made traces (tests/data): loading, queries, graph, reprs."""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

import tftrace
from tftrace.errors import TraceFormatError, TraceNotFound, UnknownSession, UnknownVariable
from tftrace.model import Event, Lineage, Origin, SessionInfo, Trace
from tftrace.tracefile import (
    Header,
    InitializerInfo,
    RunRecord,
    SaveInfo,
    SessionRecord,
    TraceWriter,
    VariableRecord,
    Write,
)

DATA = Path(__file__).parent / "data"


def load(name: str) -> Trace:
    return tftrace.load(DATA / name)


# --- loading ------------------------------------------------------------------------------

def test_load_exposes_header_sessions_and_variables():
    trace = load("save_then_restore.jsonl")
    assert trace.path.endswith("save_then_restore.jsonl")
    assert trace.header.script == "resume.py" and trace.header.cwd == "/tmp/run"
    assert not trace.truncated
    assert trace.sessions == [
        SessionInfo(number=1, graph=1, kind="Session", location="resume.py:20",
                    time=1763890001.0, runs=12, closed=True, reads=("w",)),
        SessionInfo(number=2, graph=2, kind="Session", location="resume.py:40",
                    time=1763890005.0, runs=4, closed=True, reads=("w", "w_copy")),
    ]
    assert list(trace.variables) == [1, 2]
    assert list(trace.variables[2]) == ["w", "w_copy"]
    assert trace.variable_names() == ["w", "w_copy"]
    assert trace.variable_names(session=1) == ["w"]
    assert trace.variable("w_copy").location == "resume.py:36"
    assert [s.name for s in trace.savers] == ["save", "save"]
    assert list(trace.checkpoints) == ["/tmp/run/model.ckpt-10"]
    assert [(s.session, s.run, s.path, s.keys) for s in trace.saves] == [
        (1, 12, "/tmp/run/model.ckpt-10", {"w": "w"})]
    assert trace.recorder_errors == []


def test_tftrace_Trace_is_the_model_class_with_its_pictures():
    assert issubclass(tftrace.Trace, Trace) and tftrace.Trace.__mro__[1] is Trace
    assert isinstance(tftrace.load(DATA / "reinit.jsonl"), Trace)


def test_failed_runs_are_kept_but_write_nothing():
    trace = load("save_then_restore.jsonl")
    assert [(r.session, r.run, r.error.type) for r in trace.failed_runs] == [
        (2, 4, "InvalidArgumentError")]
    # The failed run meant to assign w_copy from a feed: that write never happened.
    assert [e.run for e in trace.events("w_copy")] == [1, 3]
    assert [r.run for r in trace.explain("w_copy").failed] == [4]
    assert trace.explain("w").failed == ()


def test_unclosed_session_counts_runs_up_to_the_last_recorded_one():
    trace = load("truncated.jsonl")
    assert trace.truncated
    assert trace.sessions[0].closed is False
    assert trace.sessions[0].runs == 1
    assert [e.kind for e in trace.events("v")] == ["initializer"]


@pytest.mark.parametrize("name, message", [
    ("version3.jsonl", "version 3 is newer"),
    ("foreign.json", "not a tftrace trace"),
    ("not_utf8.jsonl", "not UTF-8"),
])
def test_bad_files_raise_a_one_line_format_error(name, message):
    with pytest.raises(TraceFormatError) as info:
        load(name)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_file_raises_trace_not_found(tmp_path):
    with pytest.raises(TraceNotFound):
        tftrace.load(tmp_path / "nope.json")
    # ... which is a FileNotFoundError too, as for open()
    with pytest.raises(FileNotFoundError, match="nope.json: no such file"):
        tftrace.load(tmp_path / "nope.json")


def test_run_of_an_undeclared_session_is_a_format_error(tmp_path):
    path = tmp_path / "t.jsonl"
    writer = TraceWriter(path, Header())
    writer.write(RunRecord(session=3, run=1).to_json())
    writer.close()
    with pytest.raises(TraceFormatError, match="session 3, which the trace never declared"):
        tftrace.load(path)


def test_write_to_an_undeclared_variable_gets_a_placeholder_declaration(tmp_path):
    path = tmp_path / "t.jsonl"
    writer = TraceWriter(path, Header())
    writer.write(SessionRecord(session=1, graph=1).to_json())
    writer.write(RunRecord(session=1, run=1, writes=(Write("ghost", "initializer"),)).to_json())
    writer.close()
    trace = tftrace.load(path)
    assert trace.origin("ghost").kind == "initializer"
    assert trace.variable("ghost").dtype == ""


def test_a_later_variable_record_replaces_the_earlier(tmp_path):
    # init_from_checkpoint rewires the initializer after the variable was declared.
    path = tmp_path / "t.jsonl"
    writer = TraceWriter(path, Header())
    rewired = InitializerInfo(op="w/Assign", checkpoint="/ck", key="enc/w")
    for record in [SessionRecord(session=1, graph=1), VariableRecord(graph=1, name="w"),
                   VariableRecord(graph=1, name="u"),
                   VariableRecord(graph=1, name="w", initializer=rewired)]:
        writer.write(record.to_json())
    writer.close()
    trace = tftrace.load(path)
    assert trace.variable("w").initializer.key == "enc/w"
    assert list(trace.variables[1]) == ["w", "u"]  # declaration order is kept
    assert ("key:/ck:enc/w", "initializer:1:w", "initial_value_from") in relations(trace.graph)


# --- names and sessions -------------------------------------------------------------------

def test_resolve_variable_accepts_name_and_output_name():
    trace = load("restore_then_init.jsonl")
    assert trace.resolve_variable("dense/kernel") == "dense/kernel"
    assert trace.resolve_variable("dense/kernel:0") == "dense/kernel"


def test_unknown_variable_suggests_close_names():
    trace = load("restore_then_init.jsonl")
    with pytest.raises(UnknownVariable) as info:
        trace.origin("dense/kernal")
    assert info.value.suggestions[0] == "dense/kernel"
    with pytest.raises(UnknownVariable) as info:
        trace.origin("kernel")  # the last part of a scoped name
    assert info.value.suggestions == ["dense/kernel"]
    with pytest.raises(UnknownVariable) as info:
        trace.origin("zzz")
    assert info.value.suggestions == []


def test_default_session_is_the_last_one_whose_graph_has_the_variable():
    trace = load("save_then_restore.jsonl")
    assert trace.explain("w").session == 2
    assert trace.origin("w", session=1).kind == "initializer"
    # Session 2 runs another graph, which has its own "w".
    assert trace.origin("w").kind == "restore"


def test_bad_session_numbers_raise_unknown_session():
    trace = load("save_then_restore.jsonl")
    with pytest.raises(UnknownSession, match="no session 7 in the trace"):
        trace.origin("w", session=7)
    with pytest.raises(UnknownSession, match="session 1 has no variable 'w_copy'"):
        trace.origin("w_copy", session=1)
    with pytest.raises(UnknownSession):
        trace.diff(9, 1, 2)
    with pytest.raises(UnknownSession):
        trace.session(0)
    assert trace.session(2).graph == 2


# --- events and origins -------------------------------------------------------------------

def test_restore_then_init_origin_is_the_initializer_and_events_keep_the_restore():
    trace = load("restore_then_init.jsonl")
    events = trace.events("dense/kernel")
    assert [(e.kind, e.run) for e in events] == [("restore", 1), ("initializer", 2)]
    restore = events[0]
    assert (restore.checkpoint, restore.key, restore.location, restore.op) == (
        "/tmp/model.ckpt", "dense/kernel", "train.py:42", "save/AssignVariableOp")
    assert restore.value.digest == "a1b2c3d4e5f60718" and restore.time == 1763890002.0
    origin = trace.origin("dense/kernel")
    assert (origin.kind, origin.run, origin.location) == ("initializer", 2, "train.py:44")
    assert origin.event is events[1]
    assert trace.updates_since_origin("dense/kernel") == 0


def test_init_then_restore_origin_is_the_restore_with_checkpoint_and_key():
    origin = load("init_then_restore.jsonl").origin("w")
    assert (origin.kind, origin.checkpoint, origin.key, origin.run) == (
        "restore", "/tmp/pretrained/model", "w", 2)


def test_var_list_mapping_restores_key_a_into_variable_d():
    trace = load("var_list_mapping.jsonl")
    origin = trace.origin("d")
    assert (origin.kind, origin.key, origin.checkpoint) == ("restore", "a", "/tmp/ckpt/model")
    assert trace.origin("a").kind == "initializer"  # the variable named a was not restored


def test_reinit_origin_is_the_last_initializer_and_the_streak_is_one_event():
    trace = load("reinit.jsonl")
    events = trace.events("step")
    assert [(e.kind, e.run, e.count, e.last_run) for e in events] == [
        ("initializer", 1, 1, 1), ("initializer", 2, 1, 2), ("update", 3, 3, 5),
        ("initializer", 6, 1, 6)]
    assert events[2].value.values == 3  # the streak's last sample
    assert trace.origin("step").run == 6
    assert trace.updates_since_origin("step") == 0
    # As of run 5, the value came from the second initializer and 3 updates.
    assert trace.origin("step", run=5).run == 2
    assert trace.updates_since_origin("step", run=5) == 3


def test_streak_after_restore_counts_100_updates_and_merges_samples():
    trace = load("restore_then_train.jsonl")
    assert trace.origin("dense/kernel").kind == "restore"
    assert trace.updates_since_origin("dense/kernel") == 100
    assert trace.updates_since_origin("global_step") == 100  # since its initializer
    streak = trace.events("dense/kernel")[-1]
    assert (streak.kind, streak.run, streak.last_run, streak.count) == ("update", 3, 102, 100)
    assert streak.runs == "3-102"
    assert (streak.value.nan, streak.value.inf) == (1, 1)  # from the last streak record


def test_uninitialized_origin_when_the_session_never_wrote_the_variable():
    trace = load("uninitialized.jsonl")
    origin = trace.origin("v")
    assert origin.session == 2 and origin.kind == "uninitialized" and origin.event is None
    assert origin.to_json() == {"kind": "uninitialized", "checkpoint": None, "key": None,
                                "run": None, "location": None}
    assert trace.updates_since_origin("v") == 0
    assert trace.failed_runs[0].error.uninitialized == ("v",)


def test_assign_origins_keep_their_sources():
    trace = load("assign.jsonl")
    assert trace.origin("c").sources == ("a", "b")
    assert trace.origin("f").sources == ("<feed>",)
    assert trace.origin("e").sources == ()


def test_history_spans_every_session():
    trace = load("save_then_restore.jsonl")
    assert [(e.session, e.kind) for e in trace.history("w:0")] == [
        (1, "initializer"), (1, "update"), (2, "initializer"), (2, "restore")]


# --- lineage, shared origins, diff --------------------------------------------------------

def test_lineage_follows_a_restore_to_the_save_in_an_earlier_session():
    steps = load("save_then_restore.jsonl").lineage("w")
    assert isinstance(steps, Lineage)
    assert [(s.variable, s.session, s.origin.kind, s.updates) for s in steps] == [
        ("w", 2, "restore", 0), ("w", 1, "initializer", 10)]
    assert steps[1].via.run == 12 and steps.first is steps[1]


def test_lineage_of_an_assign_goes_through_its_source():
    steps = load("save_then_restore.jsonl").lineage("w_copy")
    assert [(s.variable, s.session, s.origin.kind) for s in steps] == [
        ("w_copy", 2, "assign"), ("w", 2, "restore"), ("w", 1, "initializer")]


def test_lineage_branches_over_several_sources_and_initialized_value():
    steps = load("assign.jsonl").lineage("c")
    depth_names = [(depth, step.variable) for depth, step in steps.root.walk()]
    assert depth_names == [(0, "c"), (1, "a"), (1, "b"), (2, "a")]  # b = a.initialized_value()


def test_lineage_notes_a_fed_value():
    steps = load("assign.jsonl").lineage("f")
    assert len(steps) == 1 and "fed value" in steps.root.note


def test_lineage_crosses_traces_through_a_checkpoint_path():
    saver = load("save_then_restore.jsonl")
    finetune = load("finetune_elsewhere.jsonl")
    alone = finetune.lineage("encoder/w")
    assert len(alone) == 1 and "no loaded trace saved" in alone.root.note
    # "./model.ckpt-10" in cwd /tmp/run is the "/tmp/run/model.ckpt-10" the other trace saved.
    steps = finetune.lineage("encoder/w", others=[saver])
    assert [(s.variable, s.trace.endswith("save_then_restore.jsonl"), s.origin.kind)
            for s in steps] == [("encoder/w", False, "restore"), ("w", True, "initializer")]
    assert "(trace " in repr(steps)


def write_restore_then_save(path: Path) -> Trace:
    """A program that restores w from checkpoint "c", then saves w to "c" (times unknown)."""
    writer = TraceWriter(path, Header(cwd="/x"))
    for record in [
        SessionRecord(session=1, graph=1),
        VariableRecord(graph=1, name="w"),
        RunRecord(session=1, run=1, writes=(Write("w", "restore", checkpoint="c", key="w"),)),
        RunRecord(session=1, run=2, save=SaveInfo(path="c", keys={"w": "w"})),
    ]:
        writer.write(record.to_json())
    writer.close()
    return tftrace.load(path)


def test_lineage_within_a_trace_uses_only_earlier_saves(tmp_path):
    trace = write_restore_then_save(tmp_path / "t.jsonl")
    steps = trace.lineage("w")
    assert len(steps) == 1 and "no loaded trace saved" in steps.root.note


def test_lineage_stops_at_a_cycle_between_traces(tmp_path):
    # Two runs of the same program, each restoring what the other saved: without times
    # nothing says which came first, and the walk must not go round for ever.
    first = write_restore_then_save(tmp_path / "first.jsonl")
    second = write_restore_then_save(tmp_path / "second.jsonl")
    steps = first.lineage("w", others=[second])
    assert [Path(s.trace).name for s in steps] == ["first.jsonl", "second.jsonl",
                                                   "first.jsonl"]
    assert steps[2].note.startswith("cycle")


def test_shared_origin_lists_variables_written_by_the_same_run():
    assert load("restore_then_init.jsonl").shared_origin("dense/kernel") == ["dense/bias"]
    trace = load("assign.jsonl")
    # c, f and e were assigned after the global init: they no longer share a's origin
    assert trace.shared_origin("a") == ["b"]
    assert trace.shared_origin("c") == []
    assert load("uninitialized.jsonl").shared_origin("v") == []


def test_diff_reports_variables_whose_digest_changed_between_runs():
    trace = load("save_then_restore.jsonl")
    changes = trace.diff(2, 1, 3)
    assert [c.variable for c in changes] == ["w", "w_copy"]
    assert changes[0].before.digest == "2000000000000001"
    assert changes[0].after.digest == "1000000000000010"
    assert [c.variable for c in trace.diff(2, 2, 2)] == []
    assert [c.variable for c in trace.diff(2, 2, 3)] == ["w_copy"]
    # streak samples count: between run 1 and 11 of session 1, w changed
    assert [c.variable for c in trace.diff(1, 1, 11)] == ["w"]
    # before anything was read there is no value; a value appearing is a change
    assert [(c.before, c.after.digest) for c in trace.diff(1, 0, 1)] == [
        (None, "5eed000000000001")]


# --- the provenance graph -----------------------------------------------------------------

def test_graph_nodes_carry_type_and_attributes():
    trace = load("restore_then_init.jsonl")
    g = trace.graph
    assert isinstance(g, nx.MultiDiGraph) and trace.graph is g  # built once
    kernel = g.nodes["variable:1:dense/kernel"]
    assert (kernel["type"], kernel["scope"], kernel["dtype"], kernel["shape"],
            kernel["location"]) == ("variable", "dense", "float32", (4, 2), "model.py:12")
    assert g.nodes["checkpoint:/tmp/model.ckpt"] == {"type": "checkpoint",
                                                      "path": "/tmp/model.ckpt"}
    key = g.nodes["key:/tmp/model.ckpt:dense/kernel"]
    assert (key["type"], key["shape"], key["dtype"]) == ("key", (4, 2), "float32")
    event = g.nodes["event:1:1:dense/kernel"]
    assert (event["type"], event["kind"], event["run"], event["count"], event["location"]) == (
        "event", "restore", 1, 1, "train.py:42")
    assert g.nodes["session:1"]["type"] == "session"
    assert g.nodes["run:1:2"]["type"] == "run"
    assert g.nodes["initializer:1:dense/kernel"]["type"] == "initializer"


def relations(g: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
    return {(u, v, d["relation"]) for u, v, d in g.edges(data=True)}


def test_graph_edges_say_where_values_came_from():
    edges = relations(load("restore_then_init.jsonl").graph)
    assert {
        ("key:/tmp/model.ckpt:dense/kernel", "event:1:1:dense/kernel", "restored_from"),
        ("key:/tmp/model.ckpt:dense/kernel", "checkpoint:/tmp/model.ckpt", "in_checkpoint"),
        ("initializer:1:dense/kernel", "event:1:2:dense/kernel", "initialized_by"),
        ("event:1:1:dense/kernel", "variable:1:dense/kernel", "wrote"),
        ("event:1:2:dense/kernel", "variable:1:dense/kernel", "wrote"),
        ("run:1:1", "event:1:1:dense/kernel", "performed"),
        ("session:1", "run:1:1", "ran"),
    } <= edges


def test_graph_links_assign_sources_initialized_value_and_saves():
    edges = relations(load("assign.jsonl").graph)
    assert ("variable:1:a", "event:1:2:c", "assigned_from") in edges
    assert ("variable:1:b", "event:1:2:c", "assigned_from") in edges
    assert ("variable:1:a", "initializer:1:b", "initial_value_from") in edges
    assert not any(u.endswith("<feed>") for u, _, _ in edges)
    g = load("save_then_restore.jsonl").graph
    edges = relations(g)
    key = "key:/tmp/run/model.ckpt-10:w"
    assert ("variable:1:w", key, "saved_as") in edges
    assert ("save:1:12", "checkpoint:/tmp/run/model.ckpt-10", "saved_to") in edges
    assert ("run:1:12", "save:1:12", "saved") in edges
    assert (key, "event:2:2:w", "restored_from") in edges  # the same key node links them
    saved_as = [d for u, v, d in g.edges(data=True) if d["relation"] == "saved_as"]
    assert saved_as[0]["save"] == "save:1:12"


def test_graph_paths_are_normalized_against_the_traced_cwd():
    g = load("finetune_elsewhere.jsonl").graph
    assert "key:/tmp/run/model.ckpt-10:w" in g  # recorded as "./model.ckpt-10"


def test_graph_gives_a_run_writing_a_variable_twice_two_event_nodes(tmp_path):
    path = tmp_path / "t.jsonl"
    writer = TraceWriter(path, Header())
    writer.write(SessionRecord(session=1, graph=1).to_json())
    writer.write(RunRecord(session=1, run=1, writes=(
        Write("w", "initializer"), Write("w", "assign"))).to_json())
    writer.close()
    g = tftrace.load(path).graph
    assert {n for n, d in g.nodes(data=True) if d["type"] == "event"} == {
        "event:1:1:w", "event:1:1:w#2"}


# --- display ------------------------------------------------------------------------------

def test_reprs_are_readable():
    trace = load("restore_then_init.jsonl")
    assert repr(trace) == ("<Trace '" + str(DATA / "restore_then_init.jsonl") + "': "
                           "1 session, 2 variables, 4 write events>")
    event = trace.events("dense/kernel")[0]
    assert repr(event) == ("<Event restore dense/kernel session 1 run 1 at train.py:42 "
                           "from /tmp/model.ckpt key dense/kernel>")
    assert repr(trace.origin("dense/kernel")) == (
        "<Origin initializer dense/kernel in session 1 run 2 at train.py:44>")
    # The verdict, as `tftrace explain` says it first.
    assert repr(trace.explain("dense/kernel")) == (
        "<Explanation dense/kernel: restored from /tmp/model.ckpt key dense/kernel at "
        "train.py:42, then overwritten by the initializer at train.py:44 (2 events in "
        "session 1, 2 findings)>")
    page = trace.explain("dense/kernel")._repr_html_()
    assert "then overwritten by the initializer at train.py:44</b>" in page
    assert "<li><b>error restore-overwritten</b>" in page
    assert repr(Origin("v", session=2)) == "<Origin uninitialized v in session 2>"
    assert "cut short" in repr(load("truncated.jsonl"))
    assert "x100" in repr(load("restore_then_train.jsonl").events("dense/kernel")[-1])


def test_reprs_escape_control_characters():
    trace = load("hostile_names.jsonl")
    name = trace.variable_names()[0]
    for text in (repr(trace.events(name)[-1]), repr(trace.origin(name)),
                 repr(trace.explain(name)), repr(trace.lineage(name))):
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text, text
        assert "\\x1b" in text


def test_html_reprs_escape_markup():
    trace = load("hostile_names.jsonl")
    name = trace.variable_names()[0]
    for page in (trace.explain(name)._repr_html_(), trace._repr_html_(),
                 trace.lineage(name)._repr_html_()):
        assert "<script>" not in page and "<b>x" not in page and "<i>model" not in page
    assert "&lt;script&gt;" in trace.explain(name)._repr_html_()
    assert "<table>" in load("reinit.jsonl")._repr_html_()


def test_event_defaults_last_run_to_run():
    assert Event("w", "assign", session=1, run=4).last_run == 4


# --- speed --------------------------------------------------------------------------------

def write_large_trace(path: Path, variables: int, runs: int) -> None:
    writer = TraceWriter(path, Header())
    writer.write(SessionRecord(session=1, graph=1).to_json(), flush=False)
    names = [f"layer{i // 100}/v{i}" for i in range(variables)]
    for i, name in enumerate(names):
        writer.write(VariableRecord(graph=1, name=name, shape=(2,), index=i,
                                    initializer=InitializerInfo(op=f"{name}/Assign")).to_json(),
                     flush=False)
    writer.write(RunRecord(session=1, run=1, writes=tuple(
        Write(n, "initializer") for n in names)).to_json(), flush=False)
    for run in range(2, runs + 2):
        write = Write(names[run % variables], "assign", sources=("<feed>",))
        writer.write(RunRecord(session=1, run=run, location="x.py:1",
                               writes=(write,)).to_json(), flush=False)
    writer.close()


def test_a_large_trace_indexes_every_write(tmp_path):
    # Speed is measured by benchmarks/check.py (same-run baseline), not here.
    path = tmp_path / "large.jsonl"
    write_large_trace(path, variables=1_000, runs=10_000)
    trace = Trace.load(path)
    assert trace.updates_since_origin("layer5/v512") == 0
    assert len(trace.events("layer5/v512")) == 11
    assert trace.origin("layer5/v512").kind == "assign"

def test_explain_runs_the_rules_only_when_its_findings_are_asked_for(monkeypatch):
    # The TUI explains on its UI thread and has the findings already: no second check.
    trace = load("restore_then_init.jsonl")
    ran = []
    real = Trace.diagnostics
    monkeypatch.setattr(Trace, "diagnostics",
                        lambda self, *a: ran.append(1) or real(self, *a))
    explanation = trace.explain("dense/kernel")
    assert explanation.verdict.endswith("then overwritten by the initializer at train.py:44")
    assert ran == []
    assert [d.rule for d in explanation.findings][0] == "restore-overwritten" and ran
