"""SVG snapshots of each screen, from committed example traces.

``pytest tests/tui/test_snapshots.py --snapshot-update`` rewrites them (after a change to
the UI or to the example traces); review the report of changed snapshots like code.
"""
from __future__ import annotations

from tftrace.views.tui import create_app

SIZE = (110, 32)
SMALL = (80, 24)


def shoot(snap_compare, settle, trace, *keys, size=SIZE):
    """Start the app on ``trace``, press ``keys`` waiting for the workers after each,
    and compare the screen with the stored snapshot."""

    async def run_before(pilot):
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return snap_compare(create_app(trace), terminal_size=size, run_before=run_before)


def test_variables_screen_on_a_clobbered_restore(snap_compare, settle, example):
    assert shoot(snap_compare, settle, example("restore_then_init"), "down")


def test_variables_screen_at_80x24(snap_compare, settle, example):
    assert shoot(snap_compare, settle, example("partial_restore_init"), size=SMALL)


def test_variables_screen_problems_only(snap_compare, settle, example):
    assert shoot(snap_compare, settle, example("saver_too_early"), "p")


def test_diagnostics_screen(snap_compare, settle, example):
    assert shoot(snap_compare, settle, example("saver_too_early"), "d")


def test_runs_screen(snap_compare, settle, example):
    assert shoot(snap_compare, settle, example("train_save_resume"), "r")


def test_session_picker(snap_compare, settle, example):
    assert shoot(snap_compare, settle, example("uninitialized_read"), "s")


def test_search(snap_compare, settle, example):
    assert shoot(snap_compare, settle, example("saver_too_early"), "slash", "a", "d")


def test_call_site(snap_compare, settle, example):
    assert shoot(snap_compare, settle, example("nan_divergence"), "o")


def test_help(snap_compare, settle, example):
    assert shoot(snap_compare, settle, example("restore_then_init"), "question_mark")


def test_hostile_names_shown_literally(snap_compare, settle, data):
    assert shoot(snap_compare, settle, data("hostile_names"))


def test_variables_screen_at_120x35(snap_compare, settle, example):
    # The size the timeline is laid out for: call site, source and digest all visible.
    assert shoot(snap_compare, settle, example("checkpoint_key_mismatch"), size=(120, 35))
