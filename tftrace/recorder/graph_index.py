"""``GraphIndex``: a graph's variables, initializers and Savers, discovered incrementally.

One per ``tf.Graph`` (see ``traces.graph_index``), shared by its sessions. It grows as ops
are added (a full refresh at session start and end or when the graph has doubled, else
only a run's closure), and memoizes what analyses ask repeatedly: a RestoreV2 op's keys,
the variables each op's value reads (``ValueReads``, per feed set). The classification
of a run's writes that it feeds is ``classify.analyze_run``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tftrace.recorder import construction
from tftrace.recorder.capture import creation_location
from tftrace.recorder.graph_ops import (
    ASSIGN_OPS,
    NON_READS,
    PASS_THROUGH,
    RANDOM_OPS,
    RESTORE_OPS,
    VARIABLE_OPS,
    _as_str,
    _const_value,
    _static_string,
    _value_ancestors,
    is_write_op,
    trace_restore,
    variable_op_of,
)
from tftrace.tracefile import InitializerInfo, SaverRecord, VariableRecord

_VALUE_READS_KEPT = 8  # feed sets whose read sets a graph index keeps
_PARTS_KEPT = 1024  # targets whose analysis a graph index keeps
COLLECTIONS = ("variables", "local_variables", "trainable_variables", "model_variables")


@dataclass
class VariableInfo:
    name: str
    op: Any
    record: VariableRecord
    initializer_op: Any | None
    read_tensor: Any | None  # a tensor whose value is the variable's value (no side effects)


class GraphIndex:
    """Variables, initializers and Savers of one ``tf.Graph``, discovered incrementally."""

    def __init__(self, graph: Any, graph_id: int):
        self.graph = graph
        self.graph_id = graph_id
        self.variables: dict[str, VariableInfo] = {}
        self.savers: dict[str, SaverRecord] = {}
        self.initializer_ops: dict[str, str] = {}  # initializer op name -> variable name
        self._seen_ops = 0
        self._seen_id = -1
        self._full_version = -1  # the graph version at the last full refresh
        self._indexed_restores: set[str] = set()
        self._objects: dict[str, Any] = {}
        self._collection_lengths: tuple[int, ...] = ()
        # Every variable and Saver record, in the order they were made: a changed one (a
        # replaced initializer) again. Traces copy what they have not seen yet.
        self.records: list[VariableRecord | SaverRecord] = []
        self.generation = 0  # bumped when an initializer is replaced: plans are stale
        self._restore_names: dict[str, list[str]] = {}
        self._update_ops_seen = 0
        self._bits: dict[str, int] = {}
        self._bit_names: list[str] = []
        self._value_reads: dict[frozenset[str], ValueReads] = {}
        self._parts: dict[Any, Any] = {}  # (target op, fed, generation) -> its analysis

    def part(self, target: Any, fed: frozenset[str], analyze: Any) -> Any:
        """``analyze(target)``, kept per target op, feed set and generation (bounded)."""
        key = (target.name, fed, self.generation)
        found = self._parts.get(key)
        if found is None:
            if len(self._parts) >= _PARTS_KEPT:
                del self._parts[next(iter(self._parts))]
            found = self._parts[key] = analyze(target)
        return found

    def value_reads(self, fed: frozenset[str]) -> ValueReads:
        """The memoized read sets for runs that feed ``fed`` (the hooks' signatures of a
        training loop share them). A handful of feed sets are kept, the oldest dropped."""
        reads = self._value_reads.get(fed)
        if reads is None:
            if len(self._value_reads) >= _VALUE_READS_KEPT:
                del self._value_reads[next(iter(self._value_reads))]
            reads = self._value_reads[fed] = ValueReads(fed, self._bits, self._bit_names)
        return reads

    def restore_names(self, restore_op: Any) -> list[str]:
        """The checkpoint keys a RestoreV2 op reads, in output order (parsed once: a
        Saver of n variables has n outputs, and parsing per output would be O(n^2))."""
        names = self._restore_names.get(restore_op.name)
        if names is None:
            names_op = restore_op.inputs[1].op
            names = [] if names_op.type != "Const" else [
                _as_str(n) for n in _const_value(names_op).ravel()]
            self._restore_names[restore_op.name] = names
        return names

    def restore_key(self, restore_op: Any, output_index: int) -> str | None:
        """The checkpoint key behind output ``output_index`` of a RestoreV2 op."""
        names = self.restore_names(restore_op)
        return names[output_index] if output_index < len(names) else None

    def refresh(self) -> None:
        """Index every op added since the last full refresh (session start and end, and
        when the graph has doubled since): the C++ op list is read whole, so this is not
        done per run."""
        version = self.graph.version
        if version == self._full_version:
            return
        self._full_version = version
        ops = self.graph.get_operations()
        new_ops = ops[self._seen_ops:]
        self._seen_ops = len(ops)
        if ops:
            self._seen_id = ops[-1]._id  # noqa: SLF001 - ids grow with creation order
        self._index_ops(new_ops)

    def refresh_closure(self, closure: list[Any]) -> None:
        """Index the ops of a run's closure that the index has not seen: what a new plan
        needs (its variables declared, their initializers known) in time linear in the
        closure, however large the graph has grown. Ops outside every closure wait for the
        next full refresh: no version shortcut here, as a closure indexed at this version
        says nothing of the ops outside it (re-indexing a closure's op is a no-op)."""
        version = self.graph.version
        if version == self._full_version:
            return  # the full refresh saw every op
        if version >= 2 * self._full_version + 1024:  # amortized: the graph doubled
            self.refresh()
            return
        seen_id = self._seen_id
        self._index_ops([op for op in closure if op._id > seen_id])  # noqa: SLF001

    def _index_ops(self, new_ops: list[Any]) -> None:
        """Variables, Savers and replaced initializers among ``new_ops`` (an op seen again
        changes nothing)."""
        self._refresh_objects()
        restore_ops, assigns, new_variables = [], [], []
        for op in new_ops:
            op_type = op.type
            if op_type in VARIABLE_OPS:
                if op.name not in self.variables:
                    new_variables.append(op)
            elif op_type in ASSIGN_OPS:
                assigns.append(op)
            elif op_type in RESTORE_OPS and op.name not in self._indexed_restores:
                self._indexed_restores.add(op.name)
                restore_ops.append(op)
        if new_variables:
            memberships = self._memberships()
            for op in new_variables:
                info = self._index_variable(op, self._objects.get(op.name), memberships)
                self.variables[info.name] = info
                self.records.append(info.record)
        # Initializers can be replaced after creation (init_from_checkpoint): the new
        # initializer is a new assign op, which the variable's Python object now names.
        for op in assigns:
            var_op = variable_op_of(op.inputs[0])
            info = None if var_op is None else self.variables.get(var_op.name)
            if info is None or info.initializer_op is op:
                continue
            if _initializer_op(self._objects.get(info.name)) is op:
                self._set_initializer(info, op)
                self.records.append(info.record)
                self.generation += 1
        for op in restore_ops:
            saver = self._index_saver(op)
            if saver is not None:
                self.records.append(saver)
        self.records.extend(self._index_update_ops())

    def _refresh_objects(self) -> None:
        """Python Variable objects by op name, re-read only when a collection changed."""
        lengths = tuple(len(self.graph.get_collection_ref(key)) for key in COLLECTIONS)
        if lengths != self._collection_lengths:
            self._collection_lengths = lengths
            self._objects = self._variable_objects()

    def _index_update_ops(self) -> list[VariableRecord]:
        """Mark the variables that ops of ``tf.GraphKeys.UPDATE_OPS`` write (batch-norm
        moving statistics); re-examined only when that collection grew."""
        collection = self.graph.get_collection("update_ops")
        if len(collection) == self._update_ops_seen:
            return []
        self._update_ops_seen = len(collection)
        writers: dict[str, set[str]] = {}
        for item in collection:
            op = item if hasattr(item, "control_inputs") else getattr(item, "op", None)
            if op is None:
                continue
            for var_name in _written_by_update_op(op):
                writers.setdefault(var_name, set()).add(op.name)
        changed = []
        for name, ops in writers.items():
            info = self.variables.get(name)
            if info is not None and tuple(sorted(ops)) != info.record.update_ops:
                info.record = VariableRecord(**{**info.record.__dict__,
                                                "update_ops": tuple(sorted(ops))})
                changed.append(info.record)
        return changed

    def _memberships(self) -> dict[int, tuple[str, ...]]:
        """id(Variable) -> the standard collections it is in (global, local, trainable...)."""
        out: dict[int, list[str]] = {}
        for key in COLLECTIONS:
            for var in self.graph.get_collection(key):
                out.setdefault(id(var), []).append(key)
        return {k: tuple(v) for k, v in out.items()}

    def _variable_objects(self) -> dict[str, Any]:
        """Python Variable objects from the graph's collections, by op name."""
        objects: dict[str, Any] = {}
        for key in ("variables", "local_variables", "model_variables", "trainable_variables"):
            for var in self.graph.get_collection(key):
                op = getattr(var, "op", None)
                if op is not None and op.type in VARIABLE_OPS:
                    objects.setdefault(op.name, var)
        return objects

    def _index_variable(self, op: Any, obj: Any | None,
                        memberships: dict[int, tuple[str, ...]]) -> VariableInfo:
        dtype = op.get_attr("dtype")
        shape_proto = op.get_attr("shape")
        if shape_proto.unknown_rank:
            shape = None
        else:
            shape = tuple(None if d.size < 0 else int(d.size) for d in shape_proto.dim)
        collections = memberships.get(id(obj), ()) if obj is not None else ()
        trainable = None if obj is None else "trainable_variables" in collections
        record = VariableRecord(
            graph=self.graph_id, name=op.name, op=op.type, resource=op.type == "VarHandleOp",
            dtype=dtype.name, shape=shape, index=op._id, location=creation_location(op),
            trainable=trainable, collections=collections,
            device=op.device or None, **_construction_evidence(op))
        info = VariableInfo(name=op.name, op=op, record=record, initializer_op=None,
                            read_tensor=None)
        init = _initializer_op(obj)
        if init is None:
            init = self._initializer_by_convention(op)
        if init is not None:
            self._set_initializer(info, init)
        info.read_tensor = self._find_read_tensor(op)
        return info

    def _initializer_by_convention(self, var_op: Any) -> Any | None:
        """``<var>/Assign``, the op TensorFlow creates as a variable's initializer."""
        try:
            op = self.graph.get_operation_by_name(var_op.name + "/Assign")
        except KeyError:
            return None
        if op.type in ASSIGN_OPS and variable_op_of(op.inputs[0]) is var_op:
            return op
        return None

    def _set_initializer(self, info: VariableInfo, init_op: Any) -> None:
        if info.initializer_op is not None:
            self.initializer_ops.pop(info.initializer_op.name, None)
        info.initializer_op = init_op
        self.initializer_ops[init_op.name] = info.name
        value = init_op.inputs[1] if len(init_op.inputs) > 1 else None
        random, unseeded, sources = [], [], []
        checkpoint = key = None
        if value is not None:
            origin = trace_restore(value)
            if origin is not None:
                restore_op, index = origin
                checkpoint = _static_string(restore_op.inputs[0])
                key = self.restore_key(restore_op, index)
            for op in _value_ancestors(value, fed=frozenset()):
                if op.type in RANDOM_OPS:
                    random.append(op.name)
                    if not _is_seeded(op):
                        unseeded.append(op.name)
                elif op.type in VARIABLE_OPS and op is not info.op:
                    sources.append(op.name)
        init = InitializerInfo(op=init_op.name, random=tuple(sorted(random)),
                               unseeded=tuple(sorted(unseeded)), sources=tuple(sorted(sources)),
                               checkpoint=checkpoint, key=key,
                               # init_from_checkpoint's call site: where the restore was wired
                               location=creation_location(init_op) if key is not None else None)
        info.record = VariableRecord(**{**info.record.__dict__, "initializer": init})

    def _find_read_tensor(self, var_op: Any) -> Any | None:
        if var_op.type != "VarHandleOp":
            return var_op.outputs[0]  # fetching a ref tensor returns the variable's value
        for consumer in var_op.outputs[0].consumers():
            if consumer.type == "ReadVariableOp" and not consumer.control_inputs:
                return consumer.outputs[0]
        return None

    def read_tensor(self, name: str) -> Any | None:
        """A side-effect-free tensor holding the variable's value, or None.

        None for a resource variable that nothing reads without control inputs (raw
        ``VarHandleOp`` users): reading it would take a ``ReadVariableOp`` of our own, and
        the recorder never adds ops to the user's graph (``get_operations()``, the saved
        meta graph). Its writes are recorded without a value.
        """
        info = self.variables.get(name)
        if info is None:
            return None
        if info.read_tensor is None and info.op.type == "VarHandleOp":
            info.read_tensor = self._find_read_tensor(info.op)  # one may exist by now
        return info.read_tensor

    def _index_saver(self, restore_op: Any) -> SaverRecord | None:
        if "checkpoint_initializer" in restore_op.name:  # init_from_checkpoint, not a Saver
            return None
        scope = restore_op.name.rpartition("/")[0]
        keys: dict[str, str] = {}
        for index, output in enumerate(restore_op.outputs):
            key = self.restore_key(restore_op, index)
            for var_name in _restore_targets(output):
                if key is not None:
                    keys[key] = var_name
        previous = self.savers.get(scope)
        if previous is not None:  # sharded Savers have one RestoreV2 per device
            keys = {**previous.keys, **keys}
        first_id = min((op._id for op in self.graph.get_operations()
                        if op.name.startswith(scope + "/")), default=restore_op._id)
        record = SaverRecord(graph=self.graph_id, name=scope, keys=keys, index=first_id,
                             location=creation_location(restore_op),
                             filename_tensor=restore_op.inputs[0].name)
        self.savers[scope] = record
        return record


def _written_by_update_op(op: Any) -> list[str]:
    """Variables an UPDATE_OPS entry writes: the op itself, or the write ops behind the
    group/identity/read it is (a few levels, never the whole model upstream)."""
    out, frontier = [], [op]
    for _ in range(4):
        following = []
        for o in frontier:
            if is_write_op(o.type):
                var_op = variable_op_of(o.inputs[0]) if o.inputs else None
                if var_op is not None:
                    out.append(var_op.name)
            elif o.type in PASS_THROUGH or o.type in ("NoOp", "ReadVariableOp"):
                following.extend(t.op for t in o.inputs)
                following.extend(o.control_inputs)
        frontier = following
    return out


def _construction_evidence(var_op: Any) -> dict[str, Any]:
    """Optional VariableRecord fields only graph construction knows (names asked for, the
    name scope get_variable ignored); see :mod:`tftrace.recorder.construction`."""
    try:
        return {"requested": construction.requested_name(var_op),
                "ignored_name_scope": construction.ignored_name_scope(var_op)}
    except Exception:
        return {}


def _initializer_op(variable: Any) -> Any | None:
    """A Variable's initializer op. After ``init_from_checkpoint`` a reference variable's
    ``initializer`` is the Assign's output tensor, not the op."""
    init = getattr(variable, "initializer", None)
    if init is not None and not hasattr(init, "control_inputs"):
        init = getattr(init, "op", None)
    return init


def _is_seeded(op: Any) -> bool:
    try:
        return bool(op.get_attr("seed") or op.get_attr("seed2"))
    except ValueError:
        return True  # an op without seed attributes is not ours to judge


def _restore_targets(output: Any) -> list[str]:
    """Variables a RestoreV2 output is assigned to (through Identity ops)."""
    names, stack, seen = [], [output], set()
    while stack:
        tensor = stack.pop()
        for consumer in tensor.consumers():
            if consumer.name in seen:
                continue
            seen.add(consumer.name)
            if consumer.type in ASSIGN_OPS and consumer.inputs[1] is not None and \
                    consumer.inputs[1].name == tensor.name:
                var_op = variable_op_of(consumer.inputs[0])
                if var_op is not None:
                    names.append(var_op.name)
            elif consumer.type in PASS_THROUGH:
                stack.extend(consumer.outputs)
    return names


_FEED_BIT = 1  # bit 0 of a read set: a fed tensor is involved; variables from bit 1 on


class ValueReads:
    """For every op, the variables its value is computed from, as an int bitset, memoized.

    One pass over what the writes' values depend on, whatever the number of writes: each op
    is expanded once (not past a variable or an op that only inspects one; fed tensors
    cut the walk and set the feed bit) and its set is the union of its inputs' sets. While loops
    make cycles (Merge <- NextIteration); the ops of a cycle share one set, found with
    Tarjan's strongly connected components, iteratively (graphs are deeper than Python's
    recursion limit). An op's inputs never change once it exists, so the memo stays valid
    while the graph grows; it is kept per set of fed tensors.
    """

    def __init__(self, fed: frozenset[str], bits: dict[str, int], names: list[str]):
        self.fed = fed
        self._bits = bits  # variable op name -> bit (shared by every ValueReads of a graph)
        self._names = names  # bit -> variable op name
        self._memo: dict[str, int] = {}
        self._sources: dict[int, tuple[tuple[str, ...], bool]] = {}

    def bit(self, name: str) -> int:
        bit = self._bits.get(name)
        if bit is None:
            bit = self._bits[name] = 1 << (len(self._names) + 1)
            self._names.append(name)
        return bit

    def of_tensor(self, value: Any) -> int:
        """The read set of ``value`` (``_FEED_BIT`` alone when it is fed)."""
        if value.name in self.fed:
            return _FEED_BIT
        return self.of(value.op)

    def sources(self, bits: int) -> tuple[tuple[str, ...], bool]:
        """A read set as (sorted variable names, whether a feed is involved)."""
        found = self._sources.get(bits)
        if found is None:
            names, rest, position = [], bits >> 1, 0
            while rest:
                if rest & 1:
                    names.append(self._names[position])
                rest >>= 1
                position += 1
            found = self._sources[bits] = (tuple(sorted(names)), bool(bits & _FEED_BIT))
        return found

    def _expand(self, op: Any) -> tuple[int, list[Any]]:
        op_type = op.type
        if op_type in VARIABLE_OPS:
            return self.bit(op.name), []
        if op_type in NON_READS:
            return 0, []
        own, parents, fed = 0, [], self.fed
        for tensor in op.inputs:
            if tensor.name in fed:
                own |= _FEED_BIT
            else:
                parents.append(tensor.op)
        return own, parents

    def of(self, root: Any) -> int:
        memo = self._memo
        found = memo.get(root.name)
        if found is not None:
            return found
        order: dict[str, int] = {}  # Tarjan's discovery index
        low: dict[str, int] = {}
        acc: dict[str, int] = {}  # own bits + bits of finished parents
        on_stack: list[str] = []
        on_stack_set: set[str] = set()

        def push(op: Any) -> Any:
            name = op.name
            order[name] = low[name] = len(order)
            own, parents = self._expand(op)
            acc[name] = own
            on_stack.append(name)
            on_stack_set.add(name)
            return name, iter(parents)

        frames = [push(root)]
        while frames:
            name, parents = frames[-1]
            descended = False
            for parent in parents:
                parent_name = parent.name
                done = memo.get(parent_name)
                if done is not None:
                    acc[name] |= done
                elif parent_name not in order:
                    frames.append(push(parent))
                    descended = True
                    break
                elif parent_name in on_stack_set:  # a cycle: same component
                    if order[parent_name] < low[name]:
                        low[name] = order[parent_name]
            if descended:
                continue
            frames.pop()
            if low[name] == order[name]:  # the root of a component: all of it is known
                members, bits = [], 0
                while True:
                    member = on_stack.pop()
                    on_stack_set.discard(member)
                    members.append(member)
                    bits |= acc[member]
                    if member == name:
                        break
                for member in members:
                    memo[member] = bits
                if frames:
                    acc[frames[-1][0]] |= bits
            elif frames:
                parent_frame = frames[-1][0]
                if low[name] < low[parent_frame]:
                    low[parent_frame] = low[name]
        return memo[root.name]
