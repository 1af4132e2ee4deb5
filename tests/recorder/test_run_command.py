"""`tftrace run` on unmodified scripts, in subprocesses (as users run it)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import tftrace
from tftrace.tracefile import read_trace

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TFTRACE_DIR = os.path.join(ROOT, "tftrace") + os.sep


def run(args, cwd, **kwargs):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    env.pop("TFTRACE_TRACE", None)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, **kwargs)


def write(path, source):
    path.write_text(textwrap.dedent(source))
    return str(path)


def test_script_sees_argv_main_and_path_and_its_exit_code_passes_through(tmp_path):
    """No TensorFlow here: the launcher itself, and that it does not import TF for nothing."""
    (tmp_path / "helper_mod.py").write_text("VALUE = 42\n")
    script = write(tmp_path / "plain.py", """
        import sys
        import helper_mod  # found because sys.path[0] is the script's directory
        print("argv", sys.argv)
        print("main", __name__)
        print("tf imported", "tensorflow" in sys.modules)
        sys.exit(3)
    """)
    result = run([sys.executable, "-m", "tftrace", "run", "-o", "t.json", script, "--lr", "3",
                  "-o", "x"], cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert f"argv ['{script}', '--lr', '3', '-o', 'x']" in result.stdout
    assert "main __main__" in result.stdout and "tf imported False" in result.stdout
    assert "no TensorFlow session" in result.stderr


def test_missing_script_is_a_usage_error(tmp_path):
    result = run([sys.executable, "-m", "tftrace", "run", "-o", "t.json", "nope.py"],
                 cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["tftrace: error: nope.py: no such file"]


def traceback_lines(stderr):
    """Python's traceback frames and exception lines, minus tftrace's own frames.

    TensorFlow's error *message* embeds the op's creation stack, which under any
    launcher (tftrace run, coverage run, ...) includes the launcher: that part is
    TensorFlow's text, not the traceback, so only frames and exception lines count.
    """
    out, in_block = [], False
    for line in stderr.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            in_block = True
            out.append(line)
        elif in_block and line.startswith("  File "):
            if TFTRACE_DIR not in line:
                out.append(line)
        elif in_block and line and not line.startswith(" "):
            out.append(line)  # the exception line ends the frames
            in_block = False
    return out



FAILING = """
    import os
    import tensorflow as tf
    v1 = tf.compat.v1
    v1.disable_eager_execution()

    def main():
        w = v1.get_variable("w", initializer=1.0)
        with v1.Session() as sess:
            sess.run(w * 2.0)  # never initialized

    main()
"""


@pytest.mark.tf
def test_uncaught_exception_traceback_and_exit_code_match_plain_python(tmp_path):
    script = write(tmp_path / "failing.py", FAILING)
    plain = run([sys.executable, script], cwd=tmp_path)
    traced = run([sys.executable, "-m", "tftrace", "run", "-o", "t.json", script],
                 cwd=tmp_path)
    assert plain.returncode == traced.returncode == 1

    assert traceback_lines(traced.stderr) == traceback_lines(plain.stderr)
    assert "FailedPreconditionError" in traced.stderr
    raw = read_trace(str(tmp_path / "t.json"))
    errors = [r.error for r in raw.records if getattr(r, "error", None)]
    assert [e.type for e in errors] == ["FailedPreconditionError"]


@pytest.mark.tf
def test_trace_survives_sigkill_after_a_restore(tmp_path):
    script = write(tmp_path / "killed.py", """
        import os, signal
        import numpy as np
        import tensorflow as tf
        v1 = tf.compat.v1
        v1.disable_eager_execution()
        with tf.Graph().as_default():
            w = v1.get_variable("w", initializer=np.array([7.0], np.float32))
            saver = v1.train.Saver()
            with v1.Session() as sess:
                sess.run(w.initializer)
                path = saver.save(sess, os.path.join(os.getcwd(), "model.ckpt"))
        with tf.Graph().as_default():
            w = v1.get_variable("w", initializer=np.array([0.0], np.float32))
            saver = v1.train.Saver()
            sess = v1.Session()
            sess.run(w.initializer)
            saver.restore(sess, path)
            step = w.assign_add([1.0])
            for _ in range(10):
                sess.run(step)
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = run([sys.executable, "-m", "tftrace", "run", "-o", "t.json", script],
                 cwd=tmp_path)
    assert result.returncode == -signal.SIGKILL
    trace = tftrace.load(str(tmp_path / "t.json"))
    got = trace.explain("w").to_json()
    assert got["origin"]["kind"] == "restore"
    assert got["origin"]["checkpoint"] == str(tmp_path / "model.ckpt")
    assert [e["kind"] for e in got["events"]] == ["initializer", "restore", "update"]
    assert got["events"][-1]["count"] >= 8  # streak records at counts 1, 2, 4, 8
    # ... and it does not read as complete: the killed session never closed
    assert trace.unclosed_sessions == [2] and "lower bounds" in trace.unclosed_note
    check = run([sys.executable, "-m", "tftrace", "check", "t.json"], cwd=tmp_path)
    assert "tftrace: note: session 2 never closed" in check.stderr


OWN_ERROR = """
    import tensorflow as tf
    v1 = tf.compat.v1
    v1.disable_eager_execution()

    def evaluate(value):
        if value < 10:
            raise ValueError(f"accuracy too low: {value}")

    w = v1.get_variable("w", initializer=1.0)
    with v1.Session() as sess:
        sess.run(w.initializer)
        evaluate(sess.run(w))
"""


@pytest.mark.tf
def test_the_scripts_own_exception_passes_through_and_the_trace_is_written(tmp_path):
    script = write(tmp_path / "own_error.py", OWN_ERROR)
    plain = run([sys.executable, script], cwd=tmp_path)
    traced = run([sys.executable, "-m", "tftrace", "run", "-o", "t.json", script],
                 cwd=tmp_path)
    assert plain.returncode == traced.returncode == 1
    assert traceback_lines(traced.stderr) == traceback_lines(plain.stderr)
    assert traceback_lines(traced.stderr)[-1] == "ValueError: accuracy too low: 1.0"
    trace = tftrace.load(str(tmp_path / "t.json"))
    assert trace.origin("w").kind == "initializer"
