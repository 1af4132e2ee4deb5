"""Untrusted traces are inert: fuzzed committed traces never crash a reader command.

Seeded and bounded (in cases and in time): each case mutates a committed trace — flipped
bytes, dropped, repeated or swapped lines, a field replaced by a hostile value (huge,
negative, wrong type, deeply nested, terminal escapes, markup) — and runs `check`,
`explain`, `render -o -` and `inspect --against` on it in-process (and opens a few in
the terminal UI, headless). Every command must exit 0, 1 or 2 (never a
traceback), print one error line on stderr for bad input, and never let a raw terminal
escape through. A failure names its seed and case, so it replays exactly.
"""
from __future__ import annotations

import contextlib
import glob
import io
import json
import os
import random
import sys
import time

import pytest

from tftrace.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACES = sorted(glob.glob(os.path.join(ROOT, "examples", "traces", "*.json")) +
                [os.path.join(ROOT, "tests", "data", name) for name in (
                    "hostile_names.jsonl", "restore_then_train.jsonl", "uninitialized.jsonl",
                    "var_list_mapping.jsonl", "save_then_restore.jsonl", "truncated.jsonl")])
SEED = 14
CASES = 160
TIME_BUDGET = 40.0  # seconds; the cases stop early on a slow machine, never fail for it

HOSTILE = [None, True, -1, 0, 2 ** 70, 1.5, "", "NaN", "x" * 100_000, [], {}, [None],
           {"type": "run"}, "\x1b]2;PWNED\x07\x1b[2J[bold]<b>x</b>\\N\"];",
           "\u202e\u0000\ud800", [[[[[[[[1]]]]]]]], list(range(2000))]


def nested(depth):
    return "[" * depth + "]" * depth


def mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    body = [i for i in range(1, len(lines)) if lines[i].strip()]
    how = rng.randrange(7)
    if how == 0 or not body:  # flip bytes anywhere
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    i = rng.choice(body)
    if how == 1:
        del lines[i]
    elif how == 2:
        lines.insert(i, lines[i])
    elif how == 3:
        j = rng.choice(body)
        lines[i], lines[j] = lines[j], lines[i]
    elif how == 4:  # a hostile line
        depth = rng.choice([100_000, 5_000, 990, 500, 100])
        lines[i] = rng.choice([nested(depth).encode(),
                               b'{"type": "run", "values": ' + nested(depth).encode() + b"}",
                               b"[1, 2]", b'"text"', b"\xff\xfe"])
    else:  # one field of one record (or of the header) replaced by a hostile value
        i = rng.choice([0, *body]) if how == 6 else i
        try:
            record = json.loads(lines[i])
        except ValueError:
            return data
        replace_somewhere(record, rng)
        lines[i] = json.dumps(record).encode()
    return b"\n".join(lines)


def replace_somewhere(obj, rng):
    """Replace one value somewhere inside ``obj`` (a dict) with a hostile one."""
    while True:
        keys = list(obj) if isinstance(obj, dict) else list(range(len(obj)))
        if not keys:
            return
        key = rng.choice(keys)
        child = obj[key]
        if isinstance(child, (dict, list)) and child and rng.random() < 0.6:
            obj = child
            continue
        obj[key] = rng.choice(HOSTILE)
        return


