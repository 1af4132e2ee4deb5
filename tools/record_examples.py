"""Re-record the committed example traces, or check that they are still fresh.

Each example runs under `tftrace run` from the repository root (its checkpoints go to
ckpt/NAME, which is gitignored), exactly as a user would record it:

    python tools/record_examples.py [NAME ...]           # re-record
    python tools/record_examples.py --check [NAME ...]   # stale? (exit 1 if any)

`--check` re-runs every example (or the NAMEs) and compares its *story* with the
committed trace's: what `tftrace check` finds (rule, severity, variables, session, run);
for every variable of every session its origin kind and run and the updates since (what
`tftrace explain` says first); and the records themselves (sessions, runs, writes,
checkpoint keys, saves, call sites). Left out: digests and value statistics (CPU
TensorFlow is not bit-reproducible), times, pids and versions, graph numbers (counted per
process), and of a failed run's error all but its type (TensorFlow's text quotes the
Python stack that ran it, and names whichever uninitialized variable it met first).
To stay cheap, the examples run in as few TensorFlow processes as their global switches
allow: one for those that call `disable_v2_behavior()` (reference variables, v1 control
flow: process-wide and not undone), one for the rest, side by side; each example runs
through the launcher `tftrace run` uses, with a fresh default graph.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
TRACES = os.path.join(EXAMPLES, "traces")

#: Record fields that differ from one recording to the next whatever the recorder does.
VOLATILE = {"time", "last_time", "duration", "created", "pid", "host", "cwd", "argv",
            "tensorflow", "python", "tftrace", "values", "samples"}
#: Examples whose records depend on timing, compared by findings and origins only.
#: monitored_resume: MonitoredTrainingSession's hooks fire on timers, so the number of runs
#: (33 or 32) and a streak's last run vary; its findings and every origin (kind, run,
#: updates: the train steps and the SessionManager's restore) do not.
TIMING_DEPENDENT = {"monitored_resume"}


def example_names() -> list[str]:
    return sorted(name[:-3] for name in os.listdir(EXAMPLES)
                  if name.endswith(".py") and not name.startswith("_"))


def record(name: str) -> tuple[int, float]:
    os.makedirs(TRACES, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TFTRACE_TRACE", None)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "tftrace", "run", "-o", f"examples/traces/{name}.json",
         f"examples/{name}.py"], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.stderr.write(result.stdout + result.stderr)
    return result.returncode, time.perf_counter() - started


# --- freshness -----------------------------------------------------------------------------

def story(path: str) -> dict[str, Any]:
    """What a trace says, in the terms a user reads: findings and origins (JSON-able)."""
    import tftrace

    trace = tftrace.load(path)
    findings = sorted([d.rule, d.severity, list(d.variables), d.session, d.run]
                      for d in trace.diagnostics())
    origins = {}
    for session in trace.session_numbers:
        for name in trace.variable_names(session):
            explanation = trace.explain(name, session)
            origins[f"{session}:{name}"] = [explanation.origin.kind, explanation.origin.run,
                                            explanation.updates_since_origin]
    return {"findings": findings, "origins": origins, "records": records(path)}


def records(path: str) -> list[dict[str, Any]]:
    """The trace's records without what varies between recordings (see VOLATILE)."""
    out, graphs = [], {}  # type: ignore[var-annotated]
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = {k: v for k, v in json.loads(line).items() if k not in VOLATILE}
            if "graph" in record:  # numbered per process: by first appearance instead
                record["graph"] = graphs.setdefault(record["graph"], len(graphs) + 1)
            if isinstance(record.get("error"), dict):
                record["error"] = {"type": record["error"].get("type")}
            out.append(record)
    return out


def stable_part(name: str, told: dict[str, Any]) -> dict[str, Any]:
    """The part of ``told`` to compare: all of it, but for the timing-dependent examples."""
    if name in TIMING_DEPENDENT:
        return {k: v for k, v in told.items() if k != "records"}
    return told


def uses_v1_behavior(name: str) -> bool:
    with open(os.path.join(EXAMPLES, f"{name}.py"), encoding="utf-8") as f:
        return "disable_v2_behavior(" in f.read()


