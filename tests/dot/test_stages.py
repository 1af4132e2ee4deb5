"""The diagram's stages, each on its own: select on committed traces, collapse on
hand-built facts, the checkpoint tables from hand-made key uses, the links of a session.
The goldens (tests/test_render.py) check the stages together."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import tftrace
from tftrace.errors import TftraceError
from tftrace.model.events import Event, Origin
from tftrace.model.history import history_of
from tftrace.tracefile import VariableRecord
from tftrace.views.dot.boxes import summary_box, variable_box
from tftrace.views.dot.checkpoints import (
    KeyUse,
    checkpoint_node,
    checkpoint_tables,
    row_port,
    spellings,
)
from tftrace.views.dot.collapse import Group, collapse, signature
from tftrace.views.dot.links import LinkContext, link_context, link_session
from tftrace.views.dot.parts import CURRENT, FAILED, OVERWRITTEN, DiagramOptions, Link
from tftrace.views.dot.select import Facts, normalizer, select

TRACES = Path(__file__).resolve().parents[2] / "examples" / "traces"


def load(name: str) -> tftrace.Trace:
    return tftrace.load(TRACES / f"{name}.json")


# --- select ---------------------------------------------------------------------------------

def test_select_takes_the_last_session_by_default_in_name_order():
    selection = select(load("restore_then_init"), DiagramOptions())
    [part] = selection.sessions
    assert (part.number, part.total) == (2, 2)
    assert part.names == ["dense/bias", "dense/kernel"]
    kernel = part.facts[1]
    assert [e.kind for e in kernel.events] == ["restore", "initializer"]
    assert kernel.history.origin().kind == "initializer"
    assert [d.rule for d in kernel.problems] == ["restore-overwritten"]
    assert kernel.dtype_shape.startswith("float32 [")
    assert selection.shown() == {(2, "dense/bias"), (2, "dense/kernel")}


def test_select_pulls_in_the_variable_a_value_was_initialized_from():
    trace = load("unexpected_sources")
    part, = select(trace, DiagramOptions(session=5, variables=("u",))).sessions
    assert part.names == ["u", "v"]
    assert part.facts[0].initial_sources == ("v",)
    part, = select(trace, DiagramOptions(session=5, variables=("v",))).sessions
    assert part.names == ["v"]  # lineage runs from the value to its sources only


def test_select_problems_keeps_only_variables_a_warning_or_error_names():
    part, = select(load("saver_too_early"),
                   DiagramOptions(problems=True)).sessions
    # linear/w and linear/b have only an info finding (restored-partially)
    assert part.names == ["beta1_power", "beta2_power", "global_step", "linear/b/Adam",
                          "linear/b/Adam_1", "linear/w/Adam", "linear/w/Adam_1"]
    assert part.total == 9


def test_select_filters_that_match_nothing_are_one_line_errors():
    trace = load("checkpoint_key_mismatch")
    with pytest.raises(TftraceError, match=r"no variable of session 2 is in scope "
                                           r"'encoder'; its top-level scopes: classifier, enc"):
        select(trace, DiagramOptions(scopes=("encoder",)))
    with pytest.raises(TftraceError, match=r"session 2 has no variable 'encoder/dense/bias' "
                                           r"\(it is in session 1\)"):
        select(trace, DiagramOptions(variables=("encoder/dense/bias",)))
    # with every session drawn, a variable of one session only is fine
    selection = select(trace, DiagramOptions(session="all", scopes=("encoder",)))
    assert [p.names for p in selection.sessions] == [
        ["encoder/dense/bias", "encoder/dense/kernel"], []]


def test_select_marks_missing_keys_shape_mismatches_and_non_finite_saves():
    part, = select(load("checkpoint_key_mismatch"), DiagramOptions()).sessions
    marks = {f.name: (f.failures[0].kind, f.failure_marks) for f in part.facts}
    assert marks["enc/dense/kernel"] == ("restore", ("missing",))
    assert marks["classifier/kernel"] == ("restore", (None,))
    part, = select(load("shape_mismatch"), DiagramOptions()).sessions
    assert part.facts[1].event_marks == (None, "[10, 4] ≠ declared [12, 4]")
    assert part.facts[0].event_marks == (None, None)
    part, = select(load("nan_divergence"), DiagramOptions()).sessions
    assert part.facts[1].save_marks == (None, None, "saved with 3 NaN", "saved with 3 NaN")


def test_selection_is_immutable():
    selection = select(load("restore_then_init"), DiagramOptions())
    with pytest.raises(dataclasses.FrozenInstanceError):
        selection.sessions[0].facts[0].name = "other"  # type: ignore[misc]


# --- collapse -------------------------------------------------------------------------------

def facts(name: str, *kinds: str, checkpoint: str | None = None) -> Facts:
    """A variable of session 1 written by ``kinds`` in runs 1, 2, ..."""
    events = [Event(name, kind, session=1, run=run,
                    checkpoint=checkpoint if kind == "restore" else None,
                    key=name if kind == "restore" else None)
              for run, kind in enumerate(kinds, 1)]
    return Facts(name=name, record=VariableRecord(graph=1, name=name, shape=(2,)),
                 history=history_of(name, 1, events),
                 event_marks=(None,) * len(events))


def names(groups: list[Group]) -> list[tuple[str, list[str], bool]]:
    return [(g.scope, [m.name for m in g.members], g.summary) for g in groups]


def test_collapse_gives_every_variable_its_node_up_to_max_nodes():
    given = [facts("a/x", "initializer"), facts("a/y", "initializer"), facts("b", "assign")]
    assert names(collapse(given, 3)) == [("a", ["a/x"], False), ("a", ["a/y"], False),
                                         ("", ["b"], False)]


def test_collapse_groups_variables_sharing_scope_and_history():
    given = [facts(f"enc/v{i}", "restore", "update", checkpoint="ck") for i in range(4)]
    given.append(facts("head/w", "initializer", "update"))
    assert names(collapse(given, 2)) == [
        ("enc", ["enc/v0", "enc/v1", "enc/v2", "enc/v3"], False), ("head", ["head/w"], False)]


def test_collapse_cuts_scopes_shorter_until_the_nodes_fit():
    given = [facts("a/b/x", "initializer"), facts("a/c/y", "initializer"),
             facts("a/c/z", "assign")]
    # a/b and a/c hold three nodes; cut to a, the two initialized share one
    assert names(collapse(given, 2)) == [("a", ["a/b/x", "a/c/y"], False),
                                         ("a/c", ["a/c/z"], False)]
    assert names(collapse(given, 1)) == [("a", ["a/b/x", "a/c/y", "a/c/z"], True)]


def test_collapse_summarizes_scopes_whose_variables_do_not_share_a_history():
    given = [facts(f"{scope}/{kind}", kind) for scope in ("p", "q", "r", "s")
             for kind in ("initializer", "assign")]
    given += [facts("p/extra", "restore", checkpoint="ck")]
    groups = collapse(given, 2)
    # the largest scope keeps its node; the three others go into one lump
    assert names(groups) == [
        ("p", ["p/initializer", "p/assign", "p/extra"], True),
        ("", ["q/initializer", "q/assign", "r/initializer", "r/assign", "s/initializer",
              "s/assign"], True)]
    assert groups[1].other_scopes == 3


def test_collapse_compares_checkpoints_through_the_normalizer():
    given = [facts("enc/a", "restore", checkpoint="./ck"),
             facts("enc/b", "restore", checkpoint="ck")]
    assert signature(given[0]) != signature(given[1])
    assert len(collapse(given, 1, norm=lambda p: p and p.lstrip("./"))) == 1
    assert [g.summary for g in collapse(given, 1)] == [True]


# --- checkpoint tables ----------------------------------------------------------------------

def test_checkpoint_tables_rows_marks_unused_keys_and_renamed_links():
    trace = load("checkpoint_key_mismatch")
    norm = normalizer(trace)
    raw = "ckpt/checkpoint_key_mismatch/model.ckpt"
    path = norm(raw)
    uses = [KeyUse(raw, ("enc/dense/bias", "enc/dense/kernel"), None, restore=(2, 4)),
            KeyUse(raw, ("enc/dense/kernel", "enc/dense/bias"), "missing", restore=(2, 2)),
            KeyUse("./" + raw, ("classifier/bias",), None, restore=(2, 3)),
            KeyUse(raw, ("enc/dense/bias", "enc/dense/kernel"), None, restore=(2, 5))]
    links = [Link(checkpoint_node(path), "v1", "restore", FAILED, "restore failed",
                  source_port=row_port(uses[1]), session=2),
             Link(checkpoint_node(path), "v2", "restore", FAILED, "restore failed",
                  source_port=row_port(uses[2]), session=2)]
    names = spellings(trace, [u.path for u in uses], norm)
    [box], renamed = checkpoint_tables(trace, uses, links, names, [2])
    assert box.id == "c1" and box.path == raw  # the shortest spelling, relative to cwd
    assert box.first_use == (2, 2)
    assert [(r.port, r.text, r.mark) for r in box.rows] == [
        ("k1", "classifier/bias", None),
        ("k2", "enc/dense/* (2 keys)", "missing"),  # the first mark given, not a later None
        (None, "classifier/kernel", "not used"),  # keys nobody used, for var_list
        (None, "encoder/dense/bias", "not used"),
        (None, "encoder/dense/kernel", "not used")]
    assert box.notes == ("saved by session 1, run 53 at "
                         "examples/checkpoint_key_mismatch.py:75",)
    assert [(lk.source, lk.source_port, lk.quiet) for lk in renamed] == [
        ("c1", "k2", False), ("c1", "k1", True)]  # one label per bundle


def test_checkpoint_tables_count_other_keys_and_skip_checkpoints_no_link_reaches():
    trace = load("checkpoint_key_mismatch")
    norm = normalizer(trace)
    raw = "ckpt/checkpoint_key_mismatch/model.ckpt"
    uses = [KeyUse(raw, ("classifier/bias",), None, restore=(1, 60))]
    link = Link(checkpoint_node(norm(raw)), "v1", "restore", CURRENT, "restore", session=1,
                source_port=row_port(uses[0]))
    names = spellings(trace, [raw], norm)
    [box], _ = checkpoint_tables(trace, uses, [link], names, [1])
    assert box.notes == ("+ 3 other keys",)  # saved by session 1: drawn, not noted
    assert checkpoint_tables(trace, uses, [], names, [1]) == ((), ())  # capped away


# --- boxes and links ------------------------------------------------------------------------

def test_link_session_numbers_run_boxes_from_the_first_id_given():
    trace = load("restore_then_init")
    selection = select(trace, DiagramOptions())
    part = selection.sessions[0]
    groups = collapse(part.facts, 1, normalizer(trace))
    [group] = groups
    context = link_context(trace, selection, normalizer(trace))
    links = link_session(2, groups, ["v7"], context, first_run_id=5)
    assert [(r.id, r.kind, r.run) for r in links.runs] == [("r5", "initializer", 2)]
    assert [(lk.source, lk.target, lk.status) for lk in links.links] == [
        (checkpoint_node(normalizer(trace)("ckpt/restore_then_init/model.ckpt")), "v7",
         OVERWRITTEN), ("r5", "v7", CURRENT)]
    assert [u.keys for u in links.uses] == [("dense/bias", "dense/kernel")]
    box = variable_box("v7", 2, group)
    assert (box.title, box.origin, box.replaced) == (
        "dense/* — 2 variables", "initializer · run 2", "restore · run 1")


def test_summary_box_names_checkpoints_as_the_tables_do():
    trace = load("saver_too_early")
    norm = normalizer(trace)
    part, = select(trace, DiagramOptions()).sessions
    group = Group("linear", tuple(f for f in part.facts if f.name.startswith("linear/")),
                  summary=True)
    raw = "ckpt/saver_too_early/model.ckpt-100"
    names = spellings(trace, [norm(raw), raw], norm)
    box = summary_box("v1", 2, group, names)
    assert box.summary[:2] == ("4 initialized", f"2 restored from {raw}")


def test_link_session_saves_last_read_back_and_cycle_breaking():
    w = dataclasses.replace(facts("w", "restore", "update", checkpoint="ck"),
                            saves=((3, "ck", "w"), (5, "ck", "w"), (7, "ck", "w"),
                                   (9, "other", "w")),
                            save_marks=(None, None, None, None))
    # run 4 restores from ck: after the save in run 3, before those in runs 5 and 7
    context = LinkContext(norm=lambda p: p, restored_from={1: frozenset({"ck"})},
                          read_back={"ck": ((1, 1), (1, 4))})
    links = link_session(1, [Group("", (w,))], ["v1"], context)
    saves = [(lk.label, lk.target, lk.constraint) for lk in links.links if lk.kind == "save"]
    assert saves == [
        ("save · run 3", checkpoint_node("ck"), False),  # read back: drawn, no cycle
        ("save · run 9", checkpoint_node("other"), True)]  # the last save
    assert links.hidden_saves == ((5, "ck"), (7, "ck"))


def test_summary_box_words_origins_as_every_view_does():
    # A remote session's variables with no write of their own: external, as explain says.
    given = [dataclasses.replace(facts(f"enc/v{i}", "update"),
                                 origin=Origin(f"enc/v{i}", 1, None, external=True))
             for i in range(3)] + [facts("enc/u")]
    trace = load("saver_too_early")
    names = spellings(trace, [], normalizer(trace))
    box = summary_box("v1", 1, Group("enc", tuple(given), summary=True), names)
    assert box.summary[:2] == ("3 from another process", "1 uninitialized")
    assert box.origin_kind == "external"


def test_summary_box_counts_what_origins_replaced_when_that_is_news():
    # A restore the initializer wrote over is news; an initializer a restore replaced
    # (every fine-tuning run's start) is not.
    given = [facts("enc/a", "restore", "initializer", checkpoint="ck"),
             facts("enc/b", "restore", "update", "initializer", checkpoint="ck"),
             facts("enc/c", "initializer", "restore", checkpoint="ck")]
    trace = load("saver_too_early")
    names = spellings(trace, ["ck"], normalizer(trace))
    box = summary_box("v1", 1, Group("enc", tuple(given), summary=True), names)
    assert [line for line in box.summary if "replaced" in line] == [
        "2 of them replaced a restore"]
