"""Recorder overhead on a training loop: tftrace.Session vs a plain Session.

A small MLP trained with Adam (about 1 ms per step on a laptop CPU). Both sessions run the
same graph alternately, in rounds, in this one process, so machine noise hits both alike;
the figure is the ratio of median per-step times. Also reports the per-run bookkeeping in
microseconds and the size of the trace for a long loop.

    python benchmarks/overhead.py [--steps 2000] [--rounds 7] [--long-steps 100000]

Target: ratio <= 1.10 (design aim: <= 1.05).
"""
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tftrace  # noqa: E402
from tftrace.recorder.live import close_traces, recorder_of  # noqa: E402

v1 = tf.compat.v1


def build(hidden: int = 64):
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(0)
        x = v1.placeholder(tf.float32, [None, 32], name="x")
        y = v1.placeholder(tf.float32, [None, 1], name="y")
        h = x
        for i, width in enumerate((hidden, hidden, 1)):
            w = v1.get_variable(f"dense{i}/kernel", [h.shape[1], width])
            b = v1.get_variable(f"dense{i}/bias", [width], initializer=v1.zeros_initializer())
            h = tf.matmul(h, w) + b
            if width != 1:
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.square(h - y))
        step = v1.train.get_or_create_global_step()
        train = v1.train.AdamOptimizer(1e-3).minimize(loss, global_step=step)
        init = v1.global_variables_initializer()
    rng = np.random.default_rng(0)
    feed = {x: rng.normal(size=(64, 32)).astype(np.float32),
            y: rng.normal(size=(64, 1)).astype(np.float32)}
    return graph, init, train, loss, feed


def time_steps(sess, train, loss, feed, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        sess.run([train, loss], feed)
    return (time.perf_counter() - start) / steps


def bookkeeping_us(sess, train, loss, feed, runs: int = 20000) -> float:
    """tftrace's per-run work alone: plan lookup + streak step, on a warm cache."""
    recorder = recorder_of(sess)
    fetches = [train, loss]
    plan = recorder.before(fetches, feed)
    start = time.perf_counter()
    for _ in range(runs):
        plan = recorder.before(fetches, feed)
        # A streak step at a count that is not a power of two: no value read.
        streak = recorder._streaks.get(plan.streak_key)
        if streak is not None and streak.count & (streak.count + 1) == 0:
            streak.count += 1
        recorder.after(plan, feed, 0.0)
    return (time.perf_counter() - start) / runs * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps per session per round")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--long-steps", type=int, default=100_000,
                        help="steps of the long run whose trace size is reported (0: skip)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="tftrace-bench-")
    atexit.register(shutil.rmtree, workdir, True)
    graph, init, train, loss, feed = build()
    plain = v1.Session(graph=graph)
    traced = tftrace.Session(graph=graph, trace=os.path.join(workdir, "bench.json"))
    for sess in (plain, traced):
        sess.run(init)
        time_steps(sess, train, loss, feed, 200)  # warm-up: kernels, caches, plan analysis
    plain_times, traced_times = [], []
    for r in range(args.rounds):
        order = [(plain, plain_times), (traced, traced_times)]
        for sess, out in (order if r % 2 == 0 else order[::-1]):
            out.append(time_steps(sess, train, loss, feed, args.steps))
    p, t = statistics.median(plain_times), statistics.median(traced_times)
    # Each round times both sessions back to back: the median of per-round ratios is the
    # figure least disturbed by other load on the machine.
    ratio = statistics.median(b / a for a, b in zip(plain_times, traced_times))
    print(f"plain session   : {p * 1e6:8.1f} us/step (median of {args.rounds} rounds "
          f"x {args.steps} steps)")
    print(f"tftrace.Session : {t * 1e6:8.1f} us/step")
    print(f"overhead ratio  : {ratio:.3f}x   (target <= 1.10, design aim <= 1.05)")
    print(f"per-run cost    : {(t - p) * 1e6:+.1f} us (difference of medians; noisy)")
    print(f"bookkeeping     : {bookkeeping_us(traced, train, loss, feed):.2f} us/run "
          f"(tftrace's own work per cached training run, without TensorFlow's)")
    plain.close()
    traced.close()

    if args.long_steps:
        path = os.path.join(workdir, "long.json")
        graph, init, train, loss, feed = build(hidden=16)
        with tftrace.Session(graph=graph, trace=path) as sess:
            sess.run(init)
            start = time.perf_counter()
            for _ in range(args.long_steps):
                sess.run([train, loss], feed)
            elapsed = time.perf_counter() - start
        close_traces()
        size = os.path.getsize(path)
        with open(path, encoding="utf-8") as f:
            records = sum(1 for _ in f)
        print(f"long run        : {args.long_steps} steps in {elapsed:.1f} s -> trace of "
              f"{size / 1024:.1f} KiB in {records} records (22 variables)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
