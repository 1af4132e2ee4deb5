"""The text form of `explain`: the verdict line people read first, the timeline, escaping."""
from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

import tftrace
from tftrace.model import Event, Explanation, Origin
from tftrace.model.display import format_summary, printable
from tftrace.tracefile import RunError, RunRecord, ValueSummary, VariableRecord, Write
from tftrace.views.text import explain_text, timeline_table, verdict

DATA = Path(__file__).parent / "data"


def verdict_of(trace: str, variable: str, session: int | None = None) -> str:
    return verdict(tftrace.load(DATA / trace).explain(variable, session))


@pytest.mark.parametrize("trace, variable, session, expected", [
    ("restore_then_init.jsonl", "dense/kernel", None,
     "dense/kernel: restored from /tmp/model.ckpt key dense/kernel at train.py:42, "
     "then overwritten by the initializer at train.py:44"),
    ("init_then_restore.jsonl", "w", None,
     "w: restored from /tmp/pretrained/model key w at finetune.py:23"),
    ("var_list_mapping.jsonl", "d", None, "d: restored from /tmp/ckpt/model key a at map.py:22"),
    ("var_list_mapping.jsonl", "a", None, "a: initialized by its initializer at map.py:21"),
    ("restore_then_train.jsonl", "global_step", None,
     "global_step: initialized by its initializer at train.py:40, then 100 training updates"),
    ("restore_then_train.jsonl", "dense/kernel", None,
     "dense/kernel: restored from /tmp/ckpt/model key dense/kernel at train.py:41, then 100 "
     "training updates; its last recorded value has 1 NaN and 1 Inf"),
    ("reinit.jsonl", "step", None,
     "step: reset by its initializer at counter.py:16, discarding 3 updates"),
    ("uninitialized.jsonl", "v", None, "v: never initialized in session 2"),
    ("uninitialized.jsonl", "v", 1, "v: initialized by its initializer at two.py:11"),
    ("assign.jsonl", "c", None, "c: assigned from a, b at x.py:5"),
    ("assign.jsonl", "f", None, "f: assigned a fed value at x.py:6"),
    ("assign.jsonl", "e", None, "e: assigned a constant at x.py:7"),
    ("save_then_restore.jsonl", "w", 1,
     "w: initialized by its initializer at resume.py:21, then 10 training updates"),
    ("save_then_restore.jsonl", "w_copy", None,
     "w_copy: assigned from w at resume.py:44; the assign at resume.py:46 failed "
     "(InvalidArgumentError)"),
])
def test_verdicts(trace, variable, session, expected):
    assert verdict_of(trace, variable, session) == expected


def event(kind: str, run: int, **fields) -> Event:
    return Event("v", kind, session=1, run=run, location=f"x.py:{run}", **fields)


def explanation_of(*events: Event) -> Explanation:
    origin = next((e for e in reversed(events) if e.is_origin), None)
    updates = sum(e.count for e in events[events.index(origin) + 1:] if e.kind == "update") \
        if origin else sum(e.count for e in events)
    return Explanation("v", 1, Origin("v", 1, origin), updates, events,
                       VariableRecord(graph=1, name="v"))


def test_verdict_restore_overwritten_by_an_assign():
    got = verdict(explanation_of(event("restore", 1, checkpoint="ck", key="v"),
                                 event("assign", 2, sources=("u", "<feed>"))))
    assert got == ("v: restored from ck key v at x.py:1, then overwritten by an assign "
                   "from u and a fed value at x.py:2")


def test_verdict_initializer_then_restore_is_not_a_clobber():
    got = verdict(explanation_of(event("initializer", 1),
                                 event("restore", 2, checkpoint="ck", key="v"),
                                 event("update", 3, count=5, last_run=7)))
    assert got == "v: restored from ck key v at x.py:2, then 5 training updates"


def test_verdict_reset_after_an_assign_and_one_update():
    got = verdict(explanation_of(event("initializer", 1), event("assign", 2),
                                 event("update", 3), event("initializer", 4)))
    assert got == ("v: reset by its initializer at x.py:4, discarding an assigned value "
                   "and 1 update")


def test_verdict_initializer_run_twice_in_a_row_is_no_reset():
    got = verdict(explanation_of(event("initializer", 1), event("initializer", 2)))
    assert got == "v: initialized by its initializer at x.py:2"


