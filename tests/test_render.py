"""`tftrace render`: what the diagram shows, as DOT text (one test, marked dot, runs Graphviz).

Golden DOT files live in tests/golden/dot/ (``TFTRACE_REGEN_GOLDEN=1`` regenerates them;
review the diff like code). The DOT names the trace by its file name only, and example
traces hold paths relative to the recording's working directory, so normalizing means
replacing the directory the trace was loaded from, in case it ever shows.
"""
from __future__ import annotations

import html
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import tftrace
from tftrace.errors import TftraceError, UnknownSession, UnknownVariable
from tftrace.model import Trace
from tftrace.model.diagnostics import Diagnostic
from tftrace.tracefile import (
    CheckpointRecord,
    Header,
    InitializerInfo,
    RunError,
    RunRecord,
    SaveInfo,
    SessionRecord,
    StreakRecord,
    TraceWriter,
    ValueSummary,
    VariableRecord,
    Write,
)
from tftrace.views.dot import DiagramOptions, build_diagram, to_dot
from tftrace.views.dot import render as render_file
from tftrace.views.dot.diagram import key_pattern, natural_key

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples" / "traces"
DATA = Path(__file__).parent / "data"


def example(name: str) -> Trace:
    return tftrace.load(EXAMPLES / f"{name}.json")


def normalized(source: str, trace: Trace) -> str:
    directory = os.path.dirname(os.path.abspath(trace.path))
    return source.replace(directory, "<TRACEDIR>").rstrip("\n")


def write_trace(path: Path, records: list, header: Header | None = None) -> Trace:
    writer = TraceWriter(path, header or Header(script="train.py", cwd="/proj"))
    for record in records:
        writer.write(record.to_json())
    writer.close()
    return tftrace.load(path)


# --- a small DOT reader: checks structure without Graphviz ---------------------------------

