"""Writes the hand-made cluster fixtures of tests/data (cluster_*/, pretrain.jsonl).

Run from the repository root: python tests/data/make_cluster_fixtures.py
"""
import json, os
CL = {"ps": ["127.0.0.1:2222"], "worker": ["127.0.0.1:2223", "127.0.0.1:2224"]}
DEV = {"/job:ps/replica:0/task:0/device:CPU:0": "7301956213443286537",
       "/job:worker/replica:0/task:0/device:CPU:0": "1111111111111111111",
       "/job:worker/replica:0/task:1/device:CPU:0": "2222222222222222222"}
def hdr(pid, script="trainer.py"):
    return {"format": "tftrace-trace", "version": 2, "tftrace": "0.1.0", "created": 1763890000.0,
            "pid": pid, "argv": [script], "script": script, "cwd": "/home/me/proj",
            "python": "3.11.7", "tensorflow": "2.21.0"}
def proc(pid, job, task, chief):
    return {"type": "process", "host": "node1", "pid": pid, "job": job, "task": task,
            "is_chief": chief, "cluster": CL, "sources": ["server_def"], "time": 1763890000.5}
DEV2 = {k: str(int(v) + 99) for k, v in DEV.items()}  # another cluster: new incarnations
def sess(t, target, loc="trainer.py:40", devices=DEV):
    return {"type": "session", "session": 1, "graph": 1, "kind": "Session", "location": loc,
            "time": t, "target": target, "remote": True, "devices": devices}
def var(name, dtype, shape, idx, loc, trainable):
    return {"type": "variable", "graph": 1, "name": name, "op": "VarHandleOp", "resource": True,
            "dtype": dtype, "shape": shape, "index": idx, "location": loc, "trainable": trainable,
            "initializer": {"op": f"{name}/Assign", "random": [], "unseeded": [], "sources": [],
                            "checkpoint": None, "key": None},
            "collections": ["variables"] + (["trainable_variables"] if trainable else []),
            "used_in": None, "device": "/job:ps/task:0"}
VARS = [var("global_step", "int64", [], 0, "trainer.py:20", False),
        var("w", "float32", [2], 1, "trainer.py:22", True)]
def gs(n):
    return {"digest": f"{n:04x}5e5e{n:08x}", "dtype": "int64", "shape": [], "min": float(n), "max": float(n),
            "mean": float(n), "std": 0.0, "nan": 0, "inf": 0, "values": n}
def w(a, b, dig):
    return {"digest": dig, "dtype": "float32", "shape": [2], "min": min(a, b), "max": max(a, b),
            "mean": (a + b) / 2, "std": abs(a - b) / 2, "nan": 0, "inf": 0, "values": [a, b]}
W0 = w(0.5, -0.5, "c0ffee0000000001")
def init_run(run, t, loc):
    return {"type": "run", "session": 1, "run": run, "time": t, "duration": 0.01, "location": loc,
            "fetches": ["init"], "writes": [
                {"variable": "global_step", "kind": "initializer", "op": "global_step/Assign", "checkpoint": None, "key": None, "sources": []},
                {"variable": "w", "kind": "initializer", "op": "w/Assign", "checkpoint": None, "key": None, "sources": []}],
            "values": {"global_step": gs(0), "w": W0}, "save": None, "error": None}
UPD = [{"variable": "global_step", "kind": "update", "op": "GradientDescent/update", "checkpoint": None, "key": None, "sources": []},
       {"variable": "w", "kind": "update", "op": "GradientDescent/update_w/ResourceApplyGradientDescent", "checkpoint": None, "key": None, "sources": []}]
def streak(first, last, count, t, lt, samples, loc="trainer.py:52"):
    return {"type": "streak", "session": 1, "streak": 1, "first_run": first, "last_run": last,
            "count": count, "location": loc, "fetches": ["train_op", "loss:0"], "writes": UPD,
            "samples": [{"run": first + c - 1, "count": c, "values": {"global_step": gs(g), "w": w(0.5 - g / 10, -0.5 + g / 10, f"{g:04x}beef{first:08x}")}}
                        for c, g in samples], "final": True, "time": t, "last_time": lt}
def end(runs, t):
    return {"type": "session_end", "session": 1, "runs": runs, "time": t, "reads": ["global_step", "w"]}
def save(run, t, path, g):
    return {"type": "run", "session": 1, "run": run, "time": t, "duration": 0.02, "location": "trainer.py:58",
            "fetches": ["save/control_dependency:0"], "writes": [],
            "values": {"global_step": gs(g), "w": w(0.5 - g / 10, -0.5 + g / 10, f"{g:04x}beef{2:08x}")},
            "save": {"path": path, "keys": {"global_step": "global_step", "w": "w"}}, "error": None}
def restore_run(run, t, path, g):
    return {"type": "run", "session": 1, "run": run, "time": t, "duration": 0.05, "location": "monitored_session.py:0",
            "fetches": ["save/restore_all"], "writes": [
                {"variable": v, "kind": "restore", "op": f"save/AssignVariableOp_{i}", "checkpoint": path, "key": v, "sources": []}
                for i, v in enumerate(["global_step", "w"])],
            "values": {"global_step": gs(g), "w": w(0.5 - g / 1000, -0.5 + g / 1000, "0123456789abcdef")}, "save": None, "error": None}
