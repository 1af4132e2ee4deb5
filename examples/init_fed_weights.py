"""Load weights from another framework by feeding the initializers' values (CLEAN).

What it does
    A two-layer model built with tf.compat.v1.get_variable (unseeded default
    initializers), whose weights come from a numpy .npz file -- the shape of porting a
    Caffe/PyTorch model: the documented way is to run the global initializer once and
    feed the initial values,
        sess.run(init, feed_dict={kernel.initial_value: w, bias.initial_value: b, ...})
    which feeds the .../Initializer/... tensors, so the random initializers never run.
    It then fine-tunes 20 steps and saves ckpt/init_fed_weights/model.ckpt.

tftrace should report no warning or error, and no unseeded-random-init either (the random
initializers were fed, not run): every variable's origin is its initializer, with the fed
value, and the explanation says the initial value was fed.

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "init_fed_weights"
CKPT_DIR = os.path.join("ckpt", NAME)


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    rng = np.random.RandomState(0)
    ported = {"fc1/kernel": rng.randn(4, 8).astype(np.float32) * 0.3,
              "fc1/bias": np.full(8, 0.1, np.float32),
              "fc2/kernel": rng.randn(8, 1).astype(np.float32) * 0.3,
              "fc2/bias": np.zeros(1, np.float32)}
    np.savez(os.path.join(CKPT_DIR, "ported.npz"), **ported)

    x = tf.constant(rng.randn(32, 4).astype(np.float32))
    y = tf.constant(rng.randn(32, 1).astype(np.float32))
    h = x
    for scope, units in (("fc1", 8), ("fc2", 1)):
        with tf.compat.v1.variable_scope(scope):
            kernel = tf.compat.v1.get_variable("kernel", [h.shape[-1], units])
            bias = tf.compat.v1.get_variable("bias", [units])
            h = tf.matmul(h, kernel) + bias
            if scope == "fc1":
                h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.square(h - y))
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.05).minimize(loss)
    saver = tf.compat.v1.train.Saver()
    weights = np.load(os.path.join(CKPT_DIR, "ported.npz"))
    feed = {v.initial_value: weights[v.op.name] for v in tf.compat.v1.global_variables()}

    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer(), feed_dict=feed)
        print(f"ported weights loaded, loss {sess.run(loss):.4f}")
        for _ in range(20):
            sess.run(train_op)
        print(f"fine-tuned, loss {sess.run(loss):.4f}")
        saver.save(sess, os.path.join(CKPT_DIR, "model.ckpt"))


if __name__ == "__main__":
    main()
