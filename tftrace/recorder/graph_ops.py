"""What TensorFlow op types mean to tftrace, and the graph walks every analysis shares.

Which ops are variables, writes (assign, update), restores and saves; following a value
back through pass-through ops to its variable or checkpoint; the upstream closure of a
run's targets; a string tensor's value (a Saver's checkpoint path). Pure functions of the
graph: no state, no records.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

VARIABLE_OPS = frozenset({"VariableV2", "Variable", "VarHandleOp"})
ASSIGN_OPS = frozenset({"Assign", "AssignVariableOp"})
# Read-modify-write ops whose name does not say so by prefix.
UPDATE_OPS = frozenset({
    "AssignAdd", "AssignSub", "AssignAddVariableOp", "AssignSubVariableOp",
    "ResourceStridedSliceAssign", "StridedSliceAssign",
})
UPDATE_PREFIXES = ("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply", "Scatter",
                   "ResourceScatter")
RESTORE_OPS = frozenset({"RestoreV2", "Restore", "RestoreSlice"})
SAVE_OPS = frozenset({"SaveV2", "Save", "SaveSlices"})
# Ops that pass a value (or a variable handle) through unchanged.
PASS_THROUGH = frozenset({"Identity", "RefIdentity", "IdentityN", "Snapshot", "StopGradient",
                          "PlaceholderWithDefault"})
# Ops that look at a variable without reading its value.
NON_READS = frozenset({"VarIsInitializedOp", "IsVariableInitialized", "VariableShape",
                       "DestroyResourceOp", "Assign", "AssignVariableOp"})
RANDOM_OPS = frozenset({
    "RandomUniform", "RandomUniformInt", "RandomStandardNormal", "TruncatedNormal",
    "RandomShuffle", "Multinomial", "RandomGamma", "RandomPoisson", "RandomPoissonV2",
    "ParameterizedTruncatedNormal", "RandomCrop",
})


def is_write_op(op_type: str) -> bool:
    return op_type in ASSIGN_OPS or op_type in UPDATE_OPS or op_type.startswith(UPDATE_PREFIXES)


def _is_state_tensor(tensor: Any) -> bool:
    """A ref or resource tensor: what a write op takes as the variable it writes."""
    dtype = tensor.dtype
    return dtype._is_ref_dtype or dtype.name == "resource"  # noqa: SLF001 - only public test


def variable_op_of(tensor: Any, through_reads: bool = False) -> Any | None:
    """The variable op a ref/resource tensor refers to, through pass-through ops (and, with
    ``through_reads``, through ReadVariableOp: the variable a saved value comes from)."""
    op = tensor.op
    for _ in range(32):
        if op.type in VARIABLE_OPS:
            return op
        if (op.type in PASS_THROUGH or through_reads and op.type == "ReadVariableOp") \
                and op.inputs:
            op = op.inputs[0].op
            continue
        return None
    return None


def _const_value(op: Any) -> Any:
    from tensorflow.python.framework import tensor_util

    return tensor_util.MakeNdarray(op.get_attr("value"))


def _as_str(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def trace_restore(value: Any) -> tuple[Any, int] | None:
    """If ``value`` is a checkpoint tensor (RestoreV2 output through Identity), its source."""
    tensor = value
    for _ in range(32):
        op = tensor.op
        if op.type in RESTORE_OPS:
            return op, tensor.value_index
        if op.type in PASS_THROUGH and op.inputs:
            tensor = op.inputs[0]
            continue
        return None
    return None


def _static_string(tensor: Any) -> str | None:
    """A string tensor's value when it is a constant (possibly behind pass-through ops)."""
    return resolve_string(tensor, {})


def resolve_string(tensor: Any, feeds: Mapping[str, Any]) -> str | None:
    """The value of a scalar string tensor: fed, constant, or a join of those."""
    if tensor.name in feeds:
        value = feeds[tensor.name]
        try:
            import numpy as np

            value = np.asarray(value).ravel()[0] if not isinstance(value, (str, bytes)) else value
        except Exception:
            return None
        return _as_str(value)
    op = tensor.op
    if op.type == "Const":
        value = _const_value(op)
        return _as_str(value.ravel()[0]) if value.size else None
    if op.type in PASS_THROUGH and op.inputs:
        return resolve_string(op.inputs[0], feeds)
    if op.type == "StringJoin":
        parts = [resolve_string(t, feeds) for t in op.inputs]
        if any(p is None for p in parts):
            return None
        return _as_str(op.get_attr("separator")).join(parts)  # type: ignore[arg-type]
    return None


def upstream(starts: Iterable[Any], fed: frozenset[str], control: bool = False,
             expand: Any = None) -> tuple[list[Any], bool]:
    """Every op the ``starts`` ops depend on (themselves included), and whether a fed
    tensor was reached. Fed tensors cut the walk (their producers do not run); ``control``
    also follows control inputs; ``expand(op)`` False keeps an op but not its inputs."""
    stack = list(starts)
    seen = {op.name for op in stack}
    out, reached_feed = [], False
    while stack:
        op = stack.pop()
        out.append(op)
        if expand is not None and not expand(op):
            continue
        for tensor in op.inputs:
            if tensor.name in fed:
                reached_feed = True
                continue
            parent = tensor.op
            if parent.name not in seen:
                seen.add(parent.name)
                stack.append(parent)
        if control:
            for parent in op.control_inputs:
                if parent.name not in seen:
                    seen.add(parent.name)
                    stack.append(parent)
    return out, reached_feed


def _value_ancestors(value: Any, fed: frozenset[str]) -> list[Any]:
    """Ops the value of ``value`` is computed from (data inputs only; stops at feeds)."""
    if value.name in fed:
        return []
    return upstream([value.op], fed, expand=lambda op: op.type not in NON_READS)[0]
