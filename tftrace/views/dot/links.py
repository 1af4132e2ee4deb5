"""Stage 3 of a diagram — the links, and the run boxes they leave from.

:func:`link_session` takes one session's :class:`~tftrace.views.dot.collapse.Group` s
(with the ids their boxes get, see :mod:`.boxes`) and gives a :class:`SessionLinks`: the
run boxes (initializer, assign, update streak, failed run, probe), every link — which
write is the current origin, what it overwrote or discarded, the failures, saves and
value sources — and the checkpoint rows the links use
(:class:`~tftrace.views.dot.checkpoints.KeyUse`, made into tables by :mod:`.checkpoints`).
Pure: it reads the facts and returns new values.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from tftrace.findings import plural
from tftrace.model import Trace
from tftrace.model.diagnostics import Diagnostic
from tftrace.model.events import FEED, Event, run_span
from tftrace.views.dot.checkpoints import KeyUse, checkpoint_node, row_port
from tftrace.views.dot.collapse import Group
from tftrace.views.dot.parts import (
    CURRENT,
    DISCARDED,
    EARLIER,
    FAILED,
    FAILURES_DRAWN,
    FROM,
    KEPT,
    OVERWRITTEN,
    PROBE,
    SAVED,
    WRITES_DRAWN,
    Link,
    RunBox,
)
from tftrace.views.dot.select import Facts, Failure, Selection

__all__ = ["LinkContext", "SessionLinks", "event_label", "link_context", "link_session"]

RunKey = tuple[int, str, int, int]


@dataclass(frozen=True)
class LinkContext:
    """What links need to know beyond one variable's facts."""

    norm: Callable[[str | None], str | None]
    # session → the checkpoints its drawn variables restore from (a save to one of them
    # would make a cycle)
    restored_from: dict[int, frozenset[str]]
    # checkpoint → (session, run) of every restore from it, done or failed
    read_back: dict[str, tuple[tuple[int, int], ...]]

    def restored_after(self, path: str, session: int, run: int) -> bool:
        """Whether some run of the trace restores (or tries to) from ``path`` after the
        save in ``run`` of ``session``."""
        return any(when > (session, run) for when in self.read_back.get(path, ()))


def link_context(trace: Trace, selection: Selection,
                 norm: Callable[[str | None], str | None]) -> LinkContext:
    """The :class:`LinkContext` of ``selection``: the restores are the whole trace's (a
    save is drawn when any later run reads it back, drawn or not)."""
    restored_from = {
        part.number: frozenset(norm(e.checkpoint) for f in part.facts for e in f.events
                               if e.checkpoint is not None)
        for part in selection.sessions}
    return LinkContext(norm, restored_from, trace.checkpoint_reads())


@dataclass(frozen=True)
class SessionLinks:
    """One session's run boxes (in run order) and links, the checkpoint rows they use,
    and the saves left out, as (run, path)."""

    runs: tuple[RunBox, ...]
    links: tuple[Link, ...]
    uses: tuple[KeyUse, ...]
    hidden_saves: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class _Edge:
    """A link as a group's writes give it: leaving a run box (``run``: its key and the
    box, whose id is given once the session's run boxes are known), or a checkpoint row
    (``use``)."""

    link: Link
    run: tuple[RunKey, RunBox] | None = None
    use: KeyUse | None = None


def link_session(session: int, groups: Sequence[Group], box_ids: Sequence[str],
                 context: LinkContext, first_run_id: int = 1) -> SessionLinks:
    """The links of ``groups`` (boxes ``box_ids``); run boxes are numbered from
    ``first_run_id`` in the order links first reach them."""
    unit = {f.name: box for group, box in zip(groups, box_ids) for f in group.members}
    edges: list[_Edge] = []
    hidden: set[tuple[int, str]] = set()
    drawn: set[tuple[int, str]] = set()
    for group, box in zip(groups, box_ids):
        if group.summary:
            edges += _summary_edges(session, box, group.members, context)
        else:
            edges += _variable_edges(session, box, group.members, unit, context)
            saves, left_out, kept = _save_edges(session, box, group.members, context)
            edges += saves
            hidden |= left_out
            drawn |= kept
    runs: dict[RunKey, RunBox] = {}
    links, uses = [], []
    for edge in edges:
        link = edge.link
        if edge.run is not None:
            key, template = edge.run
            if key not in runs:
                runs[key] = replace(template, id=f"r{first_run_id + len(runs)}")
            link = replace(link, source=runs[key].id)
        links.append(link)
        if edge.use is not None:
            uses.append(edge.use)
    return SessionLinks(runs=tuple(runs[k] for k in sorted(runs)), links=tuple(links),
                        uses=tuple(uses), hidden_saves=tuple(sorted(hidden - drawn)))


