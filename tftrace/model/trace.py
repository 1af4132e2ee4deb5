"""``Trace``: a loaded trace file and the questions you can ask it."""
from __future__ import annotations

import html
import os
from typing import TYPE_CHECKING, Iterable, Iterator

from tftrace.findings import plural
from tftrace.gcpause import paused_gc
from tftrace.model import queries
from tftrace.model.diagnostics import SEVERITY_RANK, Diagnostic, check
from tftrace.model.events import Event, MergeNote, Origin, Process, Save, SessionInfo
from tftrace.model.explain import Explanation, explain
from tftrace.model.history import History
from tftrace.model.index import TraceIndex, build_index
from tftrace.model.lineage import Lineage, lineage
from tftrace.model.queries import KeyProblem, RestoreMatch, UninitializedRead, ValueChange
from tftrace.tracefile import (
    CheckpointRecord,
    Header,
    ProcessRecord,
    RawTrace,
    RecorderError,
    RunRecord,
    SaverRecord,
    StreakRecord,
    ValueSummary,
    VariableRecord,
    read_trace,
)

if TYPE_CHECKING:
    import networkx as nx

#: What is said of a trace whose last line was torn (the recording process was killed).
TRUNCATED_NOTE = ("trace was cut short (the program was killed?); "
                  "showing everything recorded up to then")


