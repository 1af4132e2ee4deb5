"""Rules about the processes of a cluster (bug 9 of PRODUCT §1).

In a merged trace (:mod:`tftrace.model.merge`) a parameter server's variable is one
variable whose events come from every process, so the classic order bugs show across
processes:

- ``initializer-reset`` (warning) and ``restore-overwritten`` (error) when the initializer
  ran in another process than the writes it destroyed — a non-chief worker running
  ``global_variables_initializer()`` against the ps. The finding names both processes,
  the run, the updates lost, and what a save taken afterwards really holds. (The
  single-process versions in :mod:`.initialization` and :mod:`.restore_order` leave these
  cases to this module: :func:`crosses_processes`.)
- ``external-write`` (warning): within one process's own runs of a remote session, a
  value moved in a way none of them explains — an integer counter that went back, a
  value that returned to an earlier one after updates. Another process wrote it; worker
  0's own trace holds the evidence of worker 1's initializer.
- ``traces-not-joined`` (warning): traces merged together that share nothing, shown apart.
- ``process-missing`` (warning; info for ps tasks, which run no sessions of their own): a
  task of the cluster spec with no trace in the merge.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from tftrace.findings import names, plural
from tftrace.model.display import printable
from tftrace.model.diagnostics.base import Diagnostic, Site, rule
from tftrace.model.diagnostics.common import is_local
from tftrace.model.events import Event

if TYPE_CHECKING:
    from tftrace.model.trace import Trace

ONLY_THE_CHIEF = ("Only the chief may initialize or restore: give non-chief workers "
                  "MonitoredTrainingSession(master=server.target, is_chief=False) or "
                  "tf.compat.v1.train.SessionManager().wait_for_session(server.target), "
                  "never global_variables_initializer().")


def crosses_processes(destroyed: Iterable[Event], by: Event) -> bool:
    """True when ``by`` (an initializer) ran in another process than one of the writes it
    destroyed: this module's finding, not the single-process rule's."""
    return by.process is not None and any(
        e.process is not None and e.process != by.process and e.kind != "initializer"
        for e in destroyed)


def _local_run(event: Event) -> int:
    """The run number in the process's own trace: where the user looks next."""
    return event.local[1] if event.local else event.run


def _ordinal(event: Event) -> str:
    """``its run 1, run 3 of the merged session``."""
    return f"its run {_local_run(event)}, run {event.run} of the merged session"


def _labels(events: Iterable[Event]) -> str:
    return names(sorted({e.process.label for e in events if e.process is not None}))


@rule("cross-process-reset")
def cross_process_reset(trace: Trace) -> Iterator[Diagnostic]:
    """The initializer of one process destroying another process's restore or training.

    Registered under its own key so it runs once, but its findings carry the stable
    slugs ``restore-overwritten`` and ``initializer-reset`` (PRODUCT §5)."""
    if not trace.processes:
        return
    # (session, initializer run) -> [(variable, destroyed events, initializer)]
    clobbered: dict[tuple[int, int], list[tuple[str, list[Event], Event]]] = defaultdict(list)
    resets: dict[tuple[int, int], list[tuple[str, list[Event], Event]]] = defaultdict(list)
    for history in trace.histories():
        session, name = history.session, history.variable
        record = trace.variables_of(session).get(name)
        if record is not None and is_local(record):
            continue
        for o in history.overwrites("initializer"):
            origin, event = o.previous, o.by
            if origin is None:
                continue
            destroyed = [origin, *o.updates]
            if crosses_processes(destroyed, event):
                if origin.kind == "restore":
                    clobbered[(session, event.run)].append((name, destroyed, event))
                elif o.updates or origin.kind == "assign":
                    resets[(session, event.run)].append((name, destroyed, event))
    for (session, run), items in sorted(clobbered.items()):
        yield _finding(trace, "restore-overwritten", "error", session, run, items)
    for (session, run), items in sorted(resets.items()):
        yield _finding(trace, "initializer-reset", "warning", session, run, items)


