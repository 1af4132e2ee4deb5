"""Text and JSON output of ``tftrace explain``.

The text form is what a person reads first: one verdict line saying where the value came
from (and what went wrong with it, such as a restore clobbered by the initializer), then
the variable's timeline. Every string from the trace goes through
:func:`~tftrace.model.display.printable`, so a hand-edited trace cannot move the cursor or
recolour the terminal.
"""
from __future__ import annotations

import json

from tftrace.model import Event, Explanation, Lineage
from tftrace.model.display import format_shape, format_summary, printable
from tftrace.model.events import FEED
from tftrace.tracefile import RunRecord

TIMELINE_COLUMNS = ("kind", "run", "count", "location", "source", "value")


def explain_json(explanation: Explanation, lineage: Lineage | None = None) -> str:
    """``tftrace explain --format json``: the PRODUCT §5 shape, indented; with
    ``--with``, plus ``lineage``: each step back, depth first.

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
        lines += [f"  run {run.run} {_run_at(run)}: {_attempted_kind(run, explanation.variable)}"
                  f" ({printable(run.error.type)})" for run in explanation.failed]
    return "\n".join(lines)


# --- the verdict ------------------------------------------------------------------------

def verdict(explanation: Explanation) -> str:
    """One line: where the value came from.

    ``dense/kernel: restored from /tmp/model.ckpt key dense/kernel at train.py:42, then
    overwritten by the initializer at train.py:44``
    """
    return f"{printable(explanation.variable)}: {_story(explanation)}"


def _story(explanation: Explanation) -> str:
    events = list(explanation.events)
    origin = explanation.origin.event
    if origin is None and explanation.origin.external:
        return (f"no initializer, restore or assign in session {explanation.session}, a "
                "remote session: its value came from the server, written by another process"
                + _updates_phrase(explanation.updates_since_origin)
                + _failed_phrase(explanation))
    if origin is None:
        return _never_initialized(explanation.session, events) + _failed_phrase(explanation)
    # By identity: summaries holding NaN never compare equal, not even to themselves.
    earlier = events[:next(i for i, e in enumerate(events) if e is origin)]
    clobbered = _last_restore(earlier) if origin.kind != "restore" else None
    if clobbered is not None:
        story = f"{_restored(clobbered)}, then overwritten by {_overwrite(origin)}"
    elif origin.kind == "initializer" and _discarded(earlier):
        story = (f"reset by its initializer {_at(origin)}, discarding {_discarded(earlier)}"
                 + _by_whom(earlier))
    else:
        story = _origin_phrase(origin)
    story += _updates_phrase(explanation.updates_since_origin)
    return story + _non_finite_phrase(events[-1]) + _failed_phrase(explanation)


def _never_initialized(session: int, events: list[Event]) -> str:
    text = f"never initialized in session {session}"
    if events:  # only updates: a hand-edited trace, or a recorder that missed the origin
        runs = sum(e.count for e in events)
        text += f" ({runs} update run{'s' if runs != 1 else ''} recorded without an origin)"
    return text


def _origin_phrase(event: Event) -> str:
    if event.kind == "restore":
        return _restored(event)
    if event.kind == "assign":
        return f"assigned {_assigned_what(event.sources)} {_at(event)}"
    if event.checkpoint is not None:  # init_from_checkpoint, recorded as an initializer
        return (f"initialized from {printable(event.checkpoint)} key {printable(event.key)} "
                f"by its initializer {_at(event)}")
    return f"initialized by its initializer {_at(event)}"


def _overwrite(event: Event) -> str:
    if event.kind == "initializer":
        return f"the initializer {_at(event)}"
    return f"an assign {_assigned_what(event.sources)} {_at(event)}"


def _restored(event: Event) -> str:
    return (f"restored from {printable(event.checkpoint)} key {printable(event.key)} "
            f"{_at(event)}")


def _assigned_what(sources: tuple[str, ...]) -> str:
    variables = [printable(s) for s in sources if s != FEED]
    if not variables:
        return "a fed value" if FEED in sources else "a constant"
    text = "from " + ", ".join(variables)
    return text + " and a fed value" if FEED in sources else text


def _at(event: Event) -> str:
    where = f"at {printable(event.location)}" if event.location else f"in run {event.run}"
    if event.process is not None:  # a merged trace: which process did it
        where += f" by {event.process.label}"
    return where


def _last_restore(events: list[Event]) -> Event | None:
    """The restore whose value a later origin overwrote, if one came after the last
    initializer or assign before that origin (a restore followed by an initializer is the
    clobber bug; an initializer followed by a restore is the right order)."""
    for event in reversed(events):
        if event.kind == "restore":
            return event
        if event.is_origin:
            return None
    return None


def _discarded(events: list[Event]) -> str:
    """What a re-run initializer threw away: the updates and assigns since the previous
    origin ("" when nothing, e.g. an initializer simply run twice)."""
    updates, assigns = 0, 0
    for event in reversed(events):
        if event.kind == "update":
            updates += event.count
        elif event.kind == "assign":
            assigns += 1
            break
        else:
            break
    parts = []
    if assigns:
        parts.append("an assigned value")
    if updates:
        parts.append(f"{updates} update{'s' if updates != 1 else ''}")
    return " and ".join(parts)


def _by_whom(events: list[Event]) -> str:
    """`` by worker:0``: in a merged trace, the processes whose writes since the previous
    origin were discarded."""
    since = []
    for event in reversed(events):
        if event.is_origin and event.kind != "assign":
            break
        since.append(event)
    labels = sorted({e.process.label for e in since if e.process is not None})
    return f" by {', '.join(labels)}" if labels else ""


def _updates_phrase(updates: int) -> str:
    if not updates:
        return ""
    return f", then {updates} training update{'s' if updates != 1 else ''}"


def _non_finite_phrase(last: Event) -> str:
    value = last.value
    if value is None or value.finite:
        return ""
    bad = [f"{n} {what}" for n, what in ((value.nan, "NaN"), (value.inf, "Inf")) if n]
    return f"; its last recorded value has {' and '.join(bad)}"


def _failed_phrase(explanation: Explanation) -> str:
    """The last run that failed trying to write the variable after its origin: the write
    the program meant (often the restore it believes happened)."""
    since = explanation.origin.run or 0
    later = [run for run in explanation.failed if run.run > since]
    if not later:
        return ""
    run = later[-1]
    return (f"; the {_attempted_kind(run, explanation.variable)} {_run_at(run)} failed "
            f"({printable(run.error.type)})")


def _attempted_kind(run: RunRecord, variable: str) -> str:
    return next(w.kind for w in run.writes if w.variable == variable)


def _run_at(run: RunRecord) -> str:
    return f"at {printable(run.location)}" if run.location else f"in run {run.run}"


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
    runs = str(first) if first == last else f"{first}-{last}"
    return f"{event.process.label} s{session} r{runs}"


def _timeline_row(event: Event) -> tuple[str, ...]:
    where = ""
    if event.checkpoint is not None or event.key is not None:
        where = f"{printable(event.checkpoint)} key {printable(event.key)}"
    elif event.sources:
        where = "from " + ", ".join(printable(s) for s in event.sources)
    return (event.kind, event.runs, str(event.count), printable(event.location or "-"),
            where, format_summary(event.value))
