"""tf.compat.v1.get_variable ignores tf.name_scope while ops honour it
(BUG: PRODUCT §1, bug 5 -- get_variable vs name_scope).

What it does
    Builds a small block inside `with tf.name_scope("block"):`, creating its weights with
    tf.compat.v1.get_variable, trains it a few steps and saves
    ckpt/get_variable_name_scope/model.ckpt.

The bug
    get_variable only honours variable scopes, so the variables are named w and b, not
    block/w and block/b, while every op of the block (MatMul, add, Relu, the variable
    reads) is under block/. TensorBoard shows a tidy block/ node, yet the checkpoint keys
    are w and b: any later code that expects block/w (a Saver var_list, a restore in a
    refactored graph that uses variable_scope("block"), trainable_variables(scope="block"))
    comes up empty or fails with "Key block/w not found in checkpoint". The `# BUG:` line
    is the name_scope.

Fix
    Use tf.compat.v1.variable_scope("block") -- it scopes both variables and ops.

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "get_variable_name_scope"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    tf.compat.v1.set_random_seed(1)
    rng = np.random.RandomState(0)
    x = tf.constant(rng.randn(16, 3).astype(np.float32), name="x")
    target = tf.constant(rng.rand(16, 2).astype(np.float32), name="target")

    with tf.name_scope("block"):  # BUG: get_variable does not see this scope
        w = tf.compat.v1.get_variable("w", [3, 2])
        b = tf.compat.v1.get_variable("b", [2], initializer=tf.compat.v1.zeros_initializer())
        out = tf.nn.relu(tf.matmul(x, w) + b)
    loss = tf.reduce_mean(tf.square(out - target), name="loss")
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    saver = tf.compat.v1.train.Saver()

    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        for _ in range(5):
            sess.run(train_op)
        saver.save(sess, CKPT)
    print(f"variables: {w.op.name}, {b.op.name}   block output op: {out.op.name}")
    print("checkpoint keys:", ", ".join(name for name, _ in tf.train.list_variables(CKPT)))
    print("trainable_variables(scope='block'):", tf.compat.v1.trainable_variables(scope="block"))


if __name__ == "__main__":
    main()
