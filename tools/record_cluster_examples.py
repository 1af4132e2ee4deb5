"""Re-record the distributed examples: one ps and two workers per scenario, on 127.0.0.1.

    python tools/record_cluster_examples.py [SCENARIO ...] [--out DIR]

Writes DIR/SCENARIO/{ps0,worker0,worker1}.json (default DIR: examples/distributed/traces),
each task recorded by `tftrace run -o DIR/SCENARIO/{job}{task}.json` -- one launch line for
every task, as a user would. Scenarios (examples/distributed/README.md tells their story):

    clean         MonitoredTrainingSession chief + worker, taking turns to train (gs 16)
    wipe          the chief trains to global_step 8; a late plain-Session worker runs
                  global_variables_initializer() and resets it to 0; the chief trains on
                  (to 4) and saves what it thinks is its model
    restore_wipe  the chief restores clean's final checkpoint (gs 16) and trains; the late
                  worker's initializer wipes the restored values (needs clean's checkpoint:
                  clean is run first when it is missing)
    probes        not committed: what tests/recorder/test_cluster.py runs (readiness probes,
                  a failed read before the chief initialized, a ps that starts late)

The processes take turns through marker files in a sync directory (the trainer's --plan),
never through sleeps, so every recording tells the same story. Network discipline: every
address is 127.0.0.1, ports come from the OS; when run as root with `unshare` available the
whole cluster runs in a private network namespace (nothing but loopback exists in it), since
TensorFlow's gRPC server binds every interface. Every process runs under a timeout and is
killed by its process group id.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINER = os.path.join("examples", "distributed", "trainer.py")
DEFAULT_OUT = os.path.join("examples", "distributed", "traces")
NETNS_ENV = "TFTRACE_CLUSTER_NETNS"
PROCESS_TIMEOUT = 240.0

# task -> (trainer arguments, plan); workers are started in the order listed.
SCENARIOS: dict[str, list[tuple[str, int, list[str], str]]] = {
    "clean": [
        ("worker", 0, ["--session=monitored", "--checkpoint_dir={ckpt}"],
         "session,signal:w0-ready,train:4,signal:w0-4,wait:w1-8,train:4,signal:w0-12,"
         "wait:w1-16"),
        ("worker", 1, ["--session=monitored"],
         "wait:w0-ready,session,wait:w0-4,train:4,signal:w1-8,wait:w0-12,train:4,"
         "signal:w1-16"),
    ],
    "wipe": [
        ("worker", 0, ["--session=monitored", "--checkpoint_dir={ckpt}"],
         "session,train:8,signal:w0-trained,wait:w1-wiped,train:4,signal:w0-done"),
        ("worker", 1, ["--session=plain"],
         "wait:w0-trained,session,init,signal:w1-wiped,wait:w0-done,train:4"),
    ],
    "restore_wipe": [
        # Restores clean's checkpoint where clean saved it (the path links the traces),
        # and saves nothing there, so clean's directory stays as clean left it.
        ("worker", 0, ["--session=monitored", "--checkpoint_dir={ckpt:clean}",
                       "--save_checkpoint_steps=0"],
         "session,train:4,signal:w0-trained,wait:w1-wiped,train:4,signal:w0-done"),
        ("worker", 1, ["--session=plain"],
         "wait:w0-trained,session,init,signal:w1-wiped,wait:w0-done,train:4"),
    ],
}
# Not an example: what tests/recorder/test_cluster.py runs. The ps starts only after worker 1
# has created its session (a remote session must not make the recorder wait for the
# cluster). Worker 1 probes for uninitialized variables before the chief has initialized and
# again after (as SessionManager does while it waits), then wipes, as in `wipe`; it learns
# its task from TF_CONFIG as well.
SCENARIOS["probes"] = [
    ("worker", 0, ["--session=monitored", "--checkpoint_dir={ckpt}"],
     "wait:w1-probed,session,train:8,signal:w0-trained,wait:w1-wiped,train:4,signal:w0-done"),
    ("worker", 1, ["--session=plain"],
     "session,signal:w1-session,probe,peek,signal:w1-probed,wait:w0-trained,probe,init,"
     "signal:w1-wiped,"
     "wait:w0-done,train:2"),
]
PS_AFTER = {"probes": "w1-session"}  # start the ps only once this marker exists
PS_AFTER_TIMEOUT = 60.0
EXAMPLES = ["clean", "wipe", "restore_wipe"]  # recorded by default, committed
TASK_ENV = {"probes": {"worker1": {"TF_CONFIG": "{tf_config}"}}}
NEEDS = {"restore_wipe": "clean"}  # restores the checkpoint that scenario saved


def free_ports(n: int) -> list[int]:
    """Ports the OS says are free on 127.0.0.1 (bound to port 0, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def can_unshare() -> bool:
    if os.environ.get(NETNS_ENV) or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


def reexec_in_private_network(argv: list[str], timeout: float) -> int:
    """Run this script again inside a fresh network namespace with only loopback up."""
    env = dict(os.environ, **{NETNS_ENV: "1"})
    command = ["unshare", "-n", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
               sys.executable, os.path.abspath(__file__), *argv]
    proc = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        sys.stderr.write(f"cluster run timed out after {timeout:.0f} s\n")
        return 124


class Task:
    def __init__(self, job: str, index: int, proc: subprocess.Popen, log: str):
        self.job, self.index, self.proc, self.log = job, index, proc, log

    @property
    def name(self) -> str:
        return f"{self.job}{self.index}"

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()


def run_scenario(name: str, out: str, work: str) -> dict[str, int]:
    """Run one scenario's cluster; return each task's exit code (ps: killed = -9)."""
    tasks = SCENARIOS[name]
    trace_dir = os.path.join(out, name)
    sync = os.path.join(work, name, "sync")
    ckpt = os.path.join(work, name, "ckpt")
    logs = os.path.join(work, name, "logs")
    for d in (sync, ckpt, logs):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    os.makedirs(trace_dir, exist_ok=True)
    for stale in os.listdir(trace_dir):
        if stale.endswith(".json"):
            os.remove(os.path.join(trace_dir, stale))
    workers = sum(1 for t in tasks if t[0] == "worker")
    ports = free_ports(1 + workers)
    hosts = [f"--ps_hosts=127.0.0.1:{ports[0]}",
             "--worker_hosts=" + ",".join(f"127.0.0.1:{p}" for p in ports[1:])]
    pattern = os.path.join(trace_dir, "{job}{task}.json")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("TFTRACE_TRACE", None)

    def start(job: str, index: int, extra: list[str]) -> Task:
        log = os.path.join(logs, f"{job}{index}.log")
        command = [sys.executable, "-m", "tftrace", "run", "-o", pattern, TRAINER, *hosts,
                   f"--job_name={job}", f"--task_index={index}", f"--sync_dir={sync}", *extra]
        tf_config = json.dumps({"cluster": {"ps": [f"127.0.0.1:{ports[0]}"],
                                            "worker": [f"127.0.0.1:{p}" for p in ports[1:]]},
                                "task": {"type": job, "index": index}})
        task_env = dict(env, **{k: v.replace("{tf_config}", tf_config) for k, v in
                                TASK_ENV.get(name, {}).get(f"{job}{index}", {}).items()})
        with open(log, "w") as f:
            proc = subprocess.Popen(command, cwd=ROOT, env=task_env, stdout=f,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        return Task(job, index, proc, log)

    ps_after = PS_AFTER.get(name)
    running = [] if ps_after else [start("ps", 0, [])]
    codes: dict[str, int] = {}
    try:
        for job, index, extra, plan in tasks:
            extra = [a.replace("{ckpt:clean}", os.path.join(work, "clean", "ckpt"))
                     .replace("{ckpt}", ckpt) for a in extra]
            running.append(start(job, index, [*extra, f"--plan={plan}"]))
        deadline = time.monotonic() + PROCESS_TIMEOUT
        if ps_after:  # the workers' sessions exist before their ps does
            marker = os.path.join(sync, ps_after)
            give_up = time.monotonic() + PS_AFTER_TIMEOUT
            while not os.path.exists(marker) and time.monotonic() < give_up and all(
                    t.proc.poll() is None for t in running):
                time.sleep(0.05)
            if not os.path.exists(marker):
                # A worker stuck before its session exists: something waits for the ps.
                sys.stderr.write(f"{name}: no {ps_after} within {PS_AFTER_TIMEOUT:.0f} s\n")
                codes[f"before ps: {ps_after}"] = 124
            running.insert(0, start("ps", 0, []))
        for task in running[1:]:
            try:
                codes[task.name] = task.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                codes[task.name] = 124
                for other in running:
                    other.kill()
                break
    finally:
        for task in running:
            task.kill()  # the ps serves forever: it ends here, by its process group
        codes.setdefault("ps0", running[0].proc.returncode)
    for task in running[1:]:
        if codes.get(task.name) not in (0,):
            with open(task.log, encoding="utf-8", errors="replace") as f:
                sys.stderr.write(f"--- {name}/{task.name} exited {codes.get(task.name)}:\n"
                                 f"{f.read()[-4000:]}\n")
    return codes


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO")
    parser.add_argument("--out", default=DEFAULT_OUT, help="where the traces go")
    parser.add_argument("--work", default=os.path.join("ckpt", "distributed"),
                        help="checkpoints, logs and barrier files")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    names = args.scenarios or list(EXAMPLES)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    for n in list(names):
        needed = NEEDS.get(n)
        if needed and needed not in names and not os.path.isdir(
                os.path.join(ROOT, args.work, needed, "ckpt")):
            names.insert(names.index(n), needed)
    if can_unshare():
        return reexec_in_private_network(argv, args.timeout)
    os.chdir(ROOT)
    failed = 0
    for n in names:
        started = time.perf_counter()
        codes = run_scenario(n, args.out, args.work)
        ok = all(code == 0 for task, code in codes.items() if task != "ps0")
        failed += not ok
        print(f"{n:14s} {'ok' if ok else 'FAILED'}  {time.perf_counter() - started:5.1f} s  "
              + " ".join(f"{t}={c}" for t, c in sorted(codes.items())), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
