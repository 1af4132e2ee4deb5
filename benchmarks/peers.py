"""tftrace next to TensorFlow's own debuggers, on the same training loop, in one process.

The loop: an MLP trained with Adam (resource variables, ``get_variable``), each step
``sess.run([train, loss], feed)``. Each tool's session runs the loop on its own graph
built the same way; the baseline is a plain Session on that same graph, timed right before
it, so each ratio compares like with like. Reported: per-step lower quartile, ratio, bytes
written per step.

- tftrace: ``tftrace.Session``;
- tfdbg v1: ``DumpingDebugWrapperSession`` (dumps every tensor of every run);
- Debugger V2: ``tf.debugging.experimental.enable_dump_debug_info(dir,
  tensor_debug_mode="CURT_HEALTH")`` before the graph is built (it instruments the graph).

    python benchmarks/peers.py [--steps 300] [--slow-steps 20]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import tensorflow as tf  # noqa: E402

import models  # noqa: E402
import tftrace  # noqa: E402
from tftrace.recorder.live import close_traces  # noqa: E402

v1 = tf.compat.v1


def build():
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(0)
        loss, feed = models.mlp()
        step = v1.train.get_or_create_global_step()
        train = v1.train.AdamOptimizer(1e-3).minimize(loss, global_step=step)
        init = v1.global_variables_initializer()
    return graph, init, train, loss, feed


def per_step(sess, train, loss, feed, steps: int) -> float:
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        sess.run([train, loss], feed)
        times.append(time.perf_counter() - t)
    return statistics.quantiles(times, n=4)[0]  # the lower quartile


def dir_size(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path)
               for f in files)


def compare(name: str, make_session, steps: int, out: str, baseline, tool=None,
            flush=None) -> None:
    """Time a plain Session on ``baseline`` (a ``build()``), then ``make_session(graph)``
    on ``tool`` (another ``build()``; the baseline's graph by default)."""
    graph, init, train, loss, feed = baseline
    plain = v1.Session(graph=graph)
    plain.run(init)
    per_step(plain, train, loss, feed, 20)  # warm-up
    base = per_step(plain, train, loss, feed, steps)
    plain.close()
    graph, init, train, loss, feed = tool or baseline
    sess = make_session(graph)
    sess.run(init)
    per_step(sess, train, loss, feed, 5)
    before = dir_size(out) if os.path.exists(out) else 0
    took = per_step(sess, train, loss, feed, steps)
    if flush is not None:  # a tool that buffers: count all it wrote, over all its runs
        flush()
        before, steps = 0, steps + 6
    after = dir_size(out) if os.path.exists(out) else 0
    sess.close()
    print(f"{name:34s} {base * 1e6:9.0f} {took * 1e6:10.0f} {took / base:8.2f}x "
          f"{(after - before) / steps:12.0f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps for tftrace, Debugger V2")
    parser.add_argument("--slow-steps", type=int, default=20, help="steps for tfdbg v1")
    args = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="tftrace-peers-")
    print(f"{'tool':34s} {'plain us':>9s} {'tool us':>10s} {'ratio':>9s} {'bytes/step':>12s}")
    try:
        trace = os.path.join(workdir, "trace.json")
        compare("tftrace.Session", lambda g: tftrace.Session(graph=g, trace=trace),
                args.steps, trace, build())
        close_traces()

        from tensorflow.python.debug.wrappers import dumping_wrapper

        dumps = os.path.join(workdir, "tfdbg")
        compare("tfdbg DumpingDebugWrapperSession",
                lambda g: dumping_wrapper.DumpingDebugWrapperSession(
                    v1.Session(graph=g), session_root=dumps),
                args.slow_steps, dumps, build())

        v2 = os.path.join(workdir, "debugger_v2")
        baseline = build()
        tf.debugging.experimental.enable_dump_debug_info(v2, tensor_debug_mode="CURT_HEALTH")
        try:
            instrumented = build()  # Debugger V2 instruments graphs as they are built
            compare("Debugger V2 (CURT_HEALTH)", lambda g: v1.Session(graph=g),
                    args.steps, v2, baseline, instrumented,
                    flush=tf.debugging.experimental.disable_dump_debug_info)
        finally:
            tf.debugging.experimental.disable_dump_debug_info()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("(each baseline: a plain Session on an uninstrumented copy of the graph; "
          "bytes/step: what the tool wrote during the timed steps; Debugger V2 buffers, so its\n"
          " figure is all it wrote, graph included, over all its runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
