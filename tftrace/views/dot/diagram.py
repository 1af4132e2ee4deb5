"""What a provenance diagram shows, as plain data (no DOT yet).

Filter, then act: :func:`build_diagram` chooses the sessions and variables, works out for
each variable where its value came from — the sources of its writes, which of them still
count (the **current origin** and the updates after it) and which were overwritten, the
runs that failed to write or read it, the checkpoints it was saved to — and collapses
variables that share scope and history when there are too many to draw.
:mod:`tftrace.views.dot.source` then turns the :class:`Diagram` into DOT text.

Node ids are generated (``v1``, ``r2``, ``c3``...); names from the trace only ever appear
in labels, which the DOT writer escapes.
"""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field, replace

from tftrace.errors import TftraceError
from tftrace.model import Trace
from tftrace.model.diagnostics import Diagnostic
from tftrace.model.display import format_shape, format_summary, natural_key
from tftrace.model.events import FEED, Event, run_span
from tftrace.model.history import History
from tftrace.tracefile import CheckpointRecord, RunRecord, ValueSummary
from tftrace.views.dot.escape import shorten

#: ``--session all``: every session, each in its own box, joined by the checkpoints.
ALL_SESSIONS = "all"
#: Default ``--max-nodes``: more variables than this collapse into groups.
MAX_NODES = 60
RANKDIRS = ("LR", "TB")
UNUSED_SHOWN = 8  # unused checkpoint keys listed next to missing ones
#: Writes drawn per variable: earlier ones become one "N earlier writes" box (a variable
#: assigned from a feed in every run would otherwise bring one box per run).
WRITES_DRAWN = 6
FAILURES_DRAWN = 4      # failed attempts drawn per variable (the last ones)

# Link status: how a write relates to the value the variable holds at the end.
CURRENT = "current"          # the current origin
KEPT = "kept"                # an update after the current origin: part of the value
OVERWRITTEN = "overwritten"  # an earlier origin, replaced
DISCARDED = "discarded"      # updates made before an origin that replaced them
FAILED = "failed"            # a run that failed to write (or read) the variable
SAVED = "saved"              # the variable was saved to a checkpoint
FROM = "from"                # the value was computed from another variable
PROBE = "probe"              # a failed read that the program caught and then initialized


@dataclass(frozen=True)
class DiagramOptions:
    """What to draw. ``session``: a number, ``"all"``, or None for the last session."""

    session: int | str | None = None
    variables: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    problems: bool = False
    max_nodes: int = MAX_NODES
    rankdir: str = "LR"

    def __post_init__(self) -> None:
        if self.max_nodes < 1:
            raise TftraceError(f"--max-nodes must be at least 1, not {self.max_nodes}")
        if self.rankdir not in RANKDIRS:
            raise TftraceError(f"--rankdir must be LR or TB, not {self.rankdir!r}")
        if isinstance(self.session, str) and self.session != ALL_SESSIONS:
            raise TftraceError(f"--session takes a number or 'all', not {self.session!r}")


@dataclass(frozen=True)
class VariableBox:
    """A variable — or several that share scope and history, collapsed into one node."""

    id: str
    session: int
    names: tuple[str, ...]
    scope: str                 # the cluster it is drawn in ("" for none)
    dtype_shape: str           # "float32 [4, 2]"; "" when members differ
    origin_kind: str           # initializer | restore | assign | uninitialized
    origin: str                # "restore · run 1"
    updates: int               # update runs since the origin
    problems: tuple[Diagnostic, ...]
    details: tuple[str, ...]   # tooltip lines
    replaced: str = ""         # what the current origin threw away: "restore · run 1"
    non_finite: str | None = None  # "3 NaN" when the last value read holds NaN or Inf
    # A scope summary (variables that do not share a history, too many to draw): the
    # scope it stands for ("encoder", "" for the lump of the smallest scopes) and its
    # lines ("400 restored from ckpt/m", "12 initialized").
    summary_of: str | None = None
    summary: tuple[str, ...] = ()
    other_scopes: int = 0      # the lump: how many scopes it holds

    @property
    def collapsed(self) -> bool:
        return len(self.names) > 1

    @property
    def title(self) -> str:
        if self.summary_of is not None:
            if self.other_scopes:
                return (f"{self.other_scopes} more scopes — {len(self.names)} "
                        f"variable{'s' if len(self.names) != 1 else ''}")
            if not self.summary_of:
                return f"{len(self.names)} variables without a scope"
            return f"{self.summary_of}/ — {len(self.names)} variables"
        if not self.collapsed:
            return self.names[0]
        pattern = f"{self.scope}/*" if self.scope else "*"
        return f"{pattern} — {len(self.names)} variables"

    @property
    def severity(self) -> str | None:
        """The worst severity among warnings and errors naming it (info is not marked)."""
        worst = max((d.rank for d in self.problems if d.severity != "info"), default=None)
        return None if worst is None else ("info", "warning", "error")[worst]


@dataclass(frozen=True)
class RunBox:
    """A run that wrote without a checkpoint (initializer, assign, update streak), a
    failed run (``kind == "failed"``), or a caught probe read (``kind == "probe"``)."""

    id: str
    session: int
    kind: str
    run: int
    last_run: int
    count: int
    location: str | None
    fed: bool = False          # an assign of a fed value
    error: str | None = None   # the exception type of a failed run
    distinct: int = 1          # runs it stands for: several for scope summaries and for
                               # a variable's earlier writes (kind "earlier")
    process: str | None = None  # a merged trace: the process that ran it (its label)
    local: str | None = None    # ... and its run numbers there ("r2-9")

    @property
    def runs(self) -> str:
        return run_span(self.run, self.last_run)


def edge_limit(max_nodes: int) -> int:
    """The most edges a diagram of ``max_nodes`` variable boxes draws."""
    return 4 * max_nodes + 40


_LINK_PRIORITY = {CURRENT: 0, FAILED: 1, KEPT: 2, SAVED: 3, FROM: 4, PROBE: 5,
                  OVERWRITTEN: 6, DISCARDED: 7}

