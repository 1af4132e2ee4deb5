"""Reading a trace never imports TensorFlow or Textual (STYLE: dependencies point one way)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent

CHECK = """
import sys
import tftrace, tftrace.model, tftrace.views.text, tftrace.cli
trace = tftrace.load("tests/data/restore_then_train.jsonl")
trace.graph
trace.lineage("dense/kernel")
tftrace.views.text.explain_text(trace.explain("dense/kernel"))
assert tftrace.cli.main(["explain", "tests/data/reinit.jsonl", "step"]) == 0
merged = tftrace.load("tests/data/cluster_wipe")  # a cluster's traces, merged on the fly
merged.diagnostics()
assert tftrace.cli.main(["diff", "tests/data/cluster_wipe", "tests/data/cluster_clean"]) == 1
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "textual"))
print("HEAVY", heavy)
"""


def test_reading_a_trace_imports_neither_tensorflow_nor_textual():
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True,
                            text=True, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout, result.stdout