def write(path, recs):
    with open(path, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
T = 1763890000.0
# the wipe: worker 1 (non-chief, plain Session) runs the initializer while worker 0 trains
write("tests/data/cluster_wipe/ps0.jsonl", [hdr(4240, "ps.py"), proc(4240, "ps", 0, False)])
write("tests/data/cluster_wipe/worker0.jsonl", [
    hdr(4241), proc(4241, "worker", 0, True), sess(T + 1000, "grpc://127.0.0.1:2223"), *VARS,
    init_run(1, T + 1001, "trainer.py:45"),
    streak(2, 13, 12, T + 1002, T + 1004, [(1, 1), (2, 2), (4, 4), (8, 8), (12, 4)]),
    save(14, T + 1004.5, "/tmp/ckpt/model.ckpt-4", 4), end(15, T + 1005)])
write("tests/data/cluster_wipe/worker1.jsonl", [
    hdr(4242), proc(4242, "worker", 1, False), sess(T + 1003, "grpc://127.0.0.1:2224"), *VARS,
    init_run(1, T + 1003.5, "trainer.py:45"),
    streak(2, 4, 3, T + 1006, T + 1006.5, [(1, 5), (2, 6), (3, 7)]), end(5, T + 1007)])
# the clean cluster: only the chief initializes; worker 1 waits for it, then both train
write("tests/data/cluster_clean/worker0.jsonl", [
    hdr(4251), proc(4251, "worker", 0, True), sess(T + 1000, "grpc://127.0.0.1:2223", devices=DEV2), *VARS,
    init_run(1, T + 1001, "trainer.py:45"),
    streak(2, 11, 10, T + 1002, T + 1004, [(1, 1), (2, 3), (4, 6), (8, 12), (10, 15)]),
    end(12, T + 1005)])
write("tests/data/cluster_clean/worker1.jsonl", [
    hdr(4252), proc(4252, "worker", 1, False), sess(T + 1001.5, "grpc://127.0.0.1:2224", "trainer.py:38", devices=DEV2), *VARS,
    streak(3, 7, 5, T + 1002.5, T + 1003.8, [(1, 2), (2, 4), (4, 11), (5, 13)]), end(8, T + 1004)])

# the chief restores a pretrained checkpoint; worker 1 then runs the initializer
os.makedirs("tests/data/cluster_restore", exist_ok=True)
write("tests/data/cluster_restore/worker0.jsonl", [
    hdr(4261), proc(4261, "worker", 0, True),
    dict(sess(T + 1000, "grpc://127.0.0.1:2223"), kind="MonitoredSession"), *VARS,
    restore_run(1, T + 1001, "/tmp/pretrain/model.ckpt-100", 100),
    streak(2, 9, 8, T + 1002, T + 1004, [(1, 101), (2, 102), (4, 104), (5, 105), (8, 3)]),
    end(10, T + 1005)])
write("tests/data/cluster_restore/worker1.jsonl", [
    hdr(4262), proc(4262, "worker", 1, False), sess(T + 1003, "grpc://127.0.0.1:2224"), *VARS,
    init_run(1, T + 1003.2, "trainer.py:45"), end(2, T + 1007)])
write("tests/data/cluster_restore/ps0.jsonl", [hdr(4260, "ps.py"), proc(4260, "ps", 0, False)])
# the run that trained the checkpoint the chief restores (a local session)
pre_sess = {"type": "session", "session": 1, "graph": 1, "kind": "Session", "location": "pretrain.py:30",
            "time": T, "target": ""}
pv = [dict(v, device=None) for v in VARS]
for v in pv: v.pop("device")
write("tests/data/pretrain.jsonl", [
    hdr(4200, "pretrain.py"), pre_sess, *pv, init_run(1, T + 1, "pretrain.py:33"),
    streak(2, 101, 100, T + 2, T + 50, [(1, 1), (64, 64), (100, 100)], loc="pretrain.py:36"),
    dict(save(102, T + 51, "/tmp/pretrain/model.ckpt-100", 100), location="pretrain.py:38"),
    end(103, T + 52)])
# the waiting worker: cluster_clean's worker 1 with a read that failed before the chief's
# initializer (FailedPreconditionError), then its training
lines = open("tests/data/cluster_clean/worker1.jsonl").readlines()
failed = {"type": "run", "session": 1, "run": 1, "time": T + 1001.6, "duration": 0.01,
          "location": "trainer.py:39", "fetches": ["loss:0"], "writes": [], "values": {},
          "save": None, "error": {"type": "FailedPreconditionError",
                                  "message": "Could not find variable w",
                                  "uninitialized": ["w"]}, "reads": ["w"]}
lines.insert(5, json.dumps(failed) + "\n")
open("tests/data/cluster_waiting_worker.jsonl", "w").writelines(lines)
