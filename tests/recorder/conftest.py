"""Helpers for recorder tests that start other processes (clusters, `tftrace run`)."""
from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
from typing import Any, Callable

import pytest


def _tensorflow_installed() -> bool:
    """Whether TensorFlow can be imported, found without importing it (that costs seconds)."""
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except ImportError:  # blocked (tests/without_tensorflow) or a broken install
        return False


#: These modules import TensorFlow at module level (every test in them is marked `tf`), so
#: without TensorFlow they cannot even be collected: leave them out, and `pytest -m "not tf"`
#: runs everywhere (tests/test_layers.py proves it with TensorFlow blocked).
collect_ignore = ([] if _tensorflow_installed() else
                  ["test_construction.py", "test_recording.py", "test_scale.py"])


def run_bounded(command: list[str], timeout: float, **popen: Any) -> tuple[int, str, str]:
    """Run ``command`` in its own process group; past ``timeout`` kill the whole group by
    its id and fail the test. Returns (exit code, stdout, stderr)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, **popen)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{command[:4]}... did not finish in {timeout:.0f} s")
    return proc.returncode, out, err


@pytest.fixture(scope="session")
def bounded() -> Callable[..., tuple[int, str, str]]:
    return run_bounded
