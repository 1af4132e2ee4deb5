"""A BERT-style graph at real-program scale: run analysis per signature, and end to end.

1. First-run analysis: the 12-layer graph of ``models.bert_like`` (~14k ops, 604
   variables); ``analyze_run`` timed for each signature a ``MonitoredTrainingSession``
   job makes (train op alone, with the hooks' fetches, the loss alone), in the order a
   job meets them, so later ones reuse the memo of the first. Baseline in the same process:
   one walk over the graph (``graph_ops.upstream``), the least any analysis must do.
2. End to end: ``benchmarks/programs/bert_finetune.py`` run as ``python SCRIPT`` and as
   ``python -m tftrace run SCRIPT``, alternately, ``--repeats`` times each; the ratio of the
   fastest runs (TensorFlow's import and graph building included, as a user sees it).

    python benchmarks/bert.py [--steps 150] [--repeats 2] [--no-end-to-end]

Targets: first-run analysis of one signature <= 0.3 s; end to end <= 1.05x plain.
"""
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)


def analysis() -> None:
    import tensorflow as tf

    import models
    from tftrace.recorder.classify import analyze_run
    from tftrace.recorder.graph_index import GraphIndex
    from tftrace.recorder.graph_ops import upstream

    started = time.perf_counter()
    graph, train_op, loss, feed = models.bert_like()
    built = time.perf_counter() - started
    fed = [t.name for t in feed]
    with graph.as_default():
        summary = tf.compat.v1.summary.scalar("loss", loss)
        step = tf.compat.v1.train.get_global_step()
        t = time.perf_counter()
        index = GraphIndex(graph, 1)
        index.refresh()
        indexed = time.perf_counter() - t
        t = time.perf_counter()
        upstream([train_op], frozenset(fed), control=True)
        walk = time.perf_counter() - t
        print(f"graph: {len(graph.get_operations())} ops, {len(index.variables)} variables "
              f"(built in {built:.1f} s, indexed in {indexed:.2f} s)")
        print(f"one walk over the train op's closure (baseline): {walk:.3f} s")
        for name, targets in [("train_op", [train_op]),
                              ("train_op + hooks' fetches", [train_op, loss.op, summary.op,
                                                             step.op]),
                              ("train_op + logging hook", [train_op, loss.op]),
                              ("loss alone (eval)", [loss.op])]:
            t = time.perf_counter()
            plan = analyze_run(index, targets, fed)
            took = time.perf_counter() - t
            print(f"  first-run analysis, {name:26s}: {took:6.3f} s = {took / walk:5.1f}x "
                  f"the walk  ({len(plan.writes)} writes)")


def end_to_end(steps: int, repeats: int) -> None:
    script = os.path.join(HERE, "programs", "bert_finetune.py")
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TFTRACE_TRACE", None)
    workdir = tempfile.mkdtemp(prefix="tftrace-bert-")
    atexit.register(shutil.rmtree, workdir, True)  # its checkpoints and traces
    trace = os.path.join(workdir, "bert.json")
    commands = {"python": [sys.executable, script, str(steps)],
                "tftrace run": [sys.executable, "-m", "tftrace", "run", "-o", trace, script,
                                str(steps)]}
    times: dict[str, list[float]] = {k: [] for k in commands}
    for r in range(repeats):
        for name in (list(commands) if r % 2 == 0 else list(commands)[::-1]):
            t = time.perf_counter()
            subprocess.run(commands[name], env=env, cwd=workdir, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - t)
    plain, traced = min(times["python"]), min(times["tftrace run"])
    print(f"end to end, {steps} steps: python {plain:.1f} s, tftrace run {traced:.1f} s -> "
          f"{traced / plain:.3f}x  (fastest of {repeats}; trace "
          f"{os.path.getsize(trace) / 1024:.0f} KiB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-end-to-end", action="store_true")
    args = parser.parse_args(argv)
    analysis()
    if not args.no_end_to_end:
        end_to_end(args.steps, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
