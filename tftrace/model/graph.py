"""The provenance graph: a ``networkx.MultiDiGraph`` whose edges say where values came from.

It is the model exported, not a second model: it is built from the same answers the queries
give. Every event node carries what its variable's :class:`~tftrace.model.history.History`
says of it, and the ``came_from`` edges are
:func:`~tftrace.model.lineage.step_parents` — the very step ``lineage`` takes — for every
origin write. So walking it says what ``explain``, ``lineage`` and ``shared_origin`` say
(``tests/test_graph.py`` checks that on every committed trace).

Why the queries do not walk the graph: networkx costs a Python dict per node and per edge,
so building the graph of a whole trace costs about what loading it does, while a query
reads one variable's History. Measured (``benchmarks/graph.py``, a 10 000-variable trace
with 100 000 assign runs: 230 000 nodes, 330 000 edges; one run on a shared 2-core
machine): loading 3.8 s, building the graph 4.8 s, ``explain`` and ``lineage`` of one
variable 0.2 ms. ``Trace.graph`` is built on first use (networkx is imported then), for
people and tools who want networkx's algorithms over the whole story.

Nodes (string ids; every node has a ``type`` attribute equal to the id's prefix; nodes of
one trace also have ``trace``, the path of the trace they come from):

=============================  ==========================================================
``session:<n>``                a session — number, graph, kind, location, remote (its
                               target is a server: another process may own its values)
``run:<session>:<run>``        a run that wrote (a streak under its first run) — session,
                               run, last_run, count, location
``variable:<graph>:<name>``    a variable — graph, name, scope (all before the last
                               ``/``), dtype, shape, location (creation site), index
``initializer:<graph>:<name>`` a variable's initializer op — variable, op, random,
                               unseeded
``event:<session>:<run>:<name>`` one write (an update streak is one node) — variable,
                               kind, session, run, last_run, count, location, op,
                               checkpoint, key; process and local (in a merged trace:
                               the process's label, and its own session and runs); and
                               what History says of it, below
``checkpoint:<path>``          a checkpoint file (path normalized against the traced
                               process's cwd) — path
``key:<path>:<key>``           one key (tensor) in a checkpoint — path, key, and shape and
                               dtype when the trace read the checkpoint's index
``save:<session>:<run>``       a run that saved a checkpoint — session, run, path, location
=============================  ==========================================================

What History says, on every event node (None, False or 0 where it does not apply):

========================  ==============================================================
``current``               True on the origin of the variable's value in its session now
                          (``explain``'s origin); a variable with no such node has none:
                          ``external`` when the session is ``remote``, else
                          ``uninitialized``
``updates_since_origin``  on the current origin: the update runs since (``explain``'s)
``replaced``              on the current origin: the write it wrote over (a node id)
``replaced_updates``      on the current origin: the update runs between the two
``replaced_by``           on that replaced write: the current origin
``clobbered_by``          on a restore: the initializer that ran over it
``discarded``             on a restore: how many update runs before it it threw away
``discarded_by``          on each of those updates: the restore
``lineage_note``          on an origin write: why lineage stops short there ("no loaded
                          trace saved this checkpoint key", "includes a fed value", ...)
========================  ==============================================================

Parts after the prefix are untrusted text from the trace: never parse an id, read the
attributes. An id that would be reused (a run writing one variable twice, or a crafted name)
gets a ``#2``, ``#3``... suffix.

Edges (``relation`` attribute), mostly in the direction the value flowed:

=========================  ================================  ============================
u → v                      relation                          meaning
=========================  ================================  ============================
session → run              ``ran``                           the session ran the run
run → event                ``performed``                     the run did the write
event → variable           ``wrote``                         the write set the variable
key → event                ``restored_from``                 the write loaded that key
initializer → event        ``initialized_by``                the write ran the initializer
variable → event           ``assigned_from``                 an assign read that variable
variable → initializer     ``initial_value_from``            ``initialized_value()`` use
key → initializer          ``initial_value_from``            ``init_from_checkpoint``
key → checkpoint           ``in_checkpoint``                 the key is in the checkpoint
run → save                 ``saved``                         the run saved a checkpoint
save → checkpoint          ``saved_to``                      where it saved
variable → key             ``saved_as`` (attr ``save``)      the save wrote the variable
                                                             under that key
event → event              ``came_from`` (attrs below)       v's value was computed from
                                                             (or restored from) u's
variable → event           ``came_from``                     the same, when that variable
                                                             had no origin write yet
event → event              ``updated_from``                  the update v changed the
                                                             value the origin u wrote
=========================  ================================  ============================

A ``came_from`` edge is one lineage step back: into a restore from the origin the saved
variable had at the save (``via``: the save node), into an assign or an initializer from
each source variable's origin at that run. Its attributes: ``order`` (the parents'
order), ``variable``, ``session`` and ``run`` (whose value, as of when), ``kind`` (that
origin's kind), ``updates`` (update runs between that origin and the use) and ``via``.
Following them depth first from the ``current`` node, by ``order``, gives
``Trace.lineage``'s steps; the variables whose ``current`` node hangs off the same run
node, with the same kind and checkpoint, are ``Trace.shared_origin``'s.

Several traces: ``Trace.graph_with(others)`` (:func:`build_graph` with ``others``) builds
one graph linked through checkpoints: restores get their ``came_from`` edge from the save
in whichever trace wrote the key, as ``Trace.lineage(..., others=...)`` finds it. The
first trace's nodes keep their ids; those of ``others[i]`` are prefixed ``trace<i+1>:``
(``trace1:event:1:3:w``); checkpoints and keys are files, one node whoever names them.
The graph's own attributes are ``path`` (the first trace's) and ``traces`` (every path,
in order).
"""
from __future__ import annotations

