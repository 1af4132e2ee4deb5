"""A "pretrained" checkpoint saved before any training, then restored for evaluation
(BUG: PRODUCT §1, bug 8 -- an untrained checkpoint).

What it does
    Phase 1 ("training") builds a classifier, initializes it and saves
    ckpt/checkpoint_untrained/model.ckpt -- but the training loop runs over
    len(examples) // BATCH_SIZE batches, and with 24 examples and a batch size of 32 that
    is zero: not one step runs. The save happens anyway.
    Phase 2 ("evaluation") builds the model again, restores model.ckpt and reports its
    accuracy: chance level, and nothing says why.

The bug
    The training loop never ran (the `# BUG:` line: 24 // 32 == 0 steps), so the checkpoint
    holds the initializer's random values; the evaluation restores them and trains nothing.

Fix
    Make sure the loop runs (drop the remainder batch only when there is more than one, or
    loop over epochs) and save after training.

Variables: resource variables (VarHandleOp) -- disable_eager_execution().
"""
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

FIXED = "--fixed" in sys.argv  # checkpoint_trained.py runs this program with the fix
NAME = "checkpoint_trained" if FIXED else "checkpoint_untrained"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")
INITIAL = os.path.join(CKPT_DIR, "initial.ckpt")
BATCH_SIZE = 8 if FIXED else 32

rng = np.random.RandomState(0)
X = rng.randn(24, 4).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def build():
    tf.compat.v1.set_random_seed(1)
    x = tf.compat.v1.placeholder(tf.float32, [None, 4])
    y = tf.compat.v1.placeholder(tf.int64, [None])
    with tf.compat.v1.variable_scope("classifier"):
        w = tf.compat.v1.get_variable("kernel", [4, 2])
        b = tf.compat.v1.get_variable("bias", [2], initializer=tf.compat.v1.zeros_initializer())
    logits = tf.matmul(x, w) + b
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.5).minimize(loss)
    return x, y, train_op, accuracy


def train():
    with tf.Graph().as_default():
        x, y, train_op, accuracy = build()
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            if FIXED:
                saver.save(sess, INITIAL)  # the initial weights, kept on purpose
            steps = len(X) // BATCH_SIZE  # BUG: 24 // 32 == 0, the loop never runs
            for epoch in range(5):
                for i in range(steps):
                    batch = slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE)
                    sess.run(train_op, {x: X[batch], y: Y[batch]})
            saver.save(sess, CKPT)
            print(f"phase 1: {5 * steps} steps, saved {CKPT}")


def evaluate(checkpoint, fine_tune_steps=0):
    with tf.Graph().as_default():
        x, y, train_op, accuracy = build()
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            saver.restore(sess, checkpoint)
            for _ in range(fine_tune_steps):
                sess.run(train_op, {x: X, y: Y})
            print(f"restored {checkpoint}, {fine_tune_steps} steps: accuracy "
                  f"{sess.run(accuracy, {x: X, y: Y}):.2f}")


def main():
    tf.compat.v1.disable_eager_execution()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    train()
    evaluate(CKPT)
    if FIXED:
        # Rewinding to the initial weights and training again: deliberate, not a bug.
        evaluate(INITIAL, fine_tune_steps=5)


if __name__ == "__main__":
    main()
