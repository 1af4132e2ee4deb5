"""Small helpers shared by the rule families: listing names, walking timelines."""
from __future__ import annotations

import re
from typing import Any, Iterator

from tftrace.model.events import Event
from tftrace.model.index import TraceIndex

# Optimizer slot variables and accumulators, named the way tf.compat.v1 optimizers name them.
# BERT's AdamWeightDecayOptimizer names its slots <variable>/adam_m and /adam_v.
_SLOT = re.compile(r"/(Adam|Adam_\d+|Momentum|RMSProp|RMSProp_\d+|Adagrad|Adadelta|"
                   r"Adadelta_\d+|Ftrl|Ftrl_\d+|ProximalAdagrad|ExponentialMovingAverage|"
                   r"adam_m|adam_v)$")
_OPTIMIZER_STATE = re.compile(r"(^|/)(beta1_power|beta2_power)(_\d+)?$")


def is_optimizer_state(name: str) -> bool:
    """Adam's m/v slots, Momentum accumulators, beta powers..."""
    return bool(_SLOT.search(name) or _OPTIMIZER_STATE.search(name))


def session_timelines(index: TraceIndex) -> Iterator[tuple[int, str, list[Event]]]:
    """(session, variable, events) for every variable with events, in a stable order."""
    for (session, name) in sorted(index.events):
        yield session, name, index.events[(session, name)]


def is_global(record: Any) -> bool:
    """A variable a default Saver saves: in the global collection (or unknown: assume so)."""
    collections = getattr(record, "collections", ())
    return not collections or "variables" in collections


def is_local(record: Any) -> bool:
    collections = getattr(record, "collections", ())
    return "local_variables" in collections and "variables" not in collections


def location_of_run(index: TraceIndex, session: int, run: int) -> str | None:
    """The call site of a run: its record, or the streak it belongs to."""
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
