"""Streaks in the model: interleaved streaks of a variable are one event in every view
(issue 10 item 5). Reads a hand-written trace; no TensorFlow."""
from __future__ import annotations

import os

import tftrace

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
TRACE = os.path.join(DATA, "interleaved_streaks.jsonl")


def test_interleaved_streaks_are_one_event_with_the_latest_value():
    trace = tftrace.load(TRACE)
    events = trace.events("w")
    assert [(e.kind, e.runs, e.count) for e in events] == [
        ("initializer", "1", 1), ("update", "8-309", 150)]
    assert events[-1].value.digest == "w309"
    assert trace.updates_since_origin("w") == 150
    # the run index agrees: the merged event sits under its first run, once
    assert [e.runs for e in trace.index.events_of_run[(1, 8)]] == ["8-309"]
    assert (1, 11) not in trace.index.events_of_run or \
        not trace.index.events_of_run[(1, 11)]


def test_streaks_one_after_the_other_stay_apart():
    events = tftrace.load(TRACE).events("v")
    assert [(e.kind, e.runs, e.count) for e in events] == [
        ("initializer", "1", 1), ("update", "310-319", 10), ("update", "321-330", 10)]


def test_explain_shows_one_row_for_the_interleaved_streaks(capsys):
    from tftrace.cli import main

    assert main(["explain", TRACE, "w"]) == 0
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if "update" in line and "8-309" in line]
    assert len(rows) == 1 and "150" in rows[0]
    assert "11-309" not in text and "8-207" not in text
