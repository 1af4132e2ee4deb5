"""Stage 1 of a diagram — what to draw: the sessions, their variables, the facts of each.

:func:`select` takes a :class:`~tftrace.model.Trace` and the
:class:`~tftrace.views.dot.parts.DiagramOptions`; it gives a :class:`Selection`: for each
session drawn, the variables chosen (``--variable`` / ``--scope``, only those a warning or
an error names with ``--problems``, plus the variables their values were computed from),
each with its :class:`Facts` — its :class:`~tftrace.model.history.History`, the runs that
failed on it, its saves, its findings and what to flag on the checkpoint rows it uses.

It reads only the trace's public queries, changes nothing, and raises
:class:`~tftrace.errors.TftraceError` (one line for the user) when a filter matches
nothing. Later stages read the selection, never the filters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from tftrace.errors import TftraceError
from tftrace.model import Trace
from tftrace.model.diagnostics import Diagnostic
from tftrace.model.display import format_shape, natural_key, non_finite_counts
from tftrace.model.events import FEED, Event, Origin
from tftrace.model.history import History
from tftrace.tracefile import RunRecord, ValueSummary, VariableRecord
from tftrace.views.dot.parts import ALL_SESSIONS, DiagramOptions

__all__ = ["Facts", "Failure", "Selection", "SessionSelection", "choose_sessions",
           "in_scope", "non_finite", "normalizer", "select", "sessions_text"]


@dataclass(frozen=True)
class Failure:
    """A failed run's attempt on one variable: a write (``kind``) or a read."""

    run: RunRecord
    kind: str                  # the write kind, or "read" for an uninitialized read
    checkpoint: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Facts:
    """Everything the diagram says about one variable in one session."""

    name: str
    record: VariableRecord
    history: History = field(compare=False, repr=False)  # its writes and what they mean
    # Where its value came from, as the model says it (``trace.origin``): what explain
    # and the TUI say too, ``external`` included (a remote session's variable that
    # another process wrote).
    origin: Origin | None = field(default=None, compare=False, repr=False)
    failures: tuple[Failure, ...] = ()
    saves: tuple[tuple[int, str, str], ...] = ()      # (run, normalized path, key)
    initial_sources: tuple[str, ...] = ()             # initialized_value() sources
    problems: tuple[Diagnostic, ...] = ()
    # What to flag on each checkpoint row it uses (None: nothing), aligned with events,
    # failures and saves: a missing key, a shape mismatch, a save of NaN values.
    event_marks: tuple[str | None, ...] = ()
    failure_marks: tuple[str | None, ...] = ()
    save_marks: tuple[str | None, ...] = ()

    @property
    def events(self) -> Sequence[Event]:
        return self.history.events

    @property
    def origin_kind(self) -> str:
        """``initializer``, ``restore``, ``assign``, ``uninitialized`` or ``external``."""
        if self.origin is not None:
            return self.origin.kind
        found = self.history.origin()
        return "uninitialized" if found is None else found.kind

    @property
    def value(self) -> ValueSummary | None:
        """The last value summary read."""
        return self.history.value()

    @property
    def scope(self) -> str:
        return self.name.rpartition("/")[0]

    @property
    def dtype_shape(self) -> str:
        return f"{self.record.dtype} {format_shape(self.record.shape)}"


@dataclass(frozen=True)
class SessionSelection:
    """One session's variables to draw, in natural name order."""

    number: int
    facts: tuple[Facts, ...]
    total: int                 # variables in the session

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.facts]


