"""Train with Adam, save, resume in a new session (CLEAN; counterpart of saver_too_early.py).

What it does
    train() builds a two-layer regression model, a global step and
    AdamOptimizer(...).minimize(loss, global_step=...), and only THEN the Saver, so the
    checkpoint holds the weights, the Adam slots (.../Adam, .../Adam_1), beta1_power,
    beta2_power and global_step.
    Phase 1 trains 50 steps from scratch and saves ckpt/train_save_resume/model.ckpt-50.
    Phase 2 builds the same graph in a new graph and session, runs the initializer, restores
    the latest checkpoint (init, then restore: the restore wins) and trains 30 more steps;
    global_step continues from 50 to 80 and the loss continues smoothly.

tftrace should report no warning or error; in phase 2 every variable's origin is the restore
of model.ckpt-50, which links back to the save of phase 1.

Variables: resource variables (VarHandleOp) -- default TF2 graph mode after
disable_eager_execution().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "train_save_resume"
CKPT_DIR = os.path.join("ckpt", NAME)

rng = np.random.RandomState(0)
X = rng.uniform(-1, 1, (64, 2)).astype(np.float32)
Y = np.sin(2 * X[:, :1]) * X[:, 1:]


def train(steps):
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        y = tf.compat.v1.placeholder(tf.float32, [None, 1], name="y")
        with tf.compat.v1.variable_scope("hidden"):
            w1 = tf.compat.v1.get_variable("kernel", [2, 8])
            b1 = tf.compat.v1.get_variable("bias", [8], initializer=tf.compat.v1.zeros_initializer())
        with tf.compat.v1.variable_scope("out"):
            w2 = tf.compat.v1.get_variable("kernel", [8, 1])
            b2 = tf.compat.v1.get_variable("bias", [1], initializer=tf.compat.v1.zeros_initializer())
        pred = tf.matmul(tf.nn.tanh(tf.matmul(x, w1) + b1), w2) + b2
        loss = tf.reduce_mean(tf.square(pred - y), name="loss")
        global_step = tf.compat.v1.train.get_or_create_global_step()
        train_op = tf.compat.v1.train.AdamOptimizer(0.05).minimize(loss, global_step=global_step)
        saver = tf.compat.v1.train.Saver()  # after minimize(): slots and global_step included
        feed = {x: X, y: Y}

        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            latest = tf.compat.v1.train.latest_checkpoint(CKPT_DIR)
            if latest:
                saver.restore(sess, latest)
                print(f"resumed from {latest}: global_step {sess.run(global_step)}, "
                      f"loss {sess.run(loss, feed):.4f}")
            for _ in range(steps):
                sess.run(train_op, feed)
            path = saver.save(sess, os.path.join(CKPT_DIR, "model.ckpt"), global_step=global_step)
            print(f"  trained to global_step {sess.run(global_step)}, loss {sess.run(loss, feed):.4f}, "
                  f"saved {path}")


def main():
    tf.compat.v1.disable_eager_execution()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    train(50)  # phase 1: from scratch
    train(30)  # phase 2: resume


if __name__ == "__main__":
    main()