from typing import Any, Sequence

import networkx as nx

from tftrace.model.events import FEED, Event, Save
from tftrace.model.history import History
from tftrace.gcpause import paused_gc
from tftrace.model.index import TraceIndex
from tftrace.model.lineage import step_parents, value_origin
from tftrace.model.queries import histories
from tftrace.tracefile import VariableRecord


def variable_node(graph: int, name: str) -> str:
    return f"variable:{graph}:{name}"


def build_graph(index: TraceIndex, others: Sequence[TraceIndex] = ()) -> nx.MultiDiGraph:
    """The provenance graph of a trace (see the module docstring for its vocabulary),
    linked through checkpoints to the traces ``others`` (their node ids prefixed
    ``trace1:``, ``trace2:``... in that order)."""
    with paused_gc():
        return _build_graph(index, [t for t in others if t is not index])


def _build_graph(index: TraceIndex, others: list[TraceIndex]) -> nx.MultiDiGraph:
    traces = [index] + others
    builder = _Builder(traces)
    for number, trace in enumerate(traces):
        builder.add_trace(trace, f"trace{number}:" if number else "")
    for trace in traces:
        builder.add_came_from(trace)
    graph = nx.MultiDiGraph(path=index.path, traces=[t.path for t in traces])
    # Nodes in bulk; edges one call each: add_edges_from goes through networkx's views
    # once more per edge (measured with networkx 3.6: 25% slower for 330 000 edges).
    graph.add_nodes_from(builder.nodes.items())
    add_edge = graph.add_edge
    for source, target, attrs in builder.edges:
        add_edge(source, target, **attrs)
    return graph


