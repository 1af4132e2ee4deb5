"""tf.Variable(name="counter") on two different lines: the second variable is silently
named counter_1 (BUG: PRODUCT §1, bug 5 -- a requested name uniquified).

What it does
    A small model with two Adam optimizers (one per head), two layers built by a helper in
    tf.compat.v1.variable_scope(None, default_name="dense") (TensorFlow numbers them dense
    and dense_1 itself), two unnamed tf.Variable() counters (Variable and Variable_1) --
    and two variables both explicitly named "counter", on two lines far apart: the
    examples count in one place and the evaluation count in another.
    It trains a few steps and saves ckpt/name_requested_twice/model.ckpt.

The bug
    The second tf.Variable(..., name="counter") (the `# BUG:` line). The program asked
    for "counter" twice; TensorFlow made the second counter_1, so a checkpoint or a
    summary that looks for "counter" finds the first one only. Every other `_1` in this
    graph (Variable_1, dense_1/, beta1_power_1, the Adam_1 slots) is a name nobody asked
    for, and tftrace stays silent about them.

Fix
    Give the second variable its own name (name="eval_counter").

Variables: resource variables (VarHandleOp) -- disable_eager_execution().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "name_requested_twice"
CKPT_DIR = os.path.join("ckpt", NAME)


def dense(x, units):
    with tf.compat.v1.variable_scope(None, default_name="dense"):
        w = tf.compat.v1.get_variable("w", [x.shape[-1], units])
        b = tf.compat.v1.get_variable("b", [units], initializer=tf.compat.v1.zeros_initializer())
        return tf.matmul(x, w) + b


def main():
    tf.compat.v1.disable_eager_execution()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    tf.compat.v1.set_random_seed(1)
    rng = np.random.RandomState(0)
    x = tf.constant(rng.randn(32, 4).astype(np.float32))
    y = tf.constant(rng.randn(32, 1).astype(np.float32))

    examples_seen = tf.Variable(0, name="counter", trainable=False)
    steps_a = tf.Variable(0, trainable=False)  # unnamed: "Variable"
    steps_b = tf.Variable(0, trainable=False)  # unnamed: "Variable_1", nobody asked
    head_a = dense(x, 1)
    head_b = dense(x, 1)  # dense_1/: TensorFlow numbered the default-named scope
    loss_a = tf.reduce_mean(tf.square(head_a - y))
    loss_b = tf.reduce_mean(tf.square(head_b - y))
    train_a = tf.compat.v1.train.AdamOptimizer(0.01).minimize(loss_a)  # beta1_power
    train_b = tf.compat.v1.train.AdamOptimizer(0.01).minimize(loss_b)  # beta1_power_1
    count = tf.compat.v1.assign_add(examples_seen, 32)
    eval_count = tf.Variable(0, name="counter", trainable=False)  # BUG: "counter" is taken
    count_eval = tf.compat.v1.assign_add(eval_count, 32)
    step = tf.group(tf.compat.v1.assign_add(steps_a, 1), tf.compat.v1.assign_add(steps_b, 1))
    saver = tf.compat.v1.train.Saver()

    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        for _ in range(5):
            sess.run([train_a, train_b, count, step])
        sess.run(count_eval)
        saver.save(sess, os.path.join(CKPT_DIR, "model.ckpt"))
        print("variables:", ", ".join(v.op.name for v in tf.compat.v1.global_variables()
                                      if "Adam" not in v.op.name))


if __name__ == "__main__":
    main()
