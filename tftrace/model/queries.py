"""Queries over a :class:`~tftrace.model.index.TraceIndex`: small pure functions.

Functions here take names and session numbers that are already resolved (see
:func:`resolve_variable` and :func:`resolve_session`); :class:`~tftrace.model.Trace` does the
resolving and exposes them as methods.
"""
from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from tftrace.ckptmatch import CheckpointMatch, match_checkpoint
from tftrace.errors import UnknownSession, UnknownVariable
from tftrace.model.display import format_summary, printable
from tftrace.model.events import Event, Origin, Save
from tftrace.model.history import History, history_of, value_at
from tftrace.model.index import TraceIndex
from tftrace.tracefile import CheckpointRecord, RunRecord, ValueSummary

_OUTPUT_SUFFIX = re.compile(r":\d+$")


# --- resolving names ----------------------------------------------------------------------

def variable_names(index: TraceIndex) -> list[str]:
    """Every variable name of every graph, sorted, each once."""
    return sorted({name for variables in index.variables.values() for name in variables})


def resolve_variable(index: TraceIndex, name: str) -> str:
    """The variable called ``name`` (``name:0``, a tensor name, works too).

    Raises :class:`UnknownVariable` with the closest names as suggestions.
    """
    if any(name in variables for variables in index.variables.values()):
        return name
    bare = _OUTPUT_SUFFIX.sub("", name)
    if bare != name and any(bare in variables for variables in index.variables.values()):
        return bare
    raise UnknownVariable(name, suggest_variables(variable_names(index), bare))


def suggest_variables(names: list[str], wanted: str, limit: int = 3) -> list[str]:
    """Names a person probably meant: the same last component, then names that start
    with what was typed, then similar spellings.

    >>> suggest_variables(["dense/kernel", "dense/bias", "conv/kernel"], "kernel")
    ['dense/kernel', 'conv/kernel']
    >>> suggest_variables(["dense/kernel", "dense/bias", "conv/kernel"], "dense/bia")
    ['dense/bias']
    """
    same_leaf = [n for n in names if n.rsplit("/", 1)[-1] == wanted.rsplit("/", 1)[-1]]
    prefixed = [n for n in names if n.startswith(wanted)] if wanted else []
    close = difflib.get_close_matches(wanted, names, n=limit, cutoff=0.6)
    return list(dict.fromkeys(same_leaf + prefixed + close))[:limit]


def resolve_session(index: TraceIndex, variable: str, session: int | None) -> int:
    """``session`` checked to run a graph that has ``variable``, or by default the last
    session that does."""
    if session is None:
        candidates = [n for n, info in index.sessions.items()
                      if variable in index.variables.get(info.graph, {})]
        if not candidates:
            raise UnknownSession(f"no session ran the graph that holds variable {variable!r}")
        return max(candidates)
    check_session(index, session)
    if variable not in index.variables_of(session):
        having = [str(n) for n, info in index.sessions.items()
                  if variable in index.variables.get(info.graph, {})]
        also = f" (it is in session {', '.join(having)})" if having else ""
        raise UnknownSession(f"session {session} has no variable {variable!r}{also}")
    return session


def check_session(index: TraceIndex, session: int) -> None:
    """Raise :class:`UnknownSession` unless the trace has session number ``session``."""
    if session not in index.sessions:
        known = ", ".join(str(n) for n in index.sessions) or "none"
        raise UnknownSession(f"no session {session} in the trace (sessions: {known})")


# --- events and origins -------------------------------------------------------------------

def events(index: TraceIndex, variable: str, session: int) -> list[Event]:
    """The writes to ``variable`` in ``session``, ordered by run."""
    return list(index.events.get((session, variable), ()))


def history(index: TraceIndex, variable: str) -> list[Event]:
    """The writes to ``variable`` in every session, in session order then run order."""
    return [e for number in index.sessions for e in index.events.get((number, variable), ())]


def variable_history(index: TraceIndex, variable: str, session: int) -> History:
    """The :class:`~tftrace.model.history.History` of ``variable`` in ``session``: its
    writes and value summaries, and what they mean (origin, what it replaced, ...)."""
    key = (session, variable)
    return history_of(variable, session, index.events.get(key, ()), index.values.get(key, ()),
                      index.failed_writes.get(key, ()))


def histories(index: TraceIndex, session: int | None = None) -> Iterator[History]:
    """The history of every (session, variable) with writes, by session then name (of
    ``session`` only, when given)."""
    events, values, failed = index.events, index.values, index.failed_writes
    # One session's keys from its graph's names (every written variable is declared):
    # no pass over every other session's.
    keys = sorted(events) if session is None else \
        [(session, name) for name in sorted(index.variables_of(session))
         if (session, name) in events]
    for key in keys:
        yield History(key[1], key[0], events[key], values.get(key, ()), failed.get(key, ()))


