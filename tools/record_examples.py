"""Re-record the committed example traces: examples/traces/NAME.json for each example.

Each example runs under `tftrace run` from the repository root (its checkpoints go to
ckpt/NAME, which is gitignored), exactly as a user would record it:

    python tools/record_examples.py [NAME ...]
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
TRACES = os.path.join(EXAMPLES, "traces")


def example_names() -> list[str]:
    return sorted(name[:-3] for name in os.listdir(EXAMPLES)
                  if name.endswith(".py") and not name.startswith("_"))


def record(name: str) -> tuple[int, float]:
    os.makedirs(TRACES, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TFTRACE_TRACE", None)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "tftrace", "run", "-o", f"examples/traces/{name}.json",
         f"examples/{name}.py"], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.stderr.write(result.stdout + result.stderr)
    return result.returncode, time.perf_counter() - started


def main(argv: list[str]) -> int:
    names = argv or example_names()
    unknown = sorted(set(names) - set(example_names()))
    if unknown:
        sys.stderr.write(f"unknown example(s): {', '.join(unknown)}\n")
        return 2
    failed = 0
    for i, name in enumerate(names, 1):
        code, seconds = record(name)
        status = "ok" if code in (0, 1) else f"FAILED (exit {code})"
        failed += code not in (0, 1)
        print(f"[{i}/{len(names)}] {name:32s} exit {code}  {seconds:5.1f} s  {status}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
