"""Text and JSON output of ``tftrace explain``.

The text form is what a person reads first: one verdict line saying where the value came
from (and what went wrong with it, such as a restore clobbered by the initializer), then
the variable's timeline. Every string from the trace goes through
:func:`~tftrace.model.display.printable`, so a hand-edited trace cannot move the cursor or
recolour the terminal.
"""
from __future__ import annotations

import json
from typing import Any

from tftrace.model import Event, Explanation, Lineage
from tftrace.model.display import (
    ORIGIN_WORDS,
    event_source,
    format_shape,
    format_summary,
    printable,
)
from tftrace.model.events import run_span
from tftrace.views.check import finding_where
# The verdict is the model's wording (Explanation.verdict, the JSON, the TUI share it).
from tftrace.model.explain import attempted_kind, run_at, verdict

__all__ = ["explain_json", "explain_text", "timeline_table", "verdict", "variables_text",
           "variables_json"]

TIMELINE_COLUMNS = ("kind", "run", "count", "location", "source", "value")


def explain_json(explanation: Explanation, lineage: Lineage | None = None,
                 incomplete: dict | None = None) -> str:
    """``tftrace explain --format json``: the PRODUCT §5 shape, indented; with
    ``--with``, plus ``lineage``: each step back, depth first; plus ``incomplete``
    (:attr:`Trace.incomplete`) when the trace was cut short or a session never closed.

    ``ensure_ascii`` (the default) keeps control characters escaped in the output too.
    """
    d = explanation.to_json()
    if lineage is not None:
        d["lineage"] = [
            {"depth": depth, "variable": step.variable, "session": step.session,
             "trace": step.trace, "origin": step.origin.to_json(), "updates": step.updates,
             "via": None if step.via is None else {"path": step.via.path,
                                                   "session": step.via.session,
                                                   "run": step.via.run},
             "note": step.note}
            for depth, step in lineage.root.walk()]
    if incomplete is not None:
        d["incomplete"] = incomplete
    return json.dumps(d, indent=2)


def explain_text(explanation: Explanation) -> str:
    """``tftrace explain``: the verdict, the declaration, then the timeline table."""
    record = explanation.record
    declared = f"{printable(record.dtype) or 'unknown dtype'} {format_shape(record.shape)}"
    if record.location:
        declared += f", created at {printable(record.location)}"
    lines = [verdict(explanation), "",
             f"  declared: {declared}",
             f"  session:  {explanation.session}"]
    processes = sorted({e.process.label for e in explanation.events if e.process is not None})
    if processes:  # a merged trace: who wrote it
        lines.append(f"  written by: {', '.join(processes)}")
    lines.append("")
    if explanation.events:
        lines += ["  " + row for row in timeline_table(explanation.events)]
    else:
        lines.append(f"  (no writes to it in session {explanation.session})")
    if explanation.failed:
        lines += ["", "  failed attempts to write it:"]
        lines += [f"  run {run.run} {run_at(run)}: {attempted_kind(run, explanation.variable)}"
                  f" ({printable(run.error.type)})" for run in explanation.failed]
    if explanation.findings:
        # What `check` says about it, with the fix: the verdict tells what, this how.
        lines += ["", "  findings (tftrace check has the details):"]
        for d in explanation.findings:
            where = ", ".join(finding_where(d, session=False))
            lines.append(f"  {d.severity:<7} {printable(d.rule)}"
                         + (f"  ({where})" if where else ""))
            if d.hint:
                lines.append(f"          hint: {printable(d.hint)}")
    return "\n".join(lines)


# --- the timeline -----------------------------------------------------------------------

def timeline_table(events: list[Event] | tuple[Event, ...]) -> list[str]:
    """The events as aligned text rows under a header row (in a merged trace, with the
    process that wrote and its own run numbers)."""
    rows = [TIMELINE_COLUMNS] + [_timeline_row(e) for e in events]
    if any(e.process is not None for e in events):
        rows[0] = rows[0][:1] + ("process",) + rows[0][1:]
        rows[1:] = [row[:1] + (_process_cell(e),) + row[1:] for row, e in zip(rows[1:], events)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
            for row in rows]


def _process_cell(event: Event) -> str:
    """``worker:1 s1 r2-4``: the process and the session/runs in its own trace."""
    if event.process is None:
        return "-"
    if event.local is None:
        return event.process.label
    session, first, last = event.local
    return f"{event.process.label} s{session} r{run_span(first, last)}"


def _timeline_row(event: Event) -> tuple[str, ...]:
    return (event.kind, event.runs, str(event.count), printable(event.location or "-"),
            printable(event_source(event)), format_summary(event.value))


# --- every variable (`tftrace explain TRACE` without VAR) -------------------------------

def variable_rows(trace: Any, session: int) -> list[dict[str, Any]]:
    """Each variable of ``session``: its origin, updates since, and the rules of the
    findings naming it (warnings and errors first)."""
    rows = []
    for name in trace.variable_names(session):
        origin = trace.origin(name, session)
        rows.append({"variable": name, "origin": origin.to_json(),
                     "updates_since_origin": trace.updates_since_origin(name, session),
                     "findings": [f"{d.severity} {d.rule}"
                                  for d in trace.findings_naming(name, session)]})
    return rows


def variables_json(trace: Any, session: int, incomplete: dict | None = None) -> str:
    """``tftrace explain TRACE --format json`` without VAR; plus ``incomplete``
    (:attr:`Trace.incomplete`) when the trace was cut short or a session never closed."""
    d: dict[str, Any] = {"session": session, "variables": variable_rows(trace, session)}
    if incomplete is not None:
        d["incomplete"] = incomplete
    return json.dumps(d, indent=2)


def variables_text(trace: Any, session: int) -> str:
    """``tftrace explain TRACE`` without VAR: one line per variable of ``session``, with
    where its value came from, then how to ask about one."""
    rows = variable_rows(trace, session)
    sessions = len(trace.sessions)
    other = f"; --session N for another of the {sessions}" if sessions > 1 else ""
    lines = [f"session {session}: {len(rows)} variable{'s' if len(rows) != 1 else ''}"
             f"{other}", ""]
    table = [("variable", "origin", "updates", "findings")]
    for row in rows:
        origin = row["origin"]
        text = ORIGIN_WORDS.get(origin["kind"], origin["kind"])
        if origin["run"] is not None:
            text += f" (run {origin['run']})"
        table.append((printable(row["variable"]), text, str(row["updates_since_origin"]),
                      ", ".join(row["findings"]) or "-"))
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[3]
              for r in table]
    lines += ["", "tftrace explain TRACE VAR says where one variable's value came from"]
    return "\n".join(lines)
