"""A trace cut anywhere — by SIGKILL, OOM or a full disk — loads every complete record.

Each committed trace is cut at seeded random byte offsets (and inside multi-byte UTF-8
characters on purpose): the cut trace must load exactly the records of its complete lines,
say it was cut short when its last line is torn, and answer `check` with exit 0 or 1.
A merged trace (``tftrace merge`` of a cluster's traces) is cut the same way.
"""
from __future__ import annotations

import glob
import json
import os
import random

import pytest

from tftrace.cli import TRUNCATED_NOTE, main
from tftrace.errors import TraceFormatError
from tftrace.model import Trace
from tftrace.tracefile import read_trace
from tftrace.tracefile.merged import is_merged_file, read_merged

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACES = sorted(glob.glob(os.path.join(ROOT, "examples", "traces", "*.json")))
CUTS_PER_TRACE = 12
MERGED = "cluster_wipe (merged)"  # tests/data/cluster_wipe as `tftrace merge` writes it


def as_json(raw) -> list[str]:
    """The records as JSON text (records holding NaN are never == to themselves)."""
    return [json.dumps(record.to_json(), sort_keys=True) for record in raw.records]


def read_bytes(name: str) -> bytes:
    with open(os.path.join(ROOT, "examples", "traces", name), "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def merged_bytes(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("merged") / "job.json"
    assert main(["merge", "-o", str(out), os.path.join(ROOT, "tests", "data",
                                                       "cluster_wipe")]) == 0
    return out.read_bytes()


def read_raws(path) -> list:
    """The raw traces of a trace file or of a merged file, as ``tftrace check`` reads them."""
    return read_merged(str(path)) if is_merged_file(str(path)) else [read_trace(path)]


def complete_prefix(data: bytes, offset: int) -> bytes:
    """What a reader must see of ``data`` cut at ``offset``: its complete lines."""
    cut = data[:offset]
    return cut[:cut.rfind(b"\n") + 1]


def offsets(data: bytes, seed: str) -> list[int]:
    rng = random.Random(seed)
    header_end = data.index(b"\n") + 1
    return sorted({rng.randrange(header_end, len(data)) for _ in range(CUTS_PER_TRACE)})


@pytest.mark.parametrize("path", [*TRACES, MERGED],
                         ids=lambda p: p if p == MERGED else os.path.basename(p))
def test_every_complete_record_of_a_cut_trace_loads(tmp_path, request, path):
    data = (request.getfixturevalue("merged_bytes") if path == MERGED
            else read_bytes(os.path.basename(path)))
    for offset in offsets(data, os.path.basename(path)):
        cut = tmp_path / "cut.json"
        cut.write_bytes(data[:offset])
        whole = tmp_path / "whole.json"
        whole.write_bytes(complete_prefix(data, offset))
        loaded, expected = read_raws(cut), read_raws(whole)
        assert [as_json(r) for r in loaded] == [as_json(r) for r in expected], offset
        torn = not data[:offset].endswith(b"\n")
        assert [r.truncated for r in loaded] == [r.truncated or torn for r in expected], offset
        if loaded:  # (a merged file cut inside its first trace entry holds no trace yet)
            Trace.load(cut).diagnostics()  # the model and every rule take a partial trace


def test_a_cut_inside_a_multibyte_character_keeps_every_complete_record(tmp_path):
    """A checkpoint path with non-ASCII characters, cut in the middle of one."""
    data = read_bytes("init_then_restore.json")
    lines = data.split(b"\n")
    # A last record holding a 3-byte character (U+00E9 is 2 bytes, U+20AC 3), cut after
    # its first byte: not UTF-8 as a whole, but every line before it is.
    torn = '{"type": "checkpoint", "path": "/ckpt/mod\u20acl", "keys": {}}'.encode()
    cut_at = torn.index("\u20ac".encode()) + 1
    cut = tmp_path / "cut.json"
    cut.write_bytes(b"\n".join(lines[:-1]) + b"\n" + torn[:cut_at])
    loaded = read_trace(cut)
    assert loaded.truncated
    assert as_json(loaded) == as_json(read_trace(os.path.join(ROOT, "examples", "traces",
                                                              "init_then_restore.json")))


def test_a_merged_trace_cut_inside_a_multibyte_character_loads_with_its_note(
        tmp_path, capsys, merged_bytes):
    """Before: the whole merged file was decoded first, so this cut rejected all of it."""
    torn = ('{"type": "checkpoint", "process": 2, "path": "/ckpt/mod\u20acl", "keys": {}}'
            .encode())
    cut = tmp_path / "cut.json"
    cut.write_bytes(merged_bytes + torn[:torn.index("\u20ac".encode()) + 1])
    whole = tmp_path / "whole.json"
    whole.write_bytes(merged_bytes)
    loaded = read_merged(str(cut))
    assert [r.truncated for r in loaded] == [True, True, True]
    assert [as_json(r) for r in loaded] == [as_json(r) for r in read_merged(str(whole))]
    assert main(["check", str(cut)]) in (0, 1)
    assert f"tftrace: note: {TRUNCATED_NOTE}" in capsys.readouterr().err


def test_a_cut_trace_gets_its_note_and_an_answer(tmp_path, capsys):
    data = read_bytes("restore_then_init.json")
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[:len(data) - 7])
    assert main(["check", str(cut)]) in (0, 1)
    assert f"tftrace: note: {TRUNCATED_NOTE}" in capsys.readouterr().err


def test_a_complete_line_that_is_not_utf8_is_a_corrupt_record_not_a_cut(tmp_path):
    data = read_bytes("restore_then_init.json")
    first, rest = data.split(b"\n", 1)
    bad = tmp_path / "bad.json"
    bad.write_bytes(first + b"\n" + b'{"type": "x\xff"}\n' + rest)
    with pytest.raises(TraceFormatError, match=r":2: corrupt record \(not UTF-8 text\)"):
        read_trace(bad)
