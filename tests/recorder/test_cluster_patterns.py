"""Trace path patterns and the cluster patches, with real TensorFlow.

The pattern test builds a real tf.train.Server, so it runs in a subprocess inside a private
network namespace (root + `unshare`), addressing only 127.0.0.1; elsewhere it is skipped.
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tftrace.tracefile import ProcessRecord, SessionRecord, VariableRecord, read_trace

pytestmark = pytest.mark.tf
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LATE_SERVER = textwrap.dedent("""
    import os, socket
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    v = tf.compat.v1.get_variable("v", [], initializer=tf.compat.v1.zeros_initializer())
    with tf.compat.v1.Session() as sess:  # before any Server: job and task are not known
        sess.run(v.initializer)
    print("before:", sorted(os.listdir("traces")), flush=True)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    cluster = tf.train.ClusterSpec({"worker": ["127.0.0.1:%d" % port]})
    server = tf.distribute.Server(cluster, job_name="worker", task_index=0)
    with tf.compat.v1.Session(server.target) as sess:
        sess.run(v.initializer)
    print("after:", sorted(os.listdir("traces")), flush=True)
""")


def can_unshare():
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True,
                          timeout=30).returncode == 0


def run_isolated(bounded, tmp_path, script, pattern):
    (tmp_path / "late_server.py").write_text(script)
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("TFTRACE_TRACE", None)
    command = ["unshare", "-n", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
               sys.executable, "-m", "tftrace", "run", "-o", pattern, "late_server.py"]
    code, out, err = bounded(command, 180, cwd=tmp_path, env=env)
    assert code == 0, err
    return out, err


@pytest.mark.skipif(not can_unshare(), reason="needs root and unshare for a private network")
def test_a_pattern_guessed_before_the_server_is_renamed_once_the_task_is_known(tmp_path,
                                                                              bounded):
    out, err = run_isolated(bounded, tmp_path, LATE_SERVER, "traces/{job}{task}-{pid}.json")
    before = out.split("before: ")[1].splitlines()[0]
    after = out.split("after: ")[1].splitlines()[0]
    (guessed,) = ast.literal_eval(before)  # the list the script printed
    (final,) = ast.literal_eval(after)
    assert guessed.startswith("local0-") and final.startswith("worker0-")
    assert guessed.split("-")[1] == final.split("-")[1]  # the same {pid}
    assert f"trace written to traces/{final}" in err
    raw = read_trace(tmp_path / "traces" / final)
    processes = [r for r in raw.records if isinstance(r, ProcessRecord)]
    assert [(p.job, p.task) for p in processes] == [(None, None), ("worker", 0)]
    sessions = [r for r in raw.records if isinstance(r, SessionRecord)]
    assert [(s.session, s.remote) for s in sessions] == [(1, False), (2, True)]
    assert "/job:worker/replica:0/task:0/device:CPU:0" in sessions[1].devices


def test_tracing_wraps_the_server_and_session_creators_and_restores_them(tmp_path):
    import tensorflow as tf
    from tensorflow.python.training import monitored_session, server_lib, supervisor

    import tftrace

    classes = (server_lib.Server, monitored_session.ChiefSessionCreator,
               monitored_session.WorkerSessionCreator, supervisor.Supervisor)
    before = [cls.__dict__["__init__"] for cls in classes]
    with tftrace.tracing(tmp_path / "t.json"):
        during = [cls.__dict__["__init__"] for cls in classes]
        assert all(d is not b and d.__wrapped__ is b for d, b in zip(during, before))
        # A local MonitoredSession or Supervisor says nothing about a cluster role.
        with tf.Graph().as_default():
            tf.compat.v1.train.get_or_create_global_step()
            with tf.compat.v1.train.MonitoredTrainingSession() as sess:
                sess.run(tf.compat.v1.train.get_global_step())
        with tf.Graph().as_default():
            tf.compat.v1.train.get_or_create_global_step()
            tf.compat.v1.train.Supervisor(is_chief=True, logdir=None)
    assert [cls.__dict__["__init__"] for cls in classes] == before
    (process,) = [r for r in read_trace(tmp_path / "t.json").records
                  if isinstance(r, ProcessRecord)]
    assert (process.job, process.is_chief) == (None, None)
    (session,) = [r for r in read_trace(tmp_path / "t.json").records
                  if isinstance(r, SessionRecord)]
    assert (session.remote, session.devices) == (False, {})


@pytest.mark.parametrize("use_resource", [True, False], ids=["resource", "reference"])
def test_variables_record_their_device_as_placed(tmp_path, use_resource):
    import tensorflow as tf

    import tftrace

    with tf.Graph().as_default():
        with tf.compat.v1.device(tf.compat.v1.train.replica_device_setter(ps_tasks=2)):
            tf.compat.v1.get_variable("a", [2], use_resource=use_resource)
            tf.compat.v1.get_variable("b", [2], use_resource=use_resource)
        tf.compat.v1.get_variable("here", [2], use_resource=use_resource)
        with tftrace.Session(trace=tmp_path / "t.json"):
            pass  # variables are recorded when the session starts; nothing needs to run
    devices = {r.name: r.device for r in read_trace(tmp_path / "t.json").records
               if isinstance(r, VariableRecord)}
    assert devices == {"a": "/job:ps/task:0", "b": "/job:ps/task:1", "here": None}


SUPERVISED = textwrap.dedent("""
    import os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    step = tf.compat.v1.train.get_or_create_global_step()
    sv = tf.compat.v1.train.Supervisor(is_chief=False, logdir=None)
    with tf.compat.v1.Session() as sess:
        sess.run(step.initializer)
""")


def test_a_supervisor_in_a_tf_config_task_says_whether_it_is_the_chief(tmp_path, bounded):
    (tmp_path / "supervised.py").write_text(SUPERVISED)
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CONFIG=json.dumps(
        {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]},
         "task": {"type": "worker", "index": 1}}))
    env.pop("TFTRACE_TRACE", None)
    code, out, err = bounded([sys.executable, "-m", "tftrace", "run", "-o", "{job}{task}.json",
                              "supervised.py"], 180, cwd=tmp_path, env=env)
    assert code == 0, err
    records = [r for r in read_trace(tmp_path / "worker1.json").records
               if isinstance(r, ProcessRecord)]
    last = records[-1]
    assert (last.job, last.task, last.is_chief) == ("worker", 1, False)
    assert last.sources == ("TF_CONFIG", "Supervisor")
    assert last.cluster == {"worker": ("127.0.0.1:1", "127.0.0.1:2")}
