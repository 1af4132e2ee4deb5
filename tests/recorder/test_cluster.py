"""Recording a real cluster: one ps and two workers, separate processes, on 127.0.0.1.

One cluster for the whole module (TensorFlow starts in ~4 s per process): the `probes`
scenario of tools/record_cluster_examples.py, every task under `tftrace run -o
DIR/{job}{task}.json`. Worker 1 (plain Session, TF_CONFIG set as well) probes for
uninitialized variables before the chief has initialized and after, then runs
global_variables_initializer() after the chief trained 8 steps; the chief
(MonitoredTrainingSession) trains 4 more. The tool runs the cluster in a private network
namespace when it can (root), puts every process under a timeout and kills them by process
group; this test bounds the tool itself the same way.
"""
from __future__ import annotations

import os
import sys

import pytest

import tftrace
from tftrace.tracefile import (
    ProcessRecord,
    RunRecord,
    SessionRecord,
    StreakRecord,
    VariableRecord,
    read_trace,
)

pytestmark = pytest.mark.tf
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PS_DEVICE = "/job:ps/replica:0/task:0/device:CPU:0"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, bounded):
    base = tmp_path_factory.mktemp("cluster")
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("TFTRACE_TRACE", None)
    command = [sys.executable, os.path.join(ROOT, "tools", "record_cluster_examples.py"),
               "probes", "--out", str(base / "traces"), "--work", str(base / "work"),
               "--timeout", "240"]
    code, out, err = bounded(command, 300, cwd=ROOT, env=env)
    assert code == 0, out + err
    return base


def trace_path(cluster, task):
    return cluster / "traces" / "probes" / f"{task}.json"


def records(cluster, task, kind=None):
    raw = read_trace(trace_path(cluster, task))
    return [r for r in raw.records if kind is None or isinstance(r, kind)]


def process(cluster, task):
    """The process records merged as a reader must: later known fields win."""
    merged = ProcessRecord()
    for record in records(cluster, task, ProcessRecord):
        merged = merged.updated(record)
    return merged


def log(cluster, task):
    with open(cluster / "work" / "probes" / "logs" / f"{task}.log", encoding="utf-8") as f:
        return f.read()


def test_one_launch_line_names_each_tasks_trace(cluster):
    names = sorted(os.listdir(cluster / "traces" / "probes"))
    assert names == ["ps0.json", "worker0.json", "worker1.json"]
    # The launcher's summary names the expanded path, not the pattern.
    assert f"trace written to {trace_path(cluster, 'worker1')}" in log(cluster, "worker1")


def test_each_trace_says_which_task_of_which_cluster_wrote_it(cluster):
    ps, chief, worker = (process(cluster, t) for t in ("ps0", "worker0", "worker1"))
    assert (ps.job, ps.task, ps.is_chief, ps.sources) == ("ps", 0, None, ("server_def",))
    assert (chief.job, chief.task, chief.is_chief) == ("worker", 0, True)
    assert chief.sources == ("server_def", "MonitoredTrainingSession")
    # A plain Session says nothing about the chief; TF_CONFIG without a chief job neither.
    assert (worker.job, worker.task, worker.is_chief) == ("worker", 1, None)
    assert worker.sources == ("TF_CONFIG", "server_def")
    spec = ps.cluster
    assert set(spec) == {"ps", "worker"} and len(spec["worker"]) == 2
    assert all(a.startswith("127.0.0.1:") for hosts in spec.values() for a in hosts)
    assert chief.cluster == worker.cluster == spec
    assert all(p.host and p.pid for p in (ps, chief, worker))
    assert len({p.pid for p in (ps, chief, worker)}) == 3


def test_the_ps_trace_holds_its_process_though_it_never_runs_a_session(cluster):
    assert records(cluster, "ps0", SessionRecord) == []
    assert len(records(cluster, "ps0", ProcessRecord)) == 1


def test_sessions_on_a_server_are_remote_and_name_the_servers_they_see(cluster):
    spec = process(cluster, "ps0").cluster
    incarnations = []
    for index, task in enumerate(("worker0", "worker1")):
        (session,) = records(cluster, task, SessionRecord)
        assert session.remote is True
        assert session.target == f"grpc://{spec['worker'][index]}"
        assert PS_DEVICE in session.devices
        incarnation = session.devices[PS_DEVICE]
        assert incarnation.isdigit() and 0 <= int(incarnation) < 2 ** 64
        incarnations.append(incarnation)
    # Both workers talked to the same ps process: the same incarnation.
    assert incarnations[0] == incarnations[1]


def test_a_session_created_before_its_ps_exists_is_recorded_without_waiting(cluster):
    """Worker 1's session was created before the ps process started (listing devices then
    would block the process, GIL held, until the ps answers): declared after its first
    run, with the ps device it could not have seen at creation."""
    (session,) = records(cluster, "worker1", SessionRecord)
    (ps_started,) = records(cluster, "ps0", ProcessRecord)
    assert session.time < ps_started.time
    assert PS_DEVICE in session.devices


def test_variables_record_the_device_that_holds_them(cluster):
    variables = {r.name: r for r in records(cluster, "worker1", VariableRecord)}
    assert set(variables) >= {"global_step", "linear/w", "linear/b"}
    assert {variables[n].device for n in ("global_step", "linear/w", "linear/b")} == \
        {"/job:ps/task:0"}


def test_readiness_probes_are_not_recorded_as_reads_or_failures(cluster):
    runs = records(cluster, "worker1", RunRecord)
    # Two report_uninitialized_variables/is_variable_initialized probes, before the chief's
    # initializer and after: neither is a write, a failure or a read. What is recorded:
    # the read of global_step that failed before the chief initialized it, and the
    # (late, wiping) initializer.
    assert [(r.fetches, r.error and r.error.type) for r in runs] == [
        (("global_step:0",), "FailedPreconditionError"), (("init",), None)]
    assert runs[0].error.uninitialized == ("global_step",)
    text = log(cluster, "worker1")
    assert "3 variables not initialized, global_step initialized: False" in text
    assert "0 variables not initialized, global_step initialized: True" in text
    trace = tftrace.load(str(trace_path(cluster, "worker1")))
    assert not [d for d in trace.diagnostics(min_severity="warning")
                if d.rule == "uninitialized-read"]


def test_the_note_on_a_failed_read_in_a_remote_session_does_not_advise_initializing(cluster):
    (line,) = [x for x in log(cluster, "worker1").splitlines() if "not initialized yet" in x]
    assert "reads 1 uninitialized variable on /job:ps/task:0: global_step" in line
    assert "This session runs on a server (grpc://127.0.0.1:" in line
    assert "rather than running the initializer here" in line
    assert "Run the initializer" not in line  # the advice for a local session


def test_the_chiefs_own_trace_holds_the_evidence_of_the_wipe(cluster):
    """global_step sampled at 8, later at 4, inside the chief's own update streak."""
    steps = []
    for streak in records(cluster, "worker0", StreakRecord):
        for sample in streak.samples:
            if "global_step" in sample.values:
                steps.append((sample.count, sample.values["global_step"].values))
    assert steps[:4] == [(1, 1), (2, 2), (4, 4), (8, 8)]
    assert steps[-1] == (12, 4)
    init_runs = [r for r in records(cluster, "worker1", RunRecord)
                 if any(w.kind == "initializer" for w in r.writes)]
    assert {w.variable for w in init_runs[0].writes} == {"global_step", "linear/w", "linear/b"}
