"""Shared test helpers."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with tests/golden/NAME; ``TFTRACE_REGEN_GOLDEN=1`` rewrites it.

    Review regenerated golden diffs like code.
    """
    path = GOLDEN / name
    if os.environ.get("TFTRACE_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual + "\n", encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual + "\n" == expected, f"{path} differs; TFTRACE_REGEN_GOLDEN=1 regenerates it"


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    return check_golden
