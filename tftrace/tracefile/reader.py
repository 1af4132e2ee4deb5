"""Reading a trace: JSON Lines in, validated record dataclasses out. Never executes code."""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from typing import Any, Callable

from tftrace.errors import TraceFormatError, TraceNotFound
from tftrace.gcpause import paused_gc
from tftrace.tracefile.records import (
    FORMAT_NAME,
    FORMAT_VERSION,
    RECORD_TYPES,
    Header,
    StreakRecord,
)


@dataclass
class RawTrace:
    """The records of one trace file, in file order, with streak records merged."""

    path: str
    header: Header
    records: list[Any] = field(default_factory=list)
    truncated: bool = False  # the last line was incomplete: the process was cut short
    skipped: int = 0  # records of unknown type (from a newer minor writer)


def read_trace(path: str | os.PathLike[str]) -> RawTrace:
    """Read and validate a trace file.

    Raises :class:`TraceNotFound` when the file cannot be opened and
    :class:`TraceFormatError` (one-line message) when it is not a tftrace trace or a record
    is malformed. A final incomplete line (a crash while writing) is dropped and the trace is
    marked ``truncated``.
    """
    path = os.fspath(path)
    # Reading allocates hundreds of thousands of small objects and no reference cycles;
    # the cyclic GC would rescan them all again and again (measured: ~40% of read time).
    with paused_gc():
        return _read(path)


def _read(path: str) -> RawTrace:
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):  # a FIFO or a device would block, or never end
            raise TraceNotFound(f"{path}: not a regular file, not a trace")
        with open(path, "rb") as f:
            data = f.read()
    except TraceNotFound:  # (itself a FileNotFoundError)
        raise
    except FileNotFoundError:
        raise TraceNotFound(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TraceNotFound(f"{path}: is a directory, not a trace file") from None
    except OSError as e:
        raise TraceNotFound(f"{path}: cannot read ({e.strerror or e})") from None

    # Line by line, in bytes: a crash can cut the last line anywhere, even inside a
    # multi-byte character, and that must cost only that line, never the whole trace.
    lines = data.split(b"\n")
    # A complete file ends with "\n", so the last element is empty. Anything else is a line
    # the writer did not finish.
    tail = lines.pop()
    truncated = bool(tail.strip())
    if not lines and not truncated:
        raise TraceFormatError(f"{path}: empty file, not a tftrace trace")

    header = _parse_header(path, lines[0] if lines else tail)
    if not lines:  # the header itself was cut short
        raise TraceFormatError(f"{path}: trace cut short before its header was complete")

    trace = RawTrace(path=path, header=header, truncated=truncated)
    if read_records(path, lines, lambda lineno, obj: trace):
        trace.truncated = True
    return trace


def read_records(path: str, lines: list[bytes],
                 target: Callable[[int, dict], RawTrace | None]) -> bool:
    """Parse the record lines of a trace file (``lines[1:]``, complete lines as bytes, the
    header first) into the :class:`RawTrace` that ``target(lineno, obj)`` names for each
    record; ``target`` returns None for a line it took itself, and raises for a line that
    has no place. Streak records of one session and streak are merged into one.

    Returns True when the last line is not JSON (a partially synced file ending in garbage:
    cut short). Every other bad line is a one-line :class:`TraceFormatError`; a line nested
    too deeply for the parser too, never a RecursionError. Both readers (one process's trace
    and a merged file) use this loop, so they take damage the same way.
    """
    # (id(raw trace), session, streak) -> index in that trace's records
    streaks: dict[tuple[int, int, int], int] = {}
    last = len(lines)
    for lineno, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise TraceFormatError(f"{path}:{lineno}: corrupt record (not UTF-8 text)") from None
        except RecursionError:
            raise TraceFormatError(f"{path}:{lineno}: corrupt record (nested too deeply)") \
                from None
        except ValueError:
            if lineno == last:
                # A torn last line that happens to end in "\n" cannot occur with our writer,
                # but a partially synced file can end in garbage: treat as cut short.
                return True
            raise TraceFormatError(f"{path}:{lineno}: corrupt record (not valid JSON)") from None
        if not isinstance(obj, dict):
            raise TraceFormatError(f"{path}:{lineno}: corrupt record (not a JSON object)")
        trace = target(lineno, obj)
        if trace is None:
            continue
        kind = obj.get("type")
        cls = RECORD_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            trace.skipped += 1
            continue
        try:
            record = cls.from_json(obj)
        except TraceFormatError as e:
            raise TraceFormatError(f"{path}:{lineno}: {e}") from None
        except RecursionError:
            raise TraceFormatError(f"{path}:{lineno}: corrupt record (nested too deeply)") \
                from None
        if isinstance(record, StreakRecord):
            key = (id(trace), record.session, record.streak)
            if key in streaks:
                i = streaks[key]
                previous = trace.records[i]
                # Totals from the newest record, samples accumulated.
                trace.records[i] = StreakRecord(
                    session=record.session, streak=record.streak,
                    first_run=previous.first_run, last_run=record.last_run,
                    count=record.count, location=previous.location or record.location,
                    fetches=previous.fetches or record.fetches,
                    writes=record.writes or previous.writes,
                    samples=previous.samples + record.samples, final=record.final,
                    time=previous.time or record.time, last_time=record.last_time)
                continue
            streaks[key] = len(trace.records)
        trace.records.append(record)
    return False


def _parse_header(path: str, line: bytes) -> Header:
    try:
        obj = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise TraceFormatError(f"{path}: not a tftrace trace (not UTF-8 text)") from None
    except (ValueError, RecursionError):
        raise TraceFormatError(f"{path}: not a tftrace trace (first line is not JSON)") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT_NAME:
        raise TraceFormatError(f"{path}: not a tftrace trace (no '{FORMAT_NAME}' header)")
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TraceFormatError(f"{path}: trace header has an invalid version {version!r}")
    if version > FORMAT_VERSION:
        raise TraceFormatError(
            f"{path}: trace format version {version} is newer than this tftrace reads "
            f"(up to {FORMAT_VERSION}); upgrade tftrace")
    try:
        return Header.from_json(obj)
    except TraceFormatError as e:
        raise TraceFormatError(f"{path}:1: {e}") from None
