"""The committed example traces still match what the recorder records today — all of them.

`tools/record_examples.py --check` re-runs every example in `examples/*.py` (in two
TensorFlow processes, side by side: one per set of TensorFlow's process-wide v1/v2
switches) and compares each one's story with its committed trace's: the findings of
`check`, every variable's origin (kind, run, updates since) and the records (sessions,
runs, writes, checkpoint keys, saves, call sites), leaving out what varies between
recordings (times, pids, digests and value statistics, graph numbers, a failed run's
error but its type: TensorFlow names whichever uninitialized variable it meets first).
`monitored_resume` is compared by findings and origins only: its hooks fire on timers, so
its run count (33 or 32) and a streak's last run vary; its origins do not.

A failure means: re-record what it names with `python tools/record_examples.py NAME...`
and review the diff.
"""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import record_examples  # noqa: E402


@pytest.mark.tf
def test_every_example_trace_is_fresh(bounded):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    env.pop("TFTRACE_TRACE", None)
    code, out, err = bounded([sys.executable, "tools/record_examples.py", "--check"],
                             timeout=600, cwd=ROOT, env=env)
    count = len(record_examples.example_names())
    assert code == 0 and out.splitlines()[-1] == f"{count} of {count} example traces fresh", \
        out + err[-3000:]


def committed(name):
    return os.path.join(ROOT, "examples", "traces", f"{name}.json")


def test_the_story_tells_findings_origins_and_records():
    told = record_examples.story(committed("restore_then_init"))
    assert [f[:3] for f in told["findings"]] == [
        ["restore-overwritten", "error", ["dense/bias", "dense/kernel"]]]
    kind, run, updates = told["origins"]["2:dense/kernel"]
    assert kind == "initializer" and isinstance(run, int) and isinstance(updates, int)
    assert all("time" not in r and "values" not in r for r in told["records"])
    # its clean counterpart tells another story
    assert record_examples.story(committed("init_then_restore")) != told


def test_what_varies_between_recordings_is_left_out(tmp_path):
    import json

    with open(committed("uninitialized_read"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    moved = []
    for line in lines:
        record = json.loads(line)
        if "graph" in record:
            record["graph"] += 40  # another process numbers its graphs further on
        if isinstance(record.get("error"), dict):
            record["error"]["message"] += "\n  File \"/elsewhere/cli.py\", line 1"
            record["error"]["uninitialized"] = ["dense/kernel"]  # TF names the first it meets
        moved.append(json.dumps(record))
    (tmp_path / "t.json").write_text("\n".join(moved) + "\n")
    assert record_examples.story(str(tmp_path / "t.json")) == \
        record_examples.story(committed("uninitialized_read"))


def test_a_timing_dependent_example_is_compared_by_findings_and_origins():
    told = record_examples.story(committed("monitored_resume"))
    assert set(record_examples.stable_part("monitored_resume", told)) == {"findings",
                                                                           "origins"}
    assert record_examples.stable_part("restore_then_init", told) == told