class Trace:
    """A recorded trace: sessions, variables, their writes, and the provenance graph.

    Variables belong to graphs and sessions run a graph, so "``w`` in session 2" means the
    variable ``w`` of session 2's graph. Wherever a method takes ``session=None`` it uses the
    last session whose graph has the variable. Variable names may be given as ``name`` or
    ``name:0``.

    The model draws nothing: :func:`tftrace.load` gives a :class:`tftrace.api.Trace`, this
    class with ``to_dot()`` and a notebook diagram from the DOT view.

    >>> trace = Trace.load("tests/data/restore_then_init.jsonl")
    >>> trace.origin("dense/kernel").kind
    'initializer'
    >>> [e.kind for e in trace.events("dense/kernel:0")]
    ['restore', 'initializer']
    """

    def __init__(self, raw: RawTrace):
        with paused_gc():  # a big index is many small acyclic objects (tftrace.gcpause)
            self._start(build_index(raw))

    @classmethod
    def _from_index(cls, index: TraceIndex) -> "Trace":
        """A trace over an index already built (a merge's)."""
        trace = cls.__new__(cls)
        trace._start(index)
        return trace

    def _start(self, index: TraceIndex) -> None:
        """What every trace starts with, one process's (``__init__``) or a merge's: its
        index; the graph and the findings are built when first asked for."""
        self._index: TraceIndex = index
        self._graph: nx.MultiDiGraph | None = None
        self._diagnostics: list[Diagnostic] | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Trace":
        """Read a trace file — or a merged trace, or a directory of traces (merged on
        the fly, see :meth:`merge`). Raises :class:`~tftrace.errors.TraceNotFound` or
        :class:`~tftrace.errors.TraceFormatError` with a one-line message."""
        from tftrace.model import merge

        path = os.fspath(path)
        if merge.needs_merge(path):
            return cls.merge([path], name=path)
        with paused_gc():
            return cls(read_trace(path))

    @classmethod
    def merge(cls, paths: Iterable[str | os.PathLike[str]], name: str | None = None,
              ) -> "Trace":
        """The traces of a job's processes (files, merged files, directories) as one
        trace: variables on the same server are one variable, every event says which
        process wrote it (see :mod:`tftrace.model.merge`).

        >>> trace = Trace.merge(["tests/data/cluster_wipe"])
        >>> [p.label for p in trace.processes]
        ['ps:0', 'worker:0', 'worker:1']
        >>> trace.origin("global_step").event.process.label
        'worker:1'
        """
        from tftrace.model import merge

        paths = [os.fspath(p) for p in paths]
        with paused_gc():
            return cls.merge_raw(merge.read_traces(paths), name or ", ".join(paths))

    @classmethod
    def merge_raw(cls, raws: Iterable[RawTrace], name: str) -> "Trace":
        """:meth:`merge` of traces already read (``tftrace.tracefile.read_trace``)."""
        from tftrace.model import merge

        with paused_gc():
            return cls._from_index(merge.merge_traces(list(raws), name))

    @property
    def processes(self) -> list[Process]:
        """The processes of a merged trace, in merge order (empty for one process's)."""
        return list(self._index.processes)

    def process_of(self, session: int, run: int | None) -> tuple[Process, int, int] | None:
        """In a merged trace: the process that ran ``run`` of ``session``, with the session
        and (first) run number in that process's own trace; None otherwise."""
        from tftrace.model.merge import run_process

        return run_process(self._index, session, run)

    @property
    def merge_notes(self) -> list[MergeNote]:
        """What a merge could not join, and the cluster's processes with no trace."""
        return list(self._index.merge_notes)

    # --- what the trace holds ------------------------------------------------------------

    @property
    def index(self) -> TraceIndex:
        """The lower-level lookups (events, value samples, failed runs by variable) the
        model's queries build on; see :class:`~tftrace.model.index.TraceIndex`. Rules and
        views read :class:`History` and this class's queries instead (a test checks)."""
        return self._index

    @property
    def path(self) -> str:
        return self._index.path

    @property
    def header(self) -> Header:
        return self._index.header

    @property
    def truncated(self) -> bool:
        """True when the trace was cut short (the recording process was killed)."""
        return self._index.truncated

    @property
    def unclosed_sessions(self) -> list[int]:
        """Sessions with no end record: the program was killed (SIGKILL, OOM) or is still
        running. What the trace holds of them is true but may be incomplete: their update
        counts are lower bounds, up to the last update streak written."""
        return [s.number for s in self._index.sessions.values() if not s.closed]

    @property
    def unclosed_note(self) -> str | None:
        """One line saying which sessions never closed and what that means, or None.

        >>> print(Trace.load("tests/data/truncated.jsonl").unclosed_note)
        session 1 never closed (the program was killed, or is still running): its counts ...
        """
        numbers = self.unclosed_sessions
        if not numbers:
            return None
        which = (f"session {numbers[0]}" if len(numbers) == 1
                 else "sessions " + ", ".join(map(str, numbers)))
        their = "its" if len(numbers) == 1 else "their"
        return (f"{which} never closed (the program was killed, or is still running): "
                f"{their} counts are lower bounds, up to the last update streak written")

    @property
    def incomplete(self) -> dict | None:
        """What ``check`` and ``explain --format json`` say of a trace that may not hold
        the whole story, as ``"incomplete"``: ``{"truncated": bool, "unclosed_sessions":
        [numbers], "note": one line}``; None for a complete trace (and then the key is
        left out of their JSON).

        >>> Trace.load("tests/data/truncated.jsonl").incomplete["unclosed_sessions"]
        [1]
        """
        unclosed = self.unclosed_sessions
        if not self.truncated and not unclosed:
            return None
        notes = ([TRUNCATED_NOTE] if self.truncated else []) + (
            [self.unclosed_note] if unclosed else [])
        return {"truncated": self.truncated, "unclosed_sessions": unclosed,
                "note": "; ".join(notes)}

    @property
    def sessions(self) -> list[SessionInfo]:
        return list(self._index.sessions.values())

    @property
    def session_numbers(self) -> list[int]:
        """The number of every session, in trace order."""
        return list(self._index.sessions)

    def has_session(self, number: int) -> bool:
        return number in self._index.sessions

    def session(self, number: int) -> SessionInfo:
        """Session ``number``; :class:`~tftrace.errors.UnknownSession` if there is none."""
        queries.check_session(self._index, number)
        return self._index.sessions[number]

    @property
    def variables(self) -> dict[int, dict[str, VariableRecord]]:
        """graph number → variable name → its declaration, in declaration order."""
        return self._index.variables

    def variable_names(self, session: int | None = None) -> list[str]:
        """Every variable name of every graph (or of ``session``'s graph), sorted."""
        if session is None:
            return queries.variable_names(self._index)
        queries.check_session(self._index, session)
        return sorted(self._index.variables_of(session))

    def variables_of(self, session: int) -> dict[str, VariableRecord]:
        """Variable name → declaration for ``session``'s graph (empty for no session)."""
        return self._index.variables_of(session)

    def normalize_path(self, path: str) -> str:
        """A checkpoint path as the traced process meant it: absolute in its cwd."""
        return self._index.normalize_path(path)

    def variable(self, name: str, session: int | None = None) -> VariableRecord:
        """The declaration (dtype, shape, creation site, initializer) of a variable."""
        name, session = self._locate(name, session)
        return self._index.variables_of(session)[name]

    @property
    def savers(self) -> list[SaverRecord]:
        return self._index.savers

    @property
    def saves(self) -> list[Save]:
        """Every run that saved a checkpoint, in trace order."""
        return self._index.saves

    @property
    def checkpoints(self) -> dict[str, CheckpointRecord]:
        """Contents of checkpoints the program read or wrote, by path as recorded."""
        return self._index.checkpoints

    @property
    def runs(self) -> list[RunRecord]:
        """Every recorded run (update streaks excepted), in trace order."""
        return self._index.runs

    @property
    def streaks(self) -> list[StreakRecord]:
        """Every recorded update streak, in trace order."""
        return self._index.streaks

    @property
    def failed_runs(self) -> list[RunRecord]:
        return self._index.failed_runs

    @property
    def recorder_errors(self) -> list[RecorderError]:
        return self._index.recorder_errors

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The provenance graph (built on first use); see :mod:`tftrace.model.graph`."""
        if self._graph is None:
            # networkx is imported here, on first use: it costs more than reading most
            # traces, and check, explain, render and view never need it.
            from tftrace.model.graph import build_graph

            with paused_gc():  # thousands of nodes and edges, no cycles to collect
                self._graph = build_graph(self._index)
        return self._graph

    def graph_with(self, others: Iterable["Trace"]) -> nx.MultiDiGraph:
        """The provenance graph of this trace and ``others`` (the traces that wrote or
        read its checkpoints) as one, so that :meth:`lineage` with the same ``others`` is
        a path in it: this trace's nodes keep their ids, those of ``others[i]`` are
        prefixed ``trace<i+1>:``; checkpoints and keys are one node whoever names them."""
        from tftrace.model.graph import build_graph  # networkx, on first use as above

        return build_graph(self._index, [t._index for t in others])

    # --- queries -------------------------------------------------------------------------

    def resolve_variable(self, name: str) -> str:
        """The trace's name for ``name`` (``"w:0"`` → ``"w"``); raises
        :class:`~tftrace.errors.UnknownVariable` with close matches."""
        return queries.resolve_variable(self._index, name)

    def events(self, variable: str, session: int | None = None) -> list[Event]:
        """The writes to ``variable`` in one session, ordered by run."""
        return queries.events(self._index, *self._locate(variable, session))

    def history(self, variable: str) -> list[Event]:
        """The writes to ``variable`` in every session."""
        return queries.history(self._index, self.resolve_variable(variable))

    def variable_history(self, variable: str, session: int | None = None) -> History:
        """What the writes to ``variable`` in one session mean: its current origin, what
        that replaced, clobbered restores, discarded updates, its value at any run."""
        return queries.variable_history(self._index, *self._locate(variable, session))

    def histories(self, session: int | None = None) -> Iterator[History]:
        """The :class:`History` of every variable written in some session (in
        ``session``, when given), ordered by session then name: what the rules walk."""
        if session is not None:
            queries.check_session(self._index, session)
            return queries.histories(self._index, session)
        # Built once: every rule about history walks them all (a trace does not change).
        built = self.__dict__.get("_histories")
        if built is None:
            built = self.__dict__["_histories"] = list(queries.histories(self._index))
        return iter(built)

    # --- queries for the rules: names as the trace spells them, nothing resolved ----------

    def history_of(self, variable: str, session: int) -> History:
        """:meth:`variable_history` for a name the trace itself gave (a declaration, a
        run's reads or error): not resolved, never an error; empty when nothing wrote it.

        >>> trace = Trace.load("tests/data/restore_then_init.jsonl")
        >>> [e.kind for e in trace.history_of("dense/kernel", 1).events]
        ['restore', 'initializer']
        >>> trace.history_of("no/such", 1).events
        ()
        """
        return queries.variable_history(self._index, variable, session)

    def variables_written(self, session: int) -> set[str]:
        """The variables some run of ``session`` wrote (a failed run writes nothing)."""
        return queries.variables_written(self._index, session)

    def value_timelines(self) -> Iterator[tuple[int, str, list[tuple[int, ValueSummary]]]]:
        """(session, variable, its (run, value summary) timeline) for every variable whose
        value the recorder read, written or only read, by session then name."""
        return queries.value_timelines(self._index)

    def restores(self) -> Iterator[tuple[int, int, list[Event]]]:
        """(session, run, its restore events) for every run that restored, in order."""
        return queries.restores(self._index)

    def events_of_run(self, session: int, run: int) -> list[Event]:
        """The writes of one run (of the streak that started at ``run``), as recorded."""
        return list(self._index.events_of_run.get((session, run), ()))

    def location_of_run(self, session: int, run: int) -> str | None:
        """The call site of ``run`` of ``session``: its record's, or its streak's."""
        return queries.location_of_run(self._index, session, run)

    def sessions_of_graph(self, graph: int) -> list[int]:
        """The numbers of the sessions that ran ``graph``, in order (empty for none)."""
        return list(self._index.sessions_of_graph.get(graph, ()))

    def variables_while_open(self, session: int) -> dict[str, VariableRecord]:
        """The variables of ``session``'s graph that existed while it was open (a graph
        can grow after a session closed: an optimizer's slots built for a later one)."""
        return self._index.variables_while_open(session)

    # --- what failed: one answer for the rules and the views ---------------------------
    # Each is indexed once per trace (a trace does not change): looked up per variable,
    # a scan of every run or finding would make a 10 000-variable diagram quadratic.

    def _once(self, name: str, build):  # a value computed on first use, then kept
        found = self.__dict__.get(name)
        if found is None:
            found = self.__dict__[name] = build()
        return found

    def uninitialized_reads(self) -> list[UninitializedRead]:
        """Every run that failed reading variables with no value, naming all of them
        (TensorFlow names one): what ``uninitialized-read`` reports and the diagram
        draws.

        >>> trace = Trace.load("examples/traces/uninitialized_read.json")
        >>> [(r.run.run, r.variables) for r in trace.uninitialized_reads()]
        [(1, ('dense/bias', 'dense/kernel'))]
        """
        return self._once("_uninitialized_reads",
                          lambda: queries.uninitialized_reads(self._index))

    def uninitialized_reads_of(self, variable: str, session: int) -> list[RunRecord]:
        """The failed runs of ``session`` that read ``variable`` (as the trace spells
        it) while it had no value, in run order (see :meth:`uninitialized_reads`)."""
        def build() -> dict[tuple[int, str], list[RunRecord]]:
            out: dict[tuple[int, str], list[RunRecord]] = {}
            for read in self.uninitialized_reads():
                for name in read.variables:
                    out.setdefault((read.run.session, name), []).append(read.run)
            return out
        return list(self._once("_uninitialized_of", build).get((session, variable), ()))

    def restore_matches(self) -> list[RestoreMatch]:
        """Every restore (run, checkpoint) matched against the checkpoint's recorded keys
        and the declared shapes: what the ``checkpoint-*`` rules report."""
        return self._once("_restore_matches", lambda: queries.restore_matches(self._index))

    def key_problem(self, session: int, run: int, variable: str) -> KeyProblem | None:
        """What was wrong with the checkpoint key ``variable`` was restored from in
        ``run`` of ``session`` (missing, another shape), or None: the findings of
        ``checkpoint-key-missing`` / ``checkpoint-shape-mismatch``, per variable."""
        problems = self._once("_key_problems",
                              lambda: queries.key_problems(self.restore_matches()))
        return problems.get((session, run, variable))

    def saves_of(self, variable: str, session: int) -> list[tuple[Save, str]]:
        """(save, checkpoint key) for every save of ``session`` that wrote ``variable``
        (as the trace spells it), in trace order."""
        saves = self._once("_saves_of", lambda: queries.saves_by_variable(self._index))
        return list(saves.get((session, variable), ()))

    def checkpoint_reads(self) -> dict[str, tuple[tuple[int, int], ...]]:
        """Checkpoint path (normalized, see :meth:`normalize_path`) → (session, run) of
        every write that read it (restores, initializers from a checkpoint), done or
        failed."""
        return self._once("_checkpoint_reads", lambda: {
            path: tuple(reads) for path, reads in
            queries.checkpoint_reads(self._index, self.normalize_path).items()})

    @property
    def process_record(self) -> ProcessRecord | None:
        """One process's own trace: who it was in its cluster (job, task, chief, cluster
        spec), or None (not recorded, or a merged trace: see :attr:`processes`)."""
        return self._index.process

    def origin(self, variable: str, session: int | None = None,
               run: int | None = None) -> Origin:
        """Where the value came from: the last initializer/restore/assign (as of ``run``).

        >>> Trace.load("tests/data/init_then_restore.jsonl").origin("w").checkpoint
        '/tmp/pretrained/model'
        """
        name, session = self._locate(variable, session)
        return queries.origin(self._index, name, session, run)

    def updates_since_origin(self, variable: str, session: int | None = None,
                             run: int | None = None) -> int:
        """How many update runs (training steps, ``assign_add``...) followed the origin."""
        name, session = self._locate(variable, session)
        return queries.updates_since_origin(self._index, name, session, run)

    def value(self, variable: str, session: int | None = None,
              run: int | None = None) -> ValueSummary | None:
        """The latest recorded value summary (as of ``run``), or None if none was read."""
        name, session = self._locate(variable, session)
        return queries.value(self._index, name, session, run)

    def lineage(self, variable: str, session: int | None = None,
                others: Iterable["Trace"] = ()) -> Lineage:
        """The value's way back to its first origin, across checkpoints saved in this
        trace or in ``others`` (traces of the programs that wrote the checkpoints).

        >>> steps = Trace.load("tests/data/save_then_restore.jsonl").lineage("w")
        >>> [(step.session, step.origin.kind) for step in steps]
        [(2, 'restore'), (1, 'initializer')]
        """
        name, session = self._locate(variable, session)
        return lineage(self._index, name, session, [t._index for t in others])

    def shared_origin(self, variable: str, session: int | None = None) -> list[str]:
        """Other variables whose value came from the same run (and checkpoint)."""
        return queries.shared_origin(self._index, *self._locate(variable, session))

    def diff(self, session: int, run_a: int, run_b: int) -> list[ValueChange]:
        """Variables whose value differs between two runs of ``session``."""
        queries.check_session(self._index, session)
        return queries.diff(self._index, session, run_a, run_b)

    def explain(self, variable: str, session: int | None = None) -> Explanation:
        """Everything ``tftrace explain`` says about ``variable``.

        >>> trace = Trace.load("tests/data/restore_then_init.jsonl")
        >>> origin = trace.explain("dense/kernel").to_json()["origin"]
        >>> origin["kind"], origin["run"], origin["location"]
        ('initializer', 2, 'train.py:44')
        """
        name, session = self._locate(variable, session)
        return explain(self._index, name, session,
                       lambda: self.diagnostics_for(name, session))  # run when asked

    def diagnostics(self, min_severity: str = "info") -> list[Diagnostic]:
        """Every finding of ``tftrace check``, most severe first (computed once).

        >>> [d.rule for d in Trace.load("examples/traces/restore_then_init.json").diagnostics()]
        ['restore-overwritten']
        """
        if self._diagnostics is None:
            # Rules build many small acyclic objects (a History per variable): on a big
            # trace the collector's passes over the loaded index would cost more than them.
            with paused_gc():
                self._diagnostics = check(self)
            if self._index.processes:
                from tftrace.model.merge import locate

                self._diagnostics = locate(self._index, self._diagnostics)
        floor = SEVERITY_RANK[min_severity]
        return [d for d in self._diagnostics if d.rank >= floor]

    def diagnostics_for(self, variable: str, session: int | None = None) -> list[Diagnostic]:
        """The findings that name ``variable`` (in ``session``, or in any session)."""
        return self.findings_naming(self.resolve_variable(variable), session)

    def findings_naming(self, variable: str, session: int | None = None
                        ) -> list[Diagnostic]:
        """:meth:`diagnostics_for` a name as the trace spells it (not resolved), in
        :meth:`diagnostics` order; indexed once, not a scan of every finding."""
        def build() -> dict[str, list[Diagnostic]]:
            out: dict[str, list[Diagnostic]] = {}
            for d in self.diagnostics():
                for name in dict.fromkeys(d.variables):
                    out.setdefault(name, []).append(d)
            return out
        found = self._once("_findings_naming", build).get(variable, ())
        return [d for d in found if session is None or d.session == session]

    def _locate(self, variable: str, session: int | None) -> tuple[str, int]:
        name = queries.resolve_variable(self._index, variable)
        return name, queries.resolve_session(self._index, name, session)

    # --- display -------------------------------------------------------------------------

    def __repr__(self) -> str:
        events = sum(len(e) for e in self._index.events.values())
        cut = ", cut short" if self.truncated else ""
        if self._index.processes:
            cut = f", {len(self._index.processes)} processes merged" + cut
        sessions, variables = len(self._index.sessions), len(self.variable_names())
        return (f"<Trace {self.path!r}: {plural(sessions, 'session')}, "
                f"{plural(variables, 'variable')}, {plural(events, 'write event')}{cut}>")

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr><td>{s.number}</td><td>{e(s.kind)}</td><td>{s.graph}</td>"
            f"<td>{len(self._index.variables.get(s.graph, {}))}</td><td>{s.runs}</td>"
            f"<td>{e(s.location or '')}</td></tr>" for s in self.sessions)
        cut = "<p><b>The trace was cut short.</b></p>" if self.truncated else ""
        return (f"<p>tftrace trace <code>{e(self.path)}</code></p>{cut}"
                "<table><tr><th>session</th><th>kind</th><th>graph</th><th>variables</th>"
                f"<th>runs</th><th>created at</th></tr>{rows}</table>")