#: RunBox kind of a variable's writes before the last WRITES_DRAWN.
EARLIER = "earlier"


@dataclass(frozen=True)
class KeyRow:
    """One row of a checkpoint box: a key (or a pattern for a collapsed group)."""

    port: str | None           # None: a key nothing in the picture uses
    text: str
    mark: str | None = None    # "missing", a shape mismatch, or "not used"


@dataclass(frozen=True)
class CheckpointBox:
    id: str
    path: str
    rows: tuple[KeyRow, ...]
    notes: tuple[str, ...] = ()
    error: str | None = None   # the trace could not read it
    first_use: tuple[int, int] | None = None  # (session, run) of the first restore drawn


@dataclass(frozen=True)
class Link:
    """An edge: a value (or an attempt at one) going from ``source`` to ``target``."""

    source: str
    target: str
    kind: str                  # initializer|restore|assign|update|read|save|value
    status: str                # CURRENT, KEPT, OVERWRITTEN, DISCARDED, FAILED, SAVED, FROM
    label: str = ""            # kind and run: shown, or only a tooltip (see ``quiet``)
    source_port: str | None = None
    target_port: str | None = None
    constraint: bool = True    # False: drawn, but not used to rank nodes (breaks cycles)
    # True when another edge from the same box shows the same label: a bundle of edges
    # (a restore of 15 variables) is labelled once; the others get it as a tooltip.
    quiet: bool = False
    session: int = 0           # of the variable end


@dataclass(frozen=True)
class SessionPart:
    number: int
    heading: str               # "session 2 · Session at x.py:71 · 3 runs"
    variables: tuple[VariableBox, ...]
    runs: tuple[RunBox, ...]
    shown: int                 # variables drawn (members of groups included)
    total: int                 # variables in the session's graph


@dataclass(frozen=True)
class Diagram:
    title: str
    subtitle: str
    sessions: tuple[SessionPart, ...]
    checkpoints: tuple[CheckpointBox, ...]
    links: tuple[Link, ...]
    findings: tuple[Diagnostic, ...]   # warnings and errors about what is shown
    info_findings: int
    notes: tuple[str, ...]
    rankdir: str = "LR"
    boxed_sessions: bool = False       # draw each session in its own cluster

    @property
    def variables(self) -> list[VariableBox]:
        return [v for part in self.sessions for v in part.variables]

    @property
    def runs(self) -> list[RunBox]:
        return [r for part in self.sessions for r in part.runs]


# --- building -------------------------------------------------------------------------------

def build_diagram(trace: Trace, options: DiagramOptions = DiagramOptions()) -> Diagram:
    """The diagram of ``trace`` (a :class:`~tftrace.model.Trace`) as ``options`` ask."""
    return _Builder(trace, options).build()


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


@dataclass(frozen=True)
class _Failure:
    """A failed run's attempt on one variable: a write (``kind``) or a read."""

    run: RunRecord
    kind: str                  # the write kind, or "read" for an uninitialized read
    checkpoint: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class _Facts:
    """Everything the diagram says about one variable in one session."""

    name: str
    events: tuple[Event, ...]
    failures: tuple[_Failure, ...]
    saves: tuple[tuple[int, str, str], ...]           # (run, normalized path, key)
    initial_sources: tuple[str, ...]                  # initialized_value() sources
    problems: tuple[Diagnostic, ...]
    # What to flag on each checkpoint row it uses (None: nothing), aligned with events,
    # failures and saves: a missing key, a shape mismatch, a save of NaN values.
    event_marks: tuple[str | None, ...]
    failure_marks: tuple[str | None, ...]
    save_marks: tuple[str | None, ...]
    value: ValueSummary | None                        # the last value summary read
    history: History = field(compare=False, repr=False)  # what the events mean

    @property
    def scope(self) -> str:
        return self.name.rpartition("/")[0]

    def signature(self, trace: Trace) -> tuple:
        """What two variables must share to be drawn as one node: the same writes from
        the same runs and checkpoints, the same failures, saves and findings."""
        norm = _normalizer(trace)
        return (
            tuple((e.kind, e.run, e.last_run, e.count, norm(e.checkpoint), e.sources)
                  for e in self.events),
            tuple((f.run.run, f.kind, norm(f.checkpoint)) for f in self.failures),
            tuple((run, path) for run, path, _ in self.saves),
            self.initial_sources,
            tuple(id(d) for d in self.problems),  # the same finding objects, cheaply
            self.event_marks, self.failure_marks, self.save_marks,
        )


