"""From DOT text to a file: the format follows the suffix; ``dot`` renders the images.

``.dot`` (and ``.gv``) output needs nothing but Python. PNG, SVG and PDF need Graphviz's
``dot`` program, run as a child process with a time limit; a missing program is a
:class:`~tftrace.errors.DotNotFound` with one line saying how to install it.
"""
from __future__ import annotations

import os
import shutil
import subprocess

from tftrace.errors import DotNotFound, TftraceError

#: Suffix → Graphviz output format.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


def output_format(path: str) -> str:
    """The format of ``path``, from its suffix: ``"png"``, ``"svg"``, ``"pdf"``, ``"dot"``."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FORMATS:
        given = f"suffix {suffix!r}" if suffix else "no suffix"
        raise TftraceError(f"cannot tell the output format of {path!r} ({given}); "
                           f"use one of {', '.join(FORMATS)}")
    return FORMATS[suffix]


def check_output(path: str) -> str:
    """The format of ``path``, after checking everything that can be checked before any
    work: a known suffix, an existing directory, and ``dot`` for image formats."""
    fmt = output_format(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise TftraceError(f"cannot write {path!r}: directory {directory!r} does not exist")
    if fmt != "dot" and shutil.which("dot") is None:
        raise DotNotFound()
    return fmt


#: Seconds ``dot`` may take before the render gives up (``--dot-timeout``). A capped
#: diagram lays out in well under a second; this bounds the unforeseen.
DOT_TIMEOUT = 60.0


def render_source(source: str, fmt: str, timeout: float | None = DOT_TIMEOUT) -> bytes:
    """``source`` (DOT text) rendered to ``fmt`` by ``dot``; DOT itself for ``"dot"``.

    ``dot`` runs as a child process killed after ``timeout`` seconds (None: no limit);
    a layout that takes longer is a one-line :class:`TftraceError` that says what to do.
    """
    if fmt == "dot":
        return source.encode("utf-8")
    program = shutil.which("dot")
    if program is None:
        raise DotNotFound()
    try:
        result = subprocess.run([program, f"-T{fmt}"], input=source.encode("utf-8"),
                                capture_output=True, timeout=timeout)
    except FileNotFoundError:
        raise DotNotFound() from None
    except subprocess.TimeoutExpired:
        raise TftraceError(
            f"Graphviz's dot did not finish the layout within {timeout:g} s; draw less "
            "(--problems, --scope, --var or a smaller --max-nodes), allow more time "
            "(--dot-timeout), or write .dot output") from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace")
        first = next((line for line in stderr.splitlines() if line.strip()), "no message")
        raise TftraceError(f"Graphviz's dot failed (exit {result.returncode}): {first}")
    return result.stdout


def write_output(data: bytes, path: str) -> None:
    """Write ``data`` to ``path``; a missing directory or an unwritable file is one line."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise TftraceError(f"cannot write {path!r}: directory {directory!r} does not exist")
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise TftraceError(f"cannot write {path!r}: {e.strerror or e}") from None
