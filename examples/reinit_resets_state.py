"""Re-running the initializer resets trained state; an unseeded initializer
(BUG: PRODUCT §1, bug 3).

What it does
    A tiny linear model w, b is trained with gradient descent for 3 "epochs"; each training
    run also increments an epoch counter (counter.assign_add(1)). The run sequence is:
        sess.run(init)              # initializer
        prepare(sess)               # a helper that runs init again (redundant, harmless)
        3 x sess.run([train_op, inc])   # updates: counter -> 3, w and b trained
        evaluate(sess)              # BUG: a helper that runs init AGAIN
    so every variable's events are: initializer, initializer, update x3, initializer.

The bugs
    1. evaluate() re-runs the initializer (`# BUG:` line): the counter goes back to 0 and the
       trained w, b go back to (new) initial values; the evaluation measures an untrained
       model. The earlier double init in prepare() is redundant but harmless (nothing had
       been written in between).
    2. b is initialized from tf.random.uniform with neither a graph seed nor an op seed
       (`# BUG:` line): its initial value differs on every init and on every run of this
       script -- results are not reproducible. (w has an op seed, so it is reproducible.)

Fix
    Run the initializer exactly once, before training; evaluate without it. Give random
    initializers a seed (tf.compat.v1.set_random_seed(...) or seed=...).

Variables: resource variables (VarHandleOp) -- default TF2 graph mode after
disable_eager_execution().
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

rng = np.random.RandomState(0)
X = rng.randn(32, 3).astype(np.float32)
Y = X @ np.array([[2.0], [-1.0], [0.5]], np.float32) + 1.0


def prepare(sess, init):
    sess.run(init)  # redundant: main() already ran the initializer


def evaluate(sess, init, loss, feed):
    sess.run(init)  # BUG: re-initializes the trained weights and resets the counter
    return sess.run(loss, feed)


def main():
    tf.compat.v1.disable_eager_execution()
    # No tf.compat.v1.set_random_seed(): only ops given an explicit seed are reproducible.
    x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
    y = tf.compat.v1.placeholder(tf.float32, [None, 1], name="y")
    w = tf.compat.v1.get_variable("w", [3, 1], initializer=tf.compat.v1.random_normal_initializer(seed=7))
    b = tf.Variable(tf.random.uniform([1]), name="b")  # BUG: unseeded random initializer
    counter = tf.compat.v1.get_variable("epoch", [], tf.int64, initializer=tf.compat.v1.zeros_initializer(),
                                        trainable=False)
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="loss")
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.3).minimize(loss)
    inc = counter.assign_add(1)
    init = tf.compat.v1.global_variables_initializer()
    feed = {x: X, y: Y}

    with tf.compat.v1.Session() as sess:
        sess.run(init)
        prepare(sess, init)
        print(f"initial b: {sess.run(b)[0]:.4f} (unseeded: changes on every run)")
        for _ in range(3):
            sess.run([train_op, inc], feed)
        print(f"after training: epoch {sess.run(counter)}, loss {sess.run(loss, feed):.4f}")
        eval_loss = evaluate(sess, init, loss, feed)
        print(f"evaluation: epoch {sess.run(counter)}, loss {eval_loss:.4f}")


if __name__ == "__main__":
    main()