def variables_written(index: TraceIndex, session: int) -> set[str]:
    """The variables some run of ``session`` wrote (failed runs wrote nothing)."""
    events = index.events
    return {name for name in index.variables_of(session) if (session, name) in events}


def value_timelines(index: TraceIndex) -> Iterator[tuple[int, str, list[tuple[int, ValueSummary]]]]:
    """(session, variable, its (run, summary) timeline) for every variable whose value was
    read, written or not, by session then name."""
    for (session, name), timeline in sorted(index.values.items()):
        yield session, name, timeline


def restores(index: TraceIndex) -> Iterator[tuple[int, int, list[Event]]]:
    """(session, run, its restore events) for every run that restored, in run order."""
    found = {}
    for key, events in index.events_of_run.items():
        restored = [e for e in events if e.kind == "restore"]
        if restored:
            found[key] = restored
    for (session, run), restored in sorted(found.items()):
        yield session, run, restored


def location_of_run(index: TraceIndex, session: int, run: int) -> str | None:
    """The call site of a run: its record's, or that of the streak it belongs to."""
    for event in index.events_of_run.get((session, run), ()):
        if event.location:
            return event.location
    for streak in index.streaks:
        if streak.session == session and streak.first_run <= run <= streak.last_run:
            return streak.location
    for record in index.runs:
        if record.session == session and record.run == run:
            return record.location
    return None


def origin(index: TraceIndex, variable: str, session: int, run: int | None = None) -> Origin:
    """The last initializer/restore/assign of ``variable`` in ``session`` (as of ``run``
    when given, inclusive), or an ``uninitialized`` origin."""
    event = variable_history(index, variable, session).origin(run)
    # A remote session starts with whatever the server holds: no write here is no claim
    # that the variable is uninitialized.
    external = event is None and index.sessions[session].remote
    return Origin(variable=variable, session=session, event=event, external=external)


def updates_since_origin(index: TraceIndex, variable: str, session: int,
                         run: int | None = None) -> int:
    """How many update runs changed ``variable`` after its origin (as of ``run``).

    A streak that started at or before ``run`` counts whole: the recorder ends a streak at
    every save and non-update run, so at those points its count is exact.
    """
    return variable_history(index, variable, session).updates_since_origin(run)


def shared_origin(index: TraceIndex, variable: str, session: int) -> list[str]:
    """Other variables whose current value has the same origin: written by the same kind
    of write in the same run (and, for restores, from the same checkpoint).

    For a global initializer that is every variable it initialized and that nothing wrote
    over since; for a restore, every variable loaded by that restore.
    """
    mine = origin(index, variable, session)
    if mine.event is None:
        return []
    shared: dict[str, None] = {}
    for e in index.events_of_run.get((session, mine.run), ()):
        if e.variable == variable or e.variable in shared:
            continue
        # Their current origin, not any write of that run: a run that initialized a
        # variable and then assigned it left it the assign's value.
        theirs = origin(index, e.variable, session)
        if (theirs.run, theirs.kind, theirs.checkpoint) == (mine.run, mine.kind,
                                                            mine.checkpoint):
            shared[e.variable] = None
    return list(shared)


# --- what failed: read by the rules and drawn by the views alike -------------------------

@dataclass(frozen=True)
class UninitializedRead:
    """A run that failed (``FailedPreconditionError``) reading variables that had no value.

    ``variables``: every one of them, TensorFlow's first (it names only one), then the
    others the run read that had no initializer, restore or assign before it."""

    run: RunRecord
    variables: tuple[str, ...]


def uninitialized_reads(index: TraceIndex) -> list[UninitializedRead]:
    """Every failed run that read uninitialized variables, in trace order: what the
    ``uninitialized-read`` rule reports and the diagram draws as "read uninitialized"."""
    out = []
    for record in index.failed_runs:
        if record.error is None or record.error.type != "FailedPreconditionError":
            continue
        session, run, named = record.session, record.run, record.error.uninitialized
        declared = index.variables_of(session)
        # TensorFlow names only one; the run's reads say which others it needed, and
        # their histories which of those had no value then.
        missing = list(named) + [
            n for n in record.reads if n not in named and n in declared
            and not variable_history(index, n, session).has_origin_before(run)]
        missing = [n for n in dict.fromkeys(missing) if n in declared or n in named]
        if missing:
            out.append(UninitializedRead(record, tuple(missing)))
    return out


@dataclass(frozen=True)
class RestoreMatch:
    """How one restore (one run, one checkpoint) matched the checkpoint's keys.

    ``wanted``: variable -> the key the restore asked for. ``checkpoint``: the recorded
    contents (None when not recorded); ``match``: None when there is nothing to match
    against (the checkpoint was not recorded, or could not be read: ``checkpoint.error``).
    """

    run: RunRecord
    path: str                       # as the restore spelled it
    wanted: dict[str, str]
    checkpoint: CheckpointRecord | None
    match: CheckpointMatch | None

    @property
    def failed(self) -> bool:
        return self.run.error is not None


