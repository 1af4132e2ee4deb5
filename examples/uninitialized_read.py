"""Initialized in one session, read in another: FailedPreconditionError.

Bug 2/3 family of PRODUCT §1, as it shows up in evaluation scripts: the training code runs
the initializer in its session; the evaluation code opens a *new* session on the same graph
and reads the weights. Variable values live in a session, not in the graph, so the new
session's variables are uninitialized and TensorFlow raises FailedPreconditionError naming
one variable. tftrace names every uninitialized variable the run needed and why (here:
"initialized only in session 1"). The graph also holds a variable nothing ever uses
(`debug/scale`), which tftrace reports as never initialized (info only).

Variables: resource variables (VarHandleOp).
Bug: line marked BUG. Fix: keep using the training session, or restore a checkpoint in the
evaluation session before reading (saver.restore(eval_sess, path)).
Exit code: 1 (the evaluation crashes).
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()
tf.compat.v1.set_random_seed(0)

x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
with tf.compat.v1.variable_scope("dense"):
    w = tf.compat.v1.get_variable("kernel", [3, 1])
    b = tf.compat.v1.get_variable("bias", [1], initializer=tf.compat.v1.zeros_initializer())
with tf.compat.v1.variable_scope("debug"):
    tf.compat.v1.get_variable("scale", [], initializer=tf.compat.v1.ones_initializer())
prediction = tf.matmul(x, w) + b
loss = tf.reduce_mean(tf.square(prediction - 1.0))
train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)

batch = np.ones((4, 3), np.float32)
with tf.compat.v1.Session() as train_sess:
    train_sess.run(tf.compat.v1.global_variables_initializer())
    for _ in range(20):
        train_sess.run(train_op, {x: batch})
    print(f"training: loss {train_sess.run(loss, {x: batch}):.4f}")

with tf.compat.v1.Session() as eval_sess:  # BUG: a new session has its own, empty variables
    try:
        print("evaluation:", eval_sess.run(prediction, {x: batch}).ravel())
    except tf.errors.FailedPreconditionError as e:
        print(f"evaluation failed: {type(e).__name__}", file=sys.stderr)
        sys.exit(1)