@dataclass(frozen=True)
class Selection:
    """What a diagram shows: the sessions drawn and every finding of the trace."""

    sessions: tuple[SessionSelection, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def numbers(self) -> list[int]:
        return [s.number for s in self.sessions]

    def shown(self) -> set[tuple[int, str]]:
        """(session, name) of every variable drawn."""
        return {(s.number, f.name) for s in self.sessions for f in s.facts}


def select(trace: Trace, options: DiagramOptions) -> Selection:
    """The sessions and variables ``options`` ask for, with their facts."""
    numbers = choose_sessions(trace, options.session)
    diagnostics = tuple(trace.diagnostics())
    several = len(numbers) > 1
    chosen = {n: chosen_names(trace, options, n, diagnostics, several) for n in numbers}
    if not any(chosen.values()) and not options.problems:
        raise TftraceError("no variables to draw in " + sessions_text(numbers))
    facts = _FactFinder(trace)
    return Selection(
        sessions=tuple(SessionSelection(n, tuple(facts(n, name) for name in chosen[n]),
                                        total=len(trace.variables_of(n)))
                       for n in numbers),
        diagnostics=diagnostics)


def choose_sessions(trace: Trace, session: int | str | None) -> list[int]:
    """The sessions to draw: the last one by default, one by number, or all."""
    numbers = [s.number for s in trace.sessions]
    if not numbers:
        raise TftraceError("the trace has no sessions: nothing to draw")
    if session is None:
        return [numbers[-1]]
    if session == ALL_SESSIONS:
        return numbers
    trace.session(session)  # raises UnknownSession with the known numbers
    return [session]


def sessions_text(numbers: list[int]) -> str:
    """``"session 2"``, or ``"any session"`` when several are drawn."""
    return f"session {numbers[0]}" if len(numbers) == 1 else "any session"


def chosen_names(trace: Trace, options: DiagramOptions, session: int,
                 diagnostics: tuple[Diagnostic, ...], several: bool) -> list[str]:
    """The variables of ``session`` to draw, sorted: those asked for (all by default),
    with ``--problems`` only those named by a warning or an error, plus the variables
    their values were computed from. A filter matching nothing is an error unless
    ``several`` sessions are drawn (a variable of one session only is fine then)."""
    known = trace.variables_of(session)
    if options.variables or options.scopes:
        chosen = {name for name in (trace.resolve_variable(v) for v in options.variables)
                  if name in known}
        for scope in options.scopes:
            chosen |= {n for n in known if in_scope(n, scope)}
        if not several:
            _check_matches(trace, options, session, known)
    else:
        chosen = set(known)
    if options.problems:
        flagged = {n for d in diagnostics if d.session == session
                   and d.severity != "info" for n in d.variables}
        chosen &= flagged
    return sorted(_with_sources(trace, session, chosen, known), key=natural_key)


def in_scope(name: str, scope: str) -> bool:
    """``--scope enc`` matches ``enc`` and ``enc/...``, not ``encoder/...``."""
    scope = scope.rstrip("/")
    return not scope or name == scope or name.startswith(scope + "/")


def _check_matches(trace: Trace, options: DiagramOptions, session: int,
                   known: dict[str, VariableRecord]) -> None:
    for v in options.variables:
        name = trace.resolve_variable(v)
        if name not in known:
            having = [str(s.number) for s in trace.sessions
                      if name in trace.variables_of(s.number)]
            raise TftraceError(f"session {session} has no variable {name!r} "
                               f"(it is in session {', '.join(having)})")
    for scope in options.scopes:
        if not any(in_scope(n, scope) for n in known):
            scopes = sorted({n.split("/")[0] for n in known if "/" in n})
            hint = f"; its top-level scopes: {', '.join(scopes[:12])}" if scopes else ""
            raise TftraceError(f"no variable of session {session} is in scope "
                               f"{scope!r}{hint}")


def _with_sources(trace: Trace, session: int, chosen: set[str],
                  known: dict[str, VariableRecord]) -> set[str]:
    # Lineage inside the session: what an assign or initialized_value() read.
    todo, done = list(chosen), set(chosen)
    while todo:
        for source in _value_sources(trace, session, todo.pop(), known):
            if source not in done:
                done.add(source)
                todo.append(source)
    return done


def _value_sources(trace: Trace, session: int, name: str,
                   known: dict[str, VariableRecord]) -> list[str]:
    sources = [s for e in trace.variable_history(name, session).events for s in e.sources]
    record = known.get(name)
    if record is not None and record.initializer is not None:
        sources += record.initializer.sources
    return [s for s in sources if s != FEED and s in known]


class _FactFinder:
    """The :class:`Facts` of one variable in one session, from the trace's queries (the
    same answers ``check`` gives: which runs read it uninitialized, what was wrong with
    its checkpoint keys), each indexed once per trace."""

    def __init__(self, trace: Trace):
        self.trace = trace
        self.norm = normalizer(trace)

    def __call__(self, session: int, name: str) -> Facts:
        trace = self.trace
        history = trace.variable_history(name, session)
        known = trace.variables_of(session)
        record = known[name]
        failures = []
        for run in history.failed:
            for w in run.writes:
                if w.variable == name:
                    failures.append(Failure(run, w.kind, w.checkpoint, w.key))
        failures += [Failure(run, "read") for run in trace.uninitialized_reads_of(name, session)]
        failures.sort(key=lambda f: (f.run.run, f.kind))
        saves = tuple(sorted((save.run, self.norm(save.path), key)
                             for save, key in trace.saves_of(name, session)
                             if save.path is not None))
        initial: tuple[str, ...] = ()
        if record.initializer is not None:
            initial = tuple(s for s in record.initializer.sources if s in known)
        return Facts(
            name=name, record=record, history=history,
            origin=trace.origin(name, session), failures=tuple(failures),
            saves=saves, initial_sources=initial,
            problems=tuple(trace.findings_naming(name, session)),
            event_marks=tuple(self._mark(session, e.run, name, e.checkpoint)
                              for e in history.events),
            failure_marks=tuple(self._mark(session, f.run.run, name, f.checkpoint)
                                for f in failures),
            save_marks=tuple(non_finite(history.value(run), "saved with ")
                             for run, _, _ in saves))

    def _mark(self, session: int, run: int, name: str, checkpoint: str | None
              ) -> str | None:
        """"missing" when the checkpoint lacks the key, a shape text when its tensor's
        shape differs from the variable's declared shape (what ``checkpoint-key-missing``
        and ``checkpoint-shape-mismatch`` report); None otherwise."""
        if checkpoint is None:
            return None
        problem = self.trace.key_problem(session, run, name)
        if problem is None:
            return None
        if problem.kind == "missing":
            return "missing"
        return f"{format_shape(problem.saved)} ≠ declared {format_shape(problem.declared)}"


def normalizer(trace: Trace) -> Callable[[str | None], str | None]:
    """``trace.normalize_path`` that passes None through."""
    def norm(path: str | None) -> str | None:
        return None if path is None else trace.normalize_path(path)
    return norm


def non_finite(value: ValueSummary | None, prefix: str = "") -> str | None:
    """``"3 NaN"``, ``"1 NaN, 2 Inf"``, or None for a finite (or unknown) value."""
    if value is None or value.finite:
        return None
    return prefix + ", ".join(non_finite_counts(value))
