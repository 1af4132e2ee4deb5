"""Between-graph replicated training on a tf.train.Server cluster (one ps, two workers).

The classic TF1 distributed recipe: every task runs this same script with its own
--job_name/--task_index; the variables live on the parameter server (placed there by
tf.compat.v1.train.replica_device_setter) and outlive every worker's session.

    --job_name=ps       the parameter server: starts its tf.train.Server and joins it
                        (runs until it is killed)
    --job_name=worker   builds the model and trains it; with --session=monitored (the
                        default) through MonitoredTrainingSession(master=server.target,
                        is_chief=task_index == 0): the chief initializes (or restores from
                        --checkpoint_dir), the other workers wait until the model is ready.
                        With --session=plain through tf.compat.v1.Session(server.target),
                        which then runs global_variables_initializer() itself --
                        THE BUG when another worker has already trained (or the chief has
                        restored): the initializer runs on the ps and wipes it for everyone.

--plan orders the steps of a worker, so that the example runs tell the same story every time:
comma-separated `session` (open the session), `init` (run global_variables_initializer() in
a plain session), `probe` (ask which variables are still uninitialized, as SessionManager
does while it waits for the chief), `peek` (read global_step, catching the
FailedPreconditionError if it is not initialized yet), `train:N` (N training steps), `signal:NAME` /
`wait:NAME` (create / wait for the file NAME in --sync_dir: a barrier between processes).
Without --plan a worker opens its session (plain: and initializes) and trains --steps steps.

Launch lines: see README.md next to this file.
"""
import argparse
import contextlib
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ps_hosts", required=True, help="comma-separated host:port")
    p.add_argument("--worker_hosts", required=True, help="comma-separated host:port")
    p.add_argument("--job_name", choices=["ps", "worker"], required=True)
    p.add_argument("--task_index", type=int, default=0)
    p.add_argument("--session", choices=["monitored", "plain"], default="monitored")
    p.add_argument("--checkpoint_dir", default=None,
                   help="monitored chief: restore from / save to this directory")
    p.add_argument("--save_checkpoint_steps", type=int, default=1000,
                   help="monitored chief: save every N steps (and when the session is "
                        "created and closed); 0: never save, only restore")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--plan", default=None)
    p.add_argument("--sync_dir", default=None)
    return p.parse_args()


def build_model(args, cluster):
    device = tf.compat.v1.train.replica_device_setter(
        worker_device=f"/job:worker/task:{args.task_index}", cluster=cluster)
    with tf.compat.v1.device(device):
        global_step = tf.compat.v1.train.get_or_create_global_step()
        init = tf.compat.v1.glorot_uniform_initializer(seed=1)
        w = tf.compat.v1.get_variable("linear/w", [3, 1], initializer=init)
        b = tf.compat.v1.get_variable("linear/b", [1], initializer=tf.compat.v1.zeros_initializer())
        rng = np.random.RandomState(args.task_index)
        x = rng.randn(32, 3).astype(np.float32)
        y = x @ np.array([[2.0], [-1.0], [0.5]], np.float32) + 0.3
        loss = tf.reduce_mean(tf.square(tf.matmul(tf.constant(x), w) + b - y), name="loss")
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(
            loss, global_step=global_step)
    return global_step, train_op, loss


def open_session(args, server):
    if args.session == "plain":
        return tf.compat.v1.Session(server.target)
    return tf.compat.v1.train.MonitoredTrainingSession(
        master=server.target, is_chief=args.task_index == 0,
        checkpoint_dir=args.checkpoint_dir,
        save_checkpoint_steps=args.save_checkpoint_steps or None, save_checkpoint_secs=None,
        save_summaries_steps=None, save_summaries_secs=None, log_step_count_steps=None)


def wait_for(sync_dir, name, timeout=120.0):
    path = os.path.join(sync_dir, name)
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {path}")
        time.sleep(0.05)


def signal(sync_dir, name):
    with open(os.path.join(sync_dir, name), "w") as f:
        f.write(str(os.getpid()))


def main():
    args = parse_args()
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_eager_execution()
    cluster = tf.train.ClusterSpec({"ps": args.ps_hosts.split(","),
                                    "worker": args.worker_hosts.split(",")})
    server = tf.distribute.Server(cluster, job_name=args.job_name, task_index=args.task_index)
    if args.job_name == "ps":
        server.join()
        return
    global_step, train_op, loss = build_model(args, cluster)
    default = "session,init" if args.session == "plain" else "session"
    plan = args.plan or f"{default},train:{args.steps}"
    steps = plan.split(",")
    init_op = tf.compat.v1.global_variables_initializer() if "init" in steps else None
    if "probe" in steps:  # what SessionManager runs while a worker waits for the chief
        not_ready = tf.compat.v1.report_uninitialized_variables()
        step_ready = tf.compat.v1.is_variable_initialized(global_step)
    with contextlib.ExitStack() as stack:
        sess = None
        for step in steps:
            kind, _, arg = step.partition(":")
            if kind == "session":
                sess = stack.enter_context(open_session(args, server))
            elif kind == "init":
                sess.run(init_op)  # BUG on a late worker: resets the ps for every worker
            elif kind == "probe":
                missing, ready = sess.run([not_ready, step_ready])
                print(f"worker {args.task_index}: {len(missing)} variables not initialized, "
                      f"global_step initialized: {bool(ready)}", flush=True)
            elif kind == "peek":  # the other probe: read it, catch FailedPreconditionError
                try:
                    print(f"worker {args.task_index}: global_step {sess.run(global_step)}")
                except tf.errors.FailedPreconditionError as e:
                    notes = " ".join(getattr(e, "__notes__", []))
                    print(f"worker {args.task_index}: global_step not initialized yet "
                          f"{notes}".rstrip(), flush=True)
            elif kind == "train":
                for _ in range(int(arg)):
                    _, loss_value = sess.run([train_op, loss])
                print(f"worker {args.task_index}: global_step {sess.run(global_step)}, "
                      f"loss {loss_value:.4f}", flush=True)
            elif kind == "wait" and args.sync_dir:
                wait_for(args.sync_dir, arg)
            elif kind == "signal" and args.sync_dir:
                signal(args.sync_dir, arg)


if __name__ == "__main__":
    main()
