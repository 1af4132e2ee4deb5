"""Text and JSON output of ``tftrace explain``.

The text form is what a person reads first: one verdict line saying where the value came
from (and what went wrong with it, such as a restore clobbered by the initializer), then
the variable's timeline. Every string from the trace goes through
:func:`~tftrace.model.display.printable`, so a hand-edited trace cannot move the cursor or
recolour the terminal.
"""
from __future__ import annotations

import json

from tftrace.model import Event, Explanation
from tftrace.model.display import format_shape, format_summary, printable
from tftrace.model.events import FEED
from tftrace.tracefile import RunRecord, VariableRecord

TIMELINE_COLUMNS = ("kind", "run", "count", "location", "source", "value")


def explain_json(explanation: Explanation) -> str:
    """``tftrace explain --format json``: the PRODUCT §5 shape, indented.

    ``ensure_ascii`` (the default) keeps control characters escaped in the output too.
    """
    return json.dumps(explanation.to_json(), indent=2)


def explain_text(explanation: Explanation) -> str:
    """``tftrace explain``: the verdict, the declaration, then the timeline table."""
    record = explanation.record
    declared = f"{printable(record.dtype) or 'unknown dtype'} {format_shape(record.shape)}"
    if record.location:
        declared += f", created at {printable(record.location)}"
    lines = [verdict(explanation), "",
             f"  declared: {declared}",
             f"  session:  {explanation.session}", ""]
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
    if origin is None:
        return _never_initialized(explanation.session, events) + _failed_phrase(explanation)
    # By identity: summaries holding NaN never compare equal, not even to themselves.
    earlier = events[:next(i for i, e in enumerate(events) if e is origin)]
    clobbered = _last_restore(earlier) if origin.kind != "restore" else None
    if clobbered is not None:
        story = f"{_restored(clobbered)}, then overwritten by {_overwrite(origin)}"
    elif origin.kind == "initializer" and _discarded(earlier):
        story = f"reset by its initializer {_at(origin)}, discarding {_discarded(earlier)}"
    else:
        story = _origin_phrase(origin, explanation.record)
    story += _updates_phrase(explanation.updates_since_origin)
    return story + _non_finite_phrase(events[-1]) + _failed_phrase(explanation)


def _never_initialized(session: int, events: list[Event]) -> str:
    text = f"never initialized in session {session}"
    if events:  # only updates: a hand-edited trace, or a recorder that missed the origin
        runs = sum(e.count for e in events)
        text += f" ({runs} update run{'s' if runs != 1 else ''} recorded without an origin)"
    return text


def _origin_phrase(event: Event, record: VariableRecord | None = None) -> str:
    if event.kind == "restore":
        wired = _wired_at(event, record)
        if wired:  # init_from_checkpoint: both the wiring and the run that loaded it
            return (f"restored from {printable(event.checkpoint)} key {printable(event.key)}"
                    f" by its initializer {_at(event)}, wired by "
                    f"tf.train.init_from_checkpoint at {printable(wired)}")
        return _restored(event)
    if event.kind == "initializer" and FEED in event.sources:
        return f"initialized by its initializer {_at(event)}, with a fed initial value"
    if event.kind == "assign":
        return f"assigned {_assigned_what(event.sources)} {_at(event)}"
    if event.checkpoint is not None:  # init_from_checkpoint, recorded as an initializer
        return (f"initialized from {printable(event.checkpoint)} key {printable(event.key)} "
                f"by its initializer {_at(event)}")
    return f"initialized by its initializer {_at(event)}"


def _wired_at(event: Event, record: VariableRecord | None) -> str | None:
    """Where init_from_checkpoint rewired the initializer that did this restore."""
    init = record.initializer if record is not None else None
    if init is None or init.location is None or event.op != init.op:
        return None
    return init.location


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
    return f"at {printable(event.location)}" if event.location else f"in run {event.run}"


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
    """The events as aligned text rows under a header row."""
    rows = [TIMELINE_COLUMNS] + [_timeline_row(e) for e in events]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TIMELINE_COLUMNS) - 1)]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
            for row in rows]


def _timeline_row(event: Event) -> tuple[str, ...]:
    where = ""
    if event.checkpoint is not None or event.key is not None:
        where = f"{printable(event.checkpoint)} key {printable(event.key)}"
    elif event.sources:
        where = "from " + ", ".join(printable(s) for s in event.sources)
    return (event.kind, event.runs, str(event.count), printable(event.location or "-"),
            where, format_summary(event.value))
