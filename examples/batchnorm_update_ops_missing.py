"""Batch norm whose moving mean/variance are never updated: the train op does not depend
on tf.GraphKeys.UPDATE_OPS (BUG: PRODUCT §1, bug 8 -- the most-asked TF1 batch-norm bug).

What it does
    A two-layer regression model with hand-built batch normalization (the shape of
    tf.compat.v1.layers.batch_normalization, which Keras 3 breaks): gamma and beta are
    trained, moving_mean and moving_variance are updated by
    tf.compat.v1.train.ExponentialMovingAverage-style assign_moving_average ops that go
    into tf.GraphKeys.UPDATE_OPS, as the real layer does.
    The first layer is frozen on purpose (fine-tuning only the second: var_list leaves
    it out); the second is trained for 200 steps. Then it evaluates in inference mode
    (normalizing with the moving statistics) and saves ckpt/batchnorm_update_ops_missing.

The bug
    train_op = optimizer.minimize(loss) (the `# BUG:` line) does not depend on the update
    ops, so they never run: after 200 steps layer2/bn/moving_mean and moving_variance
    still hold 0 and 1, and inference normalizes with them. The frozen layer1's moving
    statistics are not updated either -- on purpose, nothing of it trains -- and tftrace
    says nothing about them.

Fix
    with tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)):
        train_op = optimizer.minimize(loss)
    (batchnorm_update_ops.py is that program.)

Variables: resource variables (VarHandleOp) -- disable_eager_execution().
"""
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "batchnorm_update_ops_missing"
FIXED = "--fixed" in sys.argv  # batchnorm_update_ops.py runs this program with the fix


def batch_norm(x, training, decay=0.9):
    """Batch normalization built from get_variable, like the real layer."""
    units = x.shape[-1]
    with tf.compat.v1.variable_scope("bn"):
        gamma = tf.compat.v1.get_variable("gamma", [units], initializer=tf.compat.v1.ones_initializer())
        beta = tf.compat.v1.get_variable("beta", [units], initializer=tf.compat.v1.zeros_initializer())
        moving_mean = tf.compat.v1.get_variable(
            "moving_mean", [units], trainable=False, initializer=tf.compat.v1.zeros_initializer())
        moving_variance = tf.compat.v1.get_variable(
            "moving_variance", [units], trainable=False, initializer=tf.compat.v1.ones_initializer())
        if not training:
            return tf.nn.batch_normalization(x, moving_mean, moving_variance, beta, gamma, 1e-3)
        mean, variance = tf.nn.moments(x, [0])
        for stat, value in ((moving_mean, mean), (moving_variance, variance)):
            update = tf.compat.v1.assign(stat, stat * decay + value * (1 - decay))
            tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, update)
        return tf.nn.batch_normalization(x, mean, variance, beta, gamma, 1e-3)


def model(x, training):
    with tf.compat.v1.variable_scope("layer1", reuse=tf.compat.v1.AUTO_REUSE):
        w = tf.compat.v1.get_variable("kernel", [4, 8])
        h = tf.nn.relu(batch_norm(tf.matmul(x, w), training))
    with tf.compat.v1.variable_scope("layer2", reuse=tf.compat.v1.AUTO_REUSE):
        w = tf.compat.v1.get_variable("kernel", [8, 1])
        return batch_norm(tf.matmul(h, w), training)


def main():
    tf.compat.v1.disable_eager_execution()
    ckpt_dir = os.path.join("ckpt", "batchnorm_update_ops" if FIXED else NAME)
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    os.makedirs(ckpt_dir)
    tf.compat.v1.set_random_seed(1)
    rng = np.random.RandomState(0)
    x = tf.constant(3.0 + 2.0 * rng.randn(64, 4).astype(np.float32))
    y = tf.constant(rng.randn(64, 1).astype(np.float32))
    loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
    eval_loss = tf.reduce_mean(tf.square(model(x, training=False) - y))
    optimizer = tf.compat.v1.train.GradientDescentOptimizer(0.05)
    fine_tuned = tf.compat.v1.trainable_variables(scope="layer2")  # layer1 stays frozen
    if FIXED:
        with tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)):
            train_op = optimizer.minimize(loss, var_list=fine_tuned)
    else:
        train_op = optimizer.minimize(loss, var_list=fine_tuned)  # BUG: UPDATE_OPS never run
    saver = tf.compat.v1.train.Saver()
    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        for _ in range(200):
            sess.run(train_op)
        mean = sess.run(tf.compat.v1.global_variables("layer2/bn/moving_mean")[0])
        print(f"train loss {sess.run(loss):.4f}, inference loss {sess.run(eval_loss):.4f}, "
              f"layer2 moving mean {mean}")
        saver.save(sess, os.path.join(ckpt_dir, "model.ckpt"))


if __name__ == "__main__":
    main()
