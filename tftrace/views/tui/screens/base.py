"""What the three main screens share: header, footer, switching screens and sessions."""
from __future__ import annotations

from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen

from tftrace.views.tui.screens.sessions import SessionPicker

#: Below this width, side-by-side panes are stacked.
NARROW = 110


class TraceScreen(Screen[None]):
    """A main screen of the app (a Textual mode). Subclasses compose their body between
    a :class:`~tftrace.views.tui.widgets.trace_header.TraceHeader` and a ``Footer`` and
    implement :meth:`refresh_trace` (the session, the findings or the trace changed)."""

    BINDINGS = [
        Binding("v", "app.switch_mode('variables')", "Variables", show=False),
        Binding("d", "app.switch_mode('diagnostics')", "Findings"),
        Binding("r", "app.switch_mode('runs')", "Runs"),
        Binding("s", "pick_session", "Session"),
    ]

    def on_mount(self) -> None:
        app = self.app
        # What this screen last drew from. Textual also calls watchers when the app's
        # reactives are first initialized; comparing skips those (and any no-op).
        self._seen = (app.session, app.findings, app.generation)
        for attribute in ("session", "findings", "generation"):
            self.watch(app, attribute, lambda _: self._app_changed(), init=False)

    def _app_changed(self) -> None:
        app = self.app
        session, findings, generation = self._seen
        self._seen = (app.session, app.findings, app.generation)
        if generation != app.generation:
            self.trace_changed()
        elif session != app.session:
            self.session_changed()
        elif findings is not app.findings:
            self.findings_changed()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    def session_changed(self) -> None:
        self.trace_changed()

    def findings_changed(self) -> None:
        self.trace_changed()

    def trace_changed(self) -> None:
        """Redraw from the app's trace, session and findings."""

    def action_pick_session(self) -> None:
        app = self.app

        def picked(number: int | None) -> None:
            if number is not None and number != app.session:
                app.pick_session(number)

        self.app.push_screen(SessionPicker(app.trace, app.session, app.findings), picked)