def _finding(trace: Trace, slug: str, severity: str, session: int, run: int,
             items: list[tuple[str, list[Event], Event]]) -> Diagnostic:
    init = items[0][2]
    variables = tuple(sorted(name for name, _, _ in items))
    victims = [e for _, destroyed, _ in items for e in destroyed]
    others = [e for e in victims if e.process != init.process and e.kind != "initializer"]
    lost = {name: sum(e.count for e in destroyed if e.kind == "update")
            for name, destroyed, _ in items}
    then = "then " if slug == "restore-overwritten" else ""
    detail = ", ".join(f"{n} ({then}{plural(lost[n], 'update')})" if lost[n] else n
                       for n in variables[:8])
    if len(variables) > 8:
        detail += f" and {len(variables) - 8} more"
    if slug == "restore-overwritten":
        # Restored by another process (or by the initializing one, then trained by others).
        restores = [e for e in others if e.kind == "restore"] or [
            e for e in victims if e.kind == "restore"]
        restores = sorted({id(e): e for e in restores}.values(), key=lambda e: e.run)
        checkpoints = sorted({e.checkpoint for e in restores if e.checkpoint})
        what = (f"overwrote {plural(len(variables), 'variable')} that "
                f"{_labels(restores)} had restored from {names(checkpoints) or 'a checkpoint'}"
                f" at {restores[0].location} (its run {_local_run(restores[0])})")
    else:
        how = "trained" if all(e.kind == "update" for e in others) else "trained or assigned"
        what = (f"reset {plural(len(variables), 'variable')} that {_labels(others)} had "
                f"{how}")
    message = (f"{init.process.label} ran the initializer at {init.location} "
               f"({_ordinal(init)}) and {what}: {detail}; "
               f"they hold fresh initial values since{_save_after(trace, session, run, variables)}")
    sites = tuple(Site("restored" if e.kind == "restore" else "trained", e.location,
                       session, e.run) for e in _firsts(others)) + (
        Site("initializer", init.location, session, run),)
    return Diagnostic(rule=slug, severity=severity, variables=variables, message=message,
                      hint=ONLY_THE_CHIEF, session=session, run=run, location=init.location,
                      sites=sites)


def _firsts(events: list[Event]) -> list[Event]:
    """One event per process and kind, the earliest."""
    seen: dict[tuple[Any, str], Event] = {}
    for event in sorted(events, key=lambda e: e.run):
        seen.setdefault((event.process, event.kind), event)
    return list(seen.values())


def _save_after(trace: Trace, session: int, run: int, variables: tuple[str, ...]) -> str:
    """What the first later save of these variables really holds."""
    for save in trace.saves:
        if save.session != session or save.run <= run:
            continue
        saved = sorted(set(save.keys.values()) & set(variables))
        if not saved:
            continue
        history = trace.history_of(saved[0], session)
        origin = history.origin(save.run)
        if origin is None or origin.run != run:
            return ""  # something gave it a new value again before the save
        updates = history.updates_since_origin(save.run)
        by = ""
        place = trace.process_of(session, save.run)
        if place is not None:
            by = f" by {place[0].label} (its run {place[2]})"
        return (f"; the save to {save.path} at {save.location}{by} afterwards holds these "
                f"reset values with {plural(updates, 'update')} since the reset, not the "
                "training before it")
    return ""


@rule("external-write")
def external_write(trace: Trace) -> Iterator[Diagnostic]:
    found: dict[tuple[int, int], list[tuple[str, str, Any]]] = defaultdict(list)
    remote = {s.number for s in trace.sessions if s.remote}
    for history in trace.histories():
        session, name = history.session, history.variable
        if session not in remote:
            continue  # a local session's variables are its own
        origins = [e.run for e in history.events if e.is_origin]
        by_process: dict[Any, list[tuple[int, Any]]] = defaultdict(list)
        for run, value in history.values:
            place = trace.process_of(session, run)
            by_process[None if place is None else place[0]].append((run, value))
        for process, timeline in by_process.items():
            hit = _unexplained(timeline, origins)
            if hit is not None:
                found[(session, hit[0])].append((name, f"{name} {hit[1]}", process))
    for (session, run), items in sorted(found.items()):
        variables = tuple(sorted(n for n, _, _ in items))
        process = items[0][2]
        mine = f"{process.label}'s" if process is not None else "this process's"
        location = trace.location_of_run(session, run)
        message = (f"{'; '.join(what for _, what, _ in sorted(items))} — between "
                   f"{mine} own runs, which only updated "
                   f"{'it' if len(variables) == 1 else 'them'}: another process wrote "
                   f"{'it' if len(variables) == 1 else 'them'} (in a cluster: a worker that "
                   "ran the initializer or a restore)")
        yield Diagnostic(rule="external-write", severity="warning", variables=variables,
                         message=message,
                         hint="Merge the traces of every process to see who "
                              "(tftrace merge -o all.json traces/; tftrace check all.json). "
                              + ONLY_THE_CHIEF,
                         session=session, run=run, location=location,
                         sites=(Site("value moved", location, session, run),))