def _from_run(event: Event, session: int, link: Link) -> _Edge:
    """``link`` leaving the run box of ``event`` (an initializer, assign, update)."""
    process = local = None
    if event.process is not None:
        process = event.process.label
        if event.local is not None:
            first, last = event.local[1:]
            local = f"r{run_span(first, last)}"
    box = RunBox(id="", session=session, kind=event.kind, run=event.run,
                 last_run=event.last_run, count=event.count, location=event.location,
                 fed=FEED in event.sources, process=process, local=local)
    return _Edge(link, run=((event.run, event.kind, event.last_run, event.count), box))


def _summary_edges(session: int, box: str, members: Sequence[Facts],
                   context: LinkContext) -> list[_Edge]:
    """A scope summary's links: one per source of its members' current origins (a
    checkpoint, or the runs of one kind), labelled with how many variables."""
    from_checkpoint: dict[tuple[str, str], list[tuple[Facts, int]]] = defaultdict(list)
    from_runs: dict[tuple[str, bool], list[Event]] = defaultdict(list)
    for m in members:
        found = m.history.origin_position()
        if found is None:
            continue
        event = m.events[found]
        if event.checkpoint is not None:
            from_checkpoint[(context.norm(event.checkpoint), event.kind)].append((m, found))
        else:
            from_runs[(event.kind, FEED in event.sources)].append(event)
    out = []
    for (path, kind), used in sorted(from_checkpoint.items()):
        events = [m.events[i] for m, i in used]
        use = KeyUse(events[0].checkpoint, tuple(e.key for e in events),
                     next((m.event_marks[i] for m, i in used if m.event_marks[i]), None),
                     restore=(session, min(e.run for e in events)))
        out.append(_Edge(Link(checkpoint_node(path), box, kind, CURRENT,
                              f"{kind} · {plural(len(used), 'variable')}",
                              source_port=row_port(use), session=session), use=use))
    for (kind, fed), events in sorted(from_runs.items()):
        link = Link("", box, kind, CURRENT, f"{kind} · {plural(len(events), 'variable')}",
                    session=session)
        distinct = sorted({e.run for e in events})
        if len(distinct) == 1:
            out.append(_from_run(events[0], session, link))
            continue
        runs = RunBox(id="", session=session, kind=kind, run=distinct[0],
                      last_run=distinct[-1], count=1,
                      location=_common([e.location for e in events]), fed=fed,
                      distinct=len(distinct))
        out.append(_Edge(link, run=((distinct[0], kind + "*", distinct[-1], len(distinct)),
                                    runs)))
    return out


def _variable_edges(session: int, box: str, members: Sequence[Facts], unit: dict[str, str],
                    context: LinkContext) -> list[_Edge]:
    """The writes of a variable (or of a group sharing its history), its value sources
    and its failed attempts."""
    first = members[0]
    events = first.events
    found = first.history.origin_position()
    next_origin = first.history.replaced_at()
    drawn = _drawn_events(events)
    out = []
    if len(drawn) > WRITES_DRAWN:
        # A long history (an assign from a feed every run): the last writes are drawn,
        # the earlier ones are one box. The tooltip still lists every write.
        earlier, drawn = drawn[:-(WRITES_DRAWN - 1)], drawn[-(WRITES_DRAWN - 1):]
        start, end = earlier[0][1].run, earlier[-1][1].last_run
        runs = RunBox(id="", session=session, kind=EARLIER, run=start, last_run=end,
                      count=1, location=None, distinct=len(earlier))
        out.append(_Edge(Link("", box, EARLIER, OVERWRITTEN,
                              f"{plural(len(earlier), 'earlier write')} · runs "
                              f"{start}-{end} — overwritten", session=session),
                         run=((start, EARLIER, end, len(earlier)), runs)))
    for i, event in drawn:
        if found is None or i > found:
            status = KEPT
        elif i == found:
            status = CURRENT
        else:
            status = OVERWRITTEN if event.is_origin else DISCARDED
        if status == OVERWRITTEN and event.kind == "initializer" and not event.checkpoint:
            # Every restore and every resumed run starts with an initializer that is
            # then overwritten: drawn, those would bury the paths that matter. The
            # tooltip's timeline still lists them.
            continue
        label = event_label(event)
        if status in (OVERWRITTEN, DISCARDED) and next_origin[i] is not None:
            label += f" — {status} at run {next_origin[i]}"
        if event.checkpoint is not None:
            use = KeyUse(event.checkpoint, tuple(m.events[i].key for m in members),
                         first.event_marks[i], restore=(session, event.run))
            out.append(_Edge(Link(checkpoint_node(context.norm(event.checkpoint)), box,
                                  event.kind, status, label, source_port=row_port(use),
                                  session=session), use=use))
        else:
            out.append(_from_run(event, session,
                                 Link("", box, event.kind, status, label, session=session)))
        for name in dict.fromkeys(event.sources):
            if name in unit and event.kind == "assign":
                out.append(_Edge(Link(unit[name], box, "value", FROM, session=session)))
    if any(e.kind == "initializer" for e in events):
        for name in first.initial_sources:
            if name in unit:
                out.append(_Edge(Link(unit[name], box, "value", FROM, session=session)))
    for j, failure in enumerate(first.failures):
        if j >= len(first.failures) - FAILURES_DRAWN:  # the tooltip lists them all
            out.append(_failure_edge(session, box, members, j, failure, context))
    return out


