"""Rules about the order of restores and initializers (bugs 1 and 2 of PRODUCT §1).

- ``restore-overwritten`` (error): a restored value replaced by the initializer.
- ``restored-partially`` (info): a restore covered only some of the graph's variables.
- ``restore-discards-updates`` (info): a restore replaced training updates never saved.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterator

from tftrace.findings import names, plural, variables_initializer_code
from tftrace.model.diagnostics.base import Diagnostic, Site, rule
from tftrace.model.diagnostics.cluster import crosses_processes
from tftrace.model.diagnostics.common import is_global, is_optimizer_state
from tftrace.model.events import Event

if TYPE_CHECKING:
    from tftrace.model.trace import Trace


@rule("restore-overwritten")
def restore_overwritten(trace: Trace) -> Iterator[Diagnostic]:
    # (session, initializer run) -> [(variable, restore event, initializer event)]
    clobbered: dict[tuple[int, int], list[tuple[str, Event, Event]]] = defaultdict(list)
    for history in trace.histories():
        for c in history.clobbered():
            if not crosses_processes([c.restore], c.initializer):  # else: cluster.py's
                clobbered[(history.session, c.initializer.run)].append(
                    (history.variable, c.restore, c.initializer))
    for (session, run), items in sorted(clobbered.items()):
        init_event = items[0][2]
        restores = sorted({(r.run, r.location, r.checkpoint) for _, r, _ in items},
                          key=lambda t: t[0])
        variables = tuple(sorted(name for name, _, _ in items))
        checkpoints = sorted({c for _, _, c in restores if c})
        restored_where = ", ".join(f"{loc} (run {r})" for r, loc, _ in restores if loc)
        message = (
            f"{plural(len(variables), 'restored variable')} overwritten by the initializer at "
            f"{init_event.location} (run {run}): {names(variables)} "
            f"{'was' if len(variables) == 1 else 'were'} restored from "
            f"{names(checkpoints) or 'a checkpoint'}"
            f"{' at ' + restored_where if restored_where else ''} and now "
            f"{'holds' if len(variables) == 1 else 'hold'} fresh initial values instead")
        new_vars = _not_restored(trace, session, set(variables))
        hint = ("Run the initializer before restoring: sess.run(init) first, then "
                "saver.restore(sess, path).")
        if new_vars:
            hint += (" Or initialize only the variables the checkpoint does not have: "
                     + variables_initializer_code(new_vars))
        sites = tuple(Site("restored", loc, session, r) for r, loc, _ in restores) + (
            Site("initializer", init_event.location, session, run),)
        yield Diagnostic(rule="restore-overwritten", severity="error", variables=variables,
                         message=message, hint=hint, session=session, run=run,
                         location=init_event.location, sites=sites)


def _not_restored(trace: Trace, session: int, restored: set[str]) -> list[str]:
    """Global variables of the session's graph never restored in it: the 'new' ones."""
    return [name for name, record in trace.variables_of(session).items()
            if name not in restored and is_global(record)
            and not trace.history_of(name, session).of_kind("restore")]


@rule("restored-partially")
def restored_partially(trace: Trace) -> Iterator[Diagnostic]:
    unused_keys = _unused_keys(trace)
    for session, run, events in trace.restores():
        restored = {e.variable for e in events}
        variables = trace.variables_while_open(session)
        graph_vars = [n for n, r in variables.items() if is_global(r)]
        others = [n for n in graph_vars if n not in restored]  # in creation order
        if not others:
            continue
        checkpoints = sorted({e.checkpoint for e in events if e.checkpoint})
        slots = [n for n in others if is_optimizer_state(n)]
        model = [n for n in others if not is_optimizer_state(n)]
        location = events[0].location
        wired = _wired_sites(variables, events)
        what = (f"the restore wired by tf.train.init_from_checkpoint at {names(wired, 2)} "
                f"and run by the initializer at {location}" if wired else
                f"the restore at {location}")
        message = (f"{what} (run {run}) loaded {len(restored)} of "
                   f"{len(graph_vars)} variables from {names(checkpoints) or 'a checkpoint'}"
                   f"; not restored (missing keys): {_not_restored_text(model, slots)}")
        unused = unused_keys.get((session, run))
        if unused:
            message += (f"; checkpoint keys no variable used (unexpected keys): "
                        f"{_grouped_keys(unused)}")
        hint = ("Fine when intended (a new head on a pretrained encoder): give the others "
                "values with tf.compat.v1.variables_initializer(...) — never with the global "
                "initializer after the restore.")
        if slots:
            hint += f" Note: {plural(len(slots), 'optimizer slot')} start fresh."
        sites = tuple(Site("wired by tf.train.init_from_checkpoint", loc) for loc in wired) \
            + (Site("restored", location, session, run),)
        yield Diagnostic(rule="restored-partially", severity="info",
                         variables=tuple(sorted(restored)), message=message, hint=hint,
                         session=session, run=run, location=location, sites=sites)


