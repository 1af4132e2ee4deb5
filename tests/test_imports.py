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


NO_GRAPH = """
import sys
import tftrace, tftrace.cli
trace = tftrace.load("examples/traces/train_save_resume.json")
trace.diagnostics(), trace.explain("hidden/bias"), trace.lineage("hidden/bias"), trace.to_dot()
assert tftrace.cli.main(["check", "examples/traces/restore_then_init.json"]) == 1
print("NETWORKX", "networkx" in sys.modules)
trace.graph
print("NETWORKX", "networkx" in sys.modules)
"""


def test_networkx_is_imported_only_for_the_provenance_graph():
    """Importing networkx costs more than reading most traces (0.2-0.8 s here); check,
    explain, lineage and render never need it, `Trace.graph` does."""
    result = subprocess.run([sys.executable, "-c", NO_GRAPH], cwd=ROOT, capture_output=True,
                            text=True, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-3:-1] == ["NETWORKX False", "NETWORKX True"], result.stdout
