"""``tftrace view``: the Textual terminal UI over a loaded trace.

The app is built by a factory that takes a loaded :class:`~tftrace.model.Trace`, so the
command line can report a missing or corrupt trace in one line before the UI starts, and
tests can drive the app with Pilot::

    from tftrace.views.tui import create_app
    app = create_app(tftrace.load("trace.json"))
    app.run()

Only this package imports Textual, and only when ``create_app`` is first called: importing
``tftrace.views.tui`` itself stays cheap. The modules ``scopes``, ``status``, ``fuzzy``,
``sources`` and ``cells`` hold the view's logic as plain functions (no Textual), the
``screens`` and ``widgets`` packages the Textual parts.
"""
from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING, Any

from tftrace.errors import TftraceError

if TYPE_CHECKING:
    from tftrace.model import Trace
    from tftrace.views.tui.app import TftraceApp


def create_app(trace: "Trace", *, follow: bool = False, session: int | None = None,
               **options: Any) -> "TftraceApp":
    """The terminal UI for ``trace`` (see :class:`~tftrace.views.tui.app.TftraceApp`)."""
    from tftrace.views.tui.app import TftraceApp

    return TftraceApp(trace, follow=follow, session=session, **options)


def require_textual() -> None:
    """Raise a one-line :class:`TftraceError` when Textual is not installed (checked
    before a possibly long trace load)."""
    try:
        import textual  # noqa: F401
    except ModuleNotFoundError:
        # tftrace is not on a package index: name the package itself, not our extra.
        raise TftraceError("tftrace view needs Textual: pip install textual (or install "
                           "tftrace with its tui extra)") from None


def require_terminal() -> None:
    """Raise a one-line :class:`TftraceError` unless stdin and stdout are terminals."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise TftraceError("tftrace view needs a terminal (stdin or stdout is not one); "
                           "for text output use tftrace check or tftrace explain")


def run(trace: "Trace", *, follow: bool = False, session: int | None = None) -> int:
    """Run the UI in this terminal until the person quits; return the exit code.

    A session number the trace lacks, or a stdin/stdout that is not a terminal, is a
    one-line :class:`TftraceError` before the UI starts.
    """
    if session is not None:
        trace.session(session)  # UnknownSession lists the sessions there are
    require_terminal()
    # A big trace is millions of objects that live as long as the process. Freezing them
    # keeps every full garbage collection from walking them all (measured: 0.5 s pauses
    # on a 100 000-event trace, on random keystrokes); refcounting still frees them.
    gc.freeze()
    app = create_app(trace, follow=follow, session=session, freeze_gc=True)
    app.run()
    return app.return_code or 0
