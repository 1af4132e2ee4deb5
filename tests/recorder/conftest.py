"""Helpers for recorder tests that start other processes (clusters, `tftrace run`)."""
from __future__ import annotations

import os
import signal
import subprocess
from typing import Any, Callable

import pytest


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
