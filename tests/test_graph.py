"""The provenance graph is the model's export: walking it says what ``explain``,
``lineage`` and ``shared_origin`` say, on every committed trace.

The walk below reads only the graph (node attributes and edges, as the
:mod:`tftrace.model.graph` docstring documents them); the model side is the public
``Trace`` API. Either one changing alone fails here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import tftrace
from tftrace.errors import TftraceError
from tftrace.model import Trace
from tftrace.tracefile import (
    Header,
    InitializerInfo,
    RunRecord,
    SaveInfo,
    SessionEnd,
    SessionRecord,
    StreakRecord,
    TraceWriter,
    VariableRecord,
    Write,
)

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data"


def committed_traces() -> list[Path]:
    """Every committed trace that loads: examples, test data (cluster directories merge),
    and the real cluster recordings, merged and each process's alone."""
    cluster = ROOT / "examples" / "distributed" / "traces"
    paths = sorted((ROOT / "examples" / "traces").glob("*.json"))
    paths += sorted(p for p in DATA.iterdir() if p.suffix != ".py")
    paths += sorted(p for p in cluster.iterdir() if p.is_dir())
    paths += sorted(cluster.glob("*/*.json"))
    return paths


def load_or_none(path: Path) -> Trace | None:
    try:
        return tftrace.load(path)
    except TftraceError:  # foreign.json, not_utf8.jsonl, version3.jsonl: bad on purpose
        return None


LOADED = {path: trace for path in committed_traces()
          if (trace := load_or_none(path)) is not None}
SINGLE = [t for t in LOADED.values() if not t.processes]  # one process's trace each


def test_the_corpus_is_what_was_committed():
    names = {p.name for p in LOADED}
    assert len(LOADED) >= 55 and {"wipe", "cluster_wipe", "bert_finetune.json",
                                  "pretrain.jsonl"} <= names
    assert any(t.processes for t in LOADED.values())


# --- walking the graph --------------------------------------------------------------------

Step = tuple[Any, ...]


def current_origins(g: nx.MultiDiGraph) -> dict[tuple[str, int, str], str]:
    """(trace, session, variable) → the event node History marked current."""
    return {(d["trace"], d["session"], d["variable"]): n for n, d in g.nodes(data=True)
            if d["type"] == "event" and d["current"]}


def updates_without_origin(g: nx.MultiDiGraph, variable_node: str, session: int) -> int:
    """Update runs of ``session`` on the variable that build on no origin write."""
    total = 0
    for event, _, relation in g.in_edges(variable_node, data="relation"):
        d = g.nodes[event]
        if relation == "wrote" and d["session"] == session and d["kind"] == "update" and not any(
                r == "updated_from" for _, _, r in g.in_edges(event, data="relation")):
            total += d["count"]
    return total


def event_step(g: nx.MultiDiGraph, node: str, updates: int, via: str | None) -> Step:
    d = g.nodes[node]
    return (d["variable"], d["session"], d["trace"], d["kind"], d["run"], d["location"],
            d["checkpoint"], d["key"], d["process"], updates, save_of(g, via))


def save_of(g: nx.MultiDiGraph, save: str | None) -> tuple | None:
    if save is None:
        return None
    d = g.nodes[save]
    return d["session"], d["run"], d["location"]


def walk(g: nx.MultiDiGraph, node: str, step: Step, seen: frozenset, depth: int,
         out: list) -> None:
    """Depth first along ``came_from`` edges, as lineage steps: (depth, step, note)."""
    d = g.nodes[node]
    if d["type"] != "event":  # a value with no origin write: a leaf
        out.append((depth, step, None))
        return
    if node in seen:
        out.append((depth, step, "cycle: this value was already visited"))
        return
    out.append((depth, step, d["lineage_note"]))
    parents = sorted(((u, e) for u, _, e in g.in_edges(node, data=True)
                      if e["relation"] == "came_from"), key=lambda pair: pair[1]["order"])
    for source, edge in parents:
        if g.nodes[source]["type"] == "event":
            parent = event_step(g, source, edge["updates"], edge["via"])
        else:
            parent = (edge["variable"], edge["session"], g.nodes[source]["trace"],
                      edge["kind"], None, None, None, None, None, edge["updates"],
                      save_of(g, edge["via"]))
        walk(g, source, parent, seen | {node}, depth + 1, out)


