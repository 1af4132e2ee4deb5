"""From DOT text to a file: the format follows the suffix; ``dot`` renders the images.

``.dot`` (and ``.gv``) output needs nothing but Python. PNG, SVG and PDF need Graphviz's
``dot`` program and the ``graphviz`` Python package (the ``dot`` extra); a missing program
is a :class:`~tftrace.errors.DotNotFound` with one line saying how to install it.
"""
from __future__ import annotations

import os
import shutil

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


def render_source(source: str, fmt: str) -> bytes:
    """``source`` (DOT text) rendered to ``fmt`` by ``dot``; DOT itself for ``"dot"``."""
    if fmt == "dot":
        return source.encode("utf-8")
    if shutil.which("dot") is None:
        raise DotNotFound()
    try:
        import graphviz
    except ImportError:
        raise TftraceError("rendering images needs the graphviz Python package: "
                           "pip install 'tftrace[dot]' (or write .dot output)") from None
    try:
        return graphviz.pipe("dot", fmt, source.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound:
        raise DotNotFound() from None
    except graphviz.CalledProcessError as e:
        stderr = e.stderr.decode("utf-8", "replace") if isinstance(e.stderr, bytes) else ""
        first = next((line for line in stderr.splitlines() if line.strip()), "no message")
        raise TftraceError(f"Graphviz's dot failed (exit {e.returncode}): {first}") from None


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