class _Builder:
    """Collects nodes and edges; remembers which id each entity got.

    Checkpoints and their keys are files, one node each whichever trace names them; every
    other node belongs to one trace, its id behind that trace's prefix.
    """

    def __init__(self, traces: list[TraceIndex]):
        self.traces = traces
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[tuple[str, str, dict[str, Any]]] = []
        self._keys: dict[tuple[str, str], str] = {}  # (normalized path, key) → node
        self._prefix: dict[int, str] = {}  # id(trace index) → its prefix
        # By object identity (the index keeps them alive): an Event holds unhashable
        # value summaries, and two equal records of two traces are two nodes.
        self._events: dict[int, str] = {}  # id(event) → node
        self._saves: dict[int, str] = {}  # id(save) → node
        # Per trace being added:
        self.index: TraceIndex = traces[0]
        self.prefix = ""
        self._runs: dict[tuple[int, int], str] = {}  # (session, run) → node

    def add_trace(self, index: TraceIndex, prefix: str) -> None:
        self.index, self.prefix, self._runs = index, prefix, {}
        self._prefix[id(index)] = prefix
        self.add_variables()
        self.add_checkpoint_contents()
        self.add_sessions_and_events()
        self.add_saves()
        for history in histories(index):
            self.mark(history)

    def _new_node(self, base: str, **attrs: Any) -> str:
        node, n = base, 1
        while node in self.nodes:
            n += 1
            node = f"{base}#{n}"
        self.nodes[node] = attrs
        return node

    def _edge(self, source: str, target: str, relation: str, **attrs: Any) -> None:
        self.edges.append((source, target, {"relation": relation, **attrs}))

    def _variable(self, graph: int, name: str) -> str:
        return self.prefix + variable_node(graph, name)

    def key_node(self, path: str, key: str) -> str:
        path = self.index.normalize_path(path)
        found = self._keys.get((path, key))
        if found is None:
            checkpoint = f"checkpoint:{path}"
            self.nodes.setdefault(checkpoint, {"type": "checkpoint", "path": path})
            found = self._new_node(f"key:{path}:{key}", type="key", path=path, key=key)
            self._edge(found, checkpoint, "in_checkpoint")
            self._keys[(path, key)] = found
        return found

    def add_variables(self) -> None:
        for graph, variables in self.index.variables.items():
            for record in variables.values():
                self.nodes[self._variable(graph, record.name)] = _variable_attrs(
                    record, self.index.path)
        # Initializers after all variables: their sources may be declared later.
        for graph, variables in self.index.variables.items():
            for record in variables.values():
                if record.initializer is not None:
                    self._add_initializer(record)

    def _add_initializer(self, record: VariableRecord) -> None:
        info = record.initializer
        node = f"{self.prefix}initializer:{record.graph}:{record.name}"
        self.nodes[node] = {"type": "initializer", "variable": record.name, "op": info.op,
                            "random": info.random, "unseeded": info.unseeded,
                            "trace": self.index.path}
        for source in info.sources:
            self._edge_from_variable(record.graph, source, node, "initial_value_from")
        if info.checkpoint is not None and info.key is not None:
            self._edge(self.key_node(info.checkpoint, info.key), node, "initial_value_from")

    def _edge_from_variable(self, graph: int, name: str, target: str, relation: str,
                            **attrs: Any) -> None:
        source = self._variable(graph, name)
        if source in self.nodes:  # "<feed>" and undeclared names are no variables
            self._edge(source, target, relation, **attrs)

    def add_checkpoint_contents(self) -> None:
        for record in self.index.checkpoints.values():
            for key, (shape, dtype) in record.keys.items():
                self.nodes[self.key_node(record.path, key)].update(shape=shape, dtype=dtype)

    def add_sessions_and_events(self) -> None:
        for number, info in self.index.sessions.items():
            self.nodes[f"{self.prefix}session:{number}"] = {
                "type": "session", "number": number, "graph": info.graph, "kind": info.kind,
                "location": info.location, "remote": info.remote, "trace": self.index.path}
        for (session, _), events in self.index.events.items():
            graph = self.index.graph_of(session)
            for e in events:
                run = self._runs.get((session, e.run))
                if run is None:
                    run = self._add_run(session, e.run, e.last_run, e.count, e.location)
                self._add_event(graph, run, e)

    def _add_run(self, session: int, run: int, last_run: int, count: int,
                 location: str | None) -> str:
        node = self._new_node(f"{self.prefix}run:{session}:{run}", type="run",
                              session=session, run=run, last_run=last_run, count=count,
                              location=location, trace=self.index.path)
        self._edge(f"{self.prefix}session:{session}", node, "ran")
        self._runs[(session, run)] = node
        return node

    def _add_event(self, graph: int, run: str, event: Event) -> None:
        process = event.process
        node = self._new_node(
            f"{self.prefix}event:{event.session}:{event.run}:{event.variable}", type="event",
            variable=event.variable, kind=event.kind, session=event.session, run=event.run,
            last_run=event.last_run, count=event.count, location=event.location, op=event.op,
            checkpoint=event.checkpoint, key=event.key, trace=self.index.path,
            process=None if process is None else process.label, local=event.local,
            # What the variable's History says of the write (see mark()).
            current=False, updates_since_origin=None, replaced=None, replaced_updates=0,
            replaced_by=None, clobbered_by=None, discarded=0, discarded_by=None,
            lineage_note=None)
        self._events[id(event)] = node
        self._edge(run, node, "performed")
        self._edge(node, self._variable(graph, event.variable), "wrote")
        if event.checkpoint is not None and event.key is not None:
            self._edge(self.key_node(event.checkpoint, event.key), node, "restored_from")
        initializer = f"{self.prefix}initializer:{graph}:{event.variable}"
        if event.kind == "initializer" and initializer in self.nodes:
            self._edge(initializer, node, "initialized_by")
        for source in event.sources:
            if source != FEED:
                self._edge_from_variable(graph, source, node, "assigned_from")

    def add_saves(self) -> None:
        for save in self.index.saves:
            if save.path is not None:
                self._add_save(save)

    def _add_save(self, save: Save) -> None:
        path = self.index.normalize_path(save.path)
        node = self._new_node(f"{self.prefix}save:{save.session}:{save.run}", type="save",
                              session=save.session, run=save.run, path=path,
                              location=save.location, trace=self.index.path)
        self._saves[id(save)] = node
        run = self._runs.get((save.session, save.run))
        if run is None:  # a run that only saved wrote no variable
            run = self._add_run(save.session, save.run, save.run, 1, save.location)
        self._edge(run, node, "saved")
        graph = self.index.graph_of(save.session)
        for key, variable in save.keys.items():
            self._edge_from_variable(graph, variable, self.key_node(save.path, key),
                                     "saved_as", save=node)
        self._edge(node, f"checkpoint:{path}", "saved_to")

    def mark(self, history: History) -> None:
        """Write onto the event nodes what ``history`` says they are."""
        events, nodes = self._events, self.nodes
        origin = None  # as History.updates_since_origin counts: updates after an origin
        for event in history.events:
            if event.is_origin:
                origin = events[id(event)]
            elif origin is not None:
                self._edge(origin, events[id(event)], "updated_from")
        current = history.origin()
        if current is not None:
            attrs = nodes[events[id(current)]]
            attrs.update(current=True, updates_since_origin=history.updates_since_origin())
            replaced, attrs["replaced_updates"] = history.replaced()
            if replaced is not None:
                attrs["replaced"] = events[id(replaced)]
                nodes[attrs["replaced"]]["replaced_by"] = events[id(current)]
        for clobbered in history.clobbered():
            nodes[events[id(clobbered.restore)]]["clobbered_by"] = (
                events[id(clobbered.initializer)])
        discarded = history.discarded()
        if not discarded:
            return
        position = {id(e): i for i, e in enumerate(history.events)}
        for lost in discarded:
            by = events[id(lost.by)]
            nodes[by]["discarded"] = lost.updates
            # The updates History counted: the ones right before the write that lost them.
            i = position[id(lost.by)] - 1
            while i >= 0 and history.events[i].kind == "update":
                nodes[events[id(history.events[i])]]["discarded_by"] = by
                i -= 1

    def add_came_from(self, index: TraceIndex) -> None:
        """A ``came_from`` edge into every origin write of ``index`` from each of its
        lineage parents (:func:`~tftrace.model.lineage.step_parents`): the parent's origin
        write at that run, or its variable node when it had none."""
        traces = [index] + [t for t in self.traces if t is not index]
        for events in index.events.values():
            for event in events:
                if event.is_origin:
                    self._add_came_from(index, event, traces)

    def _add_came_from(self, index: TraceIndex, event: Event,
                       traces: list[TraceIndex]) -> None:
        node = self._events[id(event)]
        parents, note = step_parents(index, event, traces)
        if note is not None:
            self.nodes[node]["lineage_note"] = note
        for order, parent in enumerate(parents):
            found, updates = value_origin(parent.index, parent.variable, parent.session,
                                          parent.run)
            if found.event is not None:
                source = self._events[id(found.event)]
            else:
                graph = parent.index.graph_of(parent.session)
                source = self._prefix[id(parent.index)] + variable_node(graph, parent.variable)
                if source not in self.nodes:  # a save's key named no declared variable
                    self.nodes[source] = _variable_attrs(
                        VariableRecord(graph=graph, name=parent.variable, op=None,
                                       dtype=None), parent.index.path)
            via = None if parent.via is None else self._saves[id(parent.via)]
            self._edge(source, node, "came_from", order=order, variable=parent.variable,
                       session=parent.session, run=parent.run, kind=found.kind,
                       updates=updates, via=via)


def _variable_attrs(record: VariableRecord, trace: str) -> dict[str, Any]:
    return {"type": "variable", "graph": record.graph, "name": record.name,
            "scope": record.name.rpartition("/")[0], "dtype": record.dtype,
            "shape": record.shape, "location": record.location, "index": record.index,
            "trainable": record.trainable, "op": record.op, "trace": trace}
