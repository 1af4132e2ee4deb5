"""Values that arrive from somewhere unexpected (INFORMATIONAL, clean: PRODUCT §1, bug 7).

Nothing here is wrong; each phase loads values by a route that is easy to misread, and
tftrace must show the true origin of every variable. All checkpoints are written under
ckpt/unexpected_sources/.

Phase 0 -- setup: an "old" model with variables old_scope/w, old_scope/b and a is trained a
    few steps and saved to ckpt/unexpected_sources/model.ckpt (with its .meta graph).
Phase (a) -- warm start: new_scope/w and new_scope/b get their values through
    tf.compat.v1.train.init_from_checkpoint(CKPT, {"old_scope/": "new_scope/"}). The call
    rewires their initializers, so the checkpoint values arrive when the global INITIALIZER
    runs -- origin: checkpoint keys old_scope/w, old_scope/b.
Phase (b) -- renamed key: Saver(var_list={"a": d}) restores the checkpoint key "a" into the
    variable d -- origin of d: checkpoint key a.
Phase (c) -- imported graph: tf.compat.v1.train.import_meta_graph(CKPT + ".meta") brings the
    old variables AND the old Saver in from a file; its restore sets old_scope/w, old_scope/b,
    a and the global step -- no Python code in this file creates those variables.
Phase (d) -- derived initial value: u is initialized from 2 * v.initialized_value(), so u's
    initial value comes from v (lineage v -> u), not from a random initializer of its own.

Variables: reference variables (VariableV2) -- tf.compat.v1.disable_v2_behavior().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "unexpected_sources"
CKPT_DIR = os.path.join("ckpt", NAME)
CKPT = os.path.join(CKPT_DIR, "model.ckpt")


def phase0_setup():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        with tf.compat.v1.variable_scope("old_scope"):
            w = tf.compat.v1.get_variable("w", [3, 2])
            b = tf.compat.v1.get_variable("b", [2], initializer=tf.compat.v1.ones_initializer())
        a = tf.compat.v1.get_variable("a", [2], initializer=tf.compat.v1.constant_initializer([7.0, -7.0]))
        loss = tf.reduce_sum(tf.square(tf.matmul(tf.ones([4, 3]), w) + b - a))
        global_step = tf.compat.v1.train.get_or_create_global_step()
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=global_step)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(3):
                sess.run(train_op)
            saver.save(sess, CKPT)
    print(f"phase 0: saved {CKPT} with keys:", ", ".join(k for k, _ in tf.train.list_variables(CKPT)))


def phase_a_warm_start(reader):
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(2)
        with tf.compat.v1.variable_scope("new_scope"):
            w = tf.compat.v1.get_variable("w", [3, 2])
            tf.compat.v1.get_variable("b", [2])
        tf.compat.v1.train.init_from_checkpoint(CKPT, {"old_scope/": "new_scope/"})
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())  # loads old_scope/* values
            value = sess.run(w)
    same = np.array_equal(value, reader.get_tensor("old_scope/w"))
    print("phase a: new_scope/w == checkpoint old_scope/w:", same)


def phase_b_renamed_key(reader):
    with tf.Graph().as_default():
        d = tf.compat.v1.get_variable("d", [2], initializer=tf.compat.v1.zeros_initializer())
        saver = tf.compat.v1.train.Saver(var_list={"a": d})
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            saver.restore(sess, CKPT)  # checkpoint key "a" -> variable d
            value = sess.run(d)
    print(f"phase b: d = {value} (checkpoint key a = {reader.get_tensor('a')})")


def phase_c_import_meta_graph():
    with tf.Graph().as_default():
        saver = tf.compat.v1.train.import_meta_graph(CKPT + ".meta")
        with tf.compat.v1.Session() as sess:
            saver.restore(sess, CKPT)
            names = [v.op.name for v in tf.compat.v1.global_variables()]
            step = sess.run("global_step:0")
    print(f"phase c: imported variables {', '.join(names)}; global_step {step}")


def phase_d_initialized_value():
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(3)
        v = tf.compat.v1.get_variable("v", [2, 2])
        u = tf.compat.v1.Variable(v.initialized_value() * 2.0, name="u")
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            v_value, u_value = sess.run([v, u])
    print("phase d: u == 2 * v:", np.allclose(u_value, 2.0 * v_value))


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    phase0_setup()
    reader = tf.train.load_checkpoint(CKPT)
    phase_a_warm_start(reader)
    phase_b_renamed_key(reader)
    phase_c_import_meta_graph()
    phase_d_initialized_value()


if __name__ == "__main__":
    main()