def test_verdict_init_from_checkpoint_recorded_as_an_initializer_names_the_checkpoint():
    got = verdict(explanation_of(event("initializer", 1, checkpoint="ck", key="enc/w")))
    assert got == "v: initialized from ck key enc/w by its initializer at x.py:1"


def test_verdict_names_a_failed_restore_that_left_the_variable_uninitialized():
    failed = RunRecord(session=1, run=2, location="x.py:9", writes=(
        Write("u", "restore"), Write("v", "restore", checkpoint="ck", key="v")),
        error=RunError(type="NotFoundError", message="Key v not found in checkpoint"))
    x = replace(explanation_of(), failed=(failed,))
    assert verdict(x) == ("v: never initialized in session 1; the restore at x.py:9 failed "
                          "(NotFoundError)")
    assert "  run 2 at x.py:9: restore (NotFoundError)" in explain_text(x).splitlines()


def test_verdict_ignores_a_failure_before_the_origin():
    failed = RunRecord(session=1, run=1, writes=(Write("v", "restore"),),
                       error=RunError(type="NotFoundError", message=""))
    x = replace(explanation_of(event("initializer", 2)), failed=(failed,))
    assert verdict(x) == "v: initialized by its initializer at x.py:2"


def test_verdict_without_location_names_the_run():
    got = verdict(explanation_of(Event("v", "initializer", session=1, run=3)))
    assert got == "v: initialized by its initializer in run 3"


def test_verdict_updates_without_origin():
    got = verdict(explanation_of(event("update", 1, count=4, last_run=4)))
    assert got == "v: never initialized in session 1 (4 update runs recorded without an origin)"


def test_text_has_verdict_declaration_and_timeline():
    text = explain_text(tftrace.load(DATA / "restore_then_train.jsonl").explain("dense/kernel"))
    lines = text.splitlines()
    assert lines[0].startswith("dense/kernel: restored from")
    assert "declared: float32 [2, 2], created at model.py:12" in text
    header = next(line for line in lines if line.strip().startswith("kind"))
    assert header.split() == ["kind", "run", "count", "location", "source", "value"]
    streak = next(line for line in lines if line.strip().startswith("update"))
    assert streak.split()[:4] == ["update", "3-102", "100", "train.py:50"]
    assert "[[1, nan], [inf, -2]]" in streak and "1 NaN 1 Inf" in streak
    assert "#05050505" in streak  # the digest, shortened


def test_timeline_columns_line_up():
    rows = timeline_table([event("initializer", 1), event("update", 2, count=100,
                                                          last_run=101)])
    starts = [row.index("x.py") for row in rows[1:]]
    assert len(set(starts)) == 1 and rows[0].index("location") == starts[0]


def test_summary_formats():
    large = ValueSummary(digest="abcdef0123", dtype="float32", shape=(784, 10), min=-0.1234,
                         max=0.5, mean=0.00012345)
    assert format_summary(large) == (
        "float32 [784, 10] min -0.123 max 0.5 mean 0.000123  #abcdef01")
    assert format_summary(None) == "(value not read)"
    unknown = ValueSummary(digest="", dtype="string", shape=None)
    assert format_summary(unknown) == "string ?"
    step = ValueSummary(digest="", dtype="int64", shape=(), min=123456, max=123456,
                        mean=123456.0, values=123456, has_values=True)
    assert format_summary(step) == "int64 scalar = 123456"  # integers are never rounded


def test_printable_escapes_only_what_is_invisible():
    assert printable("dense/kernel [ä] \"q\" <b>") == "dense/kernel [ä] \"q\" <b>"
    assert printable("a\x1b[2Jb\r\n\x07\u202e\x7f") == "a\\x1b[2Jb\\r\\n\\x07\\u202e\\x7f"


def test_text_output_holds_no_control_characters_from_a_hostile_trace():
    trace = tftrace.load(DATA / "hostile_names.jsonl")
    text = explain_text(trace.explain(trace.variable_names()[0]))
    for line in text.splitlines():
        bad = [ch for ch in line if unicodedata.category(ch) in ("Cc", "Cf")]
        assert not bad, line
    # shown literally, markup and quotes included
    assert text.startswith('[bold]x"<b>\\x1b[31m\\x07\\r\\n: restored from /tmp/\\x1b]0;pwned')
    assert "<script>alert(1)</script>[red]k\\x1b[1m" in text