def dot_tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens of DOT: ids, "strings" (unescaped), <html> labels, operators."""
    tokens, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            # Unescape \" and \\ only: \n stays (Graphviz's escString for a line break).
            tokens.append(("string", re.sub(r'\\(["\\])', r"\1", text[i + 1:j])))
            i = j + 1
        elif c == "<":
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            tokens.append(("html", text[i + 1:j - 1]))
            i = j
        elif text.startswith("->", i):
            tokens.append(("op", "->"))
            i += 2
        elif c in "[]{};,=:":
            tokens.append(("op", c))
            i += 1
        else:
            match = re.match(r"[A-Za-z0-9_.]+", text[i:])
            assert match, f"unexpected DOT at {text[i:i + 40]!r}"
            tokens.append(("id", match.group()))
            i += match.end()
    return tokens


def node_ids(text: str) -> set[str]:
    """Ids used as nodes: before ``[`` (a node statement) or around ``->``."""
    tokens = dot_tokens(text)
    found = set()
    for k, (kind, value) in enumerate(tokens):
        if kind != "id" or value in ("graph", "node", "edge"):
            continue
        if k and tokens[k - 1] == ("op", ":"):
            continue  # a port or compass point (c1:k1:e), not a node
        after = tokens[k + 1] if k + 1 < len(tokens) else ("", "")
        before = tokens[k - 1] if k else ("", "")
        if after == ("op", "[") or after == ("op", "->") or before == ("op", "->"):
            found.add(value)
    return found


def label_texts(text: str) -> list[str]:
    """The text of every HTML-like label, parsed as XML (it must be well-formed)."""
    texts = []
    for kind, value in dot_tokens(text):
        if kind == "html":
            root = ET.fromstring(f"<label>{value}</label>")
            texts.append("".join(root.itertext()))
    return texts


def graphviz_text(text: str) -> str:
    """What Graphviz shows for label text: ``\\\\`` is one backslash (escString)."""
    return text.replace("\\\\", "\\")


# --- golden DOT of the examples ------------------------------------------------------------

GOLDEN_CASES = [
    ("restore_then_init", {}),
    ("restore_then_init", {"session": "all"}),
    ("partial_restore_init", {}),
    ("partial_restore_correct", {}),
    ("reinit_resets_state", {}),
    ("train_save_resume", {}),
    ("unexpected_sources", {"session": "all"}),
    ("monitored_resume", {}),
    ("saver_too_early", {}),
    ("checkpoint_key_mismatch", {}),
    ("uninitialized_read", {}),
    ("nan_divergence", {}),
    ("shape_mismatch", {}),
]


def golden_name(name: str, options: dict) -> str:
    suffix = "".join(f"--{k}-{v}" for k, v in sorted(options.items()))
    return f"dot/{name}{suffix}.dot"


@pytest.mark.parametrize("name, options", GOLDEN_CASES,
                         ids=[golden_name(n, o)[4:-4] for n, o in GOLDEN_CASES])
def test_golden_dot(name, options, golden):
    trace = example(name)
    golden(golden_name(name, options), normalized(to_dot(trace, **options), trace))


def test_hostile_names_golden(golden):
    trace = tftrace.load(DATA / "hostile_names.jsonl")
    golden("dot/hostile_names.dot", normalized(to_dot(trace), trace))


# --- determinism ---------------------------------------------------------------------------

def test_same_trace_gives_byte_identical_dot():
    first = to_dot(example("train_save_resume"), session="all")
    assert to_dot(example("train_save_resume"), session="all") == first


def test_dot_does_not_depend_on_hash_seeds():
    # Set iteration order changes with PYTHONHASHSEED; nothing may leak into the output.
    code = ("import sys, tftrace; sys.stdout.write(tftrace.load("
            "'examples/traces/unexpected_sources.json').to_dot(session='all'))")
    outputs = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                              text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2", "3")}
    assert len(outputs) == 1


def test_trace_to_dot_is_the_view():
    trace = example("restore_then_init")
    assert trace.to_dot() == to_dot(trace)
    assert trace.to_dot(session=1, rankdir="TB") == to_dot(trace, session=1, rankdir="TB")


def test_the_public_trace_is_the_model_plus_its_pictures():
    """The facade gives `to_dot` and the notebook diagram; the model stays picture-free,
    so it never imports a view (tests/test_layers.py)."""
    from tftrace import api
    from tftrace.model import Trace as ModelTrace

    for trace in (tftrace.load(EXAMPLES / "restore_then_init.json"),
                  tftrace.Trace.load(EXAMPLES / "restore_then_init.json"),
                  tftrace.Trace.merge([DATA / "cluster_wipe"])):
        assert type(trace) is api.Trace and isinstance(trace, ModelTrace)
    model_only = ModelTrace.load(EXAMPLES / "restore_then_init.json")
    assert not hasattr(model_only, "to_dot")
    assert "<svg" not in model_only._repr_html_() and "<table>" in model_only._repr_html_()


# --- what the picture says -----------------------------------------------------------------

def test_clobbered_restore_is_a_grey_dashed_path_and_the_initializer_bold():
    source = to_dot(example("restore_then_init"))
    restore = [line for line in source.splitlines()
               if "->" in line and "restore · run 1" in line]
    assert restore and all("style=dashed" in line and '"#9e9e9e"' in line for line in restore)
    assert "overwritten at run 2" in restore[0]
    initializer = [line for line in source.splitlines()
                   if line.strip().startswith("r1 -> ")]
    assert len(initializer) == 2 and all("penwidth=2.8" in line for line in initializer)
    # the diagnostic: on both variables, in red, and in the title with its message
    assert source.count("✗ restore-overwritten") == 2
    assert source.count('color="#c62828", penwidth=3') == 2
    assert "✗ error restore-overwritten" in source


def test_diagram_data_of_the_restore_then_init_bug():
    diagram = build_diagram(example("restore_then_init"))
    assert [v.names for v in diagram.variables] == [("dense/bias",), ("dense/kernel",)]
    kernel = diagram.variables[1]
    assert (kernel.origin_kind, kernel.origin, kernel.replaced) == (
        "initializer", "initializer · run 2", "restore · run 1")
    assert kernel.severity == "error" and kernel.scope == "dense"
    [checkpoint] = diagram.checkpoints
    assert checkpoint.path == "ckpt/restore_then_init/model.ckpt"
    assert [r.text for r in checkpoint.rows] == ["dense/bias", "dense/kernel"]
    assert checkpoint.notes == ("saved by session 1, run 103 at "
                                "examples/restore_then_init.py:62",)
    statuses = sorted((link.kind, link.status) for link in diagram.links)
    assert statuses == [("initializer", "current"), ("initializer", "current"),
                        ("restore", "overwritten"), ("restore", "overwritten")]
    # a bundle of edges is labelled once; the others carry the label as a tooltip
    assert [link.quiet for link in diagram.links if link.kind == "restore"] == [False, True]


def test_title_names_script_trace_and_session():
    diagram = build_diagram(example("restore_then_init"))
    assert diagram.title == "examples/restore_then_init.py — session 2 of 2"
    assert diagram.subtitle == ("trace restore_then_init.json · Session created at "
                                "examples/restore_then_init.py:71 · 3 runs")


def test_update_streak_is_one_edge_with_its_count():
    diagram = build_diagram(example("partial_restore_init"))
    [updates] = [r for r in diagram.runs if r.kind == "update"]
    assert (updates.run, updates.last_run, updates.count) == (3, 52, 50)
    labels = [link.label for link in diagram.links if link.kind == "update"]
    assert labels == ["update ×50 · runs 3-52"] * 2


def test_reset_shows_discarded_updates_and_not_the_first_initializers():
    diagram = build_diagram(example("reinit_resets_state"))
    discarded = [link for link in diagram.links if link.status == "discarded"]
    assert len(discarded) == 3
    assert discarded[0].label == "update ×3 · runs 4-6 — discarded at run 9"
    # initializers replaced by later initializers are not drawn (tooltip only)
    assert not [link for link in diagram.links if link.status == "overwritten"]
    assert [r.run for r in diagram.runs] == [4, 9]
    assert {v.replaced for v in diagram.variables} == {"3 updates"}


def test_failed_restore_marks_missing_keys_and_lists_unused_ones():
    diagram = build_diagram(example("checkpoint_key_mismatch"))
    [checkpoint] = diagram.checkpoints
    rows = {row.text: row.mark for row in checkpoint.rows}
    assert rows == {"classifier/bias": None, "classifier/kernel": None,
                    "enc/dense/bias": "missing", "enc/dense/kernel": "missing",
                    "encoder/dense/bias": "not used", "encoder/dense/kernel": "not used"}
    failed = [link for link in diagram.links if link.status == "failed"]
    assert len(failed) == 4 and failed[0].label == "restore failed · run 2 (NotFoundError)"


def test_uninitialized_read_comes_from_the_failed_run():
    diagram = build_diagram(example("uninitialized_read"))
    [failed] = diagram.runs
    assert (failed.kind, failed.error) == ("failed", "FailedPreconditionError")
    targets = {v.id: v.names[0] for v in diagram.variables}
    read = sorted(targets[link.target] for link in diagram.links if link.kind == "read")
    assert read == ["dense/bias", "dense/kernel"]  # TF named one; the trace knows both
    assert {v.origin_kind for v in diagram.variables} == {"uninitialized"}


def test_probe_reads_are_grey_not_red():
    diagram = build_diagram(example("partial_restore_correct"))
    assert {r.kind for r in diagram.runs if r.error} == {"probe"}
    assert not [link for link in diagram.links if link.status == "failed"]
    assert len([link for link in diagram.links if link.status == "probe"]) == 3
    assert diagram.findings == ()  # info only


def test_shape_mismatch_is_on_the_checkpoint_row():
    [checkpoint] = build_diagram(example("shape_mismatch")).checkpoints
    assert {row.text: row.mark for row in checkpoint.rows} == {
        "dense/bias": None, "dense/kernel": "[10, 4] ≠ declared [12, 4]"}


def test_non_finite_values_on_boxes_and_saved_checkpoints():
    diagram = build_diagram(example("nan_divergence"))
    assert [v.non_finite for v in diagram.variables] == ["1 NaN", "3 NaN"]
    marks = {(c.path, r.text): r.mark for c in diagram.checkpoints for r in c.rows}
    assert marks[("ckpt/nan_divergence/model.ckpt-150", "regression/w")] == "saved with 3 NaN"
    assert len(diagram.checkpoints) == 2  # the poisoned save and the last one


def test_periodic_saves_are_summarized():
    diagram = build_diagram(example("monitored_resume"))
    assert [c.path for c in diagram.checkpoints] == ["ckpt/monitored_resume/model.ckpt-10",
                                                     "ckpt/monitored_resume/model.ckpt-20"]
    assert any("earlier saves (runs 6, 19) are not drawn" in n for n in diagram.notes)
    # the two update streaks around the save at run 19 are one edge
    streaks = [e for e in example("monitored_resume").events("global_step", 2)
               if e.kind == "update"]
    assert len(streaks) == 2
    assert [(r.kind, r.run, r.last_run, r.count) for r in diagram.runs] == [
        ("update", streaks[0].run, streaks[1].last_run, 10)]


def test_session_all_joins_sessions_through_checkpoints():
    diagram = build_diagram(example("train_save_resume"), DiagramOptions(session="all"))
    assert [p.number for p in diagram.sessions] == [1, 2] and diagram.boxed_sessions
    by_id = {c.id: c.path for c in diagram.checkpoints}
    saved = {by_id[link.target] for link in diagram.links if link.kind == "save"}
    restored = {by_id[link.source] for link in diagram.links if link.kind == "restore"}
    assert "ckpt/train_save_resume/model.ckpt-50" in saved & restored
    assert "subgraph cluster_session1 {" in to_dot(example("train_save_resume"),
                                                   session="all")


def test_assign_and_initialized_value_sources_are_drawn():
    diagram = build_diagram(example("unexpected_sources"))  # session 5: u from v
    names = {v.id: v.names[0] for v in diagram.variables}
    [source] = [link for link in diagram.links if link.status == "from"]
    assert (names[source.source], names[source.target]) == ("v", "u")


def test_var_list_mapping_shows_the_key_row():
    diagram = build_diagram(example("unexpected_sources"), DiagramOptions(session=3))
    [checkpoint] = diagram.checkpoints
    assert [r.text for r in checkpoint.rows] == ["a"]  # key a → variable d
    assert diagram.variables[0].names == ("d",)


# --- filters -------------------------------------------------------------------------------

def test_var_filter_keeps_the_variables_its_value_came_from():
    diagram = build_diagram(example("unexpected_sources"), DiagramOptions(variables=("u:0",)))
    assert [v.names[0] for v in diagram.variables] == ["u", "v"]


def test_scope_filter_is_by_scope_not_by_prefix(tmp_path):
    trace = write_trace(tmp_path / "t.jsonl", [
        SessionRecord(session=1, graph=1),
        *[VariableRecord(graph=1, name=n) for n in ("enc/w", "enc", "encoder/w", "dec/w")],
        RunRecord(session=1, run=1, writes=tuple(
            Write(n, "initializer") for n in ("enc/w", "enc", "encoder/w", "dec/w")))])
    diagram = build_diagram(trace, DiagramOptions(scopes=("enc/",)))
    assert [v.names[0] for v in diagram.variables] == ["enc", "enc/w"]
    assert "showing 2 of 4 variables" in diagram.notes


def test_problems_filter():
    diagram = build_diagram(example("partial_restore_init"), DiagramOptions(problems=True))
    assert [v.names[0] for v in diagram.variables] == ["encoder/dense/bias",
                                                       "encoder/dense/kernel"]
    clean = build_diagram(example("init_then_restore"), DiagramOptions(problems=True))
    assert clean.variables == []
    assert "no variable has a warning or an error in session 2" in clean.notes
    to_dot(example("init_then_restore"), problems=True)  # an empty picture, not an error


def test_bad_filters_and_sessions_are_one_line_errors():
    trace = example("restore_then_init")
    with pytest.raises(UnknownVariable, match="did you mean dense/kernel"):
        to_dot(trace, variables=("dense/kernl",))
    with pytest.raises(TftraceError, match="in scope 'conv'; its top-level scopes: dense"):
        to_dot(trace, scopes=("conv",))
    with pytest.raises(UnknownSession, match=r"no session 9 in the trace \(sessions: 1, 2\)"):
        to_dot(trace, session=9)
    with pytest.raises(TftraceError, match="--session takes a number or 'all'"):
        to_dot(trace, session="last")
    with pytest.raises(TftraceError, match="--max-nodes must be at least 1"):
        to_dot(trace, max_nodes=0)
    with pytest.raises(TftraceError, match="--rankdir must be LR or TB"):
        to_dot(trace, rankdir="RL")


def test_rankdir_tb_uses_south_ports():
    source = to_dot(example("restore_then_init"), rankdir="TB")
    assert "rankdir=TB" in source and "c1:k1:s -> v1" in source


# --- collapsing large graphs ---------------------------------------------------------------

def big_trace(tmp_path: Path, layers: int = 8, per_layer: int = 12) -> Trace:
    names = [f"conv{i}/w{j}" for i in range(1, layers + 1) for j in range(per_layer)]
    restored = [n for n in names if not n.startswith(f"conv{layers}/")]
    return write_trace(tmp_path / "big.jsonl", [
        SessionRecord(session=1, graph=1, location="train.py:1"),
        *[VariableRecord(graph=1, name=n, shape=(3, 3), collections=("variables",))
          for n in names],
        CheckpointRecord(path="vgg16.ckpt", keys={n: ((3, 3), "float32") for n in names}),
        RunRecord(session=1, run=1, location="train.py:2",
                  writes=tuple(Write(n, "initializer") for n in names)),
        RunRecord(session=1, run=2, location="train.py:3", writes=tuple(
            Write(n, "restore", checkpoint="vgg16.ckpt", key=n) for n in restored)),
        StreakRecord(session=1, streak=1, first_run=3, last_run=12, count=10,
                     location="train.py:4",
                     writes=tuple(Write(n, "update") for n in names if n.startswith("conv8/"))),
    ])


def test_beyond_max_nodes_variables_sharing_scope_and_history_collapse(tmp_path):
    trace = big_trace(tmp_path)
    diagram = build_diagram(trace, DiagramOptions(max_nodes=20))
    assert [v.title for v in diagram.variables] == [
        f"conv{i}/* — 12 variables" for i in range(1, 9)]
    conv3 = diagram.variables[2]
    assert conv3.origin == "restore · run 2" and conv3.collapsed
    assert [r.text for r in diagram.checkpoints[0].rows][:2] == ["conv1/* (12 keys)",
                                                               "conv2/* (12 keys)"]
    assert diagram.notes == ("96 variables that share scope and history are drawn as 8 "
                             "nodes (more than --max-nodes 20); --scope or --var shows them "
                             "one by one",)
    source = to_dot(trace, max_nodes=20)
    assert "conv3/* — 12 variables" in source and "restore · run 2" in source


def test_collapsing_cuts_scopes_until_the_nodes_fit(tmp_path):
    trace = big_trace(tmp_path)
    diagram = build_diagram(trace, DiagramOptions(max_nodes=5))
    # two histories (restored; initialized and trained): one box each at the top scope
    assert [v.title for v in diagram.variables] == ["* — 84 variables", "* — 12 variables"]


def test_no_collapse_up_to_max_nodes(tmp_path):
    diagram = build_diagram(big_trace(tmp_path), DiagramOptions(max_nodes=96))
    assert len(diagram.variables) == 96 and not diagram.notes


def test_problem_variables_never_collapse_with_clean_ones(tmp_path, monkeypatch):
    trace = big_trace(tmp_path)
    finding = Diagnostic(rule="non-finite-value", severity="error",
                         variables=("conv3/w5",), message="conv3/w5 is NaN", hint="",
                         session=1, run=2)
    monkeypatch.setattr(Trace, "diagnostics", lambda self, min_severity="info": [finding])
    diagram = build_diagram(trace, DiagramOptions(max_nodes=20))
    titles = [v.title for v in diagram.variables]
    assert "conv3/w5" in titles and "conv3/* — 11 variables" in titles
    assert diagram.findings == (finding,)


def feed_trace(tmp_path: Path, variables: int, runs: int, scopes: int = 5) -> Trace:
    """``variables`` variables in ``scopes`` scopes, one initializer run, then ``runs``
    runs that each assign one variable from a feed: no two share a history."""
    names = [f"layer{i * scopes // variables}/v{i}" for i in range(variables)]
    records: list = [SessionRecord(session=1, graph=1, location="feed.py:1"),
                     *[VariableRecord(graph=1, name=n, shape=(2,)) for n in names],
                     RunRecord(session=1, run=1, location="feed.py:2",
                               writes=tuple(Write(n, "initializer") for n in names))]
    records += [RunRecord(session=1, run=run, location="feed.py:3",
                          writes=(Write(names[run % variables], "assign",
                                        sources=("<feed>",)),))
                for run in range(2, runs + 2)]
    return write_trace(tmp_path / "feed.jsonl", records)


def test_variables_without_a_shared_history_are_summarized_by_scope(tmp_path):
    diagram = build_diagram(feed_trace(tmp_path, 500, 500), DiagramOptions())
    assert [v.title for v in diagram.variables] == [
        f"layer{i}/ — 100 variables" for i in range(5)]
    assert diagram.variables[0].summary == ("100 assigned (fed)",)
    assert len(diagram.runs) == 5 and len(diagram.links) == 5
    assert diagram.notes == ("500 variables that do not share a history are summarized by "
                             "scope in 5 boxes (more than --max-nodes 60); --scope or --var "
                             "shows them one by one",)
    source = to_dot(feed_trace(tmp_path, 500, 500))
    assert "layer2/ — 100 variables" in source and "100 runs, 200-299" in source


def test_summaries_count_origins_per_checkpoint_and_kind(tmp_path):
    names = [f"encoder/v{i}" for i in range(70)]
    trace = write_trace(tmp_path / "t.jsonl", [
        SessionRecord(session=1, graph=1),
        *[VariableRecord(graph=1, name=n, shape=(2,)) for n in names],
        RunRecord(session=1, run=1, writes=tuple(Write(n, "initializer") for n in names)),
        *[RunRecord(session=1, run=2 + i, writes=(
            Write(n, "restore", checkpoint="ckpt/model.ckpt", key=n),))
          for i, n in enumerate(names[:66])],
    ])
    (box,) = build_diagram(trace, DiagramOptions(max_nodes=10)).variables
    assert box.title == "encoder/ — 70 variables"
    assert box.summary == ("66 restored from ckpt/model.ckpt", "4 initialized")
    assert box.origin_kind == "restore"


def test_when_even_top_scopes_are_too_many_the_smallest_are_lumped(tmp_path):
    diagram = build_diagram(feed_trace(tmp_path, 200, 200, scopes=40),
                            DiagramOptions(max_nodes=10))
    titles = [v.title for v in diagram.variables]
    assert len(titles) == 10
    assert titles[:9] == [f"layer{i}/ — 5 variables" for i in range(9)]
    assert titles[9] == "31 more scopes — 155 variables"


def test_a_long_history_draws_its_last_writes_and_one_earlier_box(tmp_path):
    diagram = build_diagram(feed_trace(tmp_path, 3, 300), DiagramOptions())
    assert len(diagram.variables) == 3
    earlier = [r for r in diagram.runs if r.kind == "earlier"]
    assert len(earlier) == 3 and all(r.distinct == 96 for r in earlier)
    assert len(diagram.runs) == 3 * 6  # 5 drawn writes + 1 earlier box per variable
    assert "96 earlier writes" in to_dot(feed_trace(tmp_path, 3, 300))


def test_nodes_and_edges_are_capped_strictly(tmp_path):
    # 40 variables each assigned from all the others: 40 * 39 "value from" edges.
    names = [f"v{i}" for i in range(40)]
    trace = write_trace(tmp_path / "t.jsonl", [
        SessionRecord(session=1, graph=1),
        *[VariableRecord(graph=1, name=n, shape=(2,)) for n in names],
        RunRecord(session=1, run=1, writes=tuple(
            Write(n, "assign", sources=tuple(m for m in names if m != n)) for n in names)),
    ])
    diagram = build_diagram(trace, DiagramOptions(max_nodes=40))
    assert len(diagram.links) == 4 * 40 + 40
    assert diagram.notes[-1] == ("1400 of 1600 edges are not drawn (at most 200; current "
                                 "origins and failures first)")
    assert sum(1 for link in diagram.links if link.status == "current") == 40
    # every box left has an edge: nodes are bounded by the variables plus the edges
    linked = {end for link in diagram.links for end in (link.source, link.target)}
    assert {r.id for r in diagram.runs} <= linked


@pytest.mark.dot
def test_a_big_feed_trace_renders_a_readable_png(tmp_path):
    out = tmp_path / "feed.png"
    render_file(feed_trace(tmp_path, 500, 500), str(out))
    data = out.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert width < 2000 and height < 2000, (width, height)


# --- diagnostics on the variables they name ------------------------------------------------

def test_diagnostics_are_drawn_on_the_variables_they_name(tmp_path, monkeypatch):
    trace = write_trace(tmp_path / "t.jsonl", [
        SessionRecord(session=1, graph=1),
        VariableRecord(graph=1, name="a"), VariableRecord(graph=1, name="b"),
        VariableRecord(graph=1, name="c"),
        RunRecord(session=1, run=1, writes=(Write("a", "initializer"),
                                            Write("b", "initializer"),
                                            Write("c", "initializer")))])
    findings = [
        Diagnostic(rule="made-up-error", severity="error", variables=("a",),
                   message="a <is> \"broken\"", hint="", session=1, run=1, location="x.py:1"),
        Diagnostic(rule="made-up-warning", severity="warning", variables=("a", "b"),
                   message="careful", hint="", session=1),
        Diagnostic(rule="made-up-info", severity="info", variables=("c",),
                   message="fyi", hint="", session=1)]
    monkeypatch.setattr(Trace, "diagnostics", lambda self, min_severity="info": findings)
    diagram = build_diagram(trace)
    assert [v.severity for v in diagram.variables] == ["error", "warning", None]
    assert diagram.findings == tuple(findings[:2]) and diagram.info_findings == 1
    source = to_dot(trace)
    a, b, c = (line for line in source.splitlines() if line.strip().startswith("v"))
    assert "✗ made-up-error" in a and "⚠ made-up-warning" in a
    assert 'color="#c62828", penwidth=3' in a and 'color="#e65100", penwidth=3' in b
    assert "made-up" not in c.split("tooltip=")[0] and "penwidth=3" not in c
    assert "a &lt;is&gt; &quot;broken&quot;" in source  # the message, escaped, in the title
    assert "+ 1 info finding: see tftrace check" in source
    problems = build_diagram(trace, DiagramOptions(problems=True))
    assert [v.names[0] for v in problems.variables] == ["a", "b"]


# --- escaping ------------------------------------------------------------------------------

EVIL = ['x"];evil[label="pwn', "back\\slash\\N\\G\\", "<b>bold</b>&amp;", "two\nlines",
        "]]> } { -> ;", "tab\there\x1b[31m"]


def evil_trace(tmp_path: Path) -> Trace:
    checkpoint = '/tmp/"quoted"/<dir>/model\\N.ckpt'
    return write_trace(tmp_path / "evil.jsonl", [
        SessionRecord(session=1, graph=1, kind='Sess"ion', location='"x".py:1'),
        *[VariableRecord(graph=1, name=n, dtype='float"32', location="<m>.py:2")
          for n in EVIL],
        CheckpointRecord(path=checkpoint, keys={f"key {n}": ((2,), "float32") for n in EVIL}),
        RunRecord(session=1, run=1, location="a\\b.py:3",
                  writes=tuple(Write(n, "initializer") for n in EVIL)),
        RunRecord(session=1, run=2, location="run<2>.py:4", writes=tuple(
            Write(n, "restore", checkpoint=checkpoint, key=f"key {n}") for n in EVIL)),
        RunRecord(session=1, run=3, location="s.py:5",
                  save=SaveInfo(path=checkpoint, keys={f"key {n}": n for n in EVIL})),
    ], Header(script='evil".py<script>', cwd="/tmp"))


def test_every_name_stays_a_label(tmp_path):
    source = to_dot(evil_trace(tmp_path))
    ids = node_ids(source)
    assert ids <= {f"{p}{n}" for p in "cvr" for n in range(1, 20)}, ids
    assert len([i for i in ids if i.startswith("v")]) == len(EVIL)
    texts = "\n".join(graphviz_text(t) for t in label_texts(source))  # well-formed XML
    for name in EVIL:
        shown = tftrace.model.display.printable(name)
        assert shown in texts, shown
        assert f"key {shown}" in texts
    assert '"quoted"/<dir>/model\\N.ckpt' in texts  # relative to the traced cwd, /tmp
    assert 'evil".py<script> — session 1 of 1' in texts
    assert "\x1b" not in source and "\t" not in source


def test_tooltips_are_escaped_quoted_strings(tmp_path):
    source = to_dot(evil_trace(tmp_path))
    strings = [value for kind, value in dot_tokens(source) if kind == "string"]
    tooltip = next(s for s in strings if s.startswith('x"];evil'))
    assert tooltip.split("\\n")[0] == 'x"];evil[label="pwn'


@pytest.mark.dot
def test_hostile_names_render_literally(tmp_path):
    out = tmp_path / "evil.svg"
    render_file(evil_trace(tmp_path), str(out))
    root = ET.parse(out).getroot()
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    shown = [tftrace.model.display.printable(name) for name in EVIL]
    for name in shown:
        assert name in texts, name  # each name is exactly one text line of its box
    assert 'x"];evil[label="pwn' in texts
    # no node was injected: one <g class="node"> per box
    nodes = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
             if g.get("class") == "node"]
    assert len(nodes) == len(EVIL) + 1  # the variables and the checkpoint


def test_html_text_escapes_everything():
    from tftrace.views.dot.escape import html_text, quoted, shorten

    assert html_text("<a href='x'>&\\N</a>\n") == (
        "&lt;a href=&#x27;x&#x27;&gt;&amp;\\\\N&lt;/a&gt;\\\\n")
    assert quoted('say "hi" \\ \n') == '"say \\"hi\\" \\\\ \\\\n"'
    assert shorten("/a/very/long/path/to/some/model.ckpt", 20) == ".../some/model.ckpt"
    assert shorten("short", 20) == "short"


# --- small helpers -------------------------------------------------------------------------

def test_key_pattern():
    assert key_pattern(["conv3/w"]) == "conv3/w"
    assert key_pattern(["conv3/a/w", "conv3/b/w"]) == "conv3/* (2 keys)"
    assert key_pattern(["a", "b"]) == "* (2 keys)"


def test_natural_order():
    assert sorted(["b10", "b2", "a", "b1"], key=natural_key) == ["a", "b1", "b2", "b10"]


def test_graphviz_is_not_imported_to_read_or_build_dot():
    code = ("import sys, tftrace, tftrace.model, tftrace.cli\n"
            "t = tftrace.load('examples/traces/restore_then_init.json')\n"
            "t.to_dot()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'graphviz'))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_value_summaries_in_tooltips(tmp_path):
    value = ValueSummary(digest="abcdef0123", dtype="float32", shape=(2,), min=0.0, max=1.0,
                         mean=0.5, std=0.5, values=[0.0, 1.0], has_values=True)
    trace = write_trace(tmp_path / "t.jsonl", [
        SessionRecord(session=1, graph=1),
        VariableRecord(graph=1, name="w", shape=(2,), location="m.py:3",
                       initializer=InitializerInfo(op="w/Assign")),
        RunRecord(session=1, run=1, location="t.py:9", writes=(Write("w", "initializer"),),
                  values={"w": value})])
    [box] = build_diagram(trace).variables
    assert box.details == ("w", "float32 [2]", "created at m.py:3",
                           "origin: initializer · run 1", "value: float32 [2] = [0, 1]  #abcdef01",
                           "  initializer · run 1 at t.py:9")


def test_failed_runs_without_checkpoint_get_their_own_box(tmp_path):
    trace = write_trace(tmp_path / "t.jsonl", [
        SessionRecord(session=1, graph=1),
        VariableRecord(graph=1, name="w"),
        RunRecord(session=1, run=1, location="t.py:2", writes=(Write("w", "initializer"),),
                  error=RunError(type="ResourceExhaustedError", message="oom"))])
    diagram = build_diagram(trace)
    [run] = diagram.runs
    assert (run.kind, run.error) == ("failed", "ResourceExhaustedError")
    [link] = diagram.links
    assert link.label == "initializer failed · run 1 (ResourceExhaustedError)"
    assert html.escape("run 1 failed") in to_dot(trace)


@pytest.mark.parametrize("module", ["tftrace.views.dot", "tftrace.views.dot.escape"])
def test_docstring_examples(module, monkeypatch):
    import doctest
    import importlib

    monkeypatch.chdir(ROOT)
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
