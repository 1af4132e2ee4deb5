"""The merged trace file (format ``tftrace-merged``): the traces of several processes in one
file, each record tagged with its process. See docs/trace-format.md, "Merged traces".

The file keeps every process's records as they were recorded (session and run numbers of
that process); joining them into one story is the model's job
(:mod:`tftrace.model.merge`), so a better merge in a later tftrace reads old merged files
better too. Stdlib only; reading never executes anything.
"""
from __future__ import annotations

import json
import os
import time
from typing import IO, Iterable

from tftrace.errors import TraceFormatError, TraceNotFound
from tftrace.tracefile.reader import RawTrace, read_records
from tftrace.tracefile.records import FORMAT_VERSION, Header

MERGED_FORMAT = "tftrace-merged"
MERGED_VERSION = 1


def is_merged_file(path: str) -> bool:
    """True when ``path`` is a file whose first line is a merged-trace header."""
    if not os.path.isfile(path):  # never open a FIFO or a device: it could block
        return False
    try:
        with open(path, "rb") as f:
            first = f.readline(1 << 16)
        header = json.loads(first)
    except (OSError, ValueError, RecursionError):  # not JSON, or nested too deeply
        return False
    return isinstance(header, dict) and header.get("format") == MERGED_FORMAT


def write_merged(out: IO[str], traces: Iterable[RawTrace], tftrace_version: str) -> int:
    """Write ``traces`` as one merged file; returns how many traces it holds."""
    traces = list(traces)
    out.write(json.dumps({"format": MERGED_FORMAT, "version": MERGED_VERSION,
                          "tftrace": tftrace_version, "created": time.time(),
                          "traces": len(traces)}) + "\n")
    for number, raw in enumerate(traces, start=1):
        out.write(json.dumps({"type": "trace", "process": number, "path": raw.path,
                              "header": raw.header.to_json(),
                              "truncated": raw.truncated}) + "\n")
        for record in raw.records:
            d = record.to_json()
            out.write(json.dumps({"type": d.pop("type"), "process": number, **d}) + "\n")
    return len(traces)


def read_merged(path: str) -> list[RawTrace]:
    """The traces a merged file holds, in order. One-line errors as for a trace; a torn
    last line (the merge was cut short) is dropped and every trace marked ``truncated``."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise TraceNotFound(f"{path}: cannot read ({e.strerror or e})") from None
    # Line by line, in bytes, as a trace is read (reader.read_records): a cut inside a
    # multi-byte character costs only the torn line.
    lines = data.split(b"\n")
    tail = lines.pop()
    header = _header(path, lines[0] if lines else tail)
    version = header.get("version")
    if header.get("format") != MERGED_FORMAT or type(version) is not int or version < 1:
        raise TraceFormatError(f"{path}: not a merged tftrace trace")
    if version > MERGED_VERSION:
        raise TraceFormatError(f"{path}: merged trace version {version} is newer than this "
                               f"tftrace reads (up to {MERGED_VERSION}); upgrade tftrace")
    traces: dict[int, RawTrace] = {}

    def target(lineno: int, obj: dict) -> RawTrace | None:
        number = obj.get("process")
        if type(number) is not int:
            raise TraceFormatError(f"{path}:{lineno}: record has no process number")
        if obj.get("type") == "trace":
            traces[number] = _embedded(path, lineno, obj)
            return None
        if number not in traces:
            raise TraceFormatError(f"{path}:{lineno}: record of process {number}, which "
                                   "the file never introduced")
        return traces[number]

    cut = read_records(path, lines, target)
    if cut or tail.strip():  # cut short while being written: keep what is complete
        for raw in traces.values():
            raw.truncated = True
    return [traces[n] for n in sorted(traces)]


def _embedded(path: str, lineno: int, obj: dict) -> RawTrace:
    header = obj.get("header")
    if not isinstance(header, dict) or not isinstance(obj.get("path"), str):
        raise TraceFormatError(f"{path}:{lineno}: a trace entry needs a path and a header")
    version = header.get("version")
    if type(version) is not int or not 1 <= version <= FORMAT_VERSION:
        raise TraceFormatError(f"{path}:{lineno}: embedded trace has format version "
                               f"{version!r}; this tftrace reads up to {FORMAT_VERSION}")
    try:
        parsed = Header.from_json(header)
    except TraceFormatError as e:
        raise TraceFormatError(f"{path}:{lineno}: {e}") from None
    return RawTrace(path=obj["path"], header=parsed, truncated=obj.get("truncated") is True)


def _header(path: str, line: bytes) -> dict:
    try:
        obj = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise TraceFormatError(f"{path}: not a merged trace (not UTF-8 text)") from None
    except (ValueError, RecursionError):
        raise TraceFormatError(f"{path}:1: corrupt record (not valid JSON)") from None
    if not isinstance(obj, dict):
        raise TraceFormatError(f"{path}:1: corrupt record (not a JSON object)")
    return obj


def trace_files(directory: str) -> list[str]:
    """The trace files of a directory (``*.json``, ``*.jsonl``), sorted by name."""
    try:
        names = sorted(os.listdir(directory))
    except OSError as e:
        raise TraceNotFound(f"{directory}: cannot list ({e.strerror or e})") from None
    found = [os.path.join(directory, n) for n in names
             if n.endswith((".json", ".jsonl")) and os.path.isfile(os.path.join(directory, n))]
    if not found:
        raise TraceNotFound(f"{directory}: no trace files (*.json, *.jsonl) in this directory")
    return found