def graph_lineage(g: nx.MultiDiGraph, trace: Trace, variable: str, session: int,
                  origins: dict) -> tuple[list, str | None]:
    """The lineage steps of ``variable`` in ``session`` read off the graph, and the node
    of its current origin write (None when it has none)."""
    current = origins.get((trace.path, session, variable))
    if current is not None:
        root = event_step(g, current, g.nodes[current]["updates_since_origin"], None)
        out: list = []
        walk(g, current, root, frozenset(), 0, out)
        return out, current
    session_node = f"session:{session}"
    kind = "external" if g.nodes[session_node]["remote"] else "uninitialized"
    var = f"variable:{g.nodes[session_node]['graph']}:{variable}"
    updates = updates_without_origin(g, var, session)
    return [(0, (variable, session, trace.path, kind, None, None, None, None, None, updates,
                 None), None)], None


def model_lineage(trace: Trace, variable: str, session: int, others=()) -> list:
    out = []
    for depth, s in trace.lineage(variable, session, others=others).root.walk():
        o, via = s.origin, s.via
        process = None if o.event is None or o.event.process is None else o.event.process.label
        out.append((depth, (s.variable, s.session, s.trace, o.kind, o.run, o.location,
                            o.checkpoint, o.key, process, s.updates,
                            None if via is None else (via.session, via.run, via.location)),
                    s.note))
    return out


def graph_shared_origin(g: nx.MultiDiGraph, current: str | None) -> set[str]:
    """Variables whose current origin is a write of the same kind from the same checkpoint
    under the same run node."""
    if current is None:
        return set()
    mine = g.nodes[current]
    (run,) = [u for u, _, r in g.in_edges(current, data="relation") if r == "performed"]
    return {d["variable"] for _, e, r in g.out_edges(run, data="relation")
            if r == "performed" and (d := g.nodes[e])["current"]
            and d["variable"] != mine["variable"] and d["kind"] == mine["kind"]
            and d["checkpoint"] == mine["checkpoint"]}


def check_every_variable(trace: Trace, g: nx.MultiDiGraph, others=()) -> int:
    origins = current_origins(g)
    checked = 0
    for session in trace.session_numbers:
        for variable in trace.variables_of(session):
            steps, current = graph_lineage(g, trace, variable, session, origins)
            assert steps == model_lineage(trace, variable, session, others), (
                trace.path, session, variable)
            explained = trace.explain(variable, session)
            origin = explained.origin.to_json()
            root = steps[0][1]
            assert (root[3], root[4], root[5], root[6], root[7], root[9]) == (
                origin["kind"], origin["run"], origin["location"], origin["checkpoint"],
                origin["key"], explained.updates_since_origin), (trace.path, variable)
            event = explained.origin.event
            assert root[8] == (None if event is None or event.process is None
                               else event.process.label)
            shared = trace.shared_origin(variable, session)
            assert len(shared) == len(set(shared))
            assert set(shared) == graph_shared_origin(g, current), (trace.path, variable)
            checked += 1
    return checked


@pytest.mark.parametrize("path", list(LOADED), ids=lambda p: str(p.relative_to(ROOT)))
def test_walking_the_graph_says_what_explain_lineage_and_shared_origin_say(path):
    trace = LOADED[path]
    checked = check_every_variable(trace, trace.graph)
    assert checked > 0 or not trace.sessions  # a parameter server's trace has none


