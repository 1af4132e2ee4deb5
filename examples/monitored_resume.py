"""Train with MonitoredTrainingSession, then resume with a second one (CLEAN).

What it does
    train_until(last_step) builds a small model with a global step and Adam, and trains it
    in tf.compat.v1.train.MonitoredTrainingSession(checkpoint_dir=ckpt/monitored_resume,
    save_checkpoint_steps=5) with a StopAtStepHook(last_step=...).
    Phase 1 trains from scratch to global_step 10. Phase 2, in a new graph, opens a second
    MonitoredTrainingSession on the same checkpoint_dir: its SessionManager finds the latest
    checkpoint and RESTORES it by itself (no explicit Saver.restore and no initializer run
    in user code), so training continues from global_step 10 to 20.

MonitoredTrainingSession's CheckpointSaverHook saves when the session is created (at the
current global step), every 5 steps, and at the end, writing model.ckpt-N files and a
graph.pbtxt into the checkpoint_dir. Summaries and step-rate logging are turned off to keep
the run quick and quiet. tftrace should report no warning or error: in phase 1 the origin
of every variable is the scaffold's initializer, in phase 2 the restore of model.ckpt-10.

Variables: resource variables (VarHandleOp) -- default TF2 graph mode after
disable_eager_execution().
"""
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

NAME = "monitored_resume"
CKPT_DIR = os.path.join("ckpt", NAME)

rng = np.random.RandomState(0)
X = rng.randn(40, 3).astype(np.float32)
Y = np.abs(X @ np.array([[1.0], [0.0], [-1.0]], np.float32))


def train_until(last_step):
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        w1 = tf.compat.v1.get_variable("layer1/kernel", [3, 4])
        w2 = tf.compat.v1.get_variable("layer2/kernel", [4, 1])
        pred = tf.matmul(tf.nn.relu(tf.matmul(tf.constant(X), w1)), w2)
        loss = tf.reduce_mean(tf.square(pred - Y), name="loss")
        global_step = tf.compat.v1.train.get_or_create_global_step()
        train_op = tf.compat.v1.train.AdamOptimizer(0.05).minimize(loss, global_step=global_step)
        hooks = [tf.compat.v1.train.StopAtStepHook(last_step=last_step)]
        with tf.compat.v1.train.MonitoredTrainingSession(
                checkpoint_dir=CKPT_DIR, save_checkpoint_steps=5, hooks=hooks,
                save_summaries_steps=None, save_summaries_secs=None,
                log_step_count_steps=None) as sess:
            start = sess.run(global_step)
            while not sess.should_stop():
                _, loss_value = sess.run([train_op, loss])
    print(f"trained from global_step {start} to {last_step}, loss {loss_value:.4f}")


def main():
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)  # deprecation notices
    tf.compat.v1.disable_eager_execution()
    shutil.rmtree(CKPT_DIR, ignore_errors=True)
    os.makedirs(CKPT_DIR)
    train_until(10)  # phase 1: from scratch
    train_until(20)  # phase 2: resumes from ckpt/monitored_resume/model.ckpt-10
    saved = tf.train.get_checkpoint_state(CKPT_DIR).all_model_checkpoint_paths
    print("checkpoints:", ", ".join(os.path.basename(path) for path in saved))


if __name__ == "__main__":
    main()
