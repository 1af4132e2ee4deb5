"""Optimize an input image through a pretrained VGG-shaped network (CLEAN): the
deep-dream / adversarial-example / style-transfer shape, where the trainable variable is
the network's input.

What it does
    Phase 1 ("pretraining") trains a tiny vgg_19-shaped conv net (variable scopes
    vgg_19/conv1/conv1_1, vgg_19/conv2/conv2_1, vgg_19/fc8) and saves
    ckpt/input_image_variable/vgg_19.ckpt.
    Phase 2 creates the input image with tf.compat.v1.get_variable("input_image", ...)
    outside any scope, builds vgg_19 on top of it, restores only the network's weights
    (Saver(var_list=the vgg_19 variables)), initializes the image and the optimizer's
    slots with variables_initializer, and runs 10 Adam steps on the image alone to
    maximize one class score.

tftrace should report no warning or error, and no get-variable-ignores-name-scope: the
image is read only by vgg_19/conv1/..., but it was not created inside a tf.name_scope --
who reads a variable says nothing about where get_variable was called.

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "input_image_variable"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "vgg_19.ckpt")


def vgg_19(images):
    with tf.compat.v1.variable_scope("vgg_19"):
        net = images
        for block, channels in (("conv1/conv1_1", 4), ("conv2/conv2_1", 8)):
            with tf.compat.v1.variable_scope(block):
                kernel = tf.compat.v1.get_variable("weights", [3, 3, net.shape[-1], channels])
                bias = tf.compat.v1.get_variable("biases", [channels],
                                                 initializer=tf.compat.v1.zeros_initializer())
                net = tf.nn.relu(tf.nn.conv2d(net, kernel, 1, "SAME") + bias)
                net = tf.nn.max_pool2d(net, 2, 2, "VALID")
        with tf.compat.v1.variable_scope("fc8"):
            flat = tf.reshape(net, [-1, 2 * 2 * 8])
            kernel = tf.compat.v1.get_variable("weights", [32, 3])
            return tf.matmul(flat, kernel)


def pretrain(rng):
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        images = tf.constant(rng.rand(8, 8, 8, 3).astype(np.float32))
        labels = tf.constant(rng.randint(0, 3, 8).astype(np.int64))
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=vgg_19(images)))
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(5):
                sess.run(train_op)
            saver.save(sess, CKPT)


def dream():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(2)
        image = tf.compat.v1.get_variable(
            "input_image", [1, 8, 8, 3],
            initializer=tf.compat.v1.random_uniform_initializer(0.0, 1.0, seed=3))
        logits = vgg_19(image)
        network = tf.compat.v1.global_variables(scope="vgg_19")
        objective = -logits[0, 1]
        step = tf.compat.v1.train.AdamOptimizer(0.05).minimize(objective, var_list=[image])
        fresh = [v for v in tf.compat.v1.global_variables() if v not in network]
        restorer = tf.compat.v1.train.Saver(var_list=network)
        with tf.compat.v1.Session() as sess:
            restorer.restore(sess, CKPT)
            sess.run(tf.compat.v1.variables_initializer(fresh))
            for _ in range(10):
                sess.run(step)
            print(f"class-1 score after 10 steps: {-sess.run(objective):.3f}")


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    pretrain(np.random.RandomState(0))
    dream()


if __name__ == "__main__":
    main()
