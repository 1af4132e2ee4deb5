"""The examples in the public API's docstrings run and say what they show."""
from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

MODULES = ["tftrace.model", "tftrace.model.trace", "tftrace.model.events",
           "tftrace.model.queries", "tftrace.model.lineage", "tftrace.model.display",
           "tftrace.cli", "tftrace.model.explain", "tftrace.views.dot.source",
           "tftrace.views.dot.escape", "tftrace.escape", "tftrace.api"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # the examples load traces from tests/data
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
