"""Saver built before the optimizer: Adam slots and the global step are never saved
(BUG: PRODUCT §1, bug 4).

What it does
    train() is a typical training script with resume support: build the model, create a
    Saver, create the global step and AdamOptimizer(...).minimize(loss, global_step=...),
    initialize, restore the latest checkpoint if there is one, train, save.
    It runs twice in this process: phase 1 trains 100 steps from scratch and saves
    ckpt/saver_too_early/model.ckpt-100; phase 2 "resumes" from it and trains 20 more steps.

The bug
    `saver = tf.compat.v1.train.Saver()` (the `# BUG:` line) captures the variable list
    when it is constructed: only linear/w and linear/b exist at that moment. The Adam slots
    (linear/w/Adam, linear/w/Adam_1, ...), beta1_power, beta2_power and global_step are
    created later by minimize() and get_or_create_global_step(), so they are silently never
    saved. Nothing fails: the restore succeeds (the Saver only asks for the two keys it
    has), but the resumed run restarts at global_step 0 with fresh Adam moments -- the loss
    jumps on the first resumed step (0.0000 -> 0.06) and the next checkpoint is named
    model.ckpt-20 although 120 steps were trained.
    (A corrected Saver in the resume script would instead fail with "Key beta1_power not
    found in checkpoint"; the silent variant shown here is what rerunning the same buggy
    script does.)

Fix
    Build the Saver after everything it must save exists, i.e. after minimize():
        train_op = optimizer.minimize(loss, global_step=global_step)
        saver = tf.compat.v1.train.Saver()
    See examples/train_save_resume.py.

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "saver_too_early"
CKPT_DIR = os.path.join("ckpt", NAME)

rng = np.random.RandomState(0)
X = rng.randn(64, 5).astype(np.float32)
Y = X @ rng.randn(5, 1).astype(np.float32) - 0.5


def train(steps):
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        x = tf.constant(X, name="x")
        y = tf.constant(Y, name="y")
        w = tf.compat.v1.get_variable("linear/w", [5, 1])
        b = tf.compat.v1.get_variable("linear/b", [1], initializer=tf.compat.v1.zeros_initializer())
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="loss")
        saver = tf.compat.v1.train.Saver()  # BUG: built before the global step and minimize()
        global_step = tf.compat.v1.train.get_or_create_global_step()
        train_op = tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss, global_step=global_step)

        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            latest = tf.compat.v1.train.latest_checkpoint(CKPT_DIR)
            if latest:
                saver.restore(sess, latest)
                print(f"resumed from {latest}: global_step {sess.run(global_step)}, "
                      f"loss {sess.run(loss):.4f}")
            sess.run(train_op)
            print(f"  loss after the first step: {sess.run(loss):.4f}")
            for _ in range(steps - 1):
                sess.run(train_op)
            path = saver.save(sess, os.path.join(CKPT_DIR, "model.ckpt"), global_step=global_step)
            print(f"  trained {steps} steps, loss {sess.run(loss):.4f}, saved {path}")


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    train(100)  # phase 1: from scratch
    train(20)  # phase 2: resume


if __name__ == "__main__":
    main()