def _wired_sites(variables: dict[str, Any], events: list[Event]) -> list[str]:
    """Where init_from_checkpoint wired the initializers that did these restores."""
    found = set()
    for e in events:
        init = variables[e.variable].initializer if e.variable in variables else None
        if init is not None and init.location and e.op == init.op:
            found.add(init.location)
    return sorted(found)


def _not_restored_text(model: list[str], slots: list[str]) -> str:
    """Model variables by name first (the news), optimizer state only counted."""
    parts = []
    if model:
        parts.append(f"{plural(len(model), 'model variable')} ({names(model)})")
    if slots:
        parts.append(plural(len(slots), "optimizer slot"))
    one = len(model) + len(slots) == 1
    return " and ".join(parts) + (" — it gets its value elsewhere" if one else
                                  " — they get their values elsewhere")


def _unused_keys(trace: Trace) -> dict[tuple[int, int], list[str]]:
    """(session, run) -> keys of the checkpoints it restored from that no variable of the
    restore used: the "unexpected keys" of a partial load (e.g. a pretraining head left
    behind), as the restore's checkpoint match has them (checkpoints recorded and read)."""
    out: dict[tuple[int, int], list[str]] = defaultdict(list)
    for m in trace.restore_matches():  # per run, in checkpoint path order
        if m.match is not None:
            out[(m.run.session, m.run.run)].extend(m.match.unused)
    return out


def _grouped_keys(keys: list[str], limit: int = 6) -> str:
    """``cls/* (4 keys), global_step``: keys grouped by their top scope."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        groups[key.split("/", 1)[0] if "/" in key else key].append(key)
    parts = [f"{scope}/* ({plural(len(ks), 'key')})" if len(ks) > 1 or ks[0] != scope
             else scope for scope, ks in sorted(groups.items())]
    return names(parts, limit)


@rule("restore-discards-updates")
def restore_discards_updates(trace: Trace) -> Iterator[Diagnostic]:
    saved_runs: dict[int, list[tuple[int, set[str]]]] = defaultdict(list)
    for save in trace.saves:
        saved_runs[save.session].append((save.run, set(save.keys.values())))
    lost: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
    for history in trace.histories():
        session, name = history.session, history.variable
        for d in history.discarded():
            saved_after = any(d.last_update <= r < d.by.run and name in keys
                              for r, keys in saved_runs[session])
            if not saved_after:
                lost[(session, d.by.run)].append((name, d.updates))
    for (session, run), items in sorted(lost.items()):
        location = next((e.location for e in trace.events_of_run(session, run)), None)
        variables = tuple(sorted(n for n, _ in items))
        most = max(u for _, u in items)
        message = (f"the restore at {location} (run {run}) replaced "
                   f"{plural(len(variables), 'variable')} ({names(variables)}) that had up to "
                   f"{plural(most, 'training update')} not saved to any checkpoint")
        hint = ("Intended when reloading the best checkpoint after training; otherwise save "
                "before restoring, or restore before training.")
        yield Diagnostic(rule="restore-discards-updates", severity="info",
                         variables=variables, message=message, hint=hint, session=session,
                         run=run, location=location,
                         sites=(Site("restored", location, session, run),))
