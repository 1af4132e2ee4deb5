"""A longer training loop resumed from a checkpoint (CLEAN; also the long-run fixture).

What it does
    A small MLP (8 -> 32 -> 32 -> 1) regresses a fixed synthetic dataset with Adam and a
    global step, feeding minibatches of 32 through placeholders.
    Phase 1 ("pretraining") trains 50 steps and saves ckpt/training_loop/model.ckpt-50
    (Saver built after minimize(), so slots and global_step are included).
    Phase 2 ("training") builds the same graph anew, initializes, restores the phase-1
    checkpoint, then runs --steps training steps (default 1000) and saves at the end.

The trace shows, per variable, a restore followed by one long streak of updates; with
`--steps 100000` it checks that a long run keeps the trace small. One step takes on the
order of a millisecond. tftrace should report no warning or error.

Usage: python examples/training_loop.py [--steps N]

Variables: resource variables (VarHandleOp) -- default TF2 graph mode after
disable_eager_execution().
"""
import argparse
import os
import shutil
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "training_loop"
CKPT_DIR = os.path.join("ckpt", NAME)
BATCH = 32

rng = np.random.RandomState(0)
X = rng.randn(512, 8).astype(np.float32)
Y = np.sin(X[:, :4].sum(axis=1, keepdims=True)) + 0.1 * X[:, 4:5]


def build_graph():
    tf.compat.v1.set_random_seed(1)
    x = tf.compat.v1.placeholder(tf.float32, [None, 8], name="x")
    y = tf.compat.v1.placeholder(tf.float32, [None, 1], name="y")
    h = x
    for i, units in enumerate([32, 32, 1], start=1):
        with tf.compat.v1.variable_scope(f"dense{i}"):
            kernel = tf.compat.v1.get_variable("kernel", [h.shape[1], units])
            bias = tf.compat.v1.get_variable("bias", [units], initializer=tf.compat.v1.zeros_initializer())
        h = tf.matmul(h, kernel) + bias
        if units > 1:
            h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.square(h - y), name="loss")
    global_step = tf.compat.v1.train.get_or_create_global_step()
    train_op = tf.compat.v1.train.AdamOptimizer(1e-3).minimize(loss, global_step=global_step)
    saver = tf.compat.v1.train.Saver()
    return x, y, loss, global_step, train_op, saver


def run_steps(sess, steps, x, y, loss, global_step, train_op, report_every=None):
    loss_value = None
    for step in range(steps):
        start = (step * BATCH) % len(X)
        _, loss_value = sess.run([train_op, loss], {x: X[start:start + BATCH], y: Y[start:start + BATCH]})
        if report_every and (step + 1) % report_every == 0:
            print(f"  global_step {sess.run(global_step)}: loss {loss_value:.4f}")
    return loss_value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="training steps of phase 2 (default 1000)")
    args = parser.parse_args()
    tf.compat.v1.disable_eager_execution()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    prefix = os.path.join(CKPT_DIR, "model.ckpt")

    # Phase 1: pretraining.
    with tf.Graph().as_default():
        x, y, loss, global_step, train_op, saver = build_graph()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            loss_value = run_steps(sess, 50, x, y, loss, global_step, train_op)
            path = saver.save(sess, prefix, global_step=global_step)
    print(f"phase 1: 50 steps, loss {loss_value:.4f}, saved {path}")

    # Phase 2: init, restore, long training.
    with tf.Graph().as_default():
        x, y, loss, global_step, train_op, saver = build_graph()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            saver.restore(sess, path)
            print(f"phase 2: restored {path}, training {args.steps} steps")
            started = time.perf_counter()
            run_steps(sess, args.steps, x, y, loss, global_step, train_op, max(1, args.steps // 5))
            elapsed = time.perf_counter() - started
            path = saver.save(sess, prefix, global_step=global_step)
    print(f"phase 2: {1000 * elapsed / max(1, args.steps):.2f} ms/step, saved {path}")


if __name__ == "__main__":
    main()
