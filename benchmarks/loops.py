"""Training-loop shapes: tftrace vs a plain Session, per-step time, per-run cost, trace size.

Shapes (each built with ``get_variable``, each step about a millisecond of TensorFlow):

- ``adam``: one Adam train op, ``sess.run([train, loss], feed)``;
- ``hooks``: the same under a ``MonitoredSession`` with logging, step-counter, summary and
  checkpoint hooks (what ``MonitoredTrainingSession`` builds): the hooks add fetches on
  some steps, so two signatures interleave;
- ``lr_assign``: the learning rate set by ``assign`` from a feed every step, then a train
  step (two runs per step);
- ``gan``: DCGAN-style alternating discriminator / generator updates (two runs per step);
- ``growing``: ``sess.run(tf.assign(w, w * 0.999))`` plus a train step: a new op every step.

Plain and traced sessions share a graph and take steps in turn, in this process, so load on
the machine (and the growing graph) hits both alike. Figures: the ratio of per-step lower quartiles, the
recorder's own time per run (inside ``before``/``after``, value samples included), and the
trace size after ``--short`` and ``--long`` steps (their ratio shows how the trace grows).

    python benchmarks/loops.py [--shapes adam,gan] [--steps 600]
                               [--short 2000] [--long 20000]

Targets: every shape <= 1.10x plain (adam <= 1.05x); trace at --long <= 1.3x the trace at
--short.
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

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import models  # noqa: E402
import tftrace  # noqa: E402
from tftrace.recorder.live import close_traces, recorder_of  # noqa: E402

v1 = tf.compat.v1


class Shape:
    """A graph and one step of a loop over it; ``session(traced)`` makes a fresh session."""

    runs_per_step = 1
    size_scale = 1.0  # of --short/--long for the trace-size runs
    steps_scale = 1.0  # of --steps for the timed steps

    def __init__(self, workdir: str):
        self.workdir = workdir
        self.graph = tf.Graph()
        with self.graph.as_default():
            v1.set_random_seed(0)
            self.build()
            self.init = v1.global_variables_initializer()

    def build(self) -> None:
        raise NotImplementedError

    def session(self, trace: str | None):
        raw = v1.Session(graph=self.graph)
        if trace is not None:
            tftrace.wrap(raw, trace=trace)
        raw.run(self.init)
        return raw, raw

    def close(self, handle) -> None:
        handle.close()

    def step(self, sess, i: int) -> None:
        raise NotImplementedError


class Adam(Shape):
    def build(self):
        self.loss, self.feed = models.mlp()
        step = v1.train.get_or_create_global_step()
        self.train = v1.train.AdamOptimizer(1e-3).minimize(self.loss, global_step=step)

    def step(self, sess, i):
        sess.run([self.train, self.loss], self.feed)


class Hooks(Adam):
    """A MonitoredSession with the hooks MonitoredTrainingSession installs."""

    def build(self):
        super().build()
        tf.compat.v1.summary.scalar("loss", self.loss)
        self.summary = v1.summary.merge_all()
        self.saver = v1.train.Saver()

    def session(self, trace):
        shape, captured = self, []

        class Creator(v1.train.ChiefSessionCreator):
            def create_session(self):
                raw = super().create_session()
                if trace is not None:
                    tftrace.wrap(raw, trace=trace)
                captured.append(raw)
                return raw

        out = tempfile.mkdtemp(dir=self.workdir)
        with self.graph.as_default():
            scaffold = v1.train.Scaffold(init_op=self.init, saver=self.saver,
                                         summary_op=self.summary)
            hooks = [
                v1.train.LoggingTensorHook({"loss": shape.loss}, every_n_iter=100),
                v1.train.StepCounterHook(every_n_steps=100, output_dir=out),
                v1.train.SummarySaverHook(save_steps=100, output_dir=out,
                                          summary_op=self.summary),
                v1.train.CheckpointSaverHook(out, save_secs=600, scaffold=scaffold),
            ]
            sess = v1.train.MonitoredSession(
                session_creator=Creator(scaffold=scaffold), hooks=hooks)
        return sess, captured[0]

    def close(self, handle):
        with self.graph.as_default():  # the checkpoint hook saves at the end
            handle.close()

    def step(self, sess, i):
        sess.run(self.train, self.feed)


class LrAssign(Adam):
    runs_per_step = 2

    def build(self):
        self.loss, self.feed = models.mlp()
        self.lr = v1.get_variable("lr", [], initializer=v1.constant_initializer(1e-3),
                                  trainable=False)
        self.lr_in = v1.placeholder(tf.float32, [], name="lr_in")
        self.set_lr = self.lr.assign(self.lr_in)
        step = v1.train.get_or_create_global_step()
        self.train = v1.train.AdamOptimizer(self.lr).minimize(self.loss, global_step=step)

    def step(self, sess, i):
        sess.run(self.set_lr, {self.lr_in: 1e-3 / (1.0 + 1e-3 * i)})
        sess.run([self.train, self.loss], self.feed)


class Gan(Shape):
    runs_per_step = 2

    def build(self):
        z = v1.placeholder(tf.float32, [None, 16], name="z")
        real = v1.placeholder(tf.float32, [None, 32], name="real")
        with v1.variable_scope("generator"):
            fake = models._dense(models._dense(z, 64, "g0", tf.nn.relu), 32, "g1")

        def discriminator(x, reuse):
            with v1.variable_scope("discriminator", reuse=reuse):
                return models._dense(models._dense(x, 64, "d0", tf.nn.relu), 1, "d1")

        d_real, d_fake = discriminator(real, False), discriminator(fake, True)
        xent = tf.nn.sigmoid_cross_entropy_with_logits
        d_loss = tf.reduce_mean(xent(labels=tf.ones_like(d_real), logits=d_real)
                                + xent(labels=tf.zeros_like(d_fake), logits=d_fake))
        g_loss = tf.reduce_mean(xent(labels=tf.ones_like(d_fake), logits=d_fake))
        d_vars = [v for v in v1.trainable_variables() if v.name.startswith("discriminator")]
        g_vars = [v for v in v1.trainable_variables() if v.name.startswith("generator")]
        step = v1.train.get_or_create_global_step()
        self.d_optim = v1.train.AdamOptimizer(2e-4, beta1=0.5, name="d_adam").minimize(
            d_loss, var_list=d_vars)
        self.g_optim = v1.train.AdamOptimizer(2e-4, beta1=0.5, name="g_adam").minimize(
            g_loss, var_list=g_vars, global_step=step)
        self.d_loss, self.g_loss = d_loss, g_loss
        rng = np.random.default_rng(0)
        self.feed = {z: rng.normal(size=(64, 16)).astype(np.float32),
                     real: rng.normal(size=(64, 32)).astype(np.float32)}

    def step(self, sess, i):
        sess.run([self.d_optim, self.d_loss], self.feed)
        sess.run([self.g_optim, self.g_loss], self.feed)


class Growing(Adam):
    """An op built inside the loop: the graph grows by three ops every step.

    TensorFlow's own step cost grows with the graph (its session copies the graph to
    extend it): the trace-size runs take a twentieth of --short/--long steps, the timed
    run a quarter of --steps."""

    runs_per_step = 2
    size_scale = 0.05
    steps_scale = 0.25

    def build(self):
        super().build()
        self.w = v1.get_variable("decayed", [16], initializer=v1.ones_initializer())

    def step(self, sess, i):
        with self.graph.as_default():
            decay = self.w.assign(self.w * 0.999)  # the user's bug-prone habit
        sess.run(decay)
        sess.run([self.train, self.loss], self.feed)


SHAPES = {"adam": Adam, "hooks": Hooks, "lr_assign": LrAssign, "gan": Gan,
          "growing": Growing}


def timed_steps(shape: Shape, sess, start: int, steps: int) -> list[float]:
    out = []
    for i in range(start, start + steps):
        t = time.perf_counter()
        shape.step(sess, i)
        out.append(time.perf_counter() - t)
    return out


def lower_quartile(values: list[float]) -> float:
    return statistics.quantiles(values, n=4)[0]


def instrument(raw) -> list[float]:
    """Accumulate the time spent in the recorder's before/after (its whole per-run work)
    and, apart, in its value samples (a batched read at streak counts 1, 2, 4, ...):
    [seconds, runs, sample seconds]."""
    recorder = recorder_of(raw)
    spent = [0.0, 0, 0.0]

    def timed(function, slot: int, counts: bool = False):
        def wrapper(*args):
            t = time.perf_counter()
            try:
                return function(*args)
            finally:
                spent[slot] += time.perf_counter() - t
                spent[1] += counts
        return wrapper

    recorder.before = timed(recorder.before, 0)
    recorder.after = timed(recorder.after, 0, counts=True)
    recorder._sample = timed(recorder._sample, 2)
    return spent


def trace_size(cls, workdir: str, steps: int) -> int:
    shape = cls(workdir)
    path = os.path.join(workdir, f"{cls.__name__}-{steps}.json")
    sess, _ = shape.session(path)
    for i in range(steps):
        shape.step(sess, i)
    shape.close(sess)
    close_traces()
    return os.path.getsize(path)


def measure(name: str, args, workdir: str) -> dict:
    cls = SHAPES[name]
    shape = cls(workdir)
    plain, _ = shape.session(None)
    traced, raw = shape.session(os.path.join(workdir, f"{name}-timing.json"))
    warm = 50 if cls.steps_scale == 1 else 10
    timed_steps(shape, plain, 0, warm)  # kernels, caches, plan analysis
    timed_steps(shape, traced, 0, warm)
    spent = instrument(raw)
    plain_times, traced_times = [], []
    for i in range(warm, warm + int(args.steps * cls.steps_scale)):
        # Step by step, in turn: a growing graph costs TensorFlow more every step (its
        # session copies the graph to extend it), so both sessions must see the same size.
        order = [(plain, plain_times), (traced, traced_times)]
        for sess, out in (order if i % 2 == 0 else order[::-1]):
            t = time.perf_counter()
            shape.step(sess, i)
            out.append(time.perf_counter() - t)
    spent = list(spent)  # what closing the session costs is not a run's
    shape.close(plain)
    shape.close(traced)
    close_traces()
    p, t = lower_quartile(plain_times), lower_quartile(traced_times)
    row = {"shape": name, "plain_us": p * 1e6, "traced_us": t * 1e6, "ratio": t / p,
           "recorder_us_per_run": (spent[0] - spent[2]) / max(spent[1], 1) * 1e6,
           "samples_us_per_run": spent[2] / max(spent[1], 1) * 1e6}
    row["short_steps"] = int(args.short * cls.size_scale)
    row["long_steps"] = int(args.long * cls.size_scale)
    if row["short_steps"]:
        row["short_bytes"] = trace_size(cls, workdir, row["short_steps"])
    if row["long_steps"]:
        row["long_bytes"] = trace_size(cls, workdir, row["long_steps"])
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help=f"comma-separated, from {', '.join(SHAPES)}")
    parser.add_argument("--steps", type=int, default=600, help="timed steps per session")
    parser.add_argument("--short", type=int, default=2000, help="steps of the short trace (0: skip)")
    parser.add_argument("--long", type=int, default=20000, help="steps of the long trace (0: skip)")
    args = parser.parse_args(argv)
    names = [n for n in args.shapes.split(",") if n]
    unknown = [n for n in names if n not in SHAPES]
    if unknown:
        parser.error(f"unknown shape(s): {', '.join(unknown)}")
    workdir = tempfile.mkdtemp(prefix="tftrace-loops-")
    print(f"{'shape':10s} {'plain us/step':>13s} {'traced':>9s} {'ratio':>7s} "
          f"{'tftrace us/run':>14s} {'+samples':>8s} {'trace@short':>12s} {'trace@long':>11s} {'long/short':>10s}")
    try:
        for name in names:
            row = measure(name, args, workdir)
            short, long = row.get("short_bytes"), row.get("long_bytes")
            growth = f"{long / short:10.2f}" if short and long else f"{'-':>10s}"
            print(f"{name:10s} {row['plain_us']:13.0f} {row['traced_us']:9.0f} "
                  f"{row['ratio']:6.3f}x {row['recorder_us_per_run']:14.1f} "
                  f"{row['samples_us_per_run']:8.1f} "
                  f"{_kib(short):>12s} {_kib(long):>11s} {growth}"
                  f"{'' if shape_scale(name) == 1 else '  (steps: %d, %d)' % (row['short_steps'], row['long_steps'])}",
                  flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def shape_scale(name: str) -> float:
    return SHAPES[name].size_scale


def _kib(size: int | None) -> str:
    return "-" if size is None else f"{size / 1024:.1f} KiB"


if __name__ == "__main__":
    sys.exit(main())
