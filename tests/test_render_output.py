"""`tftrace render` output: files, formats, the `dot` binary, errors, the CLI, notebooks.

Tests marked ``dot`` run Graphviz for real and check the files are valid PNG/SVG/PDF. They
must fail, not skip, where ``dot`` is missing: CI installs it. A missing ``dot`` is tested
by hiding it (``shutil.which`` patched, or an empty PATH).
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import tftrace
from tftrace.cli import main
from tftrace.errors import DotNotFound, TftraceError
from tftrace.views.dot import check_output, output_format, render, render_source, to_dot

ROOT = Path(__file__).parent.parent
EXAMPLE = str(ROOT / "examples" / "traces" / "restore_then_init.json")
DOT_MISSING = ("Graphviz's 'dot' program is not installed; install it (apt-get install "
               "graphviz, brew install graphviz) or write .dot output")


def error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err  # one line, never a traceback
    assert lines[0].startswith("tftrace: error: ")
    return lines[0].removeprefix("tftrace: error: ")


@pytest.fixture
def no_dot(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)


# --- formats and files ---------------------------------------------------------------------

@pytest.mark.parametrize("path, fmt", [("a.png", "png"), ("b.SVG", "svg"), ("c.pdf", "pdf"),
                                       ("d.dot", "dot"), ("dir/e.gv", "dot")])
def test_format_follows_the_suffix(path, fmt):
    assert output_format(path) == fmt


def test_unknown_suffix_lists_the_supported_ones():
    with pytest.raises(TftraceError) as info:
        output_format("diagram.jpg")
    assert str(info.value) == ("cannot tell the output format of 'diagram.jpg' (suffix "
                               "'.jpg'); use one of .png, .svg, .pdf, .dot, .gv")


def test_missing_directory_is_one_line(tmp_path):
    with pytest.raises(TftraceError, match="directory .* does not exist"):
        check_output(str(tmp_path / "nope" / "x.dot"))


def test_dot_output_needs_no_graphviz(tmp_path, no_dot):
    trace = tftrace.load(EXAMPLE)
    out = tmp_path / "x.dot"
    source = render(trace, str(out))
    assert out.read_text(encoding="utf-8") == source == to_dot(trace)


def test_images_without_dot_raise_dot_not_found(tmp_path, no_dot):
    trace = tftrace.load(EXAMPLE)
    for name in ("x.png", "x.svg", "x.pdf"):
        with pytest.raises(DotNotFound) as info:
            render(trace, str(tmp_path / name))
        assert str(info.value) == DOT_MISSING
        assert not (tmp_path / name).exists()
    with pytest.raises(DotNotFound):
        render_source("digraph {}", "png")


def test_dot_vanishing_after_the_check_is_still_dot_not_found(monkeypatch, tmp_path):
    # shutil.which saw it, but it is gone when it runs.
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: str(tmp_path / "dot"))
    with pytest.raises(DotNotFound):
        render_source("digraph {}", "svg")


# --- the command line ----------------------------------------------------------------------

def test_cli_writes_dot_and_says_where(tmp_path, capsys):
    out = tmp_path / "d.dot"
    assert main(["render", EXAMPLE, "-o", str(out)]) == 0
    assert capsys.readouterr() == ("", f"tftrace: wrote {out}: 2 variables, session 2\n")
    assert out.read_text(encoding="utf-8") == to_dot(tftrace.load(EXAMPLE))


def test_cli_dot_to_stdout_with_filters(capsys):
    assert main(["render", EXAMPLE, "-o", "-", "--session", "1", "--var", "dense/kernel",
                 "--rankdir", "TB", "--max-nodes", "5"]) == 0
    out = capsys.readouterr().out
    assert out == tftrace.load(EXAMPLE).to_dot(session=1, variables=["dense/kernel"],
                                               rankdir="TB", max_nodes=5)


def test_cli_var_and_scope_take_several_names(capsys):
    assert main(["render", EXAMPLE, "-o", "-", "--var", "dense/kernel", "dense/bias:0",
                 "--scope", "dense", "--session", "all"]) == 0
    assert "all 2 sessions" in capsys.readouterr().out


def test_cli_missing_dot_is_exit_2_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    assert main(["render", EXAMPLE, "-o", str(tmp_path / "x.png")]) == 2
    assert error_line(capsys) == DOT_MISSING
    assert main(["render", EXAMPLE, "-o", str(tmp_path / "x.dot")]) == 0


@pytest.mark.parametrize("args, message", [
    (["-o", "x.jpeg"], "cannot tell the output format of 'x.jpeg'"),
    (["-o", "/no/such/dir/x.dot"], "cannot write '/no/such/dir/x.dot': directory"),
    (["-o", "x.dot", "--session", "9"], "no session 9 in the trace (sessions: 1, 2)"),
    (["-o", "x.dot", "--var", "dense/kernl"], "did you mean dense/kernel?"),
    (["-o", "x.dot", "--scope", "conv"], "no variable of session 2 is in scope 'conv'"),
    (["-o", "x.dot", "--max-nodes", "0"], "--max-nodes must be at least 1"),
])
def test_cli_errors_are_one_line_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["render", EXAMPLE] + args) == 2
    assert message in error_line(capsys)


def test_cli_bad_trace_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("not json\n")
    assert main(["render", str(bad), "-o", str(tmp_path / "x.dot")]) == 2
    error_line(capsys)


def test_cli_session_must_be_a_number_or_all(capsys):
    with pytest.raises(SystemExit) as info:
        main(["render", EXAMPLE, "-o", "-", "--session", "last"])
    assert info.value.code == 2
    assert "not a session number or 'all': 'last'" in capsys.readouterr().err


def test_cli_help_names_the_formats(capsys):
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    out = capsys.readouterr().out
    assert ".png, .svg and .pdf need Graphviz's dot" in out and "--problems" in out


# --- real rendering with the dot binary ----------------------------------------------------

def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.dot
def test_renders_a_valid_png(tmp_path):
    out = tmp_path / "bug.png"
    assert main(["render", EXAMPLE, "-o", str(out)]) == 0
    width, height = png_size(out.read_bytes())
    assert 400 < width < 3000 and 200 < height < 3000


@pytest.mark.dot
def test_renders_a_valid_svg_showing_the_bug(tmp_path):
    out = tmp_path / "bug.svg"
    render(tftrace.load(EXAMPLE), str(out))
    root = ET.parse(out).getroot()  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "✗ restore-overwritten" in text and "dense/kernel" in text
    assert "restore · run 1 — overwritten at run 2" in text


def _svg_lines(svg: str) -> list[str]:
    """The SVG's text as a browser shows it: each <text> loses its leading and trailing
    ASCII spaces (SVG's default white-space handling), texts on one baseline are joined."""
    root = ET.fromstring(svg)
    lines: dict[str, str] = {}
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        shown = "".join(t.itertext()).strip(" \t\r\n")
        lines[t.get("y")] = lines.get(t.get("y"), "") + shown
    return [line.replace("\xa0", " ").strip() for line in lines.values()]


@pytest.mark.dot
def test_svg_text_keeps_its_spaces(tmp_path):
    # dot splits styled text into several <text> elements; the spaces between them must
    # survive ("checkpointckpt/..." was what a browser showed).
    out = tmp_path / "bug.svg"
    assert main(["render", EXAMPLE, "-o", str(out)]) == 0
    for svg in (out.read_text(encoding="utf-8"), tftrace.load(EXAMPLE)._repr_html_()):
        svg = svg[svg.index("<svg"):svg.index("</svg>") + 6]
        lines = _svg_lines(svg)
        assert "checkpoint ckpt/restore_then_init/model.ckpt" in lines, lines
        assert "✗ error restore-overwritten (session 2, run 2):" in lines, lines


@pytest.mark.dot
def test_renders_a_valid_pdf(tmp_path):
    out = tmp_path / "bug.pdf"
    render(tftrace.load(EXAMPLE), str(out), session="all")
    assert out.read_bytes()[:5] == b"%PDF-"


@pytest.mark.dot
def test_notebook_html_draws_the_diagram():
    page = tftrace.load(EXAMPLE)._repr_html_()
    assert page.count("<svg") == 1 and "<?xml" not in page
    assert "restore&#45;overwritten" in page  # dot writes "-" as &#45; in SVG text


def test_notebook_html_without_dot_says_why(no_dot):
    page = tftrace.load(EXAMPLE)._repr_html_()
    assert "<svg" not in page and "No diagram: Graphviz&#x27;s &#x27;dot&#x27;" in page
    assert "<table>" in page  # the sessions table is still there


@pytest.mark.dot
def test_benchmark_runs_small(tmp_path):
    result = subprocess.run([sys.executable, "benchmarks/render.py", "--variables", "200",
                             "--steps", "10", "--feed-variables", "100", "--assigned", "300",
                             "--assign-runs", "1000"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "dot -Tpng" in result.stdout and "x baseline" in result.stdout
    assert "300 variables, 1000 assign runs" in result.stdout and " px, " in result.stdout


@pytest.mark.dot
def test_cli_says_what_dot_is_laying_out(tmp_path, capsys):
    out = tmp_path / "bug.png"
    assert main(["render", EXAMPLE, "-o", str(out), "--session", "all"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "tftrace: laying out 8 boxes and 10 edges with Graphviz's dot (at most 60 s)...",
        f"tftrace: wrote {out}: 4 variables, sessions 1, 2"]


def test_a_dot_that_takes_too_long_is_stopped_with_one_line(tmp_path, capsys, monkeypatch):
    slow = tmp_path / "dot"
    slow.write_text("#!/bin/sh\nexec sleep 60\n")
    slow.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "x.png"
    assert main(["render", EXAMPLE, "-o", str(out), "--dot-timeout", "0.3"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "tftrace: laying out 4 boxes and 4 edges with Graphviz's dot (at most 0.3 s)...",
        "tftrace: error: Graphviz's dot did not finish the layout within 0.3 s; draw less "
        "(--problems, --scope, --var or a smaller --max-nodes), allow more time "
        "(--dot-timeout), or write .dot output"]
    assert not out.exists()


def test_dot_timeout_must_be_positive(capsys):
    assert main(["render", EXAMPLE, "-o", "x.dot", "--dot-timeout", "0"]) == 2
    assert error_line(capsys) == "--dot-timeout must be more than 0 seconds, not 0"
