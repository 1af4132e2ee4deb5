"""Every Python snippet of the README runs as pasted.

Snippets that record (they import TensorFlow) run in the TensorFlow test process, in
order with the others, so the reading snippets read the trace the recording one wrote.
Without TensorFlow, the reading snippets run on an example trace of the same story.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SNIPPET = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def snippets() -> list[str]:
    found = SNIPPET.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(found) >= 2, "the README's Python snippets moved?"
    return found


def needs_tensorflow(code: str) -> bool:
    return "import tensorflow" in code


def run(code: str, capsys) -> str:
    exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    return capsys.readouterr().out


def test_reading_snippets_run_without_tensorflow(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "examples" / "traces" / "restore_then_init.json", "trace.json")
    reading = [code for code in snippets() if not needs_tensorflow(code)]
    assert reading
    out = "".join(run(code, capsys) for code in reading)
    assert "<Explanation dense/kernel: restored from" in out
    assert "then overwritten by the initializer" in out
    assert "restore_then_init/model.ckpt holds now: []" in out  # the networkx snippet


@pytest.mark.tf
def test_every_snippet_runs_in_order_with_tensorflow(tmp_path, monkeypatch, capsys):
    import tensorflow  # noqa: F401  (the recording snippet's own import, done here first)

    monkeypatch.chdir(tmp_path)
    outputs = [run(code, capsys) for code in snippets()]
    assert (tmp_path / "trace.json").exists()
    out = "".join(outputs)
    assert ("<Explanation dense/kernel: restored from ckpt/model.ckpt key dense/kernel at "
            "README.md:") in out
    assert "restore-overwritten ('dense/kernel',)" in out
    assert "ckpt/model.ckpt holds now: []" in out  # the networkx snippet
