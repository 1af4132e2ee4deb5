"""`tftrace render` on big traces: load, build the DOT, run `dot`.

    python benchmarks/render.py [--variables 2000] [--steps 1000] [--keep DIR] [--uncollapsed]
                                [--feed-variables 500] [--assigned 10000 --assign-runs 100000]

The trace is synthetic but shaped like a real fine-tuning bug: session 1 trains every
variable and saves a checkpoint; session 2 restores three quarters of them, then runs the
global initializer (restore-overwritten on every restored variable) and trains the rest.
The baseline is loading the trace alone (read + index), measured in the same run:
rendering adds the diagnostics, the diagram and its DOT text, and `dot` itself.

With the default --max-nodes the 2 000 variables collapse into a few dozen boxes. Without
collapsing, `dot` needs over a minute for 2 000 boxes (its crossing minimization, not
tftrace: see --uncollapsed) — the reason the default exists.

Two more shapes, where no two variables share a history, so collapsing by history cannot
help and scope summaries must: 500 variables each assigned from a feed in its own run
(once a 456x32767 px PNG), and 10 000 variables with 100 000 assign runs (once a 56 MB
DOT that dot was still laying out after 10 minutes). For each: the time to load (the
baseline), to build the DOT, to run dot, and the PNG's size in pixels.
"""
from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from synthetic import write_large_trace  # noqa: E402  (benchmarks/ is on sys.path)
from tftrace.model import Trace  # noqa: E402
from tftrace.tracefile import (  # noqa: E402
    CheckpointRecord,
    Header,
    InitializerInfo,
    RunRecord,
    SaveInfo,
    SessionEnd,
    SessionRecord,
    StreakRecord,
    StreakSample,
    TraceWriter,
    ValueSummary,
    VariableRecord,
    Write,
)
from tftrace.views.dot import output_format, render_source, to_dot  # noqa: E402

KINDS = ("kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance",
         "kernel/Adam", "kernel/Adam_1", "bias/Adam", "bias/Adam_1")
CHECKPOINT = "ckpt/pretrained/model.ckpt-1000"


def names(count: int) -> list[str]:
    """``block{b}/conv{c}/{kind}``: 10 variables a layer, 10 layers a block."""
    return [f"block{i // 100}/conv{i // 10 % 10}/{KINDS[i % 10]}" for i in range(count)]


def value(i: int) -> ValueSummary:
    return ValueSummary(digest=f"{i:016x}", dtype="float32", shape=(3, 3, 64, 64),
                        min=-1.0, max=1.0, mean=0.0, std=0.5)