def fresh_stories(names: list[str], workdir: str) -> dict[str, Any]:
    """Run ``names`` in this process, one after the other, each as `tftrace run` runs it;
    their stories (or why there is none)."""
    from tftrace.recorder import launcher

    os.chdir(ROOT)
    out: dict[str, Any] = {}
    for name in names:
        trace = os.path.join(workdir, f"{name}.json")
        argv, path, main = sys.argv[:], sys.path[:], sys.modules["__main__"]
        try:
            code = launcher.run_script(trace, f"examples/{name}.py", [], quiet=True)
        finally:
            sys.argv[:], sys.path[:] = argv, path
            sys.modules["__main__"] = main
            os.chdir(ROOT)
            tf = sys.modules.get("tensorflow")
            if tf is not None:
                tf.compat.v1.reset_default_graph()  # the next example starts as in a new process
        if code not in (0, 1):
            out[name] = {"error": f"exit status {code}"}
        elif not os.path.exists(trace):
            out[name] = {"error": "no trace written"}
        else:
            out[name] = story(trace)
    return out


def check(names: list[str]) -> int:
    """Compare every example's fresh story with its committed trace's; 1 if any is stale."""
    groups = [g for g in ([n for n in names if uses_v1_behavior(n)],
                          [n for n in names if not uses_v1_behavior(n)]) if g]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    env.pop("TFTRACE_TRACE", None)
    fresh: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tftrace-fresh-") as workdir:
        # The groups need separate processes (process-wide switches): run them side by side.
        procs = [subprocess.Popen([sys.executable, __file__, "--stories", workdir, *group],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for group in groups]
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode != 0:
                sys.stderr.write(err)
                print(f"the examples' run failed (exit {proc.returncode})")
                return 1
            fresh.update(json.loads(out.splitlines()[-1]))
    stale = []
    for name in names:
        told = fresh.get(name, {"error": "not run"})
        if "error" in told:
            stale.append(f"{name}: {told['error']}")
            continue
        committed = os.path.join(TRACES, f"{name}.json")
        if not os.path.exists(committed):
            stale.append(f"{name}: no committed trace (examples/traces/{name}.json)")
            continue
        want, got = stable_part(name, story(committed)), stable_part(name, told)
        if want != got:
            stale.append(f"{name}: {_difference(want, got)}")
    for line in stale:
        print(line)
    print(f"{len(names) - len(stale)} of {len(names)} example traces fresh"
          + (f"; re-record: python tools/record_examples.py "
             f"{' '.join(s.split(':')[0] for s in stale)}" if stale else ""))
    return 1 if stale else 0


def _difference(want: dict[str, Any], got: dict[str, Any]) -> str:
    if want["findings"] != got["findings"]:
        return f"findings {want['findings']} (committed) != {got['findings']} (now)"
    if want["origins"] != got["origins"]:
        keys = sorted(set(want["origins"]) | set(got["origins"]))
        changed = [f"{k} {want['origins'].get(k)} -> {got['origins'].get(k)}" for k in keys
                   if want["origins"].get(k) != got["origins"].get(k)]
        return "origins " + "; ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
    old, new = want["records"], got["records"]
    at = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    return (f"records differ from record {at + 1} on (committed {len(old)}, now {len(new)}): "
            f"{json.dumps(old[at] if at < len(old) else None)[:300]} -> "
            f"{json.dumps(new[at] if at < len(new) else None)[:300]}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="examples (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="compare fresh runs' stories with the committed traces")
    parser.add_argument("--stories", metavar="DIR", help=argparse.SUPPRESS)  # --check's worker
    args = parser.parse_args(argv)
    names = args.names or example_names()
    unknown = sorted(set(names) - set(example_names()))
    if unknown:
        sys.stderr.write(f"unknown example(s): {', '.join(unknown)}\n")
        return 2
    if args.stories:
        stories = fresh_stories(names, args.stories)
        sys.stdout.flush()
        print("\n" + json.dumps(stories))  # last line: what the parent reads
        return 0
    if args.check:
        return check(names)
    failed = 0
    for i, name in enumerate(names, 1):
        code, seconds = record(name)
        status = "ok" if code in (0, 1) else f"FAILED (exit {code})"
        failed += code not in (0, 1)
        print(f"[{i}/{len(names)}] {name:32s} exit {code}  {seconds:5.1f} s  {status}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