def _unexplained(timeline: list[tuple[int, Any]], origins: list[int],
                 ) -> tuple[int, str] | None:
    """The first move of a value that no origin between two observations explains: an
    integer counter moving against the direction its updates took it so far
    (``global_step`` going back; a countdown going up), or a value returning to one it
    held before."""
    earlier: dict[str, int] = {}  # digests seen since the last origin -> run
    previous, direction = None, 0
    for run, value in timeline:
        if previous is not None and _origin_between(origins, previous[0], run):
            earlier, previous, direction = {}, None, 0  # some process's write explains it
        if previous is not None:
            before_run, before = previous
            if _integer(before) and _integer(value) and value.values != before.values:
                step = 1 if value.values > before.values else -1
                if direction and step != direction:
                    verb = "went back" if step < 0 else "went up again"
                    return run, (f"{verb} from {before.values} (run {before_run}) to "
                                 f"{value.values} (run {run})")
                direction = step
            back = earlier.get(value.digest)
            if back is not None and value.digest != before.digest:
                return run, (f"returned at run {run} to the value it "
                             f"held at run {back}, after updates")
        earlier.setdefault(value.digest, run)
        previous = (run, value)
    return None


def _origin_between(origins: list[int], after: int, upto: int) -> bool:
    """Whether some origin run lies in ``(after, upto]`` (``origins`` sorted)."""
    i = bisect.bisect_right(origins, after)
    return i < len(origins) and origins[i] <= upto


def _integer(value: Any) -> bool:
    return (value.has_values and type(value.values) is int
            and value.dtype.startswith(("int", "uint")))


@rule("non-chief-initializer")
def non_chief_initializer(trace: Trace) -> Iterator[Diagnostic]:
    """One worker's own trace: it ran the initializer on the cluster's servers although it
    is not the chief — the race behind the wipe, visible even without the others' traces.
    (In a merged trace the damage, if any, is initializer-reset/restore-overwritten.)"""
    from tftrace.model.merge import is_chief

    process = trace.process_record
    if trace.processes or process is None or process.job is None:
        return
    if is_chief(process.job, process.task, process.is_chief, process.cluster) is not False:
        return
    label = printable(f"{process.job}:{process.task}")
    for session in sorted(trace.sessions, key=lambda s: s.number):
        number = session.number
        if not session.remote:
            continue
        variables = trace.variables_of(number)
        runs = sorted({e.run for h in trace.histories(number)
                       if not is_local(variables.get(h.variable))
                       for e in h.of_kind("initializer")})
        if not runs:
            continue
        run = runs[0]
        written = sorted({e.variable for e in trace.events_of_run(number, run)
                          if e.kind == "initializer"})
        location = trace.location_of_run(number, run)
        message = (f"{label}, not the chief, ran the initializer at {location} (run {run}) "
                   f"on the cluster's servers ({session.target or 'a remote target'}): "
                   f"{plural(len(written), 'variable')} ({names(written)}) live on the ps "
                   "and outlive this session, so whatever the chief restored or the other "
                   "workers trained is reset for every worker")
        yield Diagnostic(rule="non-chief-initializer", severity="warning",
                         variables=tuple(written), message=message, hint=ONLY_THE_CHIEF,
                         session=number, run=run, location=location,
                         sites=(Site("initializer", location, number, run),))


@rule("traces-not-joined")
def traces_not_joined(trace: Trace) -> Iterator[Diagnostic]:
    for note in trace.merge_notes:
        if note.kind != "not-joined":
            continue
        involved = tuple(p.to_json() for p in note.processes)
        yield Diagnostic(rule="traces-not-joined", severity="warning", variables=(),
                         message=note.message,
                         hint="Merge the traces of one job's processes (same cluster); "
                              "traces of separate runs link through their checkpoints.",
                         session=0, process=involved[0] if involved else None,
                         processes=involved)


@rule("process-missing")
def process_missing(trace: Trace) -> Iterator[Diagnostic]:
    for note in trace.merge_notes:
        if note.kind != "missing":
            continue
        ps = note.job == "ps"
        yield Diagnostic(rule="process-missing", severity="info" if ps else "warning",
                         variables=(), message=note.message + (
                             " (a ps task runs no sessions of its own: usually harmless)"
                             if ps else ""),
                         hint="Trace every task with the same launch line: tftrace run -o "
                              "'traces/{job}{task}.json' SCRIPT ...",
                         session=0, processes=())