def write_trace(path: str, variables: int, steps: int) -> str:
    writer = TraceWriter(path, Header(script="finetune.py", argv=("finetune.py",),
                                      cwd="/home/me/proj"))
    all_names = names(variables)
    restored = all_names[: variables * 3 // 4]
    clobbered = all_names[variables * 3 // 4:]
    for session in (1, 2):
        writer.write(SessionRecord(session=session, graph=session,
                                   location=f"finetune.py:{session * 10}").to_json(),
                     flush=False)
        for i, name in enumerate(all_names):
            writer.write(VariableRecord(
                graph=session, name=name, shape=(3, 3, 64, 64), index=i,
                location=f"model.py:{i % 40 + 1}",
                collections=("variables", "trainable_variables"),
                initializer=InitializerInfo(op=f"{name}/Assign")).to_json(), flush=False)
    writer.write(CheckpointRecord(path=CHECKPOINT, keys={
        n: ((3, 3, 64, 64), "float32") for n in all_names}).to_json(), flush=False)
    # Session 1: initialize, train, save.
    writer.write(RunRecord(session=1, run=1, location="train.py:2",
                           writes=tuple(Write(n, "initializer") for n in all_names),
                           values={n: value(0) for n in all_names}).to_json(), flush=False)
    writer.write(StreakRecord(
        session=1, streak=1, first_run=2, last_run=steps + 1, count=steps,
        location="train.py:3", writes=tuple(Write(n, "update") for n in all_names),
        samples=(StreakSample(run=steps + 1, count=steps,
                              values={n: value(1) for n in all_names}),),
        final=True).to_json(), flush=False)
    writer.write(RunRecord(session=1, run=steps + 2, location="train.py:4",
                           save=SaveInfo(CHECKPOINT, {n: n for n in all_names}),
                           values={n: value(1) for n in all_names}).to_json(), flush=False)
    writer.write(SessionEnd(session=1, runs=steps + 2).to_json(), flush=False)
    # Session 2: restore, then an initializer over the last quarter (the bug), then train.
    writer.write(RunRecord(session=2, run=1, location="finetune.py:20",
                           writes=tuple(Write(n, "restore", checkpoint=CHECKPOINT, key=n)
                                        for n in restored),
                           values={n: value(1) for n in restored}).to_json(), flush=False)
    writer.write(RunRecord(session=2, run=2, location="finetune.py:21",
                           writes=tuple(Write(n, "initializer") for n in all_names),
                           values={n: value(2) for n in all_names}).to_json(), flush=False)
    writer.write(StreakRecord(
        session=2, streak=1, first_run=3, last_run=102, count=100, location="finetune.py:22",
        writes=tuple(Write(n, "update") for n in clobbered),
        samples=(StreakSample(run=102, count=100, values={n: value(3) for n in clobbered}),),
        final=True).to_json(), flush=False)
    writer.write(SessionEnd(session=2, runs=102).to_json())
    writer.close()
    return path


def timed(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variables", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--keep", metavar="DIR", help="also write the pictures into DIR")
    parser.add_argument("--uncollapsed", action="store_true",
                        help="also run dot on the uncollapsed diagram (slow: over a minute)")
    parser.add_argument("--feed-variables", type=int, default=500,
                        help="variables of the 'each assigned from a feed' shape")
    parser.add_argument("--assigned", type=int, default=10_000,
                        help="variables of the 'many assign runs' shape")
    parser.add_argument("--assign-runs", type=int, default=100_000,
                        help="assign runs of the 'many assign runs' shape")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="tftrace-render-")
    path = write_trace(os.path.join(workdir, "finetune.jsonl"), args.variables, args.steps)
    has_dot = shutil.which("dot") is not None
    print(f"{args.variables} variables, 2 sessions, {os.path.getsize(path) / 2**20:.1f} MiB")
    _, baseline = timed(lambda: Trace.load(path))
    print(f"  load only (baseline)           {baseline:6.2f} s")
    for label, max_nodes in (("default --max-nodes 60", 60),
                             (f"--max-nodes {args.variables} (nothing collapsed)",
                              args.variables)):
        trace, load = timed(lambda: Trace.load(path))
        _, check = timed(trace.diagnostics)
        source, build = timed(lambda: to_dot(trace, max_nodes=max_nodes))
        total = load + check + build
        print(f"  {label}:")
        print(f"    load + diagnostics + to_dot  {total:6.2f} s  = {total / baseline:.1f}x "
              f"baseline ({len(source) / 1024:.0f} KiB of DOT)")
        if not has_dot:
            print("    (dot not installed: no PNG/SVG timings)")
            continue
        if max_nodes != 60 and not args.uncollapsed:
            print("    (dot not run: --uncollapsed runs it, over a minute)")
            continue
        for suffix in (".svg", ".png"):
            data, render = timed(lambda: render_source(source, output_format("out" + suffix)))
            print(f"    dot -T{suffix[1:]:<4}                  {render:6.2f} s  "
                  f"(total {total + render:.2f} s, {len(data) / 1024:.0f} KiB)")
            if args.keep:
                name = f"render-{max_nodes}{suffix}"
                with open(os.path.join(args.keep, name), "wb") as f:
                    f.write(data)
    shapes = ((f"{args.feed_variables} variables, each assigned from a feed",
               args.feed_variables, args.feed_variables),
              (f"{args.assigned} variables, {args.assign_runs} assign runs",
               args.assigned, args.assign_runs))
    for n, (label, variables, runs) in enumerate(shapes):
        path = write_large_trace(os.path.join(workdir, f"assigns{n}.jsonl"), variables, runs)
        print(f"{label} ({os.path.getsize(path) / 2**20:.1f} MiB)")
        trace, load = timed(lambda: Trace.load(path))
        print(f"  load only (baseline)           {load:6.2f} s")
        _, check = timed(trace.diagnostics)
        source, build = timed(lambda: to_dot(trace))
        total = check + build
        print(f"  diagnostics + to_dot           {total:6.2f} s  = {total / load:.1f}x "
              f"baseline ({len(source) / 1024:.0f} KiB of DOT)")
        if not has_dot:
            print("  (dot not installed: no PNG timings)")
            continue
        data, render = timed(lambda: render_source(source, "png"))
        width, height = struct.unpack(">II", data[16:24])
        print(f"  dot -Tpng                      {render:6.2f} s  ({width}x{height} px, "
              f"{len(data) / 1024:.0f} KiB)")
        if args.keep:
            with open(os.path.join(args.keep, f"render-assigns{n}.png"), "wb") as f:
                f.write(data)
    shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
