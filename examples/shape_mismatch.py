"""A checkpoint tensor of another shape restores silently into a resource variable
(BUG: PRODUCT §1, bug 5 -- shape mismatch).

What it does
    Phase 1 ("training") trains a model on 10 input features and saves
    ckpt/shape_mismatch/model.ckpt: dense/kernel has shape [10, 4], dense/bias [4].
    Phase 2 ("new features") is the next version of the code: the input now has 12
    features, so dense/kernel is declared [12, 4]. It initializes, restores the old
    checkpoint -- and the restore SUCCEEDS: with resource variables, AssignVariableOp
    replaces the variable's value whatever its shape. dense/kernel, declared [12, 4], now
    holds a [10, 4] tensor; nothing complains until some later op multiplies it with a
    12-feature input, far from the restore. (Reference variables would fail the restore
    with InvalidArgumentError instead.)

The bug
    Restoring the [10, 4] checkpoint into the [12, 4] variable (the `# BUG:` line).

Fix
    Do not restore layers whose shape changed: restore only the compatible variables
    (Saver(var_list=[...]) without dense/kernel) and initialize the changed layer, or
    check the checkpoint first with tf.train.list_variables(CKPT).

Variables: resource variables (VarHandleOp) -- default TF2 graph mode after
disable_eager_execution().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "shape_mismatch"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")


def build(n_features):
    kernel = tf.compat.v1.get_variable("dense/kernel", [n_features, 4])
    bias = tf.compat.v1.get_variable("dense/bias", [4], initializer=tf.compat.v1.zeros_initializer())
    return kernel, bias


def main():
    tf.compat.v1.disable_eager_execution()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    rng = np.random.RandomState(0)

    # Phase 1: a model on 10 features.
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        kernel, bias = build(10)
        x = tf.constant(rng.randn(32, 10).astype(np.float32))
        target = tf.constant(rng.randn(32, 4).astype(np.float32))
        loss = tf.reduce_mean(tf.square(tf.matmul(x, kernel) + bias - target))
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(20):
                sess.run(train_op)
            print(f"phase 1: trained on 10 features, saved {saver.save(sess, CKPT)}")

    # Phase 2: the model now has 12 input features.
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(2)
        kernel, bias = build(12)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            saver.restore(sess, CKPT)  # BUG: the checkpoint's dense/kernel is [10, 4]
            value = sess.run(kernel)
    print(f"phase 2: restore succeeded; dense/kernel declared {kernel.shape.as_list()}, "
          f"holds {list(value.shape)}")


if __name__ == "__main__":
    main()
