"""Restore a pretrained model, then run the global initializer (BUG: PRODUCT §1, bug 1).

What it does
    Phase 1 ("pretraining") fits a small linear regression y = x·W + b with gradient descent
    and saves it to ckpt/restore_then_init/model.ckpt.
    Phase 2 ("evaluation") builds the same model in a new graph and session, restores the
    checkpoint with a Saver -- and THEN runs tf.compat.v1.global_variables_initializer().

The bug
    The initializer silently replaces every restored weight with fresh initial values
    (glorot-uniform kernel, zero bias). Nothing fails; the evaluation loss is simply that of
    an untrained model. The faulty line is marked `# BUG:` in evaluate().

Fix
    Initialize first, then restore (or skip the initializer: the restore already sets every
    variable of the Saver):
        sess.run(tf.compat.v1.global_variables_initializer())
        saver.restore(sess, CKPT)
    See examples/init_then_restore.py.

Variables: resource variables (VarHandleOp) -- default TF2 graph mode after
disable_eager_execution().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "restore_then_init"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")

rng = np.random.RandomState(0)
X = rng.randn(64, 4).astype(np.float32)
Y = X @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32) + 0.25
Y += 0.1 * rng.randn(64, 1).astype(np.float32)


def build_model():
    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
    y = tf.compat.v1.placeholder(tf.float32, [None, 1], name="y")
    kernel = tf.compat.v1.get_variable("dense/kernel", [4, 1])
    bias = tf.compat.v1.get_variable("dense/bias", [1], initializer=tf.compat.v1.zeros_initializer())
    loss = tf.reduce_mean(tf.square(tf.matmul(x, kernel) + bias - y), name="loss")
    return x, y, loss


def pretrain():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        x, y, loss = build_model()
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(100):
                sess.run(train_op, {x: X, y: Y})
            final_loss = sess.run(loss, {x: X, y: Y})
            saver.save(sess, CKPT)
    print(f"phase 1: pretrained, loss {final_loss:.4f}, saved {CKPT}")


def evaluate():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(2)
        x, y, loss = build_model()
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            saver.restore(sess, CKPT)
            sess.run(tf.compat.v1.global_variables_initializer())  # BUG: clobbers the restore
            eval_loss = sess.run(loss, {x: X, y: Y})
    print(f"phase 2: evaluation loss after 'restoring' the pretrained model: {eval_loss:.4f}")


def main():
    tf.compat.v1.disable_eager_execution()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    pretrain()
    evaluate()


if __name__ == "__main__":
    main()
