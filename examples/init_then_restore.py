"""Initialize, then restore, then keep training (CLEAN counterpart of restore_then_init.py).

What it does
    Phase 1 ("pretraining") fits a small linear regression y = x·W + b with gradient descent
    and saves it to ckpt/init_then_restore/model.ckpt.
    Phase 2 ("fine-tuning") builds the same model in a new graph and session, runs the global
    initializer FIRST, then restores the checkpoint (which overwrites every variable the Saver
    covers), and trains a few more steps.

This is the correct order; tftrace should report no warning or error. The trace shows each
variable's origin as the restore from the phase-1 checkpoint, followed by a streak of
updates.

Variables: resource variables (VarHandleOp) -- default TF2 graph mode after
disable_eager_execution().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "init_then_restore"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")

rng = np.random.RandomState(0)
X = rng.randn(64, 4).astype(np.float32)
Y = X @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32) + 0.25
Y += 0.1 * rng.randn(64, 1).astype(np.float32)


def build_model(learning_rate):
    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
    y = tf.compat.v1.placeholder(tf.float32, [None, 1], name="y")
    kernel = tf.compat.v1.get_variable("dense/kernel", [4, 1])
    bias = tf.compat.v1.get_variable("dense/bias", [1], initializer=tf.compat.v1.zeros_initializer())
    loss = tf.reduce_mean(tf.square(tf.matmul(x, kernel) + bias - y), name="loss")
    train_op = tf.compat.v1.train.GradientDescentOptimizer(learning_rate).minimize(loss)
    return x, y, loss, train_op


def main():
    tf.compat.v1.disable_eager_execution()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)

    # Phase 1: pretraining.
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        x, y, loss, train_op = build_model(0.1)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(30):
                sess.run(train_op, {x: X, y: Y})
            print(f"phase 1: pretrained, loss {sess.run(loss, {x: X, y: Y}):.4f}")
            saver.save(sess, CKPT)

    # Phase 2: fine-tuning -- init first, restore second.
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(2)
        x, y, loss, train_op = build_model(0.05)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            saver.restore(sess, CKPT)  # correct: the restore comes after the initializer
            print(f"phase 2: loss after restore {sess.run(loss, {x: X, y: Y}):.4f}")
            for _ in range(10):
                sess.run(train_op, {x: X, y: Y})
            print(f"phase 2: loss after 10 fine-tuning steps {sess.run(loss, {x: X, y: Y}):.4f}")


if __name__ == "__main__":
    main()
