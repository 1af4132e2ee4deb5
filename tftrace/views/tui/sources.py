"""Call sites: find the file a ``file:line`` location names and read a few lines of it.

Locations come from an untrusted trace, so the file is opened only when it is a regular
file (never a FIFO or device that would block), at most a bounded number of lines is read,
and every line is made printable before it is shown.
"""
from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass

from tftrace.model.display import printable

#: Lines longer than this are cut (a minified file would flood the screen).
MAX_LINE_CHARS = 400
#: Never read further into a file than this many lines.
MAX_LINE_NUMBER = 1_000_000


@dataclass(frozen=True)
class Excerpt:
    """Lines ``first``.. of ``path`` around ``line``: ``lines`` are printable text."""

    path: str
    line: int
    first: int
    lines: tuple[str, ...]


def split_location(location: str | None) -> tuple[str, int] | None:
    """``"train.py:44"`` → ``("train.py", 44)``; None when there is no line number.

    >>> split_location("examples/a.py:72"), split_location("a.py"), split_location(None)
    (('examples/a.py', 72), None, None)
    """
    if not location or ":" not in location:
        return None
    path, _, line = location.rpartition(":")
    if not path or not line.isdigit() or len(line) > 9:
        return None
    return path, int(line)


def find_file(path: str, roots: list[str | None]) -> str | None:
    """``path`` if absolute, else the first ``root/path`` that is a regular file."""
    candidates = [path] if os.path.isabs(path) else \
        [os.path.join(root, path) for root in roots if root]
    for candidate in candidates:
        try:
            if stat.S_ISREG(os.stat(candidate).st_mode):
                return candidate
        except (OSError, ValueError):  # ValueError: a NUL byte in the path
            continue
    return None


def read_excerpt(path: str, line: int, context: int = 6) -> Excerpt | None:
    """Up to ``context`` lines either side of ``line`` (1-based); None when the file is
    shorter or cannot be read."""
    if line < 1 or line > MAX_LINE_NUMBER:
        return None
    first = max(1, line - context)
    wanted: list[str] = []
    try:
        with open(path, "rb") as f:
            for number in range(1, line + context + 1):
                text = _read_line(f)
                if text is None:
                    break
                if number >= first:
                    wanted.append(_clean(text.decode("utf-8", errors="replace")))
    except OSError:
        return None
    if len(wanted) < line - first + 1:
        return None
    return Excerpt(path=path, line=line, first=first, lines=tuple(wanted))


def _read_line(f: "io.BufferedReader") -> bytes | None:
    """The next line, cut at MAX_LINE_CHARS * 4 bytes (the rest skipped without being kept
    in memory); None at the end of the file."""
    limit = MAX_LINE_CHARS * 4
    line = f.readline(limit)
    if not line:
        return None
    if not line.endswith(b"\n") and len(line) == limit:
        while (rest := f.readline(limit)) and not rest.endswith(b"\n"):
            pass
    return line


def _clean(text: str) -> str:
    text = text.rstrip("\r\n").expandtabs(4)
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + "…"
    return printable(text)
