"""The one-line header: the session shown, the findings, the script and the trace file."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tftrace.model.display import printable
from tftrace.views.tui.status import MARKERS


class TraceHeader(Static):
    """Redraws itself when the app's session, findings or trace change."""

    def on_mount(self) -> None:
        app = self.app
        for attribute in ("session", "findings", "generation", "live"):
            self.watch(app, attribute, lambda _value: self.redraw(), init=False)
        self.redraw()

    def redraw(self) -> None:
        self.update(header_text(self.app))


def header_text(app) -> Text:  # app: TftraceApp (not imported: it imports the screens)
    trace = app.trace
    sessions = trace.session_numbers
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(" tftrace ", style="bold reverse")
    text.append(f" session {app.session} of {len(sessions)} ", style="bold")
    findings = app.findings
    if findings is None:
        text.append(" checking… ", style="dim")
    else:
        counts = findings.counts()
        if not counts:
            text.append(" no findings ", style="green")
        for severity in ("error", "warning", "info"):
            if counts.get(severity):
                marker, style = MARKERS[severity]
                n = counts[severity]
                word = {"error": "error", "warning": "warning", "info": "info"}[severity]
                plural = "s" if n != 1 and severity != "info" else ""
                text.append(f" {marker} {n} {word}{plural} ", style=style)
        where = sorted({d.session for d in findings.diagnostics})
        if where and where != [app.session]:
            # The counts are the whole trace's: say where they are, so that session 1
            # showing "1 error" and no marked variable is not a puzzle.
            label = "session" if len(where) == 1 else "sessions"
            text.append(f"in {label} {', '.join(map(str, where))} ", style="dim")
    if app.follow and app.live:
        text.append(" ● live ", style="bold green")
    elif app.follow:  # every session closed, the file quiet: the program ended
        text.append(" ended ", style="dim")
    elif trace.truncated:
        text.append(" cut short ", style="bold yellow")
    elif trace.unclosed_sessions:  # killed (or still running): counts are lower bounds
        text.append(" never closed ", style="bold yellow")
    text.append("│", style="dim")
    script = trace.header.script
    if script:
        text.append(" ")
        text.append(printable(script))
        text.append(" →", style="dim")
    text.append(" ")
    text.append(printable(trace.path), style="dim")
    return text
