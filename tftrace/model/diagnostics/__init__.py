"""Diagnostics: the classic TensorFlow state bugs, found in a trace.

>>> from tftrace.model.diagnostics import check
>>> check(trace)                     # doctest: +SKIP
[<Diagnostic error restore-overwritten [dense/kernel, dense/bias] session 2>]

Rule slugs are a stable contract (PRODUCT §5). One module per family of rules.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from tftrace.model.diagnostics.base import (
    RULES,
    SEVERITIES,
    SEVERITY_RANK,
    Diagnostic,
    Site,
    rule,
)

if TYPE_CHECKING:
    from tftrace.model.trace import Trace

__all__ = ["check", "Diagnostic", "Site", "RULES", "SEVERITIES", "SEVERITY_RANK", "rule"]


def _load_rules() -> None:
    # Importing the families registers their rules.
    from tftrace.model.diagnostics import (  # noqa: F401
        checkpoints,
        cluster,
        initialization,
        naming,
        restore_order,
        training,
        values,
    )


def check(trace: Trace, min_severity: str = "info") -> list[Diagnostic]:
    """All findings of every rule, most severe first, then by session, run and rule."""
    _load_rules()
    floor = SEVERITY_RANK[min_severity]
    found: list[Diagnostic] = []
    for func in RULES.values():
        found.extend(d for d in func(trace) if d.rank >= floor)
    found.sort(key=lambda d: (-d.rank, d.session, d.run if d.run is not None else -1,
                              d.rule, d.variables))
    return found
