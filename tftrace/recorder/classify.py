"""Which variables a run writes, and how: the classification of one run signature.

``analyze_run`` takes the ops a ``Session.run`` targets and the tensors it feeds and
returns a ``RunPlan``: the fetch closure's writes (classified initializer / restore /
assign / update), saves and reads. Plans depend only on the graph, so the session caches
them per run signature; the only run-time input is the feed (checkpoint paths are fed to
Savers), resolved when the run is recorded.

This module is the "filter" half of the recorder (which variables, what kind); the session
module does the acting (reading values, writing records). What it knows of the graph it
asks :class:`tftrace.recorder.graph_index.GraphIndex` (variables, initializers, Savers'
keys, the memo of analysed targets), which it never builds; the op vocabulary and graph
walks are ``graph_ops``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from tftrace.recorder.graph_index import GraphIndex, ValueReads
from tftrace.recorder.graph_ops import (
    ASSIGN_OPS,
    NON_READS,
    SAVE_OPS,
    _as_str,
    _const_value,
    _is_state_tensor,
    is_write_op,
    trace_restore,
    upstream,
    variable_op_of,
)
from tftrace.tracefile.records import FEED

# --- run plans ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PlannedWrite:
    variable: str
    kind: str  # initializer | restore | assign | update
    op: str
    sources: tuple[str, ...] = ()
    key: str | None = None  # checkpoint key, for restores
    prefix_tensor: Any = None  # the string tensor holding the checkpoint path, for restores


@dataclass(frozen=True)
class PlannedSave:
    prefix_tensor: Any
    keys: dict[str, str]


@dataclass
class RunPlan:
    """What one run signature does to variables. Built once, then read on every run."""

    writes: tuple[PlannedWrite, ...] = ()
    saves: tuple[PlannedSave, ...] = ()
    reads: frozenset[str] = frozenset()
    fetch_names: tuple[str, ...] = ()
    keepalive: Any = None  # the fetch/feed objects whose ids form the cache key
    id: int = 0
    written: tuple[str, ...] = ()
    streak_key: int = 0  # runs whose plans have equal shapes share a streak (session's)
    # Precomputed: they are tested on every run of the hot path.
    update_only: bool = field(init=False)  # a training-style run: only updates, no save
    # Only assigns and updates, no save: repeated runs coalesce into a streak (an lr
    # schedule assigned from a feed each step as much as a train op).
    streakable: bool = field(init=False)
    records_something: bool = field(init=False)
    assigned: frozenset[str] = field(init=False)  # variables given a value by an assign

    def __post_init__(self) -> None:
        self.records_something = bool(self.writes or self.saves)
        self.update_only = bool(self.writes) and not self.saves and all(
            w.kind == "update" for w in self.writes)
        self.streakable = bool(self.writes) and not self.saves and all(
            w.kind in ("update", "assign") for w in self.writes)
        self.assigned = frozenset(w.variable for w in self.writes if w.kind == "assign")

    @property
    def shape(self) -> tuple[Any, ...]:
        """What the run does to variables, whatever its ops: a loop that builds a new
        ``assign`` op each step repeats one shape under ever new signatures."""
        return tuple((w.variable, w.kind, w.sources) for w in self.writes)


def analyze_run(index: GraphIndex, targets: Iterable[Any], fed: Iterable[str]) -> RunPlan:
    """Classify every variable write in the closure of ``targets`` (ops), given fed tensors.

    The closure of several targets is the union of theirs, so the analysis of each target
    is kept (per feed set) and reused: a hook's signature (train op + loss + summary) costs
    only the targets not seen yet. Runs that save are analysed whole (a sharded save's
    merge op finds its parts in the closure)."""
    fed = frozenset(fed)
    targets = list(targets)
    parts = [index.part(target, fed, lambda t: _analyze(index, _closure([t], fed), fed, [t]))
             for target in targets]
    if len(parts) > 1 and any(part[1] for part in parts):
        parts = [_analyze(index, _closure(targets, fed), fed, targets)]
    writes: dict[tuple[str, str], PlannedWrite] = {}
    saves: list[PlannedSave] = []
    reads: set[str] = set(_fetched_variables(targets))
    for part_writes, part_saves, part_reads in parts:
        writes.update(part_writes)
        saves.extend(part_saves)
        reads.update(part_reads)
    if len(parts) > 1:  # a write op fetched itself is classified as fetched (see above)
        for target, (part_writes, _, _) in zip(targets, parts):
            for key, write in part_writes.items():
                if write.op == target.name:
                    writes[key] = write
    ordered = tuple(sorted(writes.values(), key=lambda w: (w.variable, w.op)))
    return RunPlan(writes=ordered, saves=tuple(saves), reads=frozenset(reads),
                   written=tuple(sorted({w.variable for w in ordered})))


_Part = tuple[dict[tuple[str, str], "PlannedWrite"], list["PlannedSave"], frozenset[str]]


def _analyze(index: GraphIndex, closure: list[Any], fed: frozenset[str],
             fetched: list[Any]) -> _Part:
    """The writes (by variable and op), saves and reads of the ops in ``closure``, the
    closure of the ``fetched`` ops."""
    index.refresh_closure(closure)  # its variables and initializers, before classifying
    value_reads = index.value_reads(fed)
    writes: dict[tuple[str, str], PlannedWrite] = {}
    saves = []
    reads: set[str] = set()
    for op in closure:
        op_type = op.type
        if op_type in SAVE_OPS:
            saves.append(_plan_save(op, closure))
            continue
        if op_type == "ReadVariableOp" or op_type == "Identity" and op.inputs and \
                op.inputs[0].op.type in ("VariableV2", "Variable"):
            var_op = variable_op_of(op.inputs[0])
            if var_op is not None:
                reads.add(var_op.name)
            continue
        if not is_write_op(op_type):
            if op_type not in NON_READS:
                for tensor in op.inputs:
                    if _is_state_tensor(tensor):
                        var_op = variable_op_of(tensor)
                        if var_op is not None:
                            reads.add(var_op.name)  # e.g. ResourceGather
            continue
        for write in _classify_write(index, op, fed, value_reads, fetched):
            writes[(write.variable, write.op)] = write
            if write.kind == "update":
                reads.add(write.variable)
    return writes, saves, frozenset(reads)


def _fetched_variables(targets: Iterable[Any]) -> list[str]:
    """Reference variables fetched themselves (``sess.run(w)``): fetching the ref tensor
    reads the value, with no read op in between."""
    return [op.name for op in targets if op.type in ("VariableV2", "Variable")]


def _closure(targets: Iterable[Any], fed: frozenset[str]) -> list[Any]:
    """Every op a run executes: transitive data and control inputs, stopping at feeds."""
    return upstream(targets, fed, control=True)[0]


def _classify_write(index: GraphIndex, op: Any, fed: frozenset[str],
                    value_reads: ValueReads, fetched: Any = ()) -> list[PlannedWrite]:
    op_type = op.type
    if op_type in ASSIGN_OPS:
        var_op = variable_op_of(op.inputs[0])
        if var_op is None:
            return []
        name = var_op.name
        value = op.inputs[1]
        restore = trace_restore(value) if value.name not in fed else None
        if restore is not None:
            restore_op, output_index = restore
            return [PlannedWrite(variable=name, kind="restore", op=op.name,
                                 key=index.restore_key(restore_op, output_index),
                                 prefix_tensor=restore_op.inputs[0])]
        bits = value_reads.of_tensor(value)
        if bits & value_reads.bit(name):
            return [PlannedWrite(variable=name, kind="update", op=op.name)]
        names, uses_feed = value_reads.sources(bits)
        sources = names + ((FEED,) if uses_feed else ())
        if index.initializer_ops.get(op.name) == name and not (uses_feed and op in fetched):
            # Fed initial values through an initializer group (sess.run(init, feed_dict=
            # {...Initializer/...: w}), the documented way to load weights from elsewhere)
            # are still the initializer, sources "<feed>". Fetching the variable's own
            # initializer with its value fed is Variable.load(): an assign.
            return [PlannedWrite(variable=name, kind="initializer", op=op.name, sources=sources)]
        return [PlannedWrite(variable=name, kind="assign", op=op.name, sources=sources)]
    # Update family: every ref/resource input that is a variable is written (Adam writes the
    # variable and its m and v slots in one ResourceApplyAdam).
    out = []
    for tensor in op.inputs:
        if _is_state_tensor(tensor):
            var_op = variable_op_of(tensor)
            if var_op is not None:
                out.append(PlannedWrite(variable=var_op.name, kind="update", op=op.name))
    return out


def _plan_save(op: Any, closure: list[Any]) -> PlannedSave:
    keys: dict[str, str] = {}
    names_op = op.inputs[1].op
    names = _const_value(names_op).ravel() if names_op.type == "Const" else []
    for key, tensor in zip(names, list(op.inputs)[3:]):
        var_op = variable_op_of(tensor, through_reads=True)
        if var_op is not None:
            keys[_as_str(key)] = var_op.name
    prefix = op.inputs[0]
    # Sharded Savers write parts under a temporary prefix and merge them into the real one.
    for other in closure:
        if other.type == "MergeV2Checkpoints":
            prefix = other.inputs[1]
            break
    return PlannedSave(prefix_tensor=prefix, keys=keys)
