"""The terminal UI driven with Pilot: navigation, search, screens, escaping, follow, CLI."""
from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path

import pytest
from rich.text import Text
from textual import events
from textual.widgets import Input, OptionList, Static

from tftrace.cli import main
from tftrace.model.diagnostics import Diagnostic
from tftrace.views.tui import create_app
from tftrace.views.tui.screens.diagnostics import DiagnosticsScreen
from tftrace.views.tui.screens.export import ExportScreen
from tftrace.views.tui.screens.help import HelpScreen
from tftrace.views.tui.screens.runs import RunsScreen
from tftrace.views.tui.screens.search import SearchScreen
from tftrace.views.tui.screens.sessions import SessionPicker
from tftrace.views.tui.screens.source import SourceScreen
from tftrace.views.tui.screens.variables import VariablesScreen

SIZE = (120, 40)


def drive(test):
    """Run an ``async def`` test (this project has no async pytest plugin)."""
    @functools.wraps(test)
    def run(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))
    return run


def shown(widget: Static) -> str:
    """The plain text a Static shows."""
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


def timeline(screen: VariablesScreen) -> list[tuple[str, ...]]:
    table = screen.detail.table
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def tree_lines(screen: VariablesScreen) -> list[str]:
    tree = screen.tree
    return [tree.get_node_at_line(i).label.plain for i in range(tree.last_line + 1)]


# --- the variables screen ----------------------------------------------------------------

