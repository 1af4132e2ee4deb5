"""A variable scope renamed between training and fine-tuning: the restore cannot find the
keys (BUG: PRODUCT §1, bug 5 -- renamed scope). Exits with code 1.

What it does
    Phase 1 ("training") trains a classifier whose feature extractor lives in the variable
    scope encoder/ and saves it to ckpt/checkpoint_key_mismatch/model.ckpt
    (keys encoder/dense/kernel, encoder/dense/bias, classifier/kernel, classifier/bias).
    Phase 2 ("fine-tuning") is a later version of the code in which the scope was renamed
    to enc/. The default Saver now asks for enc/dense/bias and enc/dense/kernel, which the
    checkpoint does not have: Saver.restore raises NotFoundError ("Restoring from checkpoint
    failed ... Key enc/dense/bias not found in checkpoint") -- TensorFlow names only the
    first missing key. The script catches it, prints it and exits with status 1, as a real
    fine-tuning script would crash.

The bug
    The `# BUG:` line in build(): variable_scope("enc") instead of the checkpoint's
    "encoder".

Fix
    Map checkpoint keys to the renamed variables explicitly:
        saver = tf.compat.v1.train.Saver(var_list={
            v.op.name.replace("enc/", "encoder/", 1): v for v in tf.compat.v1.global_variables()})
    or warm-start with tf.compat.v1.train.init_from_checkpoint(CKPT, {"encoder/": "enc/", ...}).

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "checkpoint_key_mismatch"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")

rng = np.random.RandomState(0)
X = rng.randn(100, 4).astype(np.float32)
LABELS = (X[:, 0] * X[:, 1] > 0).astype(np.int64)


def build(encoder_scope):
    tf.compat.v1.set_random_seed(1)
    x = tf.constant(X, name="x")
    with tf.compat.v1.variable_scope(encoder_scope):
        kernel = tf.compat.v1.get_variable("dense/kernel", [4, 16])
        bias = tf.compat.v1.get_variable("dense/bias", [16], initializer=tf.compat.v1.zeros_initializer())
        features = tf.nn.relu(tf.matmul(x, kernel) + bias)
    with tf.compat.v1.variable_scope("classifier"):
        w = tf.compat.v1.get_variable("kernel", [16, 2])
        b = tf.compat.v1.get_variable("bias", [2], initializer=tf.compat.v1.zeros_initializer())
        logits = tf.matmul(features, w) + b
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=LABELS, logits=logits))
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.5).minimize(loss)
    return loss, train_op


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)

    # Phase 1: training, scope "encoder".
    with tf.Graph().as_default():
        loss, train_op = build("encoder")
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(50):
                sess.run(train_op)
            print(f"phase 1: trained, loss {sess.run(loss):.4f}, saved {saver.save(sess, CKPT)}")

    # Phase 2: fine-tuning with the renamed scope.
    with tf.Graph().as_default():
        loss, train_op = build("enc")  # BUG: the checkpoint calls this scope "encoder"
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            try:
                saver.restore(sess, CKPT)
            except tf.errors.NotFoundError as e:
                detail = next((line for line in e.message.splitlines() if "not found" in line), e.message)
                print(f"phase 2: cannot restore {CKPT}: {detail}", file=sys.stderr)
                return 1
            for _ in range(20):
                sess.run(train_op)
            print(f"phase 2: fine-tuned, loss {sess.run(loss):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
