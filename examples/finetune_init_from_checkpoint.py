"""Warm-start an encoder with tf.compat.v1.train.init_from_checkpoint, train a fresh head
(CLEAN).

What it does
    Phase 1 ("pretraining") trains encoder/ + pretrain/ (a 3-class classifier) and saves
    ckpt/finetune_init_from_checkpoint/model.ckpt.
    Phase 2 ("fine-tuning") builds encoder/ + a new binary head head/, then calls
        tf.compat.v1.train.init_from_checkpoint(CKPT, {"encoder/": "encoder/"})
    which rewires the encoder variables' initializers to read the checkpoint. A single
    global_variables_initializer() then loads the encoder from the checkpoint AND gives
    head/ its random initial values; the whole model is fine-tuned for 40 steps.

The global initializer is correct here (the restore happens inside it). tftrace should report
no warning or error; the encoder's origin is "restore" (checkpoint keys encoder/...), reached
through the initializer, the head's origin is its initializer.

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "finetune_init_from_checkpoint"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")

rng = np.random.RandomState(0)
X = rng.randn(90, 4).astype(np.float32)
CLASS_3 = np.argmax(X[:, :3], axis=1)  # pretraining labels: which of the first 3 is largest
CLASS_2 = (CLASS_3 == 0).astype(np.int64)  # fine-tuning labels: is it the first one


def classifier(head_scope, n_classes, labels):
    x = tf.constant(X, name="x")
    with tf.compat.v1.variable_scope("encoder"):
        w = tf.compat.v1.get_variable("w", [4, 8])
        b = tf.compat.v1.get_variable("b", [8], initializer=tf.compat.v1.zeros_initializer())
    with tf.compat.v1.variable_scope(head_scope):
        v = tf.compat.v1.get_variable("w", [8, n_classes])
        c = tf.compat.v1.get_variable("b", [n_classes], initializer=tf.compat.v1.zeros_initializer())
    logits = tf.matmul(tf.nn.tanh(tf.matmul(x, w) + b), v) + c
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.5).minimize(loss)
    return w, loss, train_op


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)

    # Phase 1: pretraining (3 classes).
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        _, loss, train_op = classifier("pretrain", 3, CLASS_3)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(100):
                sess.run(train_op)
            print(f"phase 1: pretrained, loss {sess.run(loss):.4f}, saved {saver.save(sess, CKPT)}")

    # Phase 2: fine-tuning (2 classes), encoder warm-started from the checkpoint.
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(2)
        encoder_w, loss, train_op = classifier("head", 2, CLASS_2)
        tf.compat.v1.train.init_from_checkpoint(CKPT, {"encoder/": "encoder/"})
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())  # encoder/ comes from CKPT
            warm = np.array_equal(sess.run(encoder_w), tf.train.load_checkpoint(CKPT).get_tensor("encoder/w"))
            print(f"phase 2: encoder/w warm-started from the checkpoint: {warm}; loss {sess.run(loss):.4f}")
            for _ in range(40):
                sess.run(train_op)
            print(f"phase 2: fine-tuned 40 steps, loss {sess.run(loss):.4f}")


if __name__ == "__main__":
    main()
