"""`tftrace check` on big traces: read, index, diagnose — against parsing the JSON alone.

    python benchmarks/check.py [--variables 10000] [--steps 100000] [--runs 100000]

Two traces: a model of 10 000 variables trained 100 000 steps (what the recorder writes:
an initializer run and one streak sampled on a geometric schedule), and a trace of 100 000
non-update runs (assigns), the worst case for readers. The baseline is ``json.loads`` of
every line: the least any reader of the format must do.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from synthetic import add_size_flags, big_traces  # noqa: E402

from tftrace.model import Trace  # noqa: E402
from tftrace.tracefile import read_trace  # noqa: E402


def timed(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def measure(label: str, path: str) -> None:
    def parse_only():
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    _, baseline = timed(parse_only)
    raw, read = timed(lambda: read_trace(path))
    trace, index = timed(lambda: Trace(raw))
    found, check = timed(trace.diagnostics)
    total = read + index + check
    size = os.path.getsize(path) / 2 ** 20
    print(f"{label}: {size:.1f} MiB, {len(raw.records)} records")
    print(f"  json.loads only (baseline) {baseline:6.2f} s")
    print(f"  read + validate            {read:6.2f} s")
    print(f"  index                      {index:6.2f} s")
    print(f"  diagnostics ({len(found)} found)     {check:6.2f} s")
    print(f"  total                      {total:6.2f} s  = {total / baseline:.1f}x baseline")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_size_flags(parser)
    with big_traces(parser.parse_args()) as traces:
        for label, path in traces:
            measure(label, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
