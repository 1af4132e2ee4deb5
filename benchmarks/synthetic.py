"""Synthetic traces for benchmarks: many variables, many recorded runs.

A real training loop coalesces into a few streak records, so the heavy case for readers is
a trace with many *non-update* runs (assigns, restores, re-initializations): this writes
one initializer run over all variables, then ``runs`` assign runs, each with the value
summary the recorder would store.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from typing import Iterator

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tftrace.tracefile import (  # noqa: E402
    Header,
    InitializerInfo,
    RunRecord,
    SessionEnd,
    SessionRecord,
    StreakRecord,
    StreakSample,
    TraceWriter,
    ValueSummary,
    VariableRecord,
    Write,
)


def value(i: int) -> ValueSummary:
    return ValueSummary(digest=f"{i:016x}", dtype="float32", shape=(2,), min=-1.0, max=1.0,
                        mean=0.0, std=0.5, values=[-1.0, 1.0], has_values=True)


def _initialized_session(writer: TraceWriter, variables: int, script: str) -> list[str]:
    """Session 1, its ``variables`` variables, and the initializer run over all of them."""
    writer.write(SessionRecord(session=1, graph=1, location=f"{script}:1").to_json(),
                 flush=False)
    names = [f"layer{i // 100}/v{i}" for i in range(variables)]
    for i, name in enumerate(names):
        writer.write(VariableRecord(
            graph=1, name=name, shape=(2,), index=i, location=f"model.py:{i % 50 + 1}",
            collections=("variables", "trainable_variables"),
            initializer=InitializerInfo(op=f"{name}/Assign")).to_json(), flush=False)
    writer.write(RunRecord(session=1, run=1, location=f"{script}:2",
                           writes=tuple(Write(n, "initializer") for n in names),
                           values={n: value(0) for n in names}).to_json(), flush=False)
    return names


def write_large_trace(path: str, variables: int = 10_000, runs: int = 100_000) -> str:
    writer = TraceWriter(path, Header(script="synthetic.py", argv=("synthetic.py",)))
    names = _initialized_session(writer, variables, "synthetic.py")
    for run in range(2, runs + 2):
        name = names[run % variables]
        writer.write(RunRecord(session=1, run=run, location="synthetic.py:3",
                               writes=(Write(name, "assign", sources=("<feed>",)),),
                               values={name: value(run)}).to_json(), flush=False)
    writer.write(SessionEnd(session=1, runs=runs + 1, reads=tuple(names)).to_json())
    writer.close()
    return path


def write_training_trace(path: str, variables: int = 10_000, steps: int = 100_000) -> str:
    """What the recorder writes for a model of ``variables`` trained ``steps`` steps: the
    initializer run, then one update streak sampled at steps 1, 2, 4, ... and at its end."""
    writer = TraceWriter(path, Header(script="train.py", argv=("train.py",)))
    names = _initialized_session(writer, variables, "train.py")
    counts = [c for c in (2 ** k for k in range(40)) if c <= steps] + [steps]
    for i, count in enumerate(dict.fromkeys(counts)):
        sample = StreakSample(run=count + 1, count=count,
                              values={n: value(count) for n in names})
        writer.write(StreakRecord(
            session=1, streak=1, first_run=2, last_run=count + 1, count=count,
            location="train.py:3", writes=tuple(Write(n, "update") for n in names) if i == 0
            else (), samples=(sample,), final=count == steps).to_json(), flush=False)
    writer.write(SessionEnd(session=1, runs=steps + 1, reads=tuple(names)).to_json())
    writer.close()
    return path


def add_size_flags(parser: argparse.ArgumentParser) -> None:
    """``--variables``, ``--steps`` and ``--runs``: the size of :func:`big_traces`."""
    parser.add_argument("--variables", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=100_000)


@contextlib.contextmanager
def big_traces(args: argparse.Namespace) -> Iterator[list[tuple[str, str]]]:
    """(label, path) of the two big traces, the training one and the assign-runs one,
    in a temporary directory removed afterwards (together about 80 MB)."""
    with tempfile.TemporaryDirectory(prefix="tftrace-bench-") as workdir:
        training = write_training_trace(os.path.join(workdir, "training.jsonl"),
                                        args.variables, args.steps)
        assigns = write_large_trace(os.path.join(workdir, "assigns.jsonl"),
                                    args.variables, args.runs)
        yield [(f"{args.variables} variables, {args.steps} training steps", training),
               (f"{args.variables} variables, {args.runs} assign runs", assigns)]
