"""Fixtures for the TUI tests: example traces loaded from the repository root, and a
helper that waits until the app's worker threads are done and the screen is redrawn."""
from __future__ import annotations

from pathlib import Path
from typing import Awaitable, Callable

import pytest

pytest.importorskip("textual")

from tftrace.model import Trace  # noqa: E402

ROOT = Path(__file__).parent.parent.parent


@pytest.fixture(autouse=True)
def at_repository_root(monkeypatch):
    # Trace paths are shown as given: load them relative to the root, as a user would,
    # so that headers and snapshots do not depend on where the checkout is.
    monkeypatch.chdir(ROOT)


@pytest.fixture
def example() -> Callable[[str], Trace]:
    """``example("restore_then_init")``: a committed example trace."""
    return lambda name: Trace.load(f"examples/traces/{name}.json")


@pytest.fixture
def data() -> Callable[[str], Trace]:
    """``data("hostile_names")``: a hand-made trace from tests/data."""
    return lambda name: Trace.load(f"tests/data/{name}.jsonl")


@pytest.fixture
def settle() -> Callable[..., Awaitable[None]]:
    return settle_app


@pytest.fixture
def press() -> Callable[..., Awaitable[None]]:
    """``await press(pilot, "d", "enter")``: each key, then :func:`settle_app`."""

    async def press_and_settle(pilot, *keys: str) -> None:
        for key in keys:
            await pilot.press(key)
            await settle_app(pilot)

    return press_and_settle


async def settle_app(pilot, rounds: int = 50) -> None:
    """Wait until the diagnostics are in, no worker runs and nothing new was scheduled (a
    finished worker can start the next one: diagnostics → relabel → detail). The
    diagnostics worker starts only after the first refresh, so "no worker running" alone
    can be true too early."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if getattr(app, "findings", True) is not None and \
                not any(w.is_running for w in app.workers):
            break
    # Messages the last worker's result queued (a highlight, then the detail's refill).
    await pilot.pause()
    await pilot.pause()
