"""The TUI's logic without Textual: scopes, statuses, fuzzy search, call sites, cells."""
from __future__ import annotations

import doctest
import importlib
import os

import pytest
from rich.text import Text

from tftrace.model.diagnostics import Diagnostic
from tftrace.views.tui import cells
from tftrace.views.tui.fuzzy import fuzzy_match, search
from tftrace.views.tui.scopes import build_scopes, find_scope, leaf_name, scope_paths
from tftrace.views.tui.sources import find_file, read_excerpt, split_location
from tftrace.views.tui.status import Findings, variable_status


def diagnostic(rule, severity, variables, session=1):
    return Diagnostic(rule=rule, severity=severity, variables=tuple(variables),
                      message=f"{rule} message", hint="", session=session)


# --- scopes -------------------------------------------------------------------------------

def test_scopes_group_variables_and_count_them():
    top = build_scopes(["enc/dense/kernel", "enc/dense/bias", "enc/emb", "head/w", "step"])
    assert top.count == 5 and top.variables == ["step"]
    assert [s.path for s in top.walk()] == ["", "enc/", "enc/dense/", "head/"]
    assert find_scope(top, "enc/dense/").count == 2
    assert find_scope(top, "nope/") is None
    assert list(top.all_variables()) == ["enc/dense/bias", "enc/dense/kernel", "enc/emb",
                                         "head/w", "step"]


def test_scopes_sort_numbers_naturally_and_keep_odd_names():
    top = build_scopes([f"layer{i}/w" for i in (10, 2, 1)] + ["w/", "a//b"])
    assert [s.name for s in top.sorted_scopes()] == ["a", "layer1", "layer2", "layer10", "w"]
    assert leaf_name("w/") == "w/" and scope_paths("a//b") == ["a/", "a//"]
    assert find_scope(top, "a//").variables == ["a//b"]


def test_only_child_chain():
    top = build_scopes(["model/enc/w", "model/enc/b"])
    assert top.only_child().path == "model/"
    assert top.only_child().only_child().path == "model/enc/"


# --- statuses and findings ------------------------------------------------------------------

def test_variable_status_from_the_index(example):
    trace = example("restore_then_init")
    status = variable_status(trace, "dense/kernel", 2, None)
    assert (status.origin, status.updates, status.severity) == ("initializer", 0, None)
    assert variable_status(trace, "dense/kernel", 1, None).updates == 100


def test_init_from_checkpoint_counts_as_restored(example):
    trace = example("finetune_init_from_checkpoint")
    assert variable_status(trace, "encoder/w", 2, None).origin == "restore"
    assert variable_status(trace, "head/w", 2, None).origin == "initializer"


def test_findings_worst_severity_per_variable_and_scope():
    findings = Findings([diagnostic("a", "info", ["enc/w"]),
                         diagnostic("b", "error", ["enc/w", "head/b"]),
                         diagnostic("c", "warning", ["enc/v"]),
                         diagnostic("d", "error", ["enc/w"], session=2)])
    assert findings.severity(1, "enc/w") == "error"
    assert findings.severity(1, "enc/v") == "warning"
    assert findings.severity(1, "other") is None
    assert sorted(findings.problems(1)) == ["enc/v", "enc/w", "head/b"]
    assert findings.problems(1, "error") == ["enc/w", "head/b"]
    assert findings.scope(1, "enc/") == (2, "error")
    assert findings.scope(1, "") == (3, "error")
    assert findings.scope(2, "head/") == (0, None)
    assert findings.counts() == {"error": 2, "info": 1, "warning": 1}
    assert findings.counts(2) == {"error": 1}


# --- fuzzy search ------------------------------------------------------------------------

def test_fuzzy_prefers_whole_components_and_short_names():
    names = ["dense/kernel", "dense/kernel/Adam", "conv/kernel_1", "dense/bias"]
    # An exact last component first, then the name as a component of the last one.
    assert [n for n, _ in search("kernel", names)] == ["dense/kernel", "conv/kernel_1",
                                                       "dense/kernel/Adam"]
    assert [n for n, _ in search("dk", names)][0] == "dense/kernel"
    assert [n for n, _ in search("dense bias", names)] == ["dense/bias"]
    assert search("zz", names) == []
    assert [n for n, _ in search("", names)] == sorted(names)


def test_fuzzy_is_linear_on_repetitive_names():
    # Textual's matcher tries every alignment: exponential here.
    name = "a/" * 200 + "b"
    assert fuzzy_match("aaaaaaaaaaaaaaaaaaab", name) is not None
    assert fuzzy_match("A/A", "x/a/a/y")[1] == (2, 3, 4)


