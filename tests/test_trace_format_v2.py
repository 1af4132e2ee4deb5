"""Format version 2 (cluster fields) and what still reads version 1; trace path patterns.

No TensorFlow: the records, the committed cluster example traces and the pure parts of
``tftrace.recorder.cluster`` (TF_CONFIG, patterns) are plain Python.
"""
from __future__ import annotations

import json
import os

import pytest

import tftrace
from tftrace.errors import TraceFormatError
from tftrace.recorder import cluster
from tftrace.tracefile import (
    FORMAT_VERSION,
    ProcessRecord,
    SessionRecord,
    VariableRecord,
    read_trace,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
DISTRIBUTED = os.path.join(ROOT, "examples", "distributed", "traces")
SCENARIOS = ["clean", "wipe", "restore_wipe"]


def test_this_tftrace_writes_version_2():
    assert FORMAT_VERSION == 2


def test_a_version_1_trace_loads_with_the_new_fields_absent():
    raw = read_trace(os.path.join(DATA, "restore_then_init.jsonl"))
    assert raw.header.version == 1
    assert not [r for r in raw.records if isinstance(r, ProcessRecord)]
    (first, *_) = [r for r in raw.records if isinstance(r, SessionRecord)]
    assert (first.remote, first.devices) == (False, {})
    assert all(r.device is None for r in raw.records if isinstance(r, VariableRecord))
    explanation = tftrace.load(os.path.join(DATA, "restore_then_init.jsonl")).explain(
        "dense/kernel")
    assert explanation.to_json()["origin"]["kind"] == "initializer"


def test_process_records_round_trip_and_later_known_fields_win():
    first = ProcessRecord(host="node1", pid=42, job="worker", task=1,
                          cluster={"ps": ("h:1",), "worker": ("h:2", "h:3")},
                          sources=("server_def",), time=1.0)
    assert ProcessRecord.from_json(json.loads(json.dumps(first.to_json()))) == first
    later = ProcessRecord(host="node1", pid=42, is_chief=False,
                          sources=("MonitoredTrainingSession",), time=2.0)
    merged = first.updated(later)
    assert (merged.job, merged.task, merged.is_chief, merged.time) == ("worker", 1, False, 2.0)
    assert merged.cluster == first.cluster
    assert merged.sources == ("server_def", "MonitoredTrainingSession")


@pytest.mark.parametrize("record, message", [
    ({"type": "process", "task": "1"}, "process record field 'task' should be an integer"),
    ({"type": "process", "cluster": {"ps": "h:1"}}, "should be a list"),
    ({"type": "process", "cluster": {"ps": [1]}}, "should be a string"),
    ({"type": "session", "session": 1, "graph": 1, "devices": {"/job:ps": 7}},
     "should be a string"),
    ({"type": "session", "session": 1, "graph": 1, "remote": "yes"}, "should be true/false"),
])
def test_malformed_cluster_fields_are_one_line_errors(tmp_path, record, message):
    path = tmp_path / "bad.jsonl"
    header = {"format": "tftrace-trace", "version": 2}
    path.write_text(json.dumps(header) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(TraceFormatError, match=message):
        read_trace(path)


# --- the committed cluster examples (examples/distributed/) -------------------------------

def processes(path):
    merged = ProcessRecord()
    for record in read_trace(path).records:
        if isinstance(record, ProcessRecord):
            merged = merged.updated(record)
    return merged


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_example_cluster_traces_name_their_tasks_and_the_ps(scenario):
    directory = os.path.join(DISTRIBUTED, scenario)
    assert sorted(os.listdir(directory)) == ["ps0.json", "worker0.json", "worker1.json"]
    roles = {name: processes(os.path.join(directory, name))
             for name in ("ps0.json", "worker0.json", "worker1.json")}
    assert [(p.job, p.task) for p in roles.values()] == [("ps", 0), ("worker", 0), ("worker", 1)]
    assert roles["worker0.json"].is_chief is True
    spec = roles["ps0.json"].cluster
    assert all(p.cluster == spec for p in roles.values())
    incarnations = set()
    for name in ("worker0.json", "worker1.json"):
        raw = read_trace(os.path.join(directory, name))
        (session,) = [r for r in raw.records if isinstance(r, SessionRecord)]
        assert session.remote
        incarnations.add(session.devices["/job:ps/replica:0/task:0/device:CPU:0"])
        devices = {r.device for r in raw.records if isinstance(r, VariableRecord)}
        assert devices == {"/job:ps/task:0"}
        tftrace.load(os.path.join(directory, name))  # the model reads them as they are
    assert len(incarnations) == 1  # one ps served both workers


def test_the_clusters_of_different_scenarios_are_told_apart_by_incarnation():
    seen = set()
    for scenario in SCENARIOS:
        raw = read_trace(os.path.join(DISTRIBUTED, scenario, "worker0.json"))
        (session,) = [r for r in raw.records if isinstance(r, SessionRecord)]
        seen.add(session.devices["/job:ps/replica:0/task:0/device:CPU:0"])
    assert len(seen) == len(SCENARIOS)


# --- TF_CONFIG and trace path patterns ----------------------------------------------------

def test_tf_config_gives_job_task_cluster_and_the_chief_when_it_has_a_job():
    config = {"cluster": {"chief": ["h:0"], "worker": ["h:1", "h:2"], "ps": ["h:3"]},
              "task": {"type": "worker", "index": 1}}
    facts = cluster.tf_config_facts(json.dumps(config))
    assert facts == {"cluster": {"chief": ("h:0",), "worker": ("h:1", "h:2"), "ps": ("h:3",)},
                     "job": "worker", "task": 1, "is_chief": False}
    config["task"] = {"type": "chief", "index": 0}
    assert cluster.tf_config_facts(json.dumps(config))["is_chief"] is True
    del config["cluster"]["chief"]
    config["task"] = {"type": "worker", "index": 0}
    assert "is_chief" not in cluster.tf_config_facts(json.dumps(config))  # not said


@pytest.mark.parametrize("text", [None, "", "not json", "[1]", '{"task": {"index": -1}}',
                                  '{"cluster": 3, "task": "worker"}'])
def test_unusable_tf_config_says_nothing(text):
    assert cluster.tf_config_facts(text) == {}


def test_patterns_expand_known_placeholders_and_leave_other_braces_alone():
    known = ProcessRecord(host="node-1", pid=77, job="worker", task=2)
    assert cluster.expand("t/{job}{task}.json", known) == ("t/worker2.json", True)
    assert cluster.expand("t/{host}-{pid}-{x}.json", known) == ("t/node-1-77-{x}.json", True)
    unknown = ProcessRecord(host="node-1", pid=77)
    assert cluster.expand("t/{job}{task}.json", unknown) == ("t/local0.json", False)
    assert cluster.expand("t/{pid}.json", unknown) == ("t/77.json", True)
    assert not cluster.has_placeholders("t/{x}.json")


def test_a_job_or_host_name_cannot_leave_the_trace_directory():
    hostile = ProcessRecord(host="../../etc", pid=1, job="a/../../b", task=0)
    path, _ = cluster.expand("t/{host}/{job}{task}.json", hostile)
    parts = path.split("/")
    assert len(parts) == 3 and parts[0] == "t"
    assert all(".." not in part for part in parts)


@pytest.mark.parametrize("target, remote", [("", False), ("local", False),
                                            ("grpc://127.0.0.1:2222", True),
                                            ("grpc+verbs://h:1", True)])
def test_remote_targets(target, remote):
    assert cluster.is_remote(target) is remote


def global_steps(path):
    """(run, global_step) of every value of global_step the trace holds, in run order."""
    from tftrace.tracefile import RunRecord, StreakRecord

    out = []
    for record in read_trace(path).records:
        if isinstance(record, RunRecord) and "global_step" in record.values:
            out.append((record.run, record.values["global_step"].values))
        elif isinstance(record, StreakRecord):
            out += [(s.run, s.values["global_step"].values) for s in record.samples
                    if "global_step" in s.values]
    return [step for _, step in sorted(out)]


def test_the_committed_wipe_stories_are_the_ones_the_readme_tells():
    """What examples/distributed/README.md says, and the model half of issue 12 reads."""
    def steps(scenario, task):
        return global_steps(os.path.join(DISTRIBUTED, scenario, f"{task}.json"))

    # Values after: the initializer, the save when the session was created, the streak
    # samples at 1, 2, 4, 8 updates (and its end), the final save.
    assert steps("clean", "worker0") == [0, 0, 1, 2, 4, 12, 16]  # worker 1 trained 5..8
    assert steps("clean", "worker1") == [5, 6, 8, 16]
    # The chief sees 8, then 4 inside its own update streak; its final save holds 4.
    assert steps("wipe", "worker0") == [0, 0, 1, 2, 4, 8, 4, 4]
    assert steps("wipe", "worker1") == [0, 5, 6, 8]  # its initializer, then 4 updates
    assert steps("restore_wipe", "worker0") == [16, 17, 18, 20, 4]
    assert steps("restore_wipe", "worker1") == [0, 5, 6, 8]


def test_the_cluster_patches_fail_open_and_leave_the_programs_own_errors_alone(capsys):
    """What wraps Server/session creators/Supervisor: a failure of tftrace's part is one
    warning; the constructor's own exception passes through untouched."""
    calls = []

    class Built:
        def __init__(self, fail=None):
            if fail is not None:
                raise fail
            self.ok = True

    def broken(instance):
        calls.append(instance)
        raise KeyError("inside tftrace")

    cluster._wrap_init(Built, broken, "a thing")
    assert Built().ok is True  # the program goes on
    assert "tftrace: could not record a thing: KeyError" in capsys.readouterr().err
    error = ValueError("port in use")
    with pytest.raises(ValueError) as raised:
        Built(fail=error)
    assert raised.value is error and len(calls) == 1  # not called for a failed __init__


def test_upgrading_a_version_1_trace_keeps_its_story(tmp_path):
    import importlib.util
    import shutil

    spec = importlib.util.spec_from_file_location(
        "upgrade_trace_v1", os.path.join(ROOT, "tools", "upgrade_trace_v1.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    original = os.path.join(DATA, "restore_then_train.jsonl")
    copy = tmp_path / "t.jsonl"
    shutil.copy(original, copy)
    assert tool.upgrade(str(copy)) is True
    assert tool.upgrade(str(copy)) is False  # already version 2
    raw = read_trace(copy)
    assert raw.header.version == 2
    assert [type(r).__name__ for r in raw.records][:1] == ["ProcessRecord"]
    before, after = tftrace.load(original), tftrace.load(str(copy))
    for name in before.variable_names():
        assert after.explain(name).to_json() == before.explain(name).to_json()
    assert [d.to_json() for d in after.diagnostics()] == \
        [d.to_json() for d in before.diagnostics()]
