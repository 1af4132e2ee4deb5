"""The recorder and `tftrace run` with real TensorFlow: what must never go wrong.

Escaped notes for hostile checkpoint keys, a trace flushed and closed before Ctrl-C kills
the process, two programs recording to one path, checkpoints whose data shards are
missing or truncated.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTILE_KEY = "enc/w\x1b]2;PWNED\x07\x1b[2J"


@pytest.fixture(scope="module")
def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow

    return tensorflow


def save(tf, path, keys):
    """A checkpoint with ``keys`` (checkpoint key -> variable name) of 3 floats each."""
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        mapping = {key: v1.get_variable(name, [3], initializer=v1.ones_initializer())
                   for key, name in keys.items()}
        saver = v1.train.Saver(mapping)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            return saver.save(sess, str(path))


def test_the_note_on_a_failed_restore_escapes_hostile_checkpoint_keys(tf, tmp_path):
    import tftrace

    v1 = tf.compat.v1
    ckpt = save(tf, tmp_path / "model.ckpt", {HOSTILE_KEY: "a"})
    with tf.Graph().as_default():
        v1.get_variable("enc/w", [3])
        saver = v1.train.Saver()
        with tftrace.Session(trace=tmp_path / "t.json") as sess:
            with pytest.raises(tf.errors.NotFoundError) as caught:
                saver.restore(sess, ckpt)
    notes, error = [], caught.value
    while error is not None:  # Saver.restore re-raises the run's error as a new one
        notes += getattr(error, "__notes__", [])
        error = error.__context__
    notes = "\n".join(notes)
    assert "tftrace: " in notes and "enc/w" in notes
    assert "\x1b" not in notes and "\x07" not in notes
    assert "\\x1b]2;PWNED\\x07" in notes


def env():
    e = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    e.pop("TFTRACE_TRACE", None)
    return e


TRAIN = """
    import sys
    import tensorflow as tf
    v1 = tf.compat.v1
    v1.disable_eager_execution()
    step = v1.get_variable("step", [], dtype=tf.int32, initializer=v1.zeros_initializer())
    bump = v1.assign_add(step, 1)
    sess = v1.Session()
    sess.run(v1.global_variables_initializer())
    for _ in range(5):
        sess.run(bump)
    {then}
"""


def test_ctrl_c_flushes_and_closes_the_trace_then_dies_by_sigint(tmp_path):
    (tmp_path / "train.py").write_text(textwrap.dedent(TRAIN.format(
        then="raise KeyboardInterrupt")))
    result = subprocess.run([sys.executable, "-m", "tftrace", "run", "-o", "t.json",
                             "train.py"], cwd=tmp_path, env=env(), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == -signal.SIGINT, result.stderr
    assert "KeyboardInterrupt" in result.stderr and "launcher.py" not in result.stderr
    import tftrace

    trace = tftrace.load(str(tmp_path / "t.json"))
    assert trace.unclosed_sessions == [] and not trace.truncated
    assert trace.updates_since_origin("step") == 5


def test_two_programs_recording_to_one_path_get_two_whole_traces(tmp_path):
    (tmp_path / "train.py").write_text(textwrap.dedent(TRAIN.format(then="""
    print("ready", flush=True)
    sys.stdin.readline()  # the test lets it finish once the other program has run
    sess.run(bump)
    sess.close()
    """)))
    first = subprocess.Popen([sys.executable, "-m", "tftrace", "run", "-o", "t.json",
                              "train.py"], cwd=tmp_path, env=env(), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline() == "ready\n"
        second = subprocess.run([sys.executable, "-m", "tftrace", "run", "-o", "t.json",
                                 "train.py"], cwd=tmp_path, env=env(), input="\n",
                                capture_output=True, text=True, timeout=300)
        _, first_err = first.communicate("\n", timeout=300)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    moved = re.search(r"this process writes its trace to (\S+)\n", second.stderr)
    assert moved, second.stderr
    sibling = moved.group(1)
    assert f"trace written to {os.path.relpath(sibling, tmp_path)}" in second.stderr
    assert "trace written to t.json" in first_err
    import tftrace

    for path, updates in ((tmp_path / "t.json", 6), (sibling, 6)):
        trace = tftrace.load(str(path))
        assert len(trace.sessions) == 1 and not trace.truncated
        assert trace.updates_since_origin("step") == updates


@pytest.mark.parametrize("damage", ["truncate", "remove"])
def test_inspect_reads_the_data_and_reports_a_broken_shard(tf, tmp_path, capsys, damage):
    from tftrace.cli import main

    ckpt = save(tf, tmp_path / "model.ckpt", {"w": "w", "b": "b"})
    assert main(["inspect", ckpt]) == 0
    assert capsys.readouterr().out.startswith(f"{ckpt}: 2 keys, 24 B; data verified")
    shard = ckpt + ".data-00000-of-00001"
    if damage == "truncate":
        with open(shard, "r+b") as f:
            f.truncate(5)
    else:
        os.remove(shard)
    assert main(["inspect", ckpt]) == 1
    out = capsys.readouterr().out
    assert "  data: cannot read key " in out and "TensorFlow cannot restore" in out
    assert main(["inspect", ckpt, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)["data"]
    assert data["verified"] is False and data["problem"].startswith("cannot read key")


def test_inspect_a_checkpoint_with_a_non_ascii_name_saved_by_tensorflow(tf, tmp_path, capsys):
    from tftrace.cli import main

    ckpt = save(tf, tmp_path / "ckpt" / "m\u00e9del.ckpt", {"w": "w"})
    assert main(["inspect", str(tmp_path / "ckpt")]) == 0
    assert capsys.readouterr().out.startswith(f"{ckpt}: 1 key, 12 B; data verified")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_inspect_a_fifo_is_one_line_and_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "model.ckpt.index")
    # In a subprocess with a timeout: reading a FIFO would block forever.
    result = subprocess.run([sys.executable, "-m", "tftrace", "inspect", "model.ckpt"],
                            cwd=tmp_path, env=env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "tftrace: error: model.ckpt.index: not a regular file, not part of a checkpoint")


def test_the_fail_open_warning_escapes_what_it_quotes(tf, tmp_path, monkeypatch, capsys):
    import tftrace
    from tftrace.recorder import session as recorder_session

    def broken(*args, **kwargs):
        raise KeyError("ckpt/\x1b]2;PWNED\x07")

    monkeypatch.setattr(recorder_session, "analyze_run", broken)
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        w = v1.get_variable("w", initializer=3.0)
        with tftrace.Session(trace=tmp_path / "t.json") as sess:
            sess.run(w.initializer)
    err = capsys.readouterr().err
    assert "tftrace: internal error" in err and "\\x1b]2;PWNED\\x07" in err
    assert "\x1b" not in err
