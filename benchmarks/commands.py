"""The reading commands as a user runs them: `check`, `explain`, `render`, each a new process.

    python benchmarks/commands.py [--repeat 5] [--compare OTHER_CHECKOUT] [--big]

Each command runs as ``python -m tftrace ...`` on committed example traces (a small one, and
the BERT fine-tuning one) and, with ``--big``, on a synthetic trace of 10 000
variables trained 100 000 steps. The figure is the fastest of ``--repeat`` runs, wall
clock, start-up included: what the user waits for. The baseline, measured in the same run,
is a process that reads the same file with ``json.loads`` line by line: the least any reader
of the format must do, with the same interpreter start-up.

With ``--compare DIR`` every command also runs from another checkout of tftrace (e.g. a
``git worktree`` at an older commit) and the table gains its times and the ratio
this/other: a before/after measured under the same load.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from synthetic import write_training_trace  # noqa: E402

EXAMPLES = os.path.join(ROOT, "examples", "traces")

BASELINE = "import json, sys\nwith open(sys.argv[1], encoding='utf-8') as f:\n" \
           "    [json.loads(line) for line in f]\n"


def wall(argv: list[str], checkout: str, repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``argv`` with ``checkout`` first on the path."""
    env = {**os.environ, "PYTHONPATH": checkout}
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, cwd=checkout, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        best = min(best, time.perf_counter() - start)
        if done.returncode not in (0, 1):
            sys.exit(f"{' '.join(argv)} failed in {checkout}: {done.stderr.strip()}")
    return best


def cases(big: str | None, out: str) -> list[tuple[str, str, list[str]]]:
    """(trace label, trace path, command arguments) for every measured command."""
    small = os.path.join(EXAMPLES, "restore_then_init.json")
    bert = os.path.join(EXAMPLES, "bert_finetune.json")
    traces = [("restore_then_init", small, "dense/kernel"),
              ("bert_finetune", bert, "bert/encoder/layer_0/attention/self/query/kernel")]
    if big:
        traces.append(("10k vars, 100k steps", big, "layer0/v5"))
    found = []
    for label, path, variable in traces:
        found += [(label, path, ["check", path]),
                  (label, path, ["explain", path, variable]),
                  (label, path, ["render", path, "-o", os.path.join(out, "d.dot")])]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", metavar="DIR", help="another checkout to run as well")
    parser.add_argument("--big", action="store_true",
                        help="also a synthetic 10 000-variable, 100 000-step trace")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        big = write_training_trace(os.path.join(tmp, "big.jsonl")) if args.big else None
        header = f"{'trace':<22}{'command':<9}{'baseline':>9}{'this':>8}{'x base':>8}"
        if args.compare:
            header += f"{'other':>8}{'this/other':>11}"
        print(header)
        baselines: dict[str, float] = {}
        for label, path, command in cases(big, tmp):
            if path not in baselines:
                baselines[path] = wall([python, "-c", BASELINE, path], ROOT, args.repeat)
            base = baselines[path]
            this = wall([python, "-m", "tftrace", *command], ROOT, args.repeat)
            row = f"{label:<22}{command[0]:<9}{base:>8.2f}s{this:>7.2f}s{this / base:>7.1f}x"
            if args.compare:
                other = wall([python, "-m", "tftrace", *command],
                             os.path.abspath(args.compare), args.repeat)
                row += f"{other:>7.2f}s{this / other:>10.2f}x"
            print(row, flush=True)


if __name__ == "__main__":
    main()