def run(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as e:  # argparse
            code = e.code
    return code, out.getvalue(), err.getvalue()


def checkpoint_of(path):
    from tftrace.model import Trace

    try:
        return next(iter(Trace.load(path).checkpoints), "model.ckpt")
    except Exception:
        return "model.ckpt"


def variables_of(path):
    from tftrace.model import Trace

    try:
        return Trace.load(path).variable_names() or ["w"]
    except Exception:
        return ["w"]


def test_fuzzed_traces_never_crash_a_reader_command(tmp_path, monkeypatch):
    # inspect reads checkpoints through TensorFlow when it can: here, only from the trace.
    monkeypatch.setitem(sys.modules, "tftrace.recorder.capture", None)
    rng = random.Random(SEED)
    checkpoints = {path: checkpoint_of(path) for path in TRACES}
    originals = {path: open_bytes(path) for path in TRACES}
    names = {path: variables_of(path) for path in TRACES}
    started = time.monotonic()
    for case in range(CASES):
        if time.monotonic() - started > TIME_BUDGET:
            break
        source = rng.choice(TRACES)
        fuzzed = tmp_path / f"case{case}.json"
        fuzzed.write_bytes(mutate(originals[source], rng))
        variable = rng.choice(names[source])
        for args in (["check", str(fuzzed)], ["check", str(fuzzed), "--format", "json"],
                     ["explain", str(fuzzed), variable],
                     ["explain", str(fuzzed), variable, "--format", "json"],
                     ["render", str(fuzzed), "-o", "-", "--session", "all"],
                     # the checkpoint as the trace recorded it (TensorFlow kept out below)
                     ["inspect", checkpoints[source], "--against", str(fuzzed)]):
            where = f"seed {SEED}, case {case} ({os.path.basename(source)}): {args[0]}"
            try:
                code, out, err = run(args)
            except Exception as e:  # pragma: no cover - the failure report
                raise AssertionError(f"{where}: {type(e).__name__}: {e}") from e
            assert code in (0, 1, 2), where
            assert "\x1b" not in out and "\x1b" not in err, where
            if code == 2:  # one error line (after the notes a loaded trace may get)
                lines = err.splitlines()
                assert lines and lines[-1].startswith("tftrace: error: "), f"{where}: {err[:300]}"
                assert all(line.startswith("tftrace: note: ") for line in lines[:-1]), where


def open_bytes(path):
    with open(path, "rb") as f:
        return f.read()


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_hostile_nesting_is_one_line_and_exit_2(tmp_path, depth, capsys):
    trace = tmp_path / "deep.json"
    header = open_bytes(os.path.join(ROOT, "examples", "traces", "restore_then_init.json"))
    trace.write_bytes(header.split(b"\n")[0] + b"\n" + nested(depth).encode() + b"\n")
    assert main(["check", str(trace)]) == 2
    err = capsys.readouterr().err
    assert err == f"tftrace: error: {trace}:2: corrupt record (nested too deeply)\n"


@pytest.mark.parametrize("line", [
    nested(100_000),
    # decodes (under the parser's own limit), then too deep for the record's reader
    '{"type": "run", "process": 1, "session": 1, "run": 1, "values": %s}' % nested(990),
], ids=["line", "value"])
def test_hostile_nesting_in_a_merged_trace_is_one_line_and_exit_2(tmp_path, line, capsys):
    job = tmp_path / "job.json"
    assert main(["merge", "-o", str(job), os.path.join(ROOT, "tests", "data",
                                                       "cluster_wipe")]) == 0
    lines = open_bytes(job).split(b"\n")
    lines.insert(3, line.encode())  # after the header and the first trace's entry
    job.write_bytes(b"\n".join(lines))
    capsys.readouterr()
    assert main(["check", str(job)]) == 2
    assert capsys.readouterr().err == (
        f"tftrace: error: {job}:4: corrupt record (nested too deeply)\n")


def test_a_deeply_nested_first_line_is_not_taken_for_a_merged_trace(tmp_path, capsys):
    """The merged-file sniff reads the first line too: it must not raise RecursionError."""
    trace = tmp_path / "deep.json"
    trace.write_bytes(nested(60_000).encode() + b"\n")
    assert main(["check", str(trace)]) == 2
    assert capsys.readouterr().err == (
        f"tftrace: error: {trace}: not a tftrace trace (first line is not JSON)\n")


VIEWER_CASES = 4


def test_fuzzed_traces_open_in_the_viewer(tmp_path):
    pytest.importorskip("textual")
    import asyncio

    from tftrace.errors import TftraceError
    from tftrace.model import Trace
    from tftrace.views.tui import create_app

    rng = random.Random(SEED + 1)
    opened = 0
    for case in range(200):
        if opened == VIEWER_CASES:
            break
        source = rng.choice(TRACES)
        fuzzed = tmp_path / f"view{case}.json"
        fuzzed.write_bytes(mutate(open_bytes(source), rng))
        try:
            trace = Trace.load(fuzzed)
        except TftraceError:
            continue
        opened += 1

        async def browse():
            app = create_app(trace)
            async with app.run_test(size=(100, 30)) as pilot:
                for key in ("down", "down", "enter", "tab", "question_mark", "escape", "q"):
                    await pilot.press(key)
                    await pilot.pause()

        asyncio.run(browse())
    assert opened == VIEWER_CASES
