"""The provenance model: a loaded trace, its provenance graph and the queries on it.

Stdlib and networkx only — reading a trace never needs TensorFlow.

    >>> import tftrace
    >>> trace = tftrace.load("tests/data/restore_then_init.jsonl")
    >>> trace.explain("dense/kernel").origin.kind
    'initializer'

The graph's node and edge vocabulary is documented in :mod:`tftrace.model.graph`.
"""
from tftrace.model.events import EVENT_KINDS, ORIGIN_KINDS, Event, Origin, Save, SessionInfo
from tftrace.model.explain import Explanation
from tftrace.model.history import History
from tftrace.model.lineage import Lineage, LineageStep
from tftrace.model.queries import ValueChange
from tftrace.model.trace import Trace

__all__ = ["Trace", "Event", "Origin", "Save", "SessionInfo", "Explanation", "History", "Lineage",
           "LineageStep", "ValueChange", "EVENT_KINDS", "ORIGIN_KINDS"]