def _failure_edge(session: int, box: str, members: Sequence[Facts], j: int,
                  failure: Failure, context: LinkContext) -> _Edge:
    run, error = failure.run, failure.run.error.type
    probe = failure.kind == "read" and _probed(members[0].problems)
    if probe:
        label = f"probe: read uninitialized · run {run.run} ({error} caught)"
    elif failure.kind == "read":
        label = f"read uninitialized · run {run.run} ({error})"
    else:
        label = f"{failure.kind} failed · run {run.run} ({error})"
    if failure.checkpoint is not None:
        use = KeyUse(failure.checkpoint, tuple(m.failures[j].key for m in members),
                     members[0].failure_marks[j], restore=(session, run.run))
        node = checkpoint_node(context.norm(failure.checkpoint))
        return _Edge(Link(node, box, failure.kind, FAILED, label, source_port=row_port(use),
                          session=session), use=use)
    kind = "probe" if probe else "failed"
    runs = RunBox(id="", session=session, kind=kind, run=run.run, last_run=run.run,
                  count=1, location=run.location, error=error)
    return _Edge(Link("", box, failure.kind, PROBE if probe else FAILED, label,
                      session=session), run=((run.run, kind, run.run, 1), runs))


def _save_edges(session: int, box: str, members: Sequence[Facts], context: LinkContext
                ) -> tuple[list[_Edge], set[tuple[int, str]], set[tuple[int, str]]]:
    """The saves' links, and the saves left out and drawn, as (run, path). Periodic
    checkpoints would bury the picture in save edges: drawn are each variable's last
    save, the saves some restore reads back, and saves of NaN/Inf values."""
    first = members[0]
    out, hidden, drawn = [], set(), set()
    for j, (run, path, _) in enumerate(first.saves):
        if (j < len(first.saves) - 1 and first.save_marks[j] is None
                and not context.restored_after(path, session, run)):
            hidden.add((run, path))
            continue
        drawn.add((run, path))
        use = KeyUse(path, tuple(m.saves[j][2] for m in members), first.save_marks[j])
        # A session that restores from the file it saves to would make a cycle: such
        # saves are drawn without pulling the checkpoint to the right.
        out.append(_Edge(Link(box, checkpoint_node(path), "save", SAVED, f"save · run {run}",
                              target_port=row_port(use),
                              constraint=path not in context.restored_from[session],
                              session=session), use=use))
    return out, hidden, drawn


# --- small helpers --------------------------------------------------------------------------

def _common(locations: list[str | None]) -> str | None:
    """The one call site all ``locations`` share, or None."""
    unique = set(locations)
    return unique.pop() if len(unique) == 1 else None


def _probed(problems: tuple[Diagnostic, ...]) -> bool:
    """True when the variable's uninitialized reads are the probe pattern: only info
    findings of ``uninitialized-read`` name it (a probe is not a bug, PRODUCT §1.2)."""
    reads = [d for d in problems if d.rule == "uninitialized-read"]
    return bool(reads) and all(d.severity == "info" for d in reads)


def _drawn_events(events: Sequence[Event]) -> list[tuple[int, Event]]:
    """The events to draw, with their positions: consecutive update streaks (split by
    saves or read-only runs) become one edge, ``update ×10 · runs 9-28``."""
    out: list[tuple[int, Event]] = []
    for i, event in enumerate(events):
        if out and event.kind == "update" and out[-1][1].kind == "update" \
                and event.process == out[-1][1].process:  # merged: one edge per process
            _, last = out[-1]
            out[-1] = (i, replace(last, last_run=event.last_run, count=last.count + event.count))
        else:
            out.append((i, event))
    return out


def event_label(event: Event) -> str:
    if event.kind == "update":
        count = f" ×{event.count}" if event.count != 1 else ""
        runs = f"runs {event.runs}" if event.last_run != event.run else f"run {event.run}"
        return f"update{count} · {runs}"
    if event.kind == "initializer" and event.checkpoint is not None:
        return f"initializer (from checkpoint) · run {event.run}"
    return f"{event.kind} · run {event.run}"
