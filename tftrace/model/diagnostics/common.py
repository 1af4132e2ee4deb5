"""Small helpers shared by the rule families: what kind of variable a name or record is."""
from __future__ import annotations

import re
from typing import Any

# Optimizer slot variables and accumulators, named the way tf.compat.v1 optimizers name them.
# BERT's AdamWeightDecayOptimizer names its slots <variable>/adam_m and /adam_v.
_SLOT = re.compile(r"/(Adam|Adam_\d+|Momentum|RMSProp|RMSProp_\d+|Adagrad|Adadelta|"
                   r"Adadelta_\d+|Ftrl|Ftrl_\d+|ProximalAdagrad|ExponentialMovingAverage|"
                   r"adam_m|adam_v)$")
_OPTIMIZER_STATE = re.compile(r"(^|/)(beta1_power|beta2_power)(_\d+)?$")


def is_optimizer_state(name: str) -> bool:
    """Adam's m/v slots, Momentum accumulators, beta powers..."""
    return bool(_SLOT.search(name) or _OPTIMIZER_STATE.search(name))


def is_global(record: Any) -> bool:
    """A variable a default Saver saves: in the global collection (or unknown: assume so)."""
    collections = getattr(record, "collections", ())
    return not collections or "variables" in collections


def is_local(record: Any) -> bool:
    collections = getattr(record, "collections", ())
    return "local_variables" in collections and "variables" not in collections
