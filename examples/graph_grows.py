"""A new tf.compat.v1.assign op built inside the training loop: the graph grows with every
step (BUG: PRODUCT §1, bug 8 -- ops added during the session).

What it does
    Fits w to a target by hand-written gradient descent: every step computes the new
    value in numpy and writes it with sess.run(tf.compat.v1.assign(w, new_value)) -- 60
    steps -- then saves ckpt/graph_grows/model.ckpt.

The bug
    tf.compat.v1.assign(w, new_value) inside the loop (the `# BUG:` line) adds three ops
    (a Const for the value, the assign, a read) to the graph on every step: memory and
    step time grow with the step count, and a long run slows to a crawl or runs out of
    memory.

Fix
    Build the op once before the loop and feed the value:
        value = tf.compat.v1.placeholder(tf.float32, [3]); assign = tf.compat.v1.assign(w, value)
        ... sess.run(assign, {value: new_value})
    (graph_fixed.py is that program.) tf.compat.v1.get_default_graph().finalize() before
    the loop turns the mistake into an immediate error.

Variables: resource variables (VarHandleOp) -- disable_eager_execution().
"""
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

FIXED = "--fixed" in sys.argv  # graph_fixed.py runs this program with the fix
NAME = "graph_fixed" if FIXED else "graph_grows"
TARGET = np.array([1.0, -2.0, 0.5], np.float32)


def main():
    tf.compat.v1.disable_eager_execution()
    ckpt_dir = os.path.join("ckpt", NAME)
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    os.makedirs(ckpt_dir)
    w = tf.compat.v1.get_variable("w", [3], initializer=tf.compat.v1.zeros_initializer())
    value = tf.compat.v1.placeholder(tf.float32, [3], name="value")
    assign = tf.compat.v1.assign(w, value)  # built once: the fix
    saver = tf.compat.v1.train.Saver()
    graph = tf.compat.v1.get_default_graph()
    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        ops_before = len(graph.get_operations())
        for _ in range(60):
            current = sess.run(w)
            new_value = current - 0.1 * 2 * (current - TARGET)
            if FIXED:
                sess.run(assign, {value: new_value})
            else:
                sess.run(tf.compat.v1.assign(w, new_value))  # BUG: a new op every step
        grown = len(graph.get_operations()) - ops_before
        # Building an evaluation op once after training is fine (not "again and again").
        error = tf.reduce_max(tf.abs(w - TARGET))
        print(f"max error {sess.run(error):.4f}; ops added during the loop: {grown}")
        saver.save(sess, os.path.join(ckpt_dir, "model.ckpt"))


if __name__ == "__main__":
    main()
