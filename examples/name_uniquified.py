"""tf.Variable(name="w") called twice: the second variable is silently named w_1, which the
checkpoint does not have (BUG: PRODUCT §1, bug 5 -- uniquified name). Exits with code 1.

What it does
    linear() is a hand-written layer that creates its weights with
    tf.Variable(..., name="w") and tf.Variable(..., name="b").
    Phase 1 ("training") builds it once, trains it and saves ckpt/name_uniquified/model.ckpt
    (keys w and b).
    Phase 2 ("evaluation") calls linear() twice -- once for the training inputs and once for
    the test inputs -- expecting the two calls to share weights like a Keras layer would.
    tf.Variable never shares: the second call creates new variables, and because the names
    w and b are taken TensorFlow renames them w_1 and b_1 without a word. The default Saver
    then asks for b_1 and w_1, and Saver.restore fails with NotFoundError
    "Key b_1 not found in checkpoint" (only the first missing key is named). The script
    catches it, prints it and exits with status 1.

The bug
    The second linear() call (the `# BUG:` line in evaluate()).

Fix
    Build the layer once and apply it to both inputs (or use tf.compat.v1.get_variable in a
    variable_scope with reuse=tf.compat.v1.AUTO_REUSE); if two copies are really wanted,
    map the checkpoint keys explicitly: Saver(var_list={"w": w, "b": b}).

Variables: resource variables (VarHandleOp) -- default TF2 graph mode after
disable_eager_execution().
"""
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "name_uniquified"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")

rng = np.random.RandomState(0)
X_TRAIN = rng.randn(48, 3).astype(np.float32)
X_TEST = rng.randn(16, 3).astype(np.float32)
TRUE_W = np.array([[0.5], [-1.5], [2.0]], np.float32)


def linear(x):
    w = tf.Variable(tf.random.normal([3, 1], stddev=0.1), name="w")
    b = tf.Variable(tf.zeros([1]), name="b")
    return tf.matmul(x, w) + b


def train():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        loss = tf.reduce_mean(tf.square(linear(tf.constant(X_TRAIN)) - X_TRAIN @ TRUE_W))
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(60):
                sess.run(train_op)
            print(f"phase 1: trained, loss {sess.run(loss):.4f}, saved {saver.save(sess, CKPT)}")


def evaluate():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        train_loss = tf.reduce_mean(tf.square(linear(tf.constant(X_TRAIN)) - X_TRAIN @ TRUE_W))
        test_loss = tf.reduce_mean(tf.square(linear(tf.constant(X_TEST)) - X_TEST @ TRUE_W))  # BUG
        print("phase 2: variables:", ", ".join(v.op.name for v in tf.compat.v1.global_variables()))
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            try:
                saver.restore(sess, CKPT)
            except tf.errors.NotFoundError as e:
                detail = next((line for line in e.message.splitlines() if "not found" in line), e.message)
                print(f"phase 2: cannot restore {CKPT}: {detail}", file=sys.stderr)
                return 1
            print(f"phase 2: train loss {sess.run(train_loss):.4f}, test loss {sess.run(test_loss):.4f}")
    return 0


def main():
    tf.compat.v1.disable_eager_execution()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    train()
    return evaluate()


if __name__ == "__main__":
    sys.exit(main())