# --- call sites ----------------------------------------------------------------------------

def test_split_location():
    assert split_location("C:/x/y.py:12") == ("C:/x/y.py", 12)
    assert split_location("x.py:") is None and split_location("x.py:1e3") is None


def test_read_excerpt_around_a_line():
    excerpt = read_excerpt("examples/restore_then_init.py", 73, context=2)
    assert excerpt.first == 71 and len(excerpt.lines) == 5
    assert "global_variables_initializer" in excerpt.lines[2]
    assert read_excerpt("examples/restore_then_init.py", 100_000) is None
    assert read_excerpt("no/such/file.py", 1) is None


def test_find_file_refuses_non_regular_files(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert find_file(str(fifo), []) is None  # opening a FIFO would block
    assert find_file("pipe", [str(tmp_path)]) is None
    assert find_file("x\0y", ["."]) is None
    assert find_file("examples/restore_then_init.py", [None, "/nonexistent", "."]) \
        == "./examples/restore_then_init.py"


def test_excerpt_lines_are_printable_and_bounded(tmp_path):
    path = tmp_path / "evil.py"
    path.write_bytes(b"ok\n\x1b[31mred\ttab\n" + b"x" * 100_000 + b"\nlast\n")
    excerpt = read_excerpt(str(path), 2, context=2)
    assert excerpt.lines[1] == "\\x1b[31mred    tab"  # ESC escaped, tab expanded
    assert len(excerpt.lines[2]) < 500 and excerpt.lines[3] == "last"


# --- cells ----------------------------------------------------------------------------------

def test_timeline_of_a_clobbered_restore(example):
    rows = cells.timeline(example("restore_then_init"), "dense/kernel", 2)
    assert [(r.kind, r.session, r.runs, r.count, r.current) for r in rows] == [
        ("initializer", 1, "1", 1, False), ("update", 1, "2-101", 100, False),
        ("saved", 1, "103", 1, False), ("restore", 2, "1", 1, True),
        ("initializer", 2, "2", 1, True)]
    assert rows[2].value is not None and rows[2].value.digest == rows[3].value.digest
    assert rows[3].source == "ckpt/restore_then_init/model.ckpt key dense/kernel"


def test_timeline_shows_failed_writes(example):
    rows = cells.timeline(example("checkpoint_key_mismatch"), "enc/dense/kernel", 1)
    failed = [r for r in rows if r.kind.startswith("failed")]
    assert failed and failed[0].kind == "failed restore"
    assert failed[0].note == "NotFoundError"
    assert failed[0].source == "ckpt/checkpoint_key_mismatch/model.ckpt key enc/dense/kernel"


def test_shape_differing_from_the_declaration_is_flagged(example):
    trace = example("shape_mismatch")
    row = next(r for r in cells.timeline(trace, "dense/kernel", 2) if r.kind == "restore")
    value = row.cells(trace.variable("dense/kernel", 2).shape)[3]
    assert value.plain.startswith("[10, 4] ") and value.spans[0].style == "bold red"


def test_cells_are_literal_text(data):
    trace = data("hostile_names")
    name = trace.variable_names()[0]
    for row in cells.timeline(trace, name, 1):
        for cell in row.cells(None):
            assert isinstance(cell, Text)
            assert "\x1b" not in cell.plain and "\r" not in cell.plain
    label = cells.variable_label(name, variable_status(trace, name, 1, None))
    assert "[bold]x" in label.plain and "\x1b" not in label.plain


def test_run_rows_coalesce_streaks(example):
    rows = cells.run_rows(example("restore_then_init"), 1)
    assert [(r.runs, r.count) for r in rows] == [("1", 1), ("2-101", 100), ("103", 1)]
    assert rows[0].what().plain == "initializer 2"
    assert rows[2].what().plain == "save → ckpt/restore_then_init/model.ckpt"
    assert "update 2" in rows[1].what().plain


def test_clip_keeps_head_and_tail():
    rows, hidden = cells.clip(list(range(10)), limit=4, head=1)
    assert rows == [0, 7, 8, 9] and hidden == 6
    assert cells.clip([1, 2], 4, 1) == ([1, 2], 0)


@pytest.mark.parametrize("name", ["scopes", "fuzzy", "sources"])
def test_docstring_examples(name):
    module = importlib.import_module(f"tftrace.views.tui.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
