"""The committed example traces still match what the recorder records today.

Re-records a few examples with `tftrace run` (from the repository root, as
tools/record_examples.py does) and compares the story — sessions, runs, writes, checkpoint
keys, saves, call sites — with the committed trace, ignoring times, pids and value
statistics. A failure means: re-record with `make examples-traces` and review the diff.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VOLATILE = {"time", "last_time", "duration", "created", "pid", "host", "cwd", "argv",
            "tensorflow", "python", "tftrace", "values", "samples"}


def story(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            out.append({k: v for k, v in record.items() if k not in VOLATILE})
    return out


@pytest.mark.tf
# name_requested_twice: the naming hooks installed by `tftrace run` before TensorFlow loads
@pytest.mark.parametrize("name", ["restore_then_init", "unexpected_sources",
                                  "name_requested_twice"])
def test_example_trace_is_fresh(tmp_path, name):
    fresh = tmp_path / f"{name}.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    env.pop("TFTRACE_TRACE", None)
    result = subprocess.run([sys.executable, "-m", "tftrace", "run", "-o", str(fresh),
                             f"examples/{name}.py"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert story(fresh) == story(os.path.join(ROOT, "examples", "traces", f"{name}.json"))
