"""Bad input of every kind is one line and exit status 2; huge names still draw."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tftrace.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LONG = "scope/" + "x" * 100_000


def long_names_trace(tmp_path, name=LONG):
    """A committed trace whose variable and call site are 100 000 characters long."""
    with open(os.path.join(ROOT, "tests", "data", "reinit.jsonl"), encoding="utf-8") as f:
        text = f.read()
    text = text.replace('"step"', json.dumps(name)).replace('"counter.py:11"',
                                                           f'"{"c" * 100_000}.py:11"')
    path = tmp_path / "long.jsonl"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", [LONG, "q/" + '"<&\\' * 25_000], ids=["plain", "escapes"])
def test_a_huge_name_gives_dot_text_that_graphviz_accepts(tmp_path, capsys, name):
    assert main(["render", long_names_trace(tmp_path, name), "-o", "-"]) == 0
    source = capsys.readouterr().out
    assert name[:2] in source and LONG not in source
    assert max(len(line) for line in source.splitlines()) < 16_384
    if shutil.which("dot"):
        result = subprocess.run(["dot", "-Tsvg"], input=source, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr


@pytest.mark.dot
def test_a_huge_name_renders_to_svg(tmp_path, capsys):
    out = tmp_path / "x.svg"
    assert main(["render", long_names_trace(tmp_path), "-o", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml")


def test_other_outputs_take_a_huge_name(tmp_path, capsys):
    trace = long_names_trace(tmp_path)
    assert main(["check", trace]) == 1
    assert main(["explain", trace, LONG, "--format", "json"]) == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_not_read_as_a_trace(tmp_path):
    os.mkfifo(tmp_path / "trace.json")
    # In a subprocess with a timeout: reading a FIFO would block forever.
    result = subprocess.run([sys.executable, "-m", "tftrace", "check", "trace.json"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 2
    assert result.stderr == "tftrace: error: trace.json: not a regular file, not a trace\n"


def test_inspect_a_directory_without_a_checkpoint_file_names_what_it_holds(tmp_path, capsys):
    (tmp_path / "model.ckpt-100.index").write_bytes(b"")
    assert main(["inspect", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"tftrace: error: {tmp_path}: a directory without a 'checkpoint' file; it holds "
        f"{tmp_path}/model.ckpt-100 (pass one of those prefixes)\n")


def test_inspect_against_a_header_only_trace_is_one_line(tmp_path, capsys):
    trace = tmp_path / "empty.json"
    trace.write_text('{"format": "tftrace-trace", "version": 1}\n')
    assert main(["inspect", str(tmp_path / "model.ckpt"), "--against", str(trace)]) == 2
    assert capsys.readouterr().err == (
        f"tftrace: error: {trace}: the trace has no sessions, so no graph to match the "
        "checkpoint against\n")


def test_the_cli_never_shows_a_traceback_for_a_deeply_nested_trace(tmp_path):
    trace = tmp_path / "deep.json"
    trace.write_text('{"format": "tftrace-trace", "version": 1}\n' + "[" * 100_000 + "\n")
    result = subprocess.run([sys.executable, "-m", "tftrace", "check", str(trace)],
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("content, says", [
    (b"\x89PNG\r\n\x1a\n\xff\xfe", "names no model_checkpoint_path"),
    (b'model_checkpoint_path: "m\xff.ckpt"\n', "is not a valid UTF-8 path"),
    (b'model_checkpoint_path: "bad\\x"\n', "is not a valid UTF-8 path"),
])
def test_inspect_a_garbled_checkpoint_state_file_is_one_line(tmp_path, capsys, content, says):
    (tmp_path / "checkpoint").write_bytes(content)
    assert main(["inspect", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err
