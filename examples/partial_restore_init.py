"""Fine-tune a pretrained encoder with a new head -- the global initializer clobbers the
encoder after a partial restore (BUG: PRODUCT §1, bug 2).

What it does
    Phase 1 ("pretraining") trains encoder/ + pretrain_head/ on task A and saves all of it to
    ckpt/partial_restore_init/model.ckpt.
    Phase 2 ("fine-tuning") builds encoder/ + a NEW head/ for task B. Only the encoder is in
    the checkpoint, so a Saver over the encoder variables restores it; then the script runs
    tf.compat.v1.global_variables_initializer() "to initialize the new head" -- which
    re-initializes the encoder too. Training the head then starts from a random encoder.

The bug
    The line marked `# BUG:` in finetune(): the global initializer runs after the partial
    restore and overwrites encoder/dense/kernel and encoder/dense/bias.

Fix
    Initialize only the new variables:
        saver.restore(sess, CKPT)
        sess.run(tf.compat.v1.variables_initializer(head_vars))
    or run the global initializer first and restore after it.
    See examples/partial_restore_correct.py.

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "partial_restore_init"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")

rng = np.random.RandomState(0)
X = rng.randn(128, 6).astype(np.float32)
FEATURE = np.tanh(X @ rng.randn(6, 1).astype(np.float32))
Y_A = FEATURE  # pretraining task
Y_B = 1.0 - 2.0 * FEATURE  # fine-tuning task: same feature, another read-out


def encoder(x):
    with tf.compat.v1.variable_scope("encoder/dense"):
        kernel = tf.compat.v1.get_variable("kernel", [6, 8])
        bias = tf.compat.v1.get_variable("bias", [8], initializer=tf.compat.v1.zeros_initializer())
    return tf.nn.relu(tf.matmul(x, kernel) + bias)


def head(h, scope):
    with tf.compat.v1.variable_scope(scope):
        kernel = tf.compat.v1.get_variable("kernel", [8, 1])
        bias = tf.compat.v1.get_variable("bias", [1], initializer=tf.compat.v1.zeros_initializer())
    return tf.matmul(h, kernel) + bias


def pretrain():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        x = tf.compat.v1.placeholder(tf.float32, [None, 6], name="x")
        y = tf.compat.v1.placeholder(tf.float32, [None, 1], name="y")
        loss = tf.reduce_mean(tf.square(head(encoder(x), "pretrain_head") - y))
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.2).minimize(loss)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(100):
                sess.run(train_op, {x: X, y: Y_A})
            print(f"phase 1: pretrained on task A, loss {sess.run(loss, {x: X, y: Y_A}):.4f}")
            saver.save(sess, CKPT)


def finetune():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(2)
        x = tf.compat.v1.placeholder(tf.float32, [None, 6], name="x")
        y = tf.compat.v1.placeholder(tf.float32, [None, 1], name="y")
        loss = tf.reduce_mean(tf.square(head(encoder(x), "head") - y))
        encoder_vars = tf.compat.v1.global_variables(scope="encoder")
        head_vars = tf.compat.v1.global_variables(scope="head")
        # Frozen encoder: only the new head is trained.
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.2).minimize(loss, var_list=head_vars)
        saver = tf.compat.v1.train.Saver(var_list=encoder_vars)
        with tf.compat.v1.Session() as sess:
            saver.restore(sess, CKPT)
            sess.run(tf.compat.v1.global_variables_initializer())  # BUG: re-initializes encoder/
            for _ in range(50):
                sess.run(train_op, {x: X, y: Y_B})
            print(f"phase 2: fine-tuned head on task B, loss {sess.run(loss, {x: X, y: Y_B}):.4f}")
            kernel = sess.run(encoder_vars[0])
    saved = tf.train.load_checkpoint(CKPT).get_tensor("encoder/dense/kernel")
    print(f"encoder/dense/kernel equals the pretrained one: {np.array_equal(kernel, saved)}")


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    pretrain()
    finetune()


if __name__ == "__main__":
    main()