def restore_matches(index: TraceIndex) -> list[RestoreMatch]:
    """Every restore of every run (done or failed), per checkpoint, in trace order then
    path order, matched against the checkpoint's recorded keys and the declared shapes:
    what the ``checkpoint-*`` rules report and the diagram flags on checkpoint rows."""
    out = []
    for record in index.runs:
        wanted: dict[str, dict[str, str]] = defaultdict(dict)
        for w in record.writes:
            if w.kind == "restore" and w.checkpoint and w.key:
                wanted[w.checkpoint][w.variable] = w.key
        if not wanted:
            continue
        declared = {n: r.shape for n, r in index.variables_of(record.session).items()}
        for path, mapping in sorted(wanted.items()):
            checkpoint = index.checkpoints.get(path)
            match = None
            if checkpoint is not None and not checkpoint.error:
                match = match_checkpoint(mapping, checkpoint.keys, declared)
            out.append(RestoreMatch(record, path, mapping, checkpoint, match))
    return out


@dataclass(frozen=True)
class KeyProblem:
    """What is wrong with the checkpoint key one variable was restored from: ``missing``
    (a failed restore asked for a key the checkpoint lacks) or ``shape`` (the key's tensor
    has another shape than the declared ``declared``, held ``saved``)."""

    kind: str                       # "missing" or "shape"
    key: str
    declared: Any = None
    saved: Any = None


def key_problems(matches: list[RestoreMatch]) -> dict[tuple[int, int, str], KeyProblem]:
    """(session, run, variable) -> its :class:`KeyProblem`, for every restore in
    ``matches`` (the rules' own findings, indexed once for the views)."""
    out: dict[tuple[int, int, str], KeyProblem] = {}
    for m in matches:
        if m.match is None:
            continue
        where = (m.run.session, m.run.run)
        if m.failed:  # a restore that succeeded found every key
            for var, key in m.match.missing.items():
                out[(*where, var)] = KeyProblem("missing", key)
        for var, (declared, saved) in m.match.mismatched.items():
            out[(*where, var)] = KeyProblem("shape", m.wanted[var], declared, saved)
    return out


def saves_by_variable(index: TraceIndex) -> dict[tuple[int, str], list[tuple[Save, str]]]:
    """(session, variable) -> (save, key) for every checkpoint key that saved it, in trace
    order (one pass over the saves instead of one per variable)."""
    out: dict[tuple[int, str], list[tuple[Save, str]]] = defaultdict(list)
    for save in index.saves:
        for key, variable in save.keys.items():
            out[(save.session, variable)].append((save, key))
    return dict(out)


def checkpoint_reads(index: TraceIndex, norm: Callable[[str], str]
                     ) -> dict[str, list[tuple[int, int]]]:
    """Normalized checkpoint path -> (session, run) of every write that read it (a
    restore, an initializer from a checkpoint), done or failed."""
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (session, _), events in index.events.items():
        for event in events:
            if event.checkpoint is not None:
                out[norm(event.checkpoint)].append((session, event.run))
    for run in index.failed_runs:
        for w in run.writes:
            if w.checkpoint is not None:
                out[norm(w.checkpoint)].append((run.session, run.run))
    return dict(out)


# --- what changed -------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class ValueChange:
    """A variable whose value differs between two runs: its latest summary at or before
    each run (None when none had been read yet)."""

    variable: str
    before: ValueSummary | None
    after: ValueSummary | None

    def __repr__(self) -> str:
        return (f"<ValueChange {printable(self.variable)}: {format_summary(self.before)} -> "
                f"{format_summary(self.after)}>")


def diff(index: TraceIndex, session: int, run_a: int, run_b: int) -> list[ValueChange]:
    """Variables of ``session`` whose value digest differs between runs ``run_a`` and
    ``run_b``, comparing the latest value summary at or before each run.

    Only values the recorder read can be compared: a write whose value was not read does
    not show until a later summary.
    """
    changes = []
    for name in index.variables_of(session):
        timeline = index.values.get((session, name), [])
        before, after = value_at(timeline, run_a), value_at(timeline, run_b)
        if _digest(before) != _digest(after):
            changes.append(ValueChange(variable=name, before=before, after=after))
    return changes


def value(index: TraceIndex, variable: str, session: int,
          run: int | None = None) -> ValueSummary | None:
    """The latest value summary of ``variable`` in ``session`` (at or before ``run``)."""
    return variable_history(index, variable, session).value(run)


def _digest(value: ValueSummary | None) -> str | None:
    return None if value is None else value.digest
