"""`explain`: the JSON shape of PRODUCT §5 field by field, and golden text/JSON output.

Golden files live in tests/golden/; regenerate them with ``TFTRACE_REGEN_GOLDEN=1`` and
review the diff like code. Hand-made traces hold no paths or times that vary, so nothing
needs normalizing.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import tftrace
from tftrace.views.text import explain_json, explain_text

DATA = Path(__file__).parent / "data"

EVENT_FIELDS = ["kind", "run", "count", "location", "checkpoint", "key", "value"]
VALUE_FIELDS = ["digest", "dtype", "shape", "min", "max", "mean", "std", "nan", "inf"]


def explained(trace: str, variable: str, session: int | None = None) -> dict:
    return tftrace.load(DATA / trace).explain(variable, session).to_json()


def test_json_has_exactly_the_product_fields():
    got = explained("restore_then_init.jsonl", "dense/kernel:0")
    # The PRODUCT §5 fields in their order, then the additions (verdict, findings).
    assert list(got) == ["variable", "session", "origin", "updates_since_origin", "events",
                         "verdict", "findings"]
    assert got["verdict"] == ("dense/kernel: restored from /tmp/model.ckpt key dense/kernel "
                              "at train.py:42, then overwritten by the initializer at "
                              "train.py:44")
    assert [(f["rule"], f["severity"], f["variables"]) for f in got["findings"]] == [
        ("restore-overwritten", "error", ["dense/bias", "dense/kernel"]),
        ("unseeded-random-init", "info", ["dense/kernel"])]
    assert got["variable"] == "dense/kernel"  # the trace's name, not the ":0" asked for
    assert got["session"] == 1
    assert got["origin"] == {"kind": "initializer", "checkpoint": None, "key": None, "run": 2,
                             "location": "train.py:44"}
    assert got["updates_since_origin"] == 0
    restore, init = got["events"]
    assert list(restore) == EVENT_FIELDS
    assert {k: restore[k] for k in EVENT_FIELDS[:-1]} == {
        "kind": "restore", "run": 1, "count": 1, "location": "train.py:42",
        "checkpoint": "/tmp/model.ckpt", "key": "dense/kernel"}
    assert list(restore["value"]) == VALUE_FIELDS + ["values"]
    assert restore["value"]["digest"] == "a1b2c3d4e5f60718"
    assert restore["value"]["shape"] == [4, 2]
    assert restore["value"]["values"][0] == [0.1, -0.8]
    assert init["kind"] == "initializer" and init["checkpoint"] is None


def test_json_origin_of_a_restore_names_checkpoint_and_key():
    got = explained("var_list_mapping.jsonl", "d")
    assert got["origin"] == {"kind": "restore", "checkpoint": "/tmp/ckpt/model", "key": "a",
                             "run": 2, "location": "map.py:22"}


def test_json_streak_is_one_event_with_its_count_and_non_finite_values_as_strings():
    got = explained("restore_then_train.jsonl", "dense/kernel")
    assert got["updates_since_origin"] == 100
    streak = got["events"][-1]
    assert (streak["kind"], streak["run"], streak["count"]) == ("update", 3, 100)
    assert streak["value"]["values"] == [[1.0, "nan"], ["inf", -2.0]]
    assert (streak["value"]["nan"], streak["value"]["inf"]) == (1, 1)
    # The scalar step counter: "values" is a number, not a list.
    assert explained("restore_then_train.jsonl", "global_step")["events"][-1]["value"][
        "values"] == 100


def test_json_value_is_null_when_not_read_and_values_absent_for_large_variables(tmp_path):
    from tftrace.tracefile import (Header, RunRecord, SessionRecord, TraceWriter, ValueSummary,
                                   Write)

    path = tmp_path / "t.jsonl"
    writer = TraceWriter(path, Header())
    big = ValueSummary(digest="d", dtype="float32", shape=(100,), min=0.0, max=1.0)
    for record in [SessionRecord(session=1, graph=1),
                   RunRecord(session=1, run=1, writes=(Write("a", "initializer"),
                                                       Write("b", "initializer")),
                             values={"b": big})]:
        writer.write(record.to_json())
    writer.close()
    trace = tftrace.load(path)
    assert trace.explain("a").to_json()["events"][0]["value"] is None
    assert list(trace.explain("b").to_json()["events"][0]["value"]) == VALUE_FIELDS


def test_json_uninitialized():
    got = explained("uninitialized.jsonl", "v")
    findings = got.pop("findings")
    assert got == {"variable": "v", "session": 2,
                   "origin": {"kind": "uninitialized", "checkpoint": None, "key": None,
                              "run": None, "location": None},
                   "updates_since_origin": 0, "events": [],
                   "verdict": "v: never initialized in session 2"}
    assert [f["rule"] for f in findings] == ["uninitialized-read"]


def test_json_output_is_valid_strict_json_and_escapes_control_characters():
    trace = tftrace.load(DATA / "hostile_names.jsonl")
    text = explain_json(trace.explain(trace.variable_names()[0]))
    assert "\x1b" not in text and "\r" not in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    text = explain_json(tftrace.load(DATA / "restore_then_train.jsonl").explain("dense/kernel"))
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))


# --- golden files -------------------------------------------------------------------------

GOLDEN_CASES = [
    ("restore_then_init.jsonl", "dense/kernel", None),
    ("init_then_restore.jsonl", "w", None),
    ("var_list_mapping.jsonl", "d", None),
    ("reinit.jsonl", "step", None),
    ("restore_then_train.jsonl", "dense/kernel", None),
    ("save_then_restore.jsonl", "w_copy", None),
    ("save_then_restore.jsonl", "w", 1),
    ("assign.jsonl", "c", None),
    ("uninitialized.jsonl", "v", None),
    ("hostile_names.jsonl", '[bold]x"<b>\x1b[31m\x07\r\n', None),
]


def golden_name(trace: str, variable: str, session: int | None) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in variable)
    suffix = f"--session{session}" if session is not None else ""
    return f"{trace.removesuffix('.jsonl')}--{safe}{suffix}"


@pytest.mark.parametrize("trace, variable, session", GOLDEN_CASES,
                         ids=[golden_name(*case) for case in GOLDEN_CASES])
def test_golden_text(trace, variable, session, golden):
    explanation = tftrace.load(DATA / trace).explain(variable, session)
    golden(golden_name(trace, variable, session) + ".txt", explain_text(explanation))


@pytest.mark.parametrize("trace, variable, session", GOLDEN_CASES,
                         ids=[golden_name(*case) for case in GOLDEN_CASES])
def test_golden_json(trace, variable, session, golden):
    explanation = tftrace.load(DATA / trace).explain(variable, session)
    golden(golden_name(trace, variable, session) + ".json", explain_json(explanation))
