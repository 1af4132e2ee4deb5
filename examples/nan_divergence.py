"""Training diverges to Inf/NaN and keeps saving poisoned checkpoints
(BUG: PRODUCT §1, bug 6).

What it does
    Trains a linear regression with plain gradient descent for 200 steps and saves a
    checkpoint every 50 steps under ckpt/nan_divergence/. The learning rate is too large
    for the scale of the inputs, so every step overshoots: the weights grow geometrically,
    the loss overflows to inf (step 64) and then the weights become NaN (loss nan from
    step 135). Nothing stops the loop: model.ckpt-150 and model.ckpt-200 hold NaN weights
    (and model.ckpt-100 weights of order 1e28).

The bug
    LEARNING_RATE (the `# BUG:` line) is far above the stable limit 2 / λmax(XᵀX / n).

Fix
    A smaller learning rate (or normalized inputs); stop on a non-finite loss, e.g. with
    tf.debugging.check_numerics or tf.compat.v1.train.NanTensorHook, so a poisoned model
    is never saved.

Variables: resource variables (VarHandleOp) -- default TF2 graph mode after
disable_eager_execution().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "nan_divergence"
CKPT_DIR = os.path.join("ckpt", NAME)
LEARNING_RATE = 0.06  # BUG: too large for inputs of this scale -> divergence


def main():
    tf.compat.v1.disable_eager_execution()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    tf.compat.v1.set_random_seed(1)
    rng = np.random.RandomState(0)
    features = (rng.randn(64, 3) * [1.0, 2.0, 5.0]).astype(np.float32)
    targets = features @ np.array([[1.0], [2.0], [-1.0]], np.float32)

    x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
    y = tf.compat.v1.placeholder(tf.float32, [None, 1], name="y")
    w = tf.compat.v1.get_variable("regression/w", [3, 1])
    b = tf.compat.v1.get_variable("regression/b", [1], initializer=tf.compat.v1.zeros_initializer())
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="loss")
    train_op = tf.compat.v1.train.GradientDescentOptimizer(LEARNING_RATE).minimize(loss)
    saver = tf.compat.v1.train.Saver(max_to_keep=None)

    reported = set()
    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        for step in range(1, 201):
            _, loss_value = sess.run([train_op, loss], {x: features, y: targets})
            kind = "nan" if np.isnan(loss_value) else "inf" if np.isinf(loss_value) else None
            if kind and kind not in reported:  # report the first inf and the first nan
                reported.add(kind)
                print(f"step {step}: loss is {kind}")
            if step % 50 == 0:
                path = saver.save(sess, os.path.join(CKPT_DIR, "model.ckpt"), global_step=step)
                print(f"step {step}: loss {loss_value:.4g}, saved {path}")
        final_w = sess.run(w)
    print(f"regression/w after training: {final_w.ravel()}")


if __name__ == "__main__":
    main()
