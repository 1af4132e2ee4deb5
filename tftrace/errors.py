"""Exceptions users see. Each carries a one-line message fit for stderr."""
from __future__ import annotations


class TftraceError(Exception):
    """Base class: bad input or usage. The CLI prints the message and exits with 2."""


class TraceFormatError(TftraceError):
    """A file is not a tftrace trace, is corrupt, or has a version we cannot read."""


class TraceNotFound(TftraceError, FileNotFoundError):
    """The trace file does not exist or cannot be opened. Also a ``FileNotFoundError``, so
    ``except FileNotFoundError`` around :func:`tftrace.load` works as it does for ``open``."""


class UnknownVariable(TftraceError):
    """A variable name that the trace does not contain."""

    def __init__(self, name: str, suggestions: list[str] | tuple[str, ...] = ()):
        self.name = name
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"no variable named {name!r} in the trace{hint}")


class UnknownSession(TftraceError):
    """A session number that the trace does not contain."""


class CheckpointNotFound(TftraceError):
    """No checkpoint at the given path (``tftrace inspect``)."""


class DotNotFound(TftraceError):
    """Graphviz's ``dot`` program, needed for PNG/SVG/PDF output, is not installed."""

    def __init__(self) -> None:
        super().__init__("Graphviz's 'dot' program is not installed; install it "
                         "(apt-get install graphviz, brew install graphviz) or write .dot "
                         "output")
