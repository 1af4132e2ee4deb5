"""A trace of a killed program (SIGKILL, OOM: no session end written) says so everywhere.

Such a trace has no torn line — every record was flushed whole — so only the missing
`session_end` tells that its counts are lower bounds. `check`, `explain` and `render` say
it on stderr and, for scripts and CI, in their JSON (`"incomplete"`); the diagram's title
and the TUI's header show it.
"""
from __future__ import annotations

import json
import os
import types

from tftrace.cli import main
from tftrace.model import Trace

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTE = ("tftrace: note: session 2 never closed (the program was killed, or is still "
        "running): its counts are lower bounds, up to the last update streak written\n")


def killed(tmp_path, name="restore_then_init.json"):
    """The committed trace as a SIGKILL between two runs of its last session would have
    left it: without that session's end record."""
    with open(os.path.join(ROOT, "examples", "traces", name), encoding="utf-8") as f:
        lines = f.readlines()
    last_end = max(i for i, line in enumerate(lines)
                   if '"type":"session_end"' in line.replace(" ", ""))
    del lines[last_end]
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


def test_the_model_knows_which_sessions_never_closed(tmp_path):
    trace = Trace.load(killed(tmp_path))
    assert trace.unclosed_sessions == [2] and not trace.truncated
    complete = Trace.load(os.path.join(ROOT, "examples", "traces", "restore_then_init.json"))
    assert complete.unclosed_sessions == [] and complete.unclosed_note is None


def test_check_and_explain_say_the_session_never_closed(tmp_path, capsys):
    path = killed(tmp_path)
    assert main(["check", path]) == 1
    assert capsys.readouterr().err == NOTE
    assert main(["explain", path, "dense/kernel", "--format", "json"]) == 0
    assert capsys.readouterr().err == NOTE


def test_their_json_says_it_for_scripts_and_ci(tmp_path, capsys):
    path = killed(tmp_path)
    expected = {"truncated": False, "unclosed_sessions": [2],
                "note": NOTE.removeprefix("tftrace: note: ").rstrip("\n")}
    assert main(["check", path, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["incomplete"] == expected
    # [] : every variable (explain TRACE)
    for extra in (["dense/kernel"], ["dense/kernel", "--with", path], []):
        assert main(["explain", path, *extra, "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["incomplete"] == expected
    complete = os.path.join(ROOT, "examples", "traces", "restore_then_init.json")
    assert main(["check", complete, "--format", "json"]) == 1
    assert "incomplete" not in json.loads(capsys.readouterr().out)
    for extra in (["dense/kernel"], []):
        assert main(["explain", complete, *extra, "--format", "json"]) == 0
        assert "incomplete" not in json.loads(capsys.readouterr().out)


def test_a_torn_trace_is_incomplete_too():
    got = Trace.load(os.path.join(ROOT, "tests", "data", "truncated.jsonl")).incomplete
    assert got["truncated"] is True and got["note"].startswith("trace was cut short")


def test_the_diagram_title_says_it(tmp_path, capsys):
    assert main(["render", killed(tmp_path), "-o", "-"]) == 0
    out = capsys.readouterr().out
    assert "session 2 never closed (killed?): counts are lower bounds" in out


def test_the_tui_header_says_it(tmp_path):
    from tftrace.views.tui.widgets.trace_header import header_text

    app = types.SimpleNamespace(trace=Trace.load(killed(tmp_path)), session=2, findings=None,
                                follow=False)
    assert "never closed" in header_text(app).plain
