"""Lineage: follow a value back to its first origin, through checkpoints and assigns.

A restore links to the save that wrote that key to that checkpoint (in this trace or in
another loaded trace), then to the saved variable's origin at the moment of the save; an
assign links to its source variables' origins; an initializer that read other variables
(``initialized_value()``) links to theirs. The result is a tree of :class:`LineageStep`.

One step back is :func:`step_parents`: the provenance graph's ``came_from`` edges are the
same function's answers (:mod:`tftrace.model.graph`), so the two cannot disagree.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, replace
from typing import Iterator, Sequence

from tftrace.model.display import printable
from tftrace.model.events import FEED, Event, Origin, Save
from tftrace.model.index import TraceIndex
from tftrace.model.queries import origin, updates_since_origin


@dataclass(frozen=True, repr=False)
class LineageStep:
    """One variable's origin on the way back, and the steps its value came from.

    ``updates`` counts update runs between the origin and the moment the value was used
    (restored elsewhere, assigned from, or now for the first step). ``via`` is the save
    that carried the value into the step below (for a restore), ``trace`` the path of the
    trace the step was found in, and ``note`` says why the walk stops here when it does.
    """

    variable: str
    session: int
    trace: str
    origin: Origin
    updates: int = 0
    via: Save | None = None
    parents: tuple["LineageStep", ...] = ()
    note: str | None = None

    def walk(self, depth: int = 0) -> Iterator[tuple[int, "LineageStep"]]:
        """This step and every step it came from, depth first, with their depth."""
        yield depth, self
        for parent in self.parents:
            yield from parent.walk(depth + 1)

    def describe(self) -> str:
        """One line: ``w (session 2): restore run 3 from ckpt key w, then 10 updates``."""
        o = self.origin
        text = f"{printable(self.variable)} (session {self.session}): {o.kind}"
        if o.run is not None:
            text += f" run {o.run}"
        if o.location:
            text += f" at {printable(o.location)}"
        if o.event is not None and o.event.process is not None:  # a merged trace
            text += f" by {o.event.process.label}"
        if o.kind == "restore":
            text += f" from {printable(o.checkpoint)} key {printable(o.key)}"
        if self.updates:
            text += f", then {self.updates} update{'s' if self.updates != 1 else ''}"
        if self.via is not None:
            text += f"; saved to {printable(self.via.path)} in run {self.via.run}"
        if self.note:
            text += f" [{printable(self.note)}]"
        return text

    def __repr__(self) -> str:
        return f"<LineageStep {self.describe()}>"


@dataclass(frozen=True, repr=False)
class Lineage:
    """The way a value came, as a tree of :class:`LineageStep` from ``root`` (the value
    asked about) back to its first origins. Iterating gives every step, depth first: for
    a chain of restores that is the chain, newest first.

    >>> from tftrace.model import Trace
    >>> steps = Trace.load("tests/data/save_then_restore.jsonl").lineage("w_copy")
    >>> [(s.variable, s.session, s.origin.kind) for s in steps]
    [('w_copy', 2, 'assign'), ('w', 2, 'restore'), ('w', 1, 'initializer')]
    """

    root: LineageStep

    def __iter__(self) -> Iterator[LineageStep]:
        return (step for _, step in self.root.walk())

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __getitem__(self, i: int) -> LineageStep:
        return list(self)[i]

    @property
    def first(self) -> LineageStep:
        """The step furthest back along the first parents: the first origin."""
        step = self.root
        while step.parents:
            step = step.parents[0]
        return step

    def lines(self) -> list[str]:
        """One indented line per step."""
        return [f"{'  ' * depth}{self._describe(step)}" for depth, step in self.root.walk()]

    def _describe(self, step: LineageStep) -> str:
        # Steps found in another trace (the one that saved the checkpoint) name it.
        elsewhere = step.trace != self.root.trace
        return step.describe() + (f" (trace {printable(step.trace)})" if elsewhere else "")

    def __repr__(self) -> str:
        return "<Lineage\n" + "\n".join(self.lines()) + ">"

    def _repr_html_(self) -> str:
        items = "".join(f"<li style='margin-left: {2 * depth}em'>"
                        f"{html.escape(self._describe(step))}</li>"
                        for depth, step in self.root.walk())
        return f"<ul>{items}</ul>"


def lineage(index: TraceIndex, variable: str, session: int,
            others: Sequence[TraceIndex] = ()) -> Lineage:
    """The lineage of ``variable``'s current value in ``session`` (see module docstring).

    ``others`` are traces of other programs whose saves may have written the checkpoints
    this one restored.
    """
    traces = (index,) + tuple(t for t in others if t is not index)
    return Lineage(_step(index, variable, session, None, traces, frozenset(), via=None))


@dataclass(frozen=True, eq=False)
class Parent:
    """One step back from a write: the value of ``variable`` in ``session`` of the trace
    ``index``, as it was at ``run`` (inclusive), carried by the save ``via`` for a
    restore. What :func:`step_parents` returns; lineage and the graph both read it."""

    index: TraceIndex
    variable: str
    session: int
    run: int
    via: Save | None = None


def step_parents(index: TraceIndex, event: Event, traces: Sequence[TraceIndex],
                 ) -> tuple[tuple[Parent, ...], str | None]:
    """Where the value ``event`` (an origin write in ``index``) wrote came from, one step
    back, and a note when that cannot be followed fully.

    A restore: the saved variable at the run of the save that wrote the key (found by
    :func:`find_save` in ``index`` or another of ``traces``). An assign: its source
    variables at its run. An initializer: the variables its initial value read
    (``initialized_value()``) at its run. Fed values and unknown names have no parent.
    """
    if event.kind == "restore":
        if event.checkpoint is None or event.key is None:
            return (), "the restore did not record its checkpoint and key"
        found = find_save(index, tuple(traces), event.checkpoint, event.key, event.session,
                          event.run, event.time)
        if found is None:
            return (), "no loaded trace saved this checkpoint key"
        saver, save = found
        return (Parent(saver, save.keys[event.key], save.session, save.run, save),), None
    if event.kind == "assign":
        sources = event.sources
    elif event.kind == "initializer":
        record = index.variables_of(event.session).get(event.variable)
        sources = record.initializer.sources if record and record.initializer else ()
    else:
        return (), None
    if not sources:
        return (), None
    known = index.variables_of(event.session)
    parents = tuple(Parent(index, name, event.session, event.run)
                    for name in sources if name in known)
    return parents, ("includes a fed value" if FEED in sources else None)


def value_origin(index: TraceIndex, variable: str, session: int,
                 run: int | None) -> tuple[Origin, int]:
    """The origin of ``variable``'s value in ``session`` as of ``run`` (now for None),
    and the update runs since it: what a lineage step says, and a graph edge."""
    return (origin(index, variable, session, run),
            updates_since_origin(index, variable, session, run))


def _step(index: TraceIndex, variable: str, session: int, run: int | None,
          traces: tuple[TraceIndex, ...], seen: frozenset, via: Save | None) -> LineageStep:
    found, updates = value_origin(index, variable, session, run)
    step = LineageStep(variable=variable, session=session, trace=index.path, origin=found,
                       updates=updates, via=via)
    here = (index.path, session, variable, found.run)
    if here in seen:  # a checkpoint restored into the very value that saved it
        return replace(step, note="cycle: this value was already visited")
    if found.event is None:
        return step
    seen = seen | {here}
    parents, note = step_parents(index, found.event, traces)
    return replace(step, note=note, parents=tuple(
        _step(p.index, p.variable, p.session, p.run, traces, seen, via=p.via)
        for p in parents))


def find_save(index: TraceIndex, traces: tuple[TraceIndex, ...], checkpoint: str, key: str,
              session: int, run: int, time: float | None) -> tuple[TraceIndex, Save] | None:
    """The save that last wrote ``key`` to ``checkpoint`` before a restore in ``index`` at
    ``run`` of ``session``: the latest earlier save in ``index`` itself, else the latest
    one in another of ``traces`` (by time; saves recorded after the restore are skipped
    when both times are known)."""
    wanted = index.normalize_path(checkpoint)
    earlier = [s for s in _saves_of(index, wanted, key) if (s.session, s.run) < (session, run)]
    if earlier:
        return index, max(earlier, key=lambda s: (s.session, s.run))
    candidates = [(other, s) for other in traces if other is not index
                  for s in _saves_of(other, wanted, key)
                  if not (time and s.time and s.time > time)]
    if not candidates:
        return None
    return max(candidates, key=lambda pair: pair[1].time)


def _saves_of(index: TraceIndex, normalized_path: str, key: str) -> list[Save]:
    return [s for s in index.saves
            if s.path is not None and key in s.keys
            and index.normalize_path(s.path) == normalized_path]
