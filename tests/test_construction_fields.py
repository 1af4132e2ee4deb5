"""The optional construction-time fields of the trace format: written only when set, read
back as written, and old traces without them stay valid (docs/trace-format.md)."""
from __future__ import annotations

from tftrace.tracefile import GraphGrowth, InitializerInfo, SessionEnd, VariableRecord


def test_optional_fields_round_trip_and_are_omitted_when_unset():
    record = VariableRecord(graph=1, name="counter_1", requested="counter",
                            ignored_name_scope="block", update_ops=("bn/AssignMovingAvg",),
                            initializer=InitializerInfo(op="counter_1/Assign",
                                                        location="train.py:9", key="k"))
    d = record.to_json()
    assert d["requested"] == "counter" and d["update_ops"] == ["bn/AssignMovingAvg"]
    assert VariableRecord.from_json(d) == record
    plain = VariableRecord(graph=1, name="w").to_json()
    assert not {"requested", "ignored_name_scope", "update_ops"} & set(plain)
    assert "location" not in InitializerInfo(op="w/Assign").to_json()


def test_graph_growth_round_trips_in_session_end():
    end = SessionEnd(session=1, runs=10, graph_growth=(
        GraphGrowth(location="train.py:57", runs=8, ops=24, first_run=3),))
    assert SessionEnd.from_json(end.to_json()) == end
    assert "graph_growth" not in SessionEnd(session=1, runs=3).to_json()