class _Builder:
    def __init__(self, trace: Trace, options: DiagramOptions):
        self.trace = trace
        self.options = options
        self.norm = _normalizer(trace)
        self.sessions = choose_sessions(trace, options.session)
        self.diagnostics = trace.diagnostics()
        # Looked up once per variable: precomputed, a 2 000-variable finding would cost
        # 2 000 scans of its names for each of 2 000 variables.
        self.problems_of: dict[tuple[int, str], list[Diagnostic]] = defaultdict(list)
        for d in self.diagnostics:
            for name in dict.fromkeys(d.variables):
                self.problems_of[(d.session, name)].append(d)
        self.saves_of: dict[tuple[int, str], list[tuple[int, str, str]]] = defaultdict(list)
        for save in self.trace.saves:
            if save.path is not None:
                for key, variable in save.keys.items():
                    self.saves_of[(save.session, variable)].append(
                        (save.run, self.norm(save.path), key))
        self.failed_runs_of: dict[int, list[RunRecord]] = defaultdict(list)
        for run in self.trace.failed_runs:
            self.failed_runs_of[run.session].append(run)
        self.read_back: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for history in trace.histories():
            for event in history.events:
                if event.checkpoint is not None:
                    self.read_back[self.norm(event.checkpoint)].append(
                        (history.session, event.run))
        for run in self.trace.failed_runs:
            for w in run.writes:
                if w.checkpoint is not None:
                    self.read_back[self.norm(w.checkpoint)].append((run.session, run.run))
        self.hidden_saves: dict[int, set[tuple[int, str]]] = defaultdict(set)
        self.drawn_saves: dict[int, set[tuple[int, str]]] = defaultdict(set)
        self.recorded = {self.norm(path): record
                         for path, record in self.trace.checkpoints.items()}
        # checkpoint path → key text → mark; filled while links are made
        self.rows: dict[str, dict[str, str | None]] = defaultdict(dict)
        self.checkpoint_ids: dict[str, str] = {}
        self.restored_from: dict[int, set[str]] = defaultdict(set)  # session → paths
        self.drawn_keys: dict[str, set[str]] = defaultdict(set)
        self.first_use: dict[str, tuple[int, int]] = {}  # drawn restores (and failed ones)
        self.links: list[Link] = []
        self.notes: list[str] = []
        self._ids: dict[str, int] = defaultdict(int)

    def note(self, session: int, text: str) -> None:
        """A line under the title; with several sessions drawn, it names its session."""
        self.notes.append(f"session {session}: {text}" if len(self.sessions) > 1 else text)

    def add(self, session: int, link: Link) -> None:
        self.links.append(replace(link, session=session))

    def new_id(self, prefix: str) -> str:
        self._ids[prefix] += 1
        return f"{prefix}{self._ids[prefix]}"

    # --- the whole picture ------------------------------------------------------------------

    def build(self) -> Diagram:
        selected = {s: self.select(s) for s in self.sessions}
        if not any(selected.values()) and not self.options.problems:
            raise TftraceError("no variables to draw in "
                               + self._sessions_text())
        for session, names in selected.items():
            for name in names:
                for event in self.trace.variable_history(name, session).events:
                    if event.checkpoint is not None:
                        path = self.norm(event.checkpoint)
                        self.restored_from[session].add(path)
        parts = [self.session_part(s, selected[s]) for s in self.sessions]
        shown = {(p.number, n) for p in parts for v in p.variables for n in v.names}
        findings = [d for d in self.diagnostics if d.session in self.sessions
                    and (not d.variables or any((d.session, n) in shown
                                                for n in d.variables))]
        if self.options.problems and not shown:
            self.notes.append("no variable has a warning or an error in "
                              + self._sessions_text())
        parts = self.cap_links(parts)
        return Diagram(
            title=self.title(), subtitle=self.subtitle(), sessions=tuple(parts),
            checkpoints=self.checkpoint_boxes(), links=tuple(self.links),
            findings=tuple(d for d in findings if d.severity != "info"),
            info_findings=sum(1 for d in findings if d.severity == "info"),
            notes=tuple(self.notes), rankdir=self.options.rankdir,
            boxed_sessions=len(self.sessions) > 1)

    def cap_links(self, parts: list[SessionPart]) -> list[SessionPart]:
        """At most ``edge_limit(max_nodes)`` edges per session drawn: the current origins
        and failures are kept first, what was overwritten goes first; run boxes left
        without an edge go."""
        limit = edge_limit(self.options.max_nodes) * len(self.sessions)
        if len(self.links) <= limit:
            return parts
        ranked = sorted(range(len(self.links)),
                        key=lambda i: (_LINK_PRIORITY[self.links[i].status], i))
        keep = set(ranked[:limit])
        self.notes.append(f"{len(self.links) - limit} of {len(self.links)} edges are not "
                          f"drawn (at most {limit}; current origins and failures first)")
        self.links = [link for i, link in enumerate(self.links) if i in keep]
        used = {link.source for link in self.links} | {link.target for link in self.links}
        return [replace(p, runs=tuple(r for r in p.runs if r.id in used)) for p in parts]

    def _sessions_text(self) -> str:
        if len(self.sessions) == 1:
            return f"session {self.sessions[0]}"
        return "any session"

    def title(self) -> str:
        script = self.trace.header.script or "(unknown script)"
        total = len(self.trace.session_numbers)
        if len(self.sessions) == 1:
            return f"{script} — session {self.sessions[0]} of {total}"
        return f"{script} — all {total} sessions"

    def subtitle(self) -> str:
        parts = [f"trace {os.path.basename(self.trace.path)}"]
        if len(self.sessions) == 1:
            parts.append(self.session_heading(self.sessions[0], with_number=False))
        if self.trace.truncated:
            parts.append("cut short (the program was killed?)")
        unclosed = [n for n in self.sessions if n in self.trace.unclosed_sessions]
        if unclosed:
            parts.append(f"session {', '.join(map(str, unclosed))} never closed "
                         "(killed?): counts are lower bounds")
        return " · ".join(parts)

    def session_heading(self, number: int, with_number: bool = True) -> str:
        info = self.trace.session(number)
        where = f" created at {info.location}" if info.location else ""
        text = f"{info.kind}{where} · {info.runs} run{'s' if info.runs != 1 else ''}"
        return f"session {number} · {text}" if with_number else text

    # --- which variables --------------------------------------------------------------------

    def select(self, session: int) -> list[str]:
        """The variables of ``session`` to draw, sorted: those asked for (all by default),
        with ``--problems`` only those named by a warning or an error, plus the variables
        their values were computed from."""
        known = self.trace.variables_of(session)
        options = self.options
        if options.variables or options.scopes:
            chosen = {name for name in (self.trace.resolve_variable(v)
                                        for v in options.variables) if name in known}
            for scope in options.scopes:
                chosen |= {n for n in known if in_scope(n, scope)}
            self._check_matches(session, known, chosen)
        else:
            chosen = set(known)
        if options.problems:
            flagged = {n for d in self.diagnostics if d.session == session
                       and d.severity != "info" for n in d.variables}
            chosen &= flagged
        return sorted(self._with_sources(session, chosen, known), key=natural_key)

    def _check_matches(self, session: int, known: dict, chosen: set[str]) -> None:
        if len(self.sessions) > 1:
            return  # a variable of one session only is fine with --session all
        for v in self.options.variables:
            name = self.trace.resolve_variable(v)
            if name not in known:
                having = [str(s.number) for s in self.trace.sessions
                          if name in self.trace.variables_of(s.number)]
                raise TftraceError(f"session {session} has no variable {name!r} "
                                   f"(it is in session {', '.join(having)})")
        for scope in self.options.scopes:
            if not any(in_scope(n, scope) for n in known):
                scopes = sorted({n.split("/")[0] for n in known if "/" in n})
                hint = f"; its top-level scopes: {', '.join(scopes[:12])}" if scopes else ""
                raise TftraceError(f"no variable of session {session} is in scope "
                                   f"{scope!r}{hint}")

    def _with_sources(self, session: int, chosen: set[str], known: dict) -> set[str]:
        # Lineage inside the session: what an assign or initialized_value() read.
        todo, done = list(chosen), set(chosen)
        while todo:
            for source in self._value_sources(session, todo.pop(), known):
                if source not in done:
                    done.add(source)
                    todo.append(source)
        return done

    def _value_sources(self, session: int, name: str, known: dict) -> list[str]:
        sources = [s for e in self.trace.variable_history(name, session).events
                   for s in e.sources]
        record = known.get(name)
        if record is not None and record.initializer is not None:
            sources += record.initializer.sources
        return [s for s in sources if s != FEED and s in known]

    # --- one session ------------------------------------------------------------------------

    def session_part(self, session: int, names: list[str]) -> SessionPart:
        facts = [self.facts(session, name) for name in names]
        groups = collapse(facts, self.trace, self.options.max_nodes)
        shared = [g for g in groups if len(g.members) > 1 and not g.summary]
        if shared:
            collapsed = sum(len(g.members) for g in shared)
            self.note(
                session, f"{collapsed} variables that share scope and history are drawn as "
                f"{len(shared)} node{'s' if len(shared) != 1 else ''} (more than --max-nodes "
                f"{self.options.max_nodes}); --scope or --var shows them one by one")
        summaries = [g for g in groups if g.summary]
        if summaries:
            count = sum(len(g.members) for g in summaries)
            self.note(
                session, f"{count} variables that do not share a history are summarized "
                f"by scope in {len(summaries)} box{'es' if len(summaries) != 1 else ''} "
                f"(more than --max-nodes {self.options.max_nodes}); --scope or --var "
                "shows them one by one")
        boxes = [self.summary_box(session, g) if g.summary
                 else self.variable_box(session, g.scope, g.members) for g in groups]
        unit = {name: box.id for box in boxes for name in box.names}
        runs: dict[tuple, RunBox] = {}
        for box, group in zip(boxes, groups):
            if group.summary:
                self.link_summary(session, box, group.members, runs)
            else:
                self.link_variable(session, box, group.members, unit, runs)
        hidden = sorted(self.hidden_saves[session] - self.drawn_saves[session])
        if hidden:
            runs_text = ", ".join(str(r) for r, _ in hidden[:6]) + (
                ", ..." if len(hidden) > 6 else "")
            self.note(session, f"earlier saves (run{'s' if len(hidden) != 1 else ''} "
                               f"{runs_text}) are not drawn: only each variable's last save, "
                               "saves a later restore reads and saves of NaN/Inf")
        total = len(self.trace.variables_of(session))
        if len(names) < total:
            self.note(session, f"showing {len(names)} of {total} variables")
        return SessionPart(number=session, heading=self.session_heading(session),
                           variables=tuple(boxes),
                           runs=tuple(runs[k] for k in sorted(runs)),
                           shown=len(names), total=total)

    def facts(self, session: int, name: str) -> _Facts:
        history = self.trace.variable_history(name, session)
        events = tuple(history.events)
        record = self.trace.variables_of(session).get(name)
        failures = []
        for run in history.failed:
            for w in run.writes:
                if w.variable == name:
                    failures.append(_Failure(run, w.kind, w.checkpoint, w.key))
        for run in self.failed_runs_of[session]:
            if self._read_uninitialized(run, name):
                failures.append(_Failure(run, "read"))
        failures.sort(key=lambda f: (f.run.run, f.kind))
        saves = tuple(sorted(self.saves_of[(session, name)]))
        initial = ()
        if record is not None and record.initializer is not None:
            initial = tuple(s for s in record.initializer.sources
                            if s in self.trace.variables_of(session))
        problems = tuple(self.problems_of[(session, name)])
        return _Facts(
            name=name, events=events, failures=tuple(failures), saves=saves,
            initial_sources=initial, problems=problems,
            event_marks=tuple(self._mark(session, name, e.checkpoint, e.key)
                              for e in events),
            failure_marks=tuple(self._mark(session, name, f.checkpoint, f.key)
                                for f in failures),
            save_marks=tuple(_non_finite(history.value(run), "saved with ")
                             for run, _, _ in saves),
            value=history.value(), history=history)

    def _read_uninitialized(self, run: RunRecord, name: str) -> bool:
        if run.error is None:
            return False
        if name in run.error.uninitialized:
            return True
        # TensorFlow names only one uninitialized variable; the run's reads say which
        # others it needed, and the model says which of those had no value then.
        return (name in run.reads
                and self.trace.origin(name, run.session, run.run).kind == "uninitialized"
                and not any(w.variable == name for w in run.writes))

    def _mark(self, session: int, name: str, checkpoint: str | None,
              key: str | None) -> str | None:
        """"missing" when the checkpoint lacks the key, a shape text when its tensor's
        shape differs from the variable's declared shape; None otherwise."""
        if checkpoint is None:
            return None
        record = self.recorded.get(self.norm(checkpoint))
        if record is None or key is None or not record.keys:
            return None
        if key not in record.keys:
            return "missing"
        shape = record.keys[key][0]
        declared = self.trace.variables_of(session)[name].shape
        if shape is not None and declared is not None and tuple(shape) != tuple(declared):
            return f"{format_shape(shape)} ≠ declared {format_shape(declared)}"
        return None

    # --- boxes and links --------------------------------------------------------------------

    def variable_box(self, session: int, scope: str, members: list[_Facts]) -> VariableBox:
        first = members[0]
        events = first.events
        found = first.history.origin_position()
        records = self.trace.variables_of(session)
        shapes = {f"{records[f.name].dtype} {format_shape(records[f.name].shape)}"
                  for f in members}
        updates = first.history.updates_since_origin()
        kind = "uninitialized" if found is None else events[found].kind
        origin = "no value (uninitialized)" if found is None else (
            f"{kind} · run {events[found].run}")
        details = self.details(session, members, origin, updates)
        return VariableBox(
            id=self.new_id("v"), session=session, names=tuple(f.name for f in members),
            scope=scope, dtype_shape=shapes.pop() if len(shapes) == 1 else "",
            origin_kind=kind, origin=origin, updates=updates, problems=first.problems,
            details=details, replaced=_replaced(first.history),
            non_finite=_group_non_finite(members))

    def details(self, session: int, members: list[_Facts], origin: str,
                updates: int) -> tuple[str, ...]:
        if len(members) > 1:
            shown = [f.name for f in members[:20]]
            more = [f"... and {len(members) - 20} more"] if len(members) > 20 else []
            return tuple([f"{len(members)} variables:"] + shown + more)
        facts = members[0]
        record = self.trace.variables_of(session)[facts.name]
        lines = [facts.name, f"{record.dtype} {format_shape(record.shape)}"]
        if record.location:
            lines.append(f"created at {record.location}")
        lines.append(f"origin: {origin}" + (f", then {updates} updates" if updates else ""))
        if facts.value is not None:
            lines.append(f"value: {format_summary(facts.value)}")
        listed = facts.events[-40:]
        if len(facts.events) > len(listed):
            lines.append(f"  ... {len(facts.events) - len(listed)} earlier writes")
        for event in listed:
            where = f" at {event.location}" if event.location else ""
            source = (f" from {event.checkpoint} key {event.key}"
                      if event.checkpoint is not None else "")
            lines.append(f"  {_event_label(event)}{where}{source}")
        lines += [f"{d.severity} {d.rule}: {d.message}" for d in facts.problems]
        return tuple(lines)

    def summary_box(self, session: int, group: "Group") -> VariableBox:
        """One box for a scope whose variables do not share a history: how many hold a
        value from where ("400 restored from ckpt/m", "12 initialized"), the findings."""
        members = group.members
        origins = [m.history.origin() for m in members]
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for event in origins:
            if event is None:
                counts[("uninitialized", "")] += 1
            elif event.checkpoint is not None:
                counts[(event.kind, self.checkpoint_display(event.checkpoint))] += 1
            else:
                counts[(event.kind, FEED if FEED in event.sources else "")] += 1
        lines = [_origin_count(kind, where, n) for (kind, where), n in
                 sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
        replaced: dict[str, int] = defaultdict(int)
        for m in members:
            what = _replaced(m.history)
            if what and not what[0].isdigit():  # "restore · run 1 + 3 updates"
                replaced[what.split(" ·")[0]] += 1
        lines += [f"{n} of them replaced a{'n' if kind[0] in 'aeiou' else ''} {kind}"
                  for kind, n in sorted(replaced.items())]
        trained = [m for m in members if m.history.updates_since_origin()]
        if trained:
            total = sum(m.history.updates_since_origin() for m in trained)
            lines.append(f"then updated: {len(trained)} ({total} update runs)")
        failed = sum(1 for m in members if m.failures)
        if failed:
            lines.append(f"{failed} with failed runs")
        by_kind: dict[str, int] = defaultdict(int)
        for (kind, _), n in counts.items():
            by_kind[kind] += n
        kind = max(by_kind, key=lambda k: (by_kind[k], k))
        problems = tuple({id(d): d for m in members for d in m.problems}.values())
        records = self.trace.variables_of(session)
        shapes = {f"{records[m.name].dtype} {format_shape(records[m.name].shape)}"
                  for m in members}
        shown = [m.name for m in members[:20]]
        more = [f"... and {len(members) - 20} more"] if len(members) > 20 else []
        return VariableBox(
            id=self.new_id("v"), session=session, names=tuple(m.name for m in members),
            scope=group.scope.rpartition("/")[0] if group.scope else "",
            dtype_shape=shapes.pop() if len(shapes) == 1 else "",
            origin_kind=kind, origin="; ".join(lines), updates=0, problems=problems,
            details=tuple(lines + [f"{len(members)} variables:"] + shown + more),
            non_finite=_group_non_finite(members), summary_of=group.scope,
            summary=tuple(lines), other_scopes=group.other_scopes)

    def checkpoint_display(self, path: str) -> str:
        self.checkpoint_id(path)  # records the spelling
        return shorten(self.display_path(self.norm(path)), 48)

    def link_summary(self, session: int, box: VariableBox, members: list[_Facts],
                     runs: dict[tuple, RunBox]) -> None:
        """A scope summary's links: one per source of its members' current origins (a
        checkpoint, or the runs of one kind), labelled with how many variables."""
        from_checkpoint: dict[tuple[str, str], list[tuple[_Facts, int]]] = defaultdict(list)
        from_runs: dict[tuple[str, bool], list[Event]] = defaultdict(list)
        for m in members:
            found = m.history.origin_position()
            if found is None:
                continue
            event = m.events[found]
            if event.checkpoint is not None:
                from_checkpoint[(self.norm(event.checkpoint), event.kind)].append((m, found))
            else:
                from_runs[(event.kind, FEED in event.sources)].append(event)
        for (path, kind), used in sorted(from_checkpoint.items()):
            events = [m.events[i] for m, i in used]
            mark = next((m.event_marks[i] for m, i in used if m.event_marks[i]), None)
            port = self.key_row(events[0].checkpoint, [e.key for e in events], mark)
            first = min(e.run for e in events)
            self.use_checkpoint(path, session, first)
            self.add(session, Link(self.checkpoint_id(events[0].checkpoint), box.id, kind,
                                   CURRENT, f"{kind} · {_plural(len(used), 'variable')}",
                                   source_port=port))
        for (kind, fed), events in sorted(from_runs.items()):
            distinct = sorted({e.run for e in events})
            if len(distinct) == 1:
                source = self.run_box(runs, session, events[0])
            else:
                key = (distinct[0], kind + "*", distinct[-1], len(distinct))
                if key not in runs:
                    runs[key] = RunBox(id=self.new_id("r"), session=session, kind=kind,
                                       run=distinct[0], last_run=distinct[-1], count=1,
                                       location=_common([e.location for e in events]),
                                       fed=fed, distinct=len(distinct))
                source = runs[key].id
            self.add(session, Link(source, box.id, kind, CURRENT,
                                   f"{kind} · {_plural(len(events), 'variable')}"))

    def link_variable(self, session: int, box: VariableBox, members: list[_Facts],
                      unit: dict[str, str], runs: dict[tuple, RunBox]) -> None:
        first = members[0]
        events = first.events
        found = first.history.origin_position()
        next_origin = _next_origins(events)
        drawn = _drawn_events(events)
        if len(drawn) > WRITES_DRAWN:
            # A long history (an assign from a feed every run): the last writes are drawn,
            # the earlier ones are one box. The tooltip still lists every write.
            earlier, drawn = drawn[:-(WRITES_DRAWN - 1)], drawn[-(WRITES_DRAWN - 1):]
            start, end = earlier[0][1].run, earlier[-1][1].last_run
            key = (start, EARLIER, end, len(earlier))
            if key not in runs:
                runs[key] = RunBox(id=self.new_id("r"), session=session, kind=EARLIER,
                                   run=start, last_run=end, count=1, location=None,
                                   distinct=len(earlier))
            self.add(session, Link(runs[key].id, box.id, EARLIER, OVERWRITTEN,
                                   f"{_plural(len(earlier), 'earlier write')} · runs "
                                   f"{start}-{end} — overwritten"))
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
            label = _event_label(event)
            if status in (OVERWRITTEN, DISCARDED) and next_origin[i] is not None:
                label += f" — {status} at run {next_origin[i]}"
            if event.checkpoint is not None:
                keys = [m.events[i].key for m in members]
                port = self.key_row(event.checkpoint, keys, first.event_marks[i])
                self.use_checkpoint(event.checkpoint, session, event.run)
                self.add(session, Link(self.checkpoint_id(event.checkpoint), box.id,
                                       event.kind, status, label, source_port=port))
            else:
                source = self.run_box(runs, session, event)
                self.add(session, Link(source, box.id, event.kind, status, label))
            for name in dict.fromkeys(event.sources):
                if name in unit and event.kind == "assign":
                    self.add(session, Link(unit[name], box.id, "value", FROM))
        if any(e.kind == "initializer" for e in events):
            for name in first.initial_sources:
                if name in unit:
                    self.add(session, Link(unit[name], box.id, "value", FROM))
        for j, failure in enumerate(first.failures):
            if j < len(first.failures) - FAILURES_DRAWN:
                continue  # the last few attempts say it; the tooltip lists them all
            self.link_failure(session, box, members, j, failure, runs)
        for j, (run, path, _) in enumerate(first.saves):
            if (j < len(first.saves) - 1 and first.save_marks[j] is None
                    and not self.restored_after(path, session, run)):
                # Periodic checkpoints would bury the picture in save edges: drawn are
                # each variable's last save, the saves some restore reads back, and
                # saves of NaN/Inf values.
                self.hidden_saves[session].add((run, path))
                continue
            self.drawn_saves[session].add((run, path))
            keys = [m.saves[j][2] for m in members]
            port = self.key_row(path, keys, first.save_marks[j])
            # A session that restores from the file it saves to would make a cycle:
            # such saves are drawn without pulling the checkpoint to the right.
            self.add(session, Link(box.id, self.checkpoint_id(path), "save", SAVED,
                                   f"save · run {run}", target_port=port,
                                   constraint=path not in self.restored_from[session]))

    def link_failure(self, session: int, box: VariableBox, members: list[_Facts], j: int,
                     failure: _Failure, runs: dict[tuple, RunBox]) -> None:
        run, error = failure.run, failure.run.error.type
        probe = failure.kind == "read" and _probed(box.problems)
        if probe:
            label = f"probe: read uninitialized · run {run.run} ({error} caught)"
        elif failure.kind == "read":
            label = f"read uninitialized · run {run.run} ({error})"
        else:
            label = f"{failure.kind} failed · run {run.run} ({error})"
        if failure.checkpoint is not None:
            keys = [m.failures[j].key for m in members]
            port = self.key_row(failure.checkpoint, keys, members[0].failure_marks[j])
            self.use_checkpoint(failure.checkpoint, session, run.run)
            self.add(session, Link(self.checkpoint_id(failure.checkpoint), box.id,
                                   failure.kind, FAILED, label, source_port=port))
            return
        kind = "probe" if probe else "failed"
        key = (run.run, kind, run.run, 1)
        if key not in runs:
            runs[key] = RunBox(id=self.new_id("r"), session=session, kind=kind,
                               run=run.run, last_run=run.run, count=1,
                               location=run.location, error=error)
        self.add(session, Link(runs[key].id, box.id, failure.kind, PROBE if probe else FAILED,
                               label))

    def run_box(self, runs: dict[tuple, RunBox], session: int,
                event: Event) -> str:
        key = (event.run, event.kind, event.last_run, event.count)
        if key not in runs:
            process = local = None
            if event.process is not None:
                process = event.process.label
                if event.local is not None:
                    first, last = event.local[1:]
                    local = f"r{run_span(first, last)}"
            runs[key] = RunBox(id=self.new_id("r"), session=session, kind=event.kind,
                               run=event.run, last_run=event.last_run, count=event.count,
                               location=event.location, fed=FEED in event.sources,
                               process=process, local=local)
        return runs[key].id

    # --- checkpoints ------------------------------------------------------------------------

    def checkpoint_id(self, path: str) -> str:
        raw, path = path, self.norm(path)
        # Shown as the program wrote it (the shortest spelling when it used several);
        # identified by the normalized path, so ./ckpt/m and ckpt/m are one checkpoint.
        known = self.checkpoint_ids.get(path)
        if known is None or (len(raw), raw) < (len(known), known):
            self.checkpoint_ids[path] = raw
        return f"checkpoint:{path}"

    def restored_after(self, path: str, session: int, run: int) -> bool:
        """Whether some run of the trace restores (or tries to) from ``path`` after the
        save in ``run`` of ``session``."""
        return any(when > (session, run) for when in self.read_back.get(path, ()))

    def use_checkpoint(self, path: str, session: int, run: int) -> None:
        """Remember the first run that restored (or tried to) from ``path``."""
        path = self.norm(path)
        self.first_use[path] = min(self.first_use.get(path, (session, run)), (session, run))

    def display_path(self, path: str) -> str:
        """The path as the program spelt it, relative to its working directory when
        inside it (``ckpt/model.ckpt``, not ``/home/me/proj/ckpt/model.ckpt``)."""
        shown = self.checkpoint_ids[path]
        cwd = self.trace.header.cwd
        if cwd and os.path.isabs(shown) and shown.startswith(cwd.rstrip("/") + "/"):
            return shown[len(cwd.rstrip("/")) + 1:]
        return shown

    def key_row(self, path: str, keys: list[str | None], mark: str | None) -> str:
        """The port of the row for ``keys`` (one key, or a pattern for a group)."""
        text = key_pattern([k if k is not None else "(no key)" for k in keys])
        self.drawn_keys[self.norm(path)].update(k for k in keys if k is not None)
        rows = self.rows[self.norm(path)]
        if text not in rows or rows[text] is None:
            rows[text] = mark
        return f"row:{text}"

    def checkpoint_boxes(self) -> tuple[CheckpointBox, ...]:
        """Checkpoint boxes numbered in path order; links are rewritten to their ids."""
        boxes, ids, ports = [], {}, {}
        linked = {end for link in self.links for end in (link.source, link.target)}
        paths = [p for p in sorted(self.checkpoint_ids, key=natural_key)
                 if f"checkpoint:{p}" in linked]  # cap_links may have dropped all of them
        for n, path in enumerate(paths, 1):
            ids[f"checkpoint:{path}"] = f"c{n}"
            rows = []
            for m, text in enumerate(sorted(self.rows[path], key=natural_key), 1):
                ports[(f"c{n}", f"row:{text}")] = f"k{m}"
                rows.append(KeyRow(port=f"k{m}", text=text, mark=self.rows[path][text]))
            record = self.recorded.get(path)
            if any(row.mark == "missing" for row in rows):
                # Keys the restore wanted are missing: the ones nobody used are what the
                # var_list mapping would point at, so they are listed.
                unused = self.unused_keys(path, record)
                rows += [KeyRow(port=None, text=key, mark="not used")
                         for key in unused[:UNUSED_SHOWN]]
                if len(unused) > UNUSED_SHOWN:
                    rows.append(KeyRow(port=None, text=f"+ {len(unused) - UNUSED_SHOWN} "
                                                        "more keys", mark="not used"))
            boxes.append(CheckpointBox(id=f"c{n}", path=self.display_path(path),
                                       rows=tuple(rows), first_use=self.first_use.get(path),
                                       notes=self.checkpoint_notes(path, record, rows),
                                       error=record.error if record else None))
        self.links = _label_once([_renamed(link, ids, ports) for link in self.links])
        return tuple(boxes)

    def checkpoint_notes(self, path: str, record: CheckpointRecord | None,
                         rows: list[KeyRow]) -> tuple[str, ...]:
        notes = []
        restore = self.first_use.get(path)
        if restore is not None:
            earlier = [s for s in self.trace.saves if s.path is not None
                       and self.norm(s.path) == path and (s.session, s.run) < restore]
            if earlier:
                save = max(earlier, key=lambda s: (s.session, s.run))
                if save.session not in self.sessions:
                    where = f" at {save.location}" if save.location else ""
                    notes.append(f"saved by session {save.session}, run {save.run}{where}")
        unused = self.unused_keys(path, record)
        if unused and not any(row.mark == "missing" for row in rows):
            notes.append(f"+ {len(unused)} other key{'s' if len(unused) != 1 else ''}")
        return tuple(notes)

    def unused_keys(self, path: str, record: CheckpointRecord | None) -> list[str]:
        if record is None:
            return []
        return sorted(set(record.keys) - self.drawn_keys[path], key=natural_key)


# --- collapsing -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    """The variables one node stands for: one variable, several sharing scope and history
    (drawn like one), or a scope summary (``summary``: histories differ)."""

    scope: str
    members: list[_Facts]
    summary: bool = False
    other_scopes: int = 0      # a summary lumping this many of the smallest scopes


def collapse(facts: list[_Facts], trace: Trace, max_nodes: int) -> list[Group]:
    """The nodes to draw, never more than ``max_nodes``. Up to ``max_nodes`` variables
    each get a node; beyond that, variables with the same history collapse into one node
    per scope, and the scopes are cut shorter (``a/b/c`` → ``a/b`` → ``a`` → top) until
    the nodes fit. When even that is too many (the variables do not share a history),
    each scope becomes one summary node (see :func:`summarize_scopes`)."""
    if len(facts) <= max_nodes:
        return [Group(f.scope, [f]) for f in facts]
    signatures = [f.signature(trace) for f in facts]
    depth = max(f.name.count("/") for f in facts)
    for level in range(depth, -1, -1):
        groups: dict[tuple[str, tuple], list[_Facts]] = {}
        for f, signature in zip(facts, signatures):
            groups.setdefault((_cut(f.scope, level), signature), []).append(f)
        if len(groups) <= max_nodes:
            nodes = [Group(scope if len(members) > 1 else members[0].scope, members)
                     for (scope, _), members in groups.items()]
            return sorted(nodes, key=lambda node: natural_key(node.members[0].name))
    return summarize_scopes(facts, signatures, max_nodes)


def summarize_scopes(facts: list[_Facts], signatures: list[tuple],
                     max_nodes: int) -> list[Group]:
    """At most ``max_nodes`` nodes for variables that do not share a history: the
    deepest scopes that fit, one node each (a scope whose variables do share one history
    is drawn as a plain collapsed node); when even the top-level scopes are too many, the
    largest get a node each and the rest one node together."""
    depth = max(f.name.count("/") for f in facts)
    scopes: dict[str, list[int]] = {}
    for level in range(max(depth, 1), 0, -1):
        scopes = {}
        for i, f in enumerate(facts):
            scopes.setdefault(_cut(f.scope, level), []).append(i)
        if len(scopes) <= max_nodes:
            break
    lump: list[int] = []
    lumped = 0
    if len(scopes) > max_nodes:
        by_size = sorted(scopes, key=lambda s: (-len(scopes[s]), natural_key(s)))
        for scope in by_size[max_nodes - 1:]:
            lump += scopes.pop(scope)
            lumped += 1
    nodes = []
    for scope, members in scopes.items():
        if len({signatures[i] for i in members}) == 1:
            nodes.append(Group(scope if len(members) > 1 else facts[members[0]].scope,
                               [facts[i] for i in members]))
        else:
            nodes.append(Group(scope, [facts[i] for i in members], summary=True))
    nodes.sort(key=lambda node: natural_key(node.members[0].name))
    if lump:
        nodes.append(Group("", [facts[i] for i in sorted(lump)], summary=True,
                           other_scopes=lumped))
    return nodes


def _cut(scope: str, level: int) -> str:
    return "/".join(scope.split("/")[:level]) if scope else ""


def in_scope(name: str, scope: str) -> bool:
    """``--scope enc`` matches ``enc`` and ``enc/...``, not ``encoder/...``."""
    scope = scope.rstrip("/")
    return not scope or name == scope or name.startswith(scope + "/")


def key_pattern(keys: list[str]) -> str:
    """One key as it is; several as their common scope: ``conv3/* (12 keys)``."""
    unique = sorted(set(keys))
    if len(unique) == 1:
        return unique[0]
    prefix = os.path.commonprefix(unique).rpartition("/")[0]
    return f"{prefix + '/' if prefix else ''}* ({len(unique)} keys)"


# --- small helpers --------------------------------------------------------------------------

def _normalizer(trace: Trace):
    def norm(path: str | None) -> str | None:
        return None if path is None else trace.normalize_path(path)
    return norm


_ORIGIN_WORDS = {"restore": "restored", "initializer": "initialized", "assign": "assigned",
                 "uninitialized": "with no value"}


def _origin_count(kind: str, where: str, n: int) -> str:
    """``"400 restored from ckpt/m"``, ``"12 initialized"``, ``"3 assigned (fed)"``."""
    text = f"{n} {_ORIGIN_WORDS.get(kind, kind)}"
    if where == FEED:
        return text + " (fed)"
    if where:
        via = " (by the initializer)" if kind == "initializer" else ""
        return f"{n} restored from {where}{via}"
    return text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _common(locations: list[str | None]) -> str | None:
    """The one call site all ``locations`` share, or None."""
    unique = set(locations)
    return unique.pop() if len(unique) == 1 else None


def _non_finite(value: ValueSummary | None, prefix: str = "") -> str | None:
    """``"3 NaN"``, ``"1 NaN, 2 Inf"``, or None for a finite (or unknown) value."""
    if value is None or value.finite:
        return None
    bad = [f"{n} {what}" for n, what in ((value.nan, "NaN"), (value.inf, "Inf")) if n]
    return prefix + ", ".join(bad)


def _probed(problems: tuple[Diagnostic, ...]) -> bool:
    """True when the variable's uninitialized reads are the probe pattern: only info
    findings of ``uninitialized-read`` name it (a probe is not a bug, PRODUCT §1.2)."""
    reads = [d for d in problems if d.rule == "uninitialized-read"]
    return bool(reads) and all(d.severity == "info" for d in reads)


def _group_non_finite(members: list[_Facts]) -> str | None:
    if len(members) == 1:
        return _non_finite(members[0].value)
    bad = sum(1 for m in members if _non_finite(m.value) is not None)
    return f"NaN or Inf in {bad} of {len(members)}" if bad else None


def _replaced(history: History) -> str:
    """What the current origin replaced, when that is news: a restore or an assign
    (``restore · run 1``) and the updates since (``3 updates``). An initializer replaced
    by a restore is the normal start of every fine-tuning run: not news."""
    before, updates = history.replaced()
    parts = []
    if before is not None and (before.kind != "initializer" or before.checkpoint is not None):
        parts.append(f"{before.kind} · run {before.run}")
    if updates:
        parts.append(f"{updates} update{'s' if updates != 1 else ''}")
    return " + ".join(parts)


def _drawn_events(events: tuple[Event, ...]) -> list[tuple[int, Event]]:
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


def _next_origins(events: tuple[Event, ...]) -> list[int | None]:
    """For each event, the run of the next origin after it (what replaced it)."""
    out: list[int | None] = [None] * len(events)
    upcoming = None
    for i in range(len(events) - 1, -1, -1):
        out[i] = upcoming
        if events[i].is_origin:
            upcoming = events[i].run
    return out


def _event_label(event: Event) -> str:
    if event.kind == "update":
        count = f" ×{event.count}" if event.count != 1 else ""
        runs = f"runs {event.runs}" if event.last_run != event.run else f"run {event.run}"
        return f"update{count} · {runs}"
    if event.kind == "initializer" and event.checkpoint is not None:
        return f"initializer (from checkpoint) · run {event.run}"
    return f"{event.kind} · run {event.run}"


def _label_once(links: list[Link]) -> list[Link]:
    seen: set[tuple[str, str, int]] = set()
    out = []
    for link in links:
        # Saves bundle where they arrive (one checkpoint), the rest where they leave.
        bundle = (link.target if link.kind == "save" else link.source, link.label,
                  link.session)
        out.append(replace(link, quiet=bundle in seen) if link.label else link)
        seen.add(bundle)
    return out


def _renamed(link: Link, ids: dict[str, str], ports: dict[tuple[str, str], str]) -> Link:
    source, target = ids.get(link.source, link.source), ids.get(link.target, link.target)
    return replace(link, source=source, target=target,
                   source_port=ports.get((source, link.source_port), link.source_port),
                   target_port=ports.get((target, link.target_port), link.target_port))
