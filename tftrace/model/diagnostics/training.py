"""Rules about state the training loop silently skips or corrupts (bug 8 of PRODUCT §1).

- ``moving-statistics-never-updated`` (warning): batch-norm moving mean/variance (or any
  variable written by an op of ``tf.GraphKeys.UPDATE_OPS``) that got no update in a
  session that trained the same layer's other variables.
- ``graph-grows-during-session`` (warning): ops added to the graph between runs, again
  and again (``sess.run(tf.assign(w, ...))`` inside the loop).
- ``checkpoint-untrained`` (warning): a restore, not followed by training, of a
  checkpoint saved while its variables had no update since their initializer.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterator

from tftrace.findings import names, plural
from tftrace.model.diagnostics.base import Diagnostic, Site, rule
from tftrace.model.diagnostics.common import is_optimizer_state

if TYPE_CHECKING:
    from tftrace.model.trace import Trace

_MOVING_STATISTIC = re.compile(r"(^|/)moving_(mean|variance|var|avg|average)$")
# A line that added ops before this many runs of one session is building ops in its loop.
GROWTH_RUNS = 3
UPDATE_OPS_FIX = ("update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys."
                  "UPDATE_OPS); with tf.control_dependencies(update_ops): "
                  "train_op = optimizer.minimize(loss)")


def _updates(trace: Trace, session: int, name: str) -> tuple[int, Any]:
    """(update runs of ``name`` in ``session``, its first update event)."""
    events = trace.history_of(name, session).of_kind("update")
    return sum(e.count for e in events), (events[0] if events else None)


def _is_moving_statistic(record: Any) -> bool:
    return bool(record.update_ops) or (record.trainable is False
                                       and bool(_MOVING_STATISTIC.search(record.name)))


def _layer_mates(variables: dict[str, Any], name: str) -> list[str]:
    """The trainable variables of the layer ``name`` belongs to: those of the nearest
    enclosing scope that has any (bn/moving_mean -> bn/gamma, bn/beta; an EMA shadow
    bn/moments/Squeeze/ExponentialMovingAverage -> the same)."""
    parts = name.split("/")
    for depth in range(len(parts) - 1, 0, -1):
        scope = "/".join(parts[:depth]) + "/"
        mates = [n for n, r in variables.items() if n.startswith(scope) and r.trainable
                 and not is_optimizer_state(n)]
        if mates:
            return mates
    return []


@rule("moving-statistics-never-updated")
def moving_statistics_never_updated(trace: Trace) -> Iterator[Diagnostic]:
    for number in sorted(trace.session_numbers):
        variables = trace.variables_while_open(number)
        stale: list[tuple[str, Any, list[str], Any]] = []
        for name, record in variables.items():
            if not _is_moving_statistic(record) or (is_optimizer_state(name)
                                                    and not record.update_ops):
                continue  # an optimizer's slots, unless UPDATE_OPS writes them (EMA)
            if _updates(trace, number, name)[0]:
                continue
            trained = [(m, *_updates(trace, number, m)) for m in _layer_mates(variables, name)]
            trained = [(m, count, first) for m, count, first in trained if count]
            if trained:  # a frozen layer (nothing of it trained) is left alone on purpose
                stale.append((name, record, [m for m, _, _ in trained],
                              max(trained, key=lambda t: t[1])))
        if not stale:
            continue
        variables_ = tuple(sorted(n for n, _, _, _ in stale))
        mates = sorted({m for _, _, ms, _ in stale for m in ms})
        _, steps, first = max((t for _, _, _, t in stale), key=lambda t: t[1])
        update_ops = sorted({op for _, r, _, _ in stale for op in r.update_ops})
        where = first.location
        held = _initial_values(trace, number, variables_)
        message = (f"{plural(len(variables_), 'moving statistic')} ({names(variables_)}) "
                   f"got no update in session {number} while {names(mates, 4)} of the same "
                   f"layer got {plural(steps, 'training update')} at {where}")
        if update_ops:
            message += (f": their update ops ({names(update_ops, 3)}) are in "
                        f"tf.GraphKeys.UPDATE_OPS, and the train op does not depend on them")
        message += (f", so they still hold {held} and inference normalizes with those")
        yield Diagnostic(
            rule="moving-statistics-never-updated", severity="warning", variables=variables_,
            message=message,
            hint=f"Run the update ops with every training step: {UPDATE_OPS_FIX} (or fetch "
                 "them with the train op: sess.run([train_op, update_ops])).",
            session=number, run=first.run, location=where,
            sites=(Site("trained without the update ops", where, number, first.run),)
            + tuple(Site("created", r.location) for _, r, _, _ in stale[:2]))


def _initial_values(trace: Trace, session: int, variables: tuple[str, ...]) -> str:
    """``their initial values (0 and 1)`` when every one holds a single value, or the
    plainer ``the values they were restored with`` / ``their initial values``."""
    origins = [trace.history_of(name, session).origin() for name in variables]
    base = ("the values they were restored with"
            if all(o is not None and o.kind == "restore" for o in origins)
            else "their initial values")
    constants = []
    for origin in origins:
        value = origin.value if origin is not None else None
        if value is None or value.min is None or value.min != value.max:
            return base
        constants.append(f"{value.min:g}")
    return f"{base} ({' and '.join(dict.fromkeys(constants))})"


@rule("graph-grows-during-session")
def graph_grows_during_session(trace: Trace) -> Iterator[Diagnostic]:
    for session in trace.sessions:
        for growth in session.graph_growth:
            if growth.runs < GROWTH_RUNS:
                continue  # building an eval op once after training is fine
            per_run = growth.ops / growth.runs
            per_run_text = (f"{per_run:.0f}" if per_run == int(per_run) else f"{per_run:.1f}")
            where = growth.location or "a line tftrace could not place"
            message = (f"the program added ops to session {session.number}'s graph before "
                       f"{growth.runs} of its {session.runs} runs (first before run "
                       f"{growth.first_run}): {per_run_text} ops per run, "
                       f"{plural(growth.ops, 'op')} in all, created at {where}; the graph "
                       f"grows with every step, and so do memory and step time")
            written = sorted({h.variable for h in trace.histories(session.number)
                              if growth.location and any(e.location == growth.location
                                                         for e in h.events)})
            if written:
                message += f"; the runs of that line write {names(written, 4)}"
            yield Diagnostic(
                rule="graph-grows-during-session", severity="warning",
                variables=tuple(written),
                message=message,
                hint="Build the op once, before the loop, and feed what changes: "
                     "value = tf.compat.v1.placeholder(tf.float32, shape); "
                     "assign = tf.compat.v1.assign(w, value); then in the loop "
                     "sess.run(assign, {value: v}). Calling "
                     "tf.compat.v1.get_default_graph().finalize() before the loop turns "
                     "this mistake into an immediate error.",
                session=session.number, run=growth.first_run, location=growth.location,
                sites=(Site("ops created", growth.location, session.number,
                            growth.first_run),))


@rule("checkpoint-untrained")
def checkpoint_untrained(trace: Trace) -> Iterator[Diagnostic]:
    untrained = {}  # normalized path -> the save, when nothing it saved was ever trained
    for save in trace.saves:
        if save.path and _saved_untrained(trace, save):
            untrained[trace.normalize_path(save.path)] = save
    if not untrained:
        return
    for session, run, restored_events in trace.restores():
        events = [e for e in restored_events if e.checkpoint
                  and trace.normalize_path(e.checkpoint) in untrained]
        if not events:
            continue
        save = untrained[trace.normalize_path(events[0].checkpoint)]
        if save.session == session and save.run > run:
            continue
        restored = sorted({e.variable for e in events})
        trained_after = [n for n in restored
                         if trace.history_of(n, session).of_kind("update", after=run)]
        if trained_after:
            continue  # rewinding to the initial weights, then training: on purpose
        location = events[0].location
        message = (f"the restore at {location} (run {run}) loaded {events[0].checkpoint}, "
                   f"which was saved at {save.location} (session {save.session}, run "
                   f"{save.run}) while its variables still held their initializer values "
                   f"(0 training updates): session {session} then does not train "
                   f"{'it' if len(restored) == 1 else 'them'}, so it works with an untrained "
                   f"model ({names(restored)})")
        yield Diagnostic(
            rule="checkpoint-untrained", severity="warning", variables=tuple(restored),
            message=message,
            hint="Save after the training loop (and check that it ran: a loop over an empty "
                 "dataset or steps=0 trains nothing), or restore the checkpoint written "
                 "after training (tf.train.latest_checkpoint(dir)).",
            session=session, run=run, location=location,
            sites=(Site("saved untrained", save.location, save.session, save.run),
                   Site("restored", location, session, run)))


def _saved_untrained(trace: Trace, save: Any) -> bool:
    """Every trainable variable the save wrote had its initializer value, 0 updates."""
    variables = trace.variables_of(save.session)
    saved = [n for n in save.keys.values() if n in variables
             and variables[n].trainable is not False and not is_optimizer_state(n)]
    if not saved:
        return False
    for name in saved:
        history = trace.history_of(name, save.session)
        origin = history.origin(save.run)
        if origin is None or origin.kind != "initializer" or \
                history.updates_since_origin(save.run):
            return False
    return True
