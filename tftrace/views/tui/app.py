"""The ``tftrace view`` application: one loaded trace, three screens, live follow.

State lives on the app, and the screens watch it:

- ``trace`` — the loaded :class:`~tftrace.model.Trace` (replaced when ``--follow`` sees the
  file grow; ``generation`` counts the replacements);
- ``session`` — the session whose graph the screens show (default: the last one);
- ``findings`` — the diagnostics, None until a worker thread has computed them (rules run
  over every event, so they never run on the UI thread).

The screens are Textual *modes* (variables, diagnostics, runs): switching between them
keeps each one's cursor and scroll position.
"""
from __future__ import annotations

import gc
import os
import time
from typing import Iterable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import var
from textual.worker import get_current_worker

from tftrace.errors import TftraceError
from tftrace.model import Trace
from tftrace.model.display import printable
from tftrace.views.tui.screens.diagnostics import DiagnosticsScreen
from tftrace.views.tui.screens.help import HelpScreen
from tftrace.views.tui.screens.runs import RunsScreen
from tftrace.views.tui.screens.variables import VariablesScreen
from tftrace.views.tui.status import Findings

#: How often ``--follow`` looks at the trace file, in seconds.
POLL_INTERVAL = 0.5
#: ``--follow``: the program counts as ended when every session it opened is closed and
#: the file has not changed for this many seconds (it may still open another session).
QUIET_AFTER_END = 5.0


def file_stamp(path: str) -> tuple[int, int] | None:
    """(size, modification time) of ``path``: what ``--follow`` compares between polls."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class TftraceApp(App[None]):
    """The terminal UI over one trace. Build it with :func:`tftrace.views.tui.create_app`."""

    CSS_PATH = "app.tcss"
    TITLE = "tftrace"
    ENABLE_COMMAND_PALETTE = False
    MODES = {"variables": VariablesScreen, "diagnostics": DiagnosticsScreen,
             "runs": RunsScreen}
    DEFAULT_MODE = "variables"
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    session: var[int] = var(0)
    findings: var[Findings | None] = var(None)
    generation: var[int] = var(0)
    live: var[bool] = var(False)   # --follow, and the traced program still running

    def __init__(self, trace: Trace, *, follow: bool = False, session: int | None = None,
                 poll_interval: float = POLL_INTERVAL, freeze_gc: bool = False):
        super().__init__()
        self.trace = trace
        self.follow = follow
        self.poll_interval = poll_interval
        self.freeze_gc = freeze_gc  # gc.freeze() each reloaded trace (see views.tui.run)
        # A session given on the command line (or picked) stays; otherwise follow the last.
        self.session_pinned = session is not None
        self.set_reactive(TftraceApp.session,
                          session if session is not None else self.last_session())
        self._stamp = file_stamp(trace.path) if follow else None
        self._reloading = False
        self._reload_error: str | None = None
        self.clock = time.monotonic  # replaced in tests
        self._changed_at = self.clock()
        self.set_reactive(TftraceApp.live, follow)

    # --- state -----------------------------------------------------------------------

    def last_session(self) -> int:
        sessions = self.trace.session_numbers
        return max(sessions) if sessions else 0

    def on_mount(self) -> None:
        # After the first frame: the rules would compete with drawing it for the GIL.
        self.call_after_refresh(self.check_trace)
        if self.follow:
            self.set_interval(self.poll_interval, self.poll_trace)

    @work(thread=True, exclusive=True, group="check")
    def check_trace(self) -> None:
        """Run the diagnostics rules off the UI thread; publish them as ``findings``."""
        trace = self.trace
        findings = Findings(trace.diagnostics())
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._checked, trace, findings)

    def _checked(self, trace: Trace, findings: Findings) -> None:
        if trace is self.trace:
            self.findings = findings

    def pick_session(self, number: int) -> None:
        """Show ``number``'s graph everywhere (a choice that ``--follow`` keeps)."""
        self.session_pinned = True
        self.session = number

    # --- following a trace that is still being written ----------------------------------

    def poll_trace(self) -> None:
        """Reload the trace when its file changed since the last (re)load."""
        if self._reloading:
            return
        stamp = file_stamp(self.trace.path)
        if stamp is None or stamp == self._stamp:
            self.live = not self.program_ended()
            return
        self.live = True
        self._changed_at = self.clock()
        self._reloading = True
        self.reload_trace(stamp)

    def program_ended(self) -> bool:
        """Every session the trace opened is closed and the file has been quiet for
        QUIET_AFTER_END seconds."""
        sessions = self.trace.sessions
        return (bool(sessions) and all(s.closed for s in sessions)
                and self.clock() - self._changed_at >= QUIET_AFTER_END)

    @work(thread=True, exclusive=True, group="reload")
    def reload_trace(self, stamp: tuple[int, int]) -> None:
        try:
            trace = Trace.load(self.trace.path)
            findings = Findings(trace.diagnostics())
        except TftraceError as e:
            self.call_from_thread(self._reload_failed, stamp, str(e))
            return
        self.call_from_thread(self._reloaded, trace, findings, stamp)

    def _reloaded(self, trace: Trace, findings: Findings, stamp: tuple[int, int]) -> None:
        if self.freeze_gc:
            gc.freeze()
        self._reloading = False
        self._stamp = stamp
        self._reload_error = None
        self.trace = trace
        if not self.session_pinned or not trace.has_session(self.session):
            self.set_reactive(TftraceApp.session, self.last_session())
        self.set_reactive(TftraceApp.findings, findings)
        self.generation += 1

    def _reload_failed(self, stamp: tuple[int, int], message: str) -> None:
        # Keep showing what was loaded; try again when the file changes next.
        self._reloading = False
        self._stamp = stamp
        if message != self._reload_error:
            self._reload_error = message
            self.notify(printable(message), title="could not re-read the trace",
                        severity="warning", markup=False)

    # --- navigation between screens ---------------------------------------------------

    def show_variables(self, names: Iterable[str], session: int, label: str) -> None:
        """Switch to the variables screen showing only ``names`` of ``session``."""
        if session != self.session and self.trace.has_session(session):
            self.pick_session(session)
        self.switch_mode("variables")
        screen = self.get_screen_stack("variables")[0]
        assert isinstance(screen, VariablesScreen)
        screen.show_only(list(names), label)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())
