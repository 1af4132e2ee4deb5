"""Three sessions on one graph that grows between them (CLEAN).

What it does
    The shape of a notebook or a long-lived script that keeps building on the default
    graph:
    1. builds a linear model, initializes it, trains 10 steps with plain gradient descent
       and saves ckpt/growing_graph_sessions/model.ckpt;
    2. in a second session on the same graph restores it and reads the weights directly
       (sess.run(w) on a reference variable);
    3. then adds an Adam optimizer to the graph -- its slots, beta powers and global_step
       exist only from now on -- and in a third session restores the model, initializes
       only the new variables (variables_initializer) and trains 10 Adam steps.

tftrace should report no warning or error, and in particular no never-initialized for the
Adam slots in sessions 1 and 2: they did not exist while those sessions were open.

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "growing_graph_sessions"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    tf.compat.v1.set_random_seed(1)
    rng = np.random.RandomState(0)
    x = tf.constant(rng.randn(32, 3).astype(np.float32))
    y = tf.constant(rng.randn(32, 1).astype(np.float32))
    with tf.compat.v1.variable_scope("linear"):
        w = tf.compat.v1.get_variable("w", [3, 1])
        b = tf.compat.v1.get_variable("b", [1], initializer=tf.compat.v1.zeros_initializer())
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    sgd = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    saver = tf.compat.v1.train.Saver()

    with tf.compat.v1.Session() as sess:  # session 1
        sess.run(tf.compat.v1.global_variables_initializer())
        for _ in range(10):
            sess.run(sgd)
        saver.save(sess, CKPT)

    with tf.compat.v1.Session() as sess:  # session 2: restore and look
        saver.restore(sess, CKPT)
        print("session 2: w =", sess.run(w).ravel().round(3))

    # The graph grows: an optimizer with slots, created after sessions 1 and 2 closed.
    global_step = tf.compat.v1.train.get_or_create_global_step()
    adam = tf.compat.v1.train.AdamOptimizer(0.01).minimize(loss, global_step=global_step)
    new_variables = [v for v in tf.compat.v1.global_variables() if v not in (w, b)]

    with tf.compat.v1.Session() as sess:  # session 3
        saver.restore(sess, CKPT)
        sess.run(tf.compat.v1.variables_initializer(new_variables))
        for _ in range(10):
            sess.run(adam)
        print(f"session 3: loss {sess.run(loss):.4f} after {sess.run(global_step)} Adam steps")


if __name__ == "__main__":
    main()
