"""Incremental, crash-safe writing of a trace (JSON Lines)."""
from __future__ import annotations

import json
import os
import threading
from typing import Any

from tftrace.tracefile.records import Header


class TraceWriter:
    """Appends records to a trace file, one JSON object per line.

    Each record is written with a single ``write`` of a complete line and flushed to the
    operating system at once unless ``flush=False``: a process killed afterwards (SIGKILL,
    OOM) leaves every flushed line on disk, because the kernel keeps it even though the
    process dies. ``fsync`` is not needed for that and would cost milliseconds per run.
    """

    def __init__(self, path: str | os.PathLike[str], header: Header):
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        # buffering=1 would flush on every newline; we decide when to flush ourselves.
        self._file = open(self.path, "w", encoding="utf-8")
        self.write(header.to_json())

    def reopen(self) -> None:
        """Append to the file again after ``close`` (a later session of the same trace)."""
        with self._lock:
            if self._file.closed:
                self._file = open(self.path, "a", encoding="utf-8")

    @property
    def closed(self) -> bool:
        return self._file.closed

    def write(self, record: dict[str, Any], flush: bool = True) -> None:
        # allow_nan=False: non-finite floats are encoded as strings before this point; any
        # that slipped through would make the line invalid JSON, so fail loudly instead.
        line = json.dumps(record, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        with self._lock:
            if self._file.closed:
                return
            self._file.write(line + "\n")
            if flush:
                self._file.flush()

    def flush(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()