@drive
async def test_clobbered_variable_timeline_and_findings(example, settle, press):
    app = create_app(example("restore_then_init"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, VariablesScreen)
        assert app.session == 2  # the last session by default
        # The tree starts on the first variable with the worst finding.
        assert screen.tree.current_variable == "dense/bias"
        assert tree_lines(screen) == ["dense/ 2 ✗2", "INIT bias ✗", "INIT kernel ✗"]
        await press(pilot, "down")
        assert screen.tree.current_variable == "dense/kernel"
        detail = screen.detail
        assert shown(detail.query_one("#title")).startswith("dense/kernel   initialized ")
        assert shown(detail.query_one("#verdict")) == (
            "restored from ckpt/restore_then_init/model.ckpt key dense/kernel at "
            "examples/restore_then_init.py:72, then overwritten by the initializer at "
            "examples/restore_then_init.py:73")
        rows = timeline(screen)
        assert [(r[0], r[1], r[2]) for r in rows] == [
            ("initializer", "1", "1"), ("update", "1", "2-101\n×100"), ("saved", "1", "103"),
            ("restore", "2", "1"), ("initializer", "2", "2")]
        # call site above the source (the path cut to its end to fit 120 columns)
        assert rows[3][4] == "restore_then_init.py:72\n…/model.ckpt key dense/kernel"
        value, digest = rows[3][3].split("\n")
        # four values would not fit: min and max, then the mean and the digest
        assert value == "min -1.98 max 3.01" and digest.startswith("mean 0.63 ")
        assert rows[2][3] == rows[3][3]  # the restore loaded what the save wrote
        assert rows[4][3] != rows[3][3]  # ... and the initializer replaced it
        findings = shown(detail.query_one("#variable-findings"))
        assert findings.startswith("✗ error   restore-overwritten  session 2 · run 2")
        assert "hint: Run the initializer before restoring" in findings
        lineage = shown(detail.query_one("#lineage"))
        assert "dense/kernel (session 2): initializer run 2" in lineage
        assert "same origin as: dense/bias" in lineage


@drive
async def test_search_goes_to_the_variable(example, settle, press):
    app = create_app(example("partial_restore_init"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        assert isinstance(app.screen, SearchScreen)
        await press(pilot, *"edk")  # fuzzy: e(ncoder)/d(ense)/k(ernel)
        matches = app.screen.query_one(OptionList)
        assert str(matches.get_option_at_index(0).prompt) == "encoder/dense/kernel"
        await press(pilot, "enter")
        assert isinstance(app.screen, VariablesScreen)
        assert app.screen.tree.current_variable == "encoder/dense/kernel"
        # Escape cancels; typing in the box is not taken for a key binding ("q").
        await press(pilot, "slash", "q", "escape")
        assert app.is_running and isinstance(app.screen, VariablesScreen)


@drive
async def test_q_quits(example, settle):
    app = create_app(example("restore_then_init"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


@drive
async def test_problems_only_and_next_problem(example, settle, press):
    app = create_app(example("partial_restore_init"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        problems = sorted(app.findings.problems(app.session))
        assert problems and len(problems) < len(app.trace.variable_names(app.session))
        await press(pilot, "p")
        assert sorted(screen.tree.top.all_variables()) == problems
        assert "problems only" in screen.tree.border_title
        await pilot.press("p")  # again: everything
        await settle(pilot)
        assert screen.filter is None
        seen = []
        for _ in range(len(problems)):
            await press(pilot, "n")
            seen.append(screen.tree.current_variable)
        assert sorted(seen) == problems
        await press(pilot, "N")
        assert screen.tree.current_variable == seen[-2 % len(seen)]


@drive
async def test_scopes_open_lazily(settle, tmp_path):
    from tftrace.model import Trace
    from tftrace.tracefile import (Header, RunRecord, SessionRecord, TraceWriter,
                                   VariableRecord, Write)

    names = [f"layer{i // 100}/v{i}" for i in range(2000)]
    writer = TraceWriter(tmp_path / "big.jsonl", Header())
    writer.write(SessionRecord(session=1, graph=1).to_json())
    for i, name in enumerate(names):
        writer.write(VariableRecord(graph=1, name=name, shape=(2,), index=i).to_json())
    writer.write(RunRecord(session=1, run=1, writes=tuple(
        Write(n, "initializer") for n in names)).to_json())
    writer.close()
    app = create_app(Trace.load(tmp_path / "big.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.tree
        # The top level, and the first scope opened to show the first variable.
        assert len(tree._variable_nodes) == 100 and len(tree._scope_nodes) == 21
        assert tree_lines(app.screen)[:3] == ["layer0/ 100", "INIT v0", "INIT v1"]
        await pilot.press("end", "space")  # open the last scope
        await settle(pilot)
        assert len(tree._variable_nodes) == 200
        assert tree.cursor_node.label.plain == "layer19/ 100"


@drive
async def test_switch_session(example, settle, press):
    app = create_app(example("restore_then_init"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        assert isinstance(app.screen, SessionPicker)
        await press(pilot, "up", "enter")
        assert app.session == 1
        screen = app.screen
        assert tree_lines(screen) == ["dense/ 2", "INIT bias +100", "INIT kernel +100"]
        assert "session 1 of 2" in shown(screen.query_one("#header"))


@drive
async def test_open_call_site(example, settle, press):
    app = create_app(example("restore_then_init"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")  # the variable's origin: the initializer run
        await settle(pilot)
        assert isinstance(app.screen, SourceScreen)
        text = shown(app.screen.query_one("#excerpt"))
        assert "▶ 73" in text and "global_variables_initializer" in text
        await pilot.press("escape", "enter")  # to the timeline; Enter opens a row's site
        await settle(pilot)
        assert app.focused is app.screen.detail.table
        await press(pilot, "down", "down", "down", "enter")
        assert "restore in session 2 run 1 at" in shown(app.screen.query_one(".title"))
        assert "▶ 72" in shown(app.screen.query_one("#excerpt"))


@drive
async def test_export_selection_to_dot(example, settle, tmp_path, press):
    pytest.importorskip("tftrace.views.dot")
    app = create_app(example("restore_then_init"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        assert isinstance(app.screen, ExportScreen)
        box = app.screen.query_one(Input)
        assert box.value.startswith("restore_then_init-dense_bias.")
        box.value = str(tmp_path / "bias.dot")
        await press(pilot, "enter")
        assert isinstance(app.screen, VariablesScreen)
    source = (tmp_path / "bias.dot").read_text()
    assert source.startswith("digraph") and "dense/bias" in source


@drive
async def test_help(example, settle, press):
    app = create_app(example("restore_then_init"))
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "escape")
        assert isinstance(app.screen, VariablesScreen)


# --- the diagnostics and runs screens -------------------------------------------------------

@drive
async def test_diagnostics_screen_jumps_to_the_variables(example, settle, press):
    app = create_app(example("saver_too_early"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "d")
        screen = app.screen
        assert isinstance(screen, DiagnosticsScreen)
        options = screen.query_one(OptionList)
        prompts = [str(o.prompt).split("\n")[0] for o in options.options]
        # One not-in-saver: the two graphs the same Saver line built are one finding.
        assert prompts[0] == "WARNINGS (1)" and any(p.startswith("INFO") for p in prompts)
        first = screen.current
        assert first.severity == "warning"
        assert shown(screen.query_one("#finding-detail")).startswith(
            f"! warning {first.rule}  session 2")
        await press(pilot, "enter")
        variables = app.screen
        assert isinstance(variables, VariablesScreen)
        assert set(variables.tree.top.all_variables()) == set(first.variables)
        assert variables.tree.current_variable == first.variables[0]
        await press(pilot, "escape")
        assert variables.filter is None


@drive
async def test_diagnostics_screen_with_hand_made_findings(example, settle, monkeypatch, press):
    hostile = Diagnostic(rule="made-up", severity="info", variables=("dense/bias",),
                         message="[bold]not bold[/bold] \x1b[2J", hint="[red]x", session=2)
    found = [Diagnostic(rule="restore-overwritten", severity="error",
                        variables=("dense/kernel",), message="m", hint="h", session=2,
                        run=2, location="examples/restore_then_init.py:73"), hostile]
    trace = example("restore_then_init")
    monkeypatch.setattr(type(trace), "diagnostics", lambda self, min_severity="info": found)
    app = create_app(trace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "d")
        prompts = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        assert prompts[0] == "ERRORS (1)" and prompts[2] == "INFO (1)"
        assert "[bold]not bold[/bold] \\x1b[2J" in prompts[3]
        await press(pilot, "down", "enter")
        assert app.screen.tree.current_variable == "dense/bias"
        await press(pilot, "d", "up", "o")
        assert "▶ 73" in shown(app.screen.query_one("#excerpt"))


@drive
async def test_no_findings(example, settle, press):
    app = create_app(example("init_then_restore"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "no findings" in shown(app.screen.query_one("#header"))
        await press(pilot, "d")
        assert "No findings" in str(app.screen.query_one(OptionList).options[0].prompt)
        await pilot.press("enter", "o")  # nothing to show or open: no crash
        await settle(pilot)


@drive
async def test_runs_screen_lists_streaks_and_jumps_to_writes(example, settle, press):
    app = create_app(example("restore_then_init"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        assert [r.runs for r in screen.rows] == ["1", "2"]  # session 2
        assert str(screen.table.get_row_at(0)[2]) == "restore_then_init.py:72"
        assert str(screen.table.get_row_at(0)[3]) == \
            "restore 2 from ckpt/restore_then_init/model.ckpt"
        sessions = screen.query_one("#session-list", OptionList)
        sessions.focus()
        await pilot.press("up")  # session 1: init, a streak of 100 updates, the save
        await settle(pilot)
        assert app.session == 1
        assert [(r.runs, r.count) for r in screen.rows] == [("1", 1), ("2-101", 100),
                                                            ("103", 1)]
        screen.table.focus()
        await press(pilot, "down")
        assert "100 runs coalesced" in shown(screen.query_one("#run-detail"))
        await press(pilot, "enter")
        assert isinstance(app.screen, VariablesScreen)
        assert app.screen.filter.label == "run 2-101"
        assert sorted(app.screen.tree.top.all_variables()) == ["dense/bias", "dense/kernel"]


# --- escaping -------------------------------------------------------------------------------

@drive
async def test_hostile_names_are_shown_literally(data, settle, press):
    app = create_app(data("hostile_names"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        labels = tree_lines(screen)
        assert labels[0].startswith('REST [bold]x"<b>\\x1b[31m\\x07\\r\\n')
        everything = [shown(w) for w in app.screen.query(Static)] + labels + \
            [" ".join(map(str, row)) for row in timeline(screen)]
        for text in everything:
            assert "\x1b" not in text and "\x07" not in text and "\r" not in text, text
        assert any("<script>alert(1)</script>[red]k\\x1b[1m" in t for t in everything)
        assert "[bold]x&quot;&lt;b&gt;\\x1b[31m" in app.export_screenshot()
        for key in ("d", "r", "v", "s"):
            await press(pilot, key)
        await press(pilot, "escape", "slash", *"bold")
        assert str(app.screen.query_one(OptionList).get_option_at_index(0).prompt) \
            .startswith("[bold]x")


# --- following a trace that is being written -----------------------------------------------

@drive
async def test_follow_reloads_when_the_trace_grows(settle, tmp_path):
    from tftrace.model import Trace

    source = "examples/traces/restore_then_init.json"
    lines = Path(source).read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines)  # the second session's first record
               if json.loads(line).get("type") == "session" and json.loads(line)["session"] == 2)
    path = tmp_path / "live.json"
    path.write_text("".join(lines[:cut]), encoding="utf-8")
    app = create_app(Trace.load(path), follow=True, poll_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.session == 1 and "● live" in shown(app.screen.query_one("#header"))
        await pilot.press("down")  # dense/kernel, in session 1
        await settle(pilot)
        assert app.screen.tree.current_variable == "dense/kernel"
        with open(path, "a", encoding="utf-8") as f:
            f.write("".join(lines[cut:]))
        for _ in range(100):
            await pilot.pause(0.05)
            if app.generation:
                break
        await settle(pilot)
        assert app.generation == 1
        assert app.session == 2  # a new session appeared: followed, as none was picked
        assert app.screen.tree.current_variable == "dense/kernel"  # selection kept
        verdict = shown(app.screen.detail.query_one("#verdict"))
        assert verdict.startswith("restored from") and "then overwritten" in verdict
        assert app.findings.counts() == {"error": 1}


# --- the command line -------------------------------------------------------------------------

def test_view_errors_are_one_line_before_the_ui(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("not json\n")
    for argv, expected in (
            (["view", str(tmp_path / "missing.json")], "no such file"),
            (["view", str(bad)], "not a tftrace trace"),
            (["view", "examples/traces/restore_then_init.json", "--session", "9"],
             "no session 9"),
            (["view", "examples/traces/restore_then_init.json"], "needs a terminal")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("tftrace: error: ") and expected in err


def test_view_runs_the_app_on_the_loaded_trace(monkeypatch):
    import sys

    from tftrace.views.tui.app import TftraceApp

    ran = {}
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("gc.freeze", lambda: None)
    monkeypatch.setattr(TftraceApp, "run", lambda self: ran.update(
        session=self.session, follow=self.follow, path=self.trace.path))
    assert main(["view", "--follow", "examples/traces/restore_then_init.json",
                 "--session", "1"]) == 0
    assert ran == {"session": 1, "follow": True,
                   "path": "examples/traces/restore_then_init.json"}


def test_view_follow_waits_for_a_trace_that_does_not_exist_yet(monkeypatch, tmp_path,
                                                                capsys):
    import sys

    import tftrace.cli
    from tftrace.views.tui.app import TftraceApp

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("gc.freeze", lambda: None)
    ran = {}
    monkeypatch.setattr(TftraceApp, "run", lambda self: ran.update(
        sessions=len(self.trace.sessions), follow=self.follow))
    path = tmp_path / "later.json"
    waits = []

    def program_starts(seconds):  # stands in for time.sleep: the program writes the trace
        waits.append(seconds)
        if len(waits) == 2:
            path.write_text("")  # created, first record not written yet: keep waiting
        elif len(waits) == 3:
            path.write_text(Path("examples/traces/restore_then_init.json").read_text())

    monkeypatch.setattr(tftrace.cli.time, "sleep", program_starts)
    assert main(["view", "--follow", str(path)]) == 0
    assert waits == [0.5] * 3 and ran == {"sessions": 2, "follow": True}
    assert capsys.readouterr().err == (f"tftrace: waiting for {path} to appear (start the "
                                       "traced program; Ctrl-C to stop)\n")


@drive
async def test_live_badge_goes_off_when_the_program_ended(settle, example):
    app = create_app(example("restore_then_init"), follow=True, poll_interval=0.02)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.screen.query_one("#header")
        assert "● live" in shown(header)  # every session closed, but just now
        start = app.clock()
        app.clock = lambda: start + 6  # no change to the file for 6 s
        for _ in range(100):
            await pilot.pause(0.02)
            if not app.live:
                break
        await settle(pilot)
        assert "● live" not in shown(header) and " ended " in shown(header)


def test_view_needs_textual(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "textual", None)
    assert main(["view", "examples/traces/restore_then_init.json"]) == 2
    # tftrace is on no package index: the message names Textual's own package
    assert "pip install textual" in capsys.readouterr().err



@drive
async def test_mouse_selects_variables_and_switches_screens(example, settle):
    from textual.widgets._footer import FooterKey

    from tftrace.views.tui.widgets.variable_tree import VariableTree

    app = create_app(example("restore_then_init"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Lines inside the border: 1 dense/, 2 bias, 3 kernel.
        await pilot.click(VariableTree, offset=(8, 3))
        await settle(pilot)
        assert app.screen.tree.current_variable == "dense/kernel"
        footer_keys = {key.key: key for key in app.screen.query(FooterKey)}
        await pilot.click(footer_keys["d"])
        await settle(pilot)
        assert isinstance(app.screen, DiagnosticsScreen)
        await pilot.click("#finding-list", offset=(4, 2))  # the error's first line
        await settle(pilot)
        assert isinstance(app.screen, VariablesScreen)
        assert app.screen.filter.label == "restore-overwritten"


@drive
async def test_keys_racing_a_quit_end_cleanly(example, settle):
    # Found in tmux: "q" then "s" typed at once mounted the session picker while the app
    # was closing, and its on_mount crashed. Modals now set themselves up in compose.
    for keys in (("q", "s"), ("s", "s", "q"), ("q", "slash"), ("q", "o")):
        app = create_app(example("uninitialized_read"))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for key in keys:  # all queued at once, as a fast typist's keys arrive
                app.post_message(events.Key(key, None if len(key) > 1 else key))
            await pilot.pause(0.2)
        assert app.return_code == 0, keys


@drive
async def test_a_session_without_findings_points_to_the_one_with_them(example, settle, press):
    from tftrace.views.tui.widgets.trace_header import header_text

    app = create_app(example("restore_then_init"), session=1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "✗ 1 error in session 2 │" in header_text(app).plain
        messages = []
        app.screen.notify = lambda message, **kw: messages.append(message)
        await press(pilot, "n")
        await press(pilot, "p")
        assert messages == ["no finding names a variable of session 1; session 2 has some: "
                            "press s to switch"] * 2
