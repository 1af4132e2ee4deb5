"""Incremental, crash-safe writing of a trace (JSON Lines), one writing process per file."""
from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any, Iterator

from tftrace.escape import printable
from tftrace.filelock import try_lock
from tftrace.tracefile.records import Header


class TraceWriter:
    """Appends records to a trace file, one JSON object per line.

    Each record is written with a single ``write`` of a complete line and flushed to the
    operating system at once unless ``flush=False``: a process killed afterwards (SIGKILL,
    OOM) leaves every flushed line on disk, because the kernel keeps it even though the
    process dies. ``fsync`` is not needed for that and would cost milliseconds per run.

    One process writes a trace file: the writer takes an exclusive lock (``flock``) on it
    and keeps it until the process ends, also while the file is closed between sessions.
    When another process holds the path, this one writes to a sibling file instead —
    ``trace.json`` becomes ``trace.<pid>.json`` — and says so on stderr, so two programs
    started with the same ``-o`` never interleave or mix their records, and neither loses
    its trace. ``path`` is the file actually written; ``requested`` the one asked for.
    A forked child does not write into its parent's file (its writes are dropped, once
    said on stderr).
    """

    def __init__(self, path: str | os.PathLike[str], header: Header):
        self.requested = os.fspath(path)
        self._lock = threading.Lock()
        parent = os.path.dirname(os.path.abspath(self.requested))
        os.makedirs(parent, exist_ok=True)
        self._path = _claim(self.requested)
        if self._path != self.requested:
            _say(f"{self.requested} is being written by another process; this process "
                 f"writes its trace to {self._path}")
        self._pid = os.getpid()
        try:
            # buffering=1 would flush on every newline; we decide when to flush ourselves.
            self._file = open(self.path, "w", encoding="utf-8")
        except BaseException:
            _in_use.discard(os.path.realpath(self.path))
            raise
        self.write(header.to_json())

    def reopen(self) -> None:
        """Append to the file again after ``close`` (a later session of the same trace)."""
        with self._lock:
            if self._file.closed:
                self._file = open(self.path, "a", encoding="utf-8")
                _in_use.add(os.path.realpath(self.path))

    @property
    def path(self) -> str:
        """The file written (``requested``, a sibling of it, or where ``rename`` moved it)."""
        return self._path

    def rename(self, new: str) -> str:
        """Move the trace to ``new`` (a pattern's real name, once known) — or, when another
        process writes ``new``, to a sibling of it, said on stderr — and return the path now
        written. The open file and its lock move with the name."""
        new = os.fspath(new)
        os.makedirs(os.path.dirname(os.path.abspath(new)), exist_ok=True)
        with self._lock, _claims:
            before = os.path.realpath(self._path)
            for candidate in _candidates(new):
                key = os.path.realpath(candidate)
                if key == before:
                    return self._path
                if key in _in_use or key in _held:
                    continue  # another writer of this process has it
                # Lock the name's current file first: if another process holds it, it is
                # that process's live trace, and replacing it would lose it.
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT, 0o666)
                try:
                    if not try_lock(fd):
                        continue
                    os.replace(self._path, candidate)
                finally:
                    os.close(fd)
                break
            else:
                raise OSError(f"{new}: no free sibling trace name")
            if before in _held:
                _held[key] = _held.pop(before)
            if before in _in_use:
                _in_use.discard(before)
                _in_use.add(key)
            self._path = candidate
        if candidate != new:
            _say(f"{new} is being written by another process; this process writes its "
                 f"trace to {candidate}")
        return candidate

    @property
    def closed(self) -> bool:
        return self._file.closed

    def write(self, record: dict[str, Any], flush: bool = True) -> None:
        # allow_nan=False: non-finite floats are encoded as strings before this point; any
        # that slipped through would make the line invalid JSON, so fail loudly instead.
        line = json.dumps(record, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        with self._lock:
            if self._file.closed or not self._own_process():
                return
            self._file.write(line + "\n")
            if flush:
                self._file.flush()

    def flush(self) -> None:
        with self._lock:
            if not self._file.closed and self._own_process():
                self._file.flush()

    def close(self) -> None:
        """Close the file; the lock stays, so a later session of this process can append."""
        with self._lock:
            if not self._file.closed:
                if not self._own_process():
                    # Closing would flush the parent's buffered lines a second time.
                    self._file = open(os.devnull, "w", encoding="utf-8")
                self._file.close()
                _in_use.discard(os.path.realpath(self.path))

    def _own_process(self) -> bool:
        if self._pid == os.getpid():
            return True
        if self._pid != -1:
            self._pid = -1
            _say(f"a forked process does not record into its parent's trace {self.path}")
        return False


# Locks this process holds (real path → locked descriptor) and the paths one of its
# writers has open. A lock is held until the process ends: a later session of the same
# trace appends to it, and no other process can slip in between.
MAX_HELD = 256
_held: dict[str, int] = {}
_in_use: set[str] = set()
_claims = threading.Lock()


def _claim(path: str) -> str:
    """The first of ``path`` and its siblings that no other writer holds, now locked."""
    for candidate in _candidates(path):
        key = os.path.realpath(candidate)
        with _claims:
            if key in _in_use:
                continue  # another writer of this process has it open
            if key not in _held:
                # os.open makes the descriptor non-inheritable (PEP 446): no child
                # process started by the program holds the lock.
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT, 0o666)
                if not try_lock(fd):
                    os.close(fd)
                    continue
                _release_idle()
                _held[key] = fd
            _in_use.add(key)
            return candidate
    raise OSError(f"{path}: no free sibling trace name")


def _release_idle() -> None:
    """Bound the descriptors a process that writes many traces keeps: past
    :data:`MAX_HELD` locks, those of traces no writer has open are released (such a trace
    could then be taken by another process before a later session of this one)."""
    if len(_held) < MAX_HELD:
        return
    for key in [k for k in _held if k not in _in_use]:
        os.close(_held.pop(key))


def _candidates(path: str) -> Iterator[str]:
    yield path
    stem, ext = os.path.splitext(path)
    pid = os.getpid()
    yield f"{stem}.{pid}{ext}"
    for n in range(2, 100):
        yield f"{stem}.{pid}-{n}{ext}"


def _say(message: str) -> None:
    try:
        sys.stderr.write(f"tftrace: {printable(message)}\n")
    except Exception:
        pass
