"""The `tftrace` command line: explain, run (with a stand-in launcher), errors, exit codes."""
from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tftrace import __version__
from tftrace.cli import TRUNCATED_NOTE, main

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


def trace(name: str) -> str:
    return str(DATA / name)


def error_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err  # one line, never a traceback
    assert lines[0].startswith("tftrace: error: ")
    return lines[0]


# --- explain ------------------------------------------------------------------------------

def test_explain_prints_the_verdict_first(capsys):
    assert main(["explain", trace("restore_then_init.jsonl"), "dense/kernel"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == (
        "dense/kernel: restored from /tmp/model.ckpt key dense/kernel at train.py:42, "
        "then overwritten by the initializer at train.py:44")
    assert err == ""


def test_explain_json(capsys):
    assert main(["explain", trace("var_list_mapping.jsonl"), "d:0", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["variable"] == "d" and got["origin"]["key"] == "a"


def test_explain_session_option(capsys):
    assert main(["explain", trace("uninitialized.jsonl"), "v", "--session", "1"]) == 0
    assert capsys.readouterr().out.startswith("v: initialized by its initializer")
    assert main(["explain", trace("uninitialized.jsonl"), "v"]) == 0
    assert capsys.readouterr().out.startswith("v: never initialized in session 2")


def test_truncated_trace_gets_a_note_and_still_an_answer(capsys):
    assert main(["explain", trace("truncated.jsonl"), "v"]) == 0
    out, err = capsys.readouterr()
    assert err == f"tftrace: note: {TRUNCATED_NOTE}\n"
    assert out.startswith("v: initialized by its initializer at killed.py:11")


@pytest.mark.parametrize("args, message", [
    (["explain", "does-not-exist.json", "w"], "does-not-exist.json: no such file"),
    (["explain", trace("foreign.json"), "w"], "not a tftrace trace"),
    (["explain", trace("not_utf8.jsonl"), "w"], "not UTF-8"),
    (["explain", trace("version3.jsonl"), "w"], "version 3 is newer than this tftrace reads"),
    (["explain", trace("restore_then_init.jsonl"), "dense/kernal"],
     "no variable named 'dense/kernal' in the trace; did you mean dense/kernel"),
    (["explain", trace("restore_then_init.jsonl"), "dense/kernel", "--session", "5"],
     "no session 5 in the trace (sessions: 1)"),
])
def test_bad_input_is_one_error_line_and_exit_2(capsys, args, message):
    assert main(args) == 2
    assert message in error_line(capsys)


def test_error_lines_escape_control_characters_from_the_trace(capsys):
    assert main(["explain", trace("hostile_names.jsonl"), "[bold]x"]) == 2
    line = error_line(capsys)
    assert "\x1b" not in line and "\r" not in line and "\\x1b[31m" in line


@pytest.mark.parametrize("args", [
    ["explain"],
    ["explain", trace("reinit.jsonl"), "step", "--format", "xml"],
    ["explain", trace("reinit.jsonl"), "step", "--session", "one"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(capsys, args):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    assert "usage: tftrace" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["run"], ["explain"]])
def test_help_describes_and_gives_examples(capsys, command):
    with pytest.raises(SystemExit) as info:
        main(command + ["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "tftrace " in out.split("examples:")[1]


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"tftrace {__version__}"


# --- run ----------------------------------------------------------------------------------

@pytest.fixture
def launcher(monkeypatch):
    """A stand-in for tftrace.recorder.launcher: records its call, returns exit code 7."""
    calls = []
    module = types.ModuleType("tftrace.recorder.launcher")

    def run_script(trace_path, script, args):
        calls.append((trace_path, script, args))
        return 7

    module.run_script = run_script
    monkeypatch.setitem(sys.modules, "tftrace.recorder.launcher", module)
    return calls


def test_run_passes_everything_after_the_script_to_it(launcher):
    assert main(["run", "-o", "t.json", "train.py", "--lr", "3", "-o", "x", "--help"]) == 7
    assert launcher == [("t.json", "train.py", ["--lr", "3", "-o", "x", "--help"])]


def test_run_default_output_and_no_script_args(launcher):
    assert main(["run", "train.py"]) == 7
    assert launcher == [("tftrace.json", "train.py", [])]


def test_run_without_a_script_is_a_usage_error(launcher, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "-o", "t.json"])
    assert info.value.code == 2 and launcher == []


# --- as a program -------------------------------------------------------------------------

def test_python_dash_m_tftrace(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tftrace", "explain", trace("reinit.jsonl"), "nope"],
        capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert result.stderr == ("tftrace: error: no variable named 'nope' in the trace\n")


# --- small gaps a newcomer hits --------------------------------------------------------------

def test_bare_tftrace_prints_the_help(capsys):
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: tftrace")
    assert "explain   where a variable's value came from" in err and "examples:" in err


def test_explain_without_var_lists_the_variables_with_their_origins(capsys):
    assert main(["explain", trace("restore_then_init.jsonl")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "session 1: 2 variables"
    assert out[2].split() == ["variable", "origin", "updates", "findings"]
    assert out[3].split(None, 4) == ["dense/bias", "initialized", "(run", "2)",
                                     "0        error restore-overwritten"]
    assert out[-1] == "tftrace explain TRACE VAR says where one variable's value came from"


def test_explain_without_var_words_every_origin_as_the_other_views_do(capsys):
    # One set of words (display.ORIGIN_WORDS): no raw "external", no view's own spelling.
    remote = str(ROOT / "examples" / "distributed" / "traces" / "clean" / "worker1.json")
    assert main(["explain", remote]) == 0
    rows = capsys.readouterr().out.splitlines()[3:6]
    assert [r.split()[0] for r in rows] == ["global_step", "linear/b", "linear/w"]
    assert all(" from another process " in r and "external" not in r for r in rows)
    assert main(["explain", trace("uninitialized.jsonl")]) == 0
    assert capsys.readouterr().out.splitlines()[3].split()[:2] == ["v", "uninitialized"]


def test_explain_without_var_as_json(capsys):
    assert main(["explain", trace("uninitialized.jsonl"), "--format", "json",
                 "--session", "1"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["session"] == 1
    assert [(v["variable"], v["origin"]["kind"]) for v in got["variables"]] == [
        ("v", "initializer")]
    assert main(["explain", trace("uninitialized.jsonl"), "--session", "7"]) == 2
    assert "no session 7" in error_line(capsys)


def test_check_and_render_name_a_directory_and_several_traces_alike(capsys):
    # One display name (views.check.trace_name) for check's summary line and render's
    # subtitle: a directory's name (not "" for "wipe/"), every file of several.
    cluster = ROOT / "examples" / "distributed" / "traces"
    wipe = f"{cluster / 'wipe'}/"
    assert main(["check", wipe]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith(
        "wipe (3 processes: ps:0, worker:0, worker:1): 0 errors")
    files = [str(cluster / "clean" / f"worker{i}.json") for i in (0, 1)]
    assert main(["check", *files]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(
        "worker0.json, worker1.json (2 processes: worker:0, worker:1): ")
    for given, name in (([wipe], "wipe"), (files, "worker0.json, worker1.json")):
        assert main(["render", *given, "-o", "-"]) == 0
        assert f"trace {name} · " in capsys.readouterr().out


def test_trace_name_of_files_directories_and_many_traces():
    from tftrace.views.check import trace_name

    assert trace_name("runs/a.json") == "a.json"
    assert trace_name(["runs/cluster/"]) == "cluster"
    assert trace_name("x/w0.json, y/w1.json") == trace_name(["x/w0.json", "y/w1.json"])
    assert trace_name([f"w{i}.json" for i in range(5)]) == "w0.json, w1.json and 3 more"


def test_view_follow_waits_while_the_trace_is_missing_empty_or_half_a_line(tmp_path, capsys):
    from tftrace import cli

    path = tmp_path / "t.jsonl"
    whole = Path(trace("reinit.jsonl")).read_bytes()
    header = whole.index(b"\n") + 1
    # Each fake sleep lets the "program" write a little more: nothing yet, an empty
    # file, half the header line; then the whole header and the rest.
    steps = [lambda: None, lambda: path.write_bytes(b""),
             lambda: path.write_bytes(whole[:header // 2]),
             lambda: path.write_bytes(whole)]
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        steps[len(slept) - 1]()

    got = cli._wait_for_trace(str(path), sleep=sleep)
    assert got.path == str(path) and got.variable_names(1) == ["step"]
    assert slept == [cli.WAIT_INTERVAL] * 4
    assert "waiting for" in capsys.readouterr().err


def test_view_follow_on_a_file_that_is_no_trace_fails_at_once(tmp_path):
    from tftrace import cli
    from tftrace.errors import TraceFormatError

    def sleep(seconds: float) -> None:
        raise AssertionError("waited for a file that will never be a trace")

    foreign = tmp_path / "notes.jsonl"
    foreign.write_text("these are my notes\nand more\n")
    with pytest.raises(TraceFormatError):  # main() says it in one line, exit 2
        cli._wait_for_trace(str(foreign), sleep=sleep)
    with pytest.raises(TraceFormatError):
        cli._wait_for_trace(trace("foreign.json"), sleep=sleep)


def test_explain_with_but_no_var_is_a_usage_error(capsys):
    # --with follows one variable's lineage; without VAR it used to be ignored silently.
    assert main(["explain", trace("restore_then_init.jsonl"), "--with",
                 trace("pretrain.jsonl")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "--with" in err and "VAR" in err