@pytest.mark.parametrize("path", [p for p, t in LOADED.items() if not t.processes],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_linked_with_every_other_trace_lineage_is_a_path_in_the_graph(path):
    trace = LOADED[path]
    others = [t for t in SINGLE if t is not trace]
    check_every_variable(trace, trace.graph_with(others), others)


def test_the_history_marks_are_what_history_says():
    for trace in LOADED.values():
        g = trace.graph
        marks = {n: d for n, d in g.nodes(data=True) if d["type"] == "event"}
        for history in trace.histories():
            nodes = [n for n, d in marks.items() if d["trace"] == trace.path
                     and d["session"] == history.session
                     and d["variable"] == history.variable]
            by_run = {(marks[n]["run"], marks[n]["kind"]): n for n in nodes}
            current = history.origin()
            flagged = [n for n in nodes if marks[n]["current"]]
            assert flagged == ([] if current is None else [by_run[current.run, current.kind]])
            if current is None:
                continue
            attrs = marks[flagged[0]]
            assert attrs["updates_since_origin"] == history.updates_since_origin()
            assert attrs["updates_since_origin"] == sum(
                marks[v]["count"] for _, v, r in g.out_edges(flagged[0], data="relation")
                if r == "updated_from")
            replaced, updates = history.replaced()
            assert attrs["replaced_updates"] == updates
            assert attrs["replaced"] == (None if replaced is None
                                         else by_run[replaced.run, replaced.kind])
            assert sorted((marks[n]["run"], marks[marks[n]["clobbered_by"]]["run"])
                          for n in nodes if marks[n]["clobbered_by"]) == sorted(
                (c.restore.run, c.initializer.run) for c in history.clobbered())
            lost = {n: marks[n]["discarded"] for n in nodes if marks[n]["discarded"]}
            assert sorted((marks[n]["run"], k) for n, k in lost.items()) == sorted(
                (d.by.run, d.updates) for d in history.discarded())
            for n, k in lost.items():
                assert k == sum(marks[u]["count"] for u in nodes
                                if marks[u]["discarded_by"] == n)


# --- corners the committed traces do not reach --------------------------------------------

def write(path: Path, *records) -> Trace:
    writer = TraceWriter(path, Header(cwd="/work"))
    for record in records:
        writer.write(record.to_json())
    writer.close()
    return tftrace.load(path)


def corners(path: Path) -> Trace:
    """Two restores of one run from two checkpoints, an initializer reading another
    variable, an assign from an unwritten variable and a feed, a self-assign, discarded
    updates, a clobbered restore, a restore without its key, two writes of one variable in
    one run (next to a variable that run only initialized), a remote session with updates and no origin, and a save of a key naming no
    declared variable."""
    def restore(name: str, checkpoint: str) -> Write:
        return Write(name, "restore", checkpoint=checkpoint, key=name)

    return write(
        path,
        SessionRecord(session=1, graph=1),
        *(VariableRecord(graph=1, name=n, index=i, initializer=InitializerInfo(
            "init", sources=("a",) if n == "b" else ())) for i, n in enumerate("abcdeuwxy")),
        RunRecord(session=1, run=1, writes=(Write("a", "initializer"), Write("b", "initializer"),
                                            restore("w", "ck1"), restore("x", "ck2"),
                                            restore("y", "ck1"))),
        RunRecord(session=1, run=2, writes=(Write("c", "assign", sources=("u", "<feed>")),)),
        RunRecord(session=1, run=3, writes=(Write("d", "assign", sources=("d",)),)),
        StreakRecord(session=1, streak=1, first_run=4, last_run=6, count=3,
                     writes=(Write("w", "update"),), final=True),
        RunRecord(session=1, run=7, writes=(restore("w", "ck1"),)),
        RunRecord(session=1, run=8, writes=(Write("w", "initializer"),)),
        RunRecord(session=1, run=9, writes=(Write("e", "restore"),)),
        RunRecord(session=1, run=10, writes=(Write("a", "initializer"),
                                             Write("a", "assign", sources=("b",)),
                                             Write("u", "initializer"))),
        RunRecord(session=1, run=11, save=SaveInfo(path="ck1", keys={
            "w": "w", "a": "a", "ghost": "undeclared"})),
        SessionEnd(session=1, runs=11),
        SessionRecord(session=2, graph=1, target="grpc://127.0.0.1:2222", remote=True),
        RunRecord(session=2, run=1, writes=(Write("a", "update"),)),
        RunRecord(session=2, run=2, writes=(Write("a", "update"),)),
        RunRecord(session=2, run=3, writes=(restore("w", "ck1"),
                                            Write("x", "restore", checkpoint="ck1",
                                                  key="ghost"))),
    )


def test_corners_walk_the_same(tmp_path):
    trace = corners(tmp_path / "corners.jsonl")
    g = trace.graph
    assert check_every_variable(trace, g) == 18
    relations = {(u, v, d["relation"]) for u, v, d in g.edges(data=True)}
    assert ("variable:1:u", "event:1:2:c", "came_from") in relations  # u had no origin
    assert ("event:1:3:d", "event:1:3:d", "came_from") in relations  # d = f(d): a cycle
    assert ("event:1:10:a#2", "event:1:11:w", "came_from") not in relations
    assert ("event:1:8:w", "event:2:3:w", "came_from") in relations  # via the save
    assert trace.shared_origin("y", 1) == [] and trace.shared_origin("x", 1) == []
    # Run 10 initialized u and a, then assigned a: a's value is the assign's, not shared.
    assert trace.shared_origin("u", 1) == [] and trace.shared_origin("a", 1) == []
    assert g.nodes["event:1:7:w"]["discarded"] == 3
    assert g.nodes["event:1:4:w"]["discarded_by"] == "event:1:7:w"
    assert g.nodes["event:1:7:w"]["clobbered_by"] == "event:1:8:w"
    assert g.nodes["event:1:8:w"]["replaced"] == "event:1:7:w"
    assert g.nodes["event:1:9:e"]["lineage_note"].startswith("the restore did not record")
    assert g.nodes["session:2"]["remote"] and trace.origin("a", 2).kind == "external"
    # A save's key that named no declared variable: lineage's uninitialized step.
    assert ("variable:1:undeclared", "event:2:3:x", "came_from") in relations
    assert g.nodes["variable:1:undeclared"]["type"] == "variable"


def test_corners_linked_across_traces_walk_the_same(tmp_path):
    pretrain = corners(tmp_path / "pretrain.jsonl")
    finetune = write(
        tmp_path / "finetune.jsonl", SessionRecord(session=1, graph=1),
        VariableRecord(graph=1, name="w"), VariableRecord(graph=1, name="v", index=1),
        RunRecord(session=1, run=1, time=1e10, writes=(
            Write("w", "restore", checkpoint="/work/ck1", key="w"),
            Write("v", "restore", checkpoint="/work/ck1", key="a"))))
    g = finetune.graph_with([pretrain])
    assert check_every_variable(finetune, g, [pretrain]) == 2
    # Ids of the other trace are kept apart; the checkpoint is one node.
    assert "trace1:event:1:10:a#2" in g and "event:1:1:v" in g
    assert g.nodes["trace1:event:1:10:a#2"]["trace"] == pretrain.path
    assert ("trace1:event:1:10:a#2", "event:1:1:v", "came_from") in {
        (u, v, d["relation"]) for u, v, d in g.edges(data=True)}
    assert g.graph["traces"] == [finetune.path, pretrain.path]
    assert sum(1 for n in g if n.startswith("checkpoint:")) == 2  # ck1 and ck2


def test_merged_traces_carry_the_process_on_event_nodes():
    trace = LOADED[ROOT / "examples" / "distributed" / "traces" / "wipe"]
    g = trace.graph
    writes = [d for _, d in g.nodes(data=True) if d["type"] == "event"]
    assert {d["process"] for d in writes} >= {"worker:0", "worker:1"}
    (reset,) = [d for d in writes if d["variable"] == "global_step" and d["current"]]
    assert (reset["kind"], reset["process"]) == ("initializer", "worker:1")
    assert reset["local"][0] >= 1  # the session in worker:1's own trace
    single = LOADED[DATA / "assign.jsonl"].graph
    assert all(d["process"] is None and d["local"] is None
               for _, d in single.nodes(data=True) if d["type"] == "event")
