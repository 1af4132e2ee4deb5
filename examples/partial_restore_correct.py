"""Fine-tune a pretrained encoder with a new head, done right (CLEAN counterpart of
partial_restore_init.py).

What it does
    Phase 1 ("pretraining") trains encoder/ + pretrain_head/ on task A and saves all of it to
    ckpt/partial_restore_correct/model.ckpt.
    Phase 2 ("fine-tuning") builds encoder/ + a NEW head/ + a Momentum optimizer and a
    global step, then:
      1. restores the encoder with a Saver over the encoder variables only;
      2. initializes exactly the new head: tf.compat.v1.variables_initializer(head_vars);
      3. finds whatever is still uninitialized (the Momentum slots and global_step) with the
         common PROBE pattern -- sess.run(v) for every global variable, catching
         tf.errors.FailedPreconditionError -- and initializes exactly those;
      4. trains the head.

The failed probe runs are legitimate: each is caught and the variable is initialized right
after. tftrace should report no warning or error for this program (at most an info about
the probe and about the partial restore).

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "partial_restore_correct"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")

rng = np.random.RandomState(0)
X = rng.randn(128, 6).astype(np.float32)
FEATURE = np.tanh(X @ rng.randn(6, 1).astype(np.float32))
Y_A = FEATURE  # pretraining task
Y_B = 1.0 - 2.0 * FEATURE  # fine-tuning task: same feature, another read-out


def dense(inputs, scope, units):
    with tf.compat.v1.variable_scope(scope):
        kernel = tf.compat.v1.get_variable("kernel", [inputs.shape[1], units])
        bias = tf.compat.v1.get_variable("bias", [units], initializer=tf.compat.v1.zeros_initializer())
    return tf.matmul(inputs, kernel) + bias


def uninitialized_variables(sess):
    """The probe: run every global variable, collect the ones that are not initialized."""
    missing = []
    for v in tf.compat.v1.global_variables():
        try:
            sess.run(v)
        except tf.errors.FailedPreconditionError:
            missing.append(v)
    return missing


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)

    # Phase 1: pretraining on task A; the checkpoint holds encoder/ and pretrain_head/.
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        x = tf.compat.v1.placeholder(tf.float32, [None, 6], name="x")
        y = tf.compat.v1.placeholder(tf.float32, [None, 1], name="y")
        pred = dense(tf.nn.relu(dense(x, "encoder/dense", 8)), "pretrain_head", 1)
        loss = tf.reduce_mean(tf.square(pred - y))
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.2).minimize(loss)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(100):
                sess.run(train_op, {x: X, y: Y_A})
            print(f"phase 1: pretrained on task A, loss {sess.run(loss, {x: X, y: Y_A}):.4f}")
            saver.save(sess, CKPT)

    # Phase 2: fine-tuning a new head on task B.
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(2)
        x = tf.compat.v1.placeholder(tf.float32, [None, 6], name="x")
        y = tf.compat.v1.placeholder(tf.float32, [None, 1], name="y")
        pred = dense(tf.nn.relu(dense(x, "encoder/dense", 8)), "head", 1)
        loss = tf.reduce_mean(tf.square(pred - y))
        encoder_vars = tf.compat.v1.global_variables(scope="encoder")
        head_vars = tf.compat.v1.global_variables(scope="head")
        global_step = tf.compat.v1.train.get_or_create_global_step()
        optimizer = tf.compat.v1.train.MomentumOptimizer(0.05, momentum=0.9)
        train_op = optimizer.minimize(loss, global_step=global_step, var_list=head_vars)
        saver = tf.compat.v1.train.Saver(var_list=encoder_vars)
        with tf.compat.v1.Session() as sess:
            saver.restore(sess, CKPT)
            sess.run(tf.compat.v1.variables_initializer(head_vars))  # only the new variables
            rest = uninitialized_variables(sess)
            print("phase 2: still uninitialized after restore + head init:",
                  ", ".join(v.op.name for v in rest))
            sess.run(tf.compat.v1.variables_initializer(rest))
            for _ in range(50):
                sess.run(train_op, {x: X, y: Y_B})
            print(f"phase 2: fine-tuned head on task B, loss {sess.run(loss, {x: X, y: Y_B}):.4f}")
            kernel = sess.run(encoder_vars[0])
    saved = tf.train.load_checkpoint(CKPT).get_tensor("encoder/dense/kernel")
    print(f"encoder/dense/kernel equals the pretrained one: {np.array_equal(kernel, saved)}")


if __name__ == "__main__":
    main()
