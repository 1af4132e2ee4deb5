"""Rules about values (bug 6 of PRODUCT §1).

- ``non-finite-value`` (error): NaN or Inf in a variable, from the first run it was seen.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterator

from tftrace.findings import names, plural
from tftrace.model.diagnostics.base import Diagnostic, Site, rule
from tftrace.model.display import non_finite_counts

if TYPE_CHECKING:
    from tftrace.model.trace import Trace


@rule("non-finite-value")
def non_finite_value(trace: Trace) -> Iterator[Diagnostic]:
    first_bad: dict[int, list[tuple[int, str, Any]]] = defaultdict(list)
    for session, name, timeline in trace.value_timelines():
        for run, summary in timeline:
            if summary.nan or summary.inf:
                first_bad[session].append((run, name, summary))
                break
    for session, items in sorted(first_bad.items()):
        items.sort()
        run, _, _ = items[0]
        location = trace.location_of_run(session, run)
        variables = tuple(sorted({name for _, name, _ in items}))
        detail = ", ".join(
            f"{name} ({_count(s)} at run {r})" for r, name, s in items[:6])
        poisoned = sorted({s.path for s in trace.saves if s.session == session
                           and s.run >= run and s.path and set(s.keys.values()) & set(variables)})
        message = (f"{plural(len(variables), 'variable')} became non-finite, first seen at "
                   f"{location} (run {run}): {detail}{' and more' if len(items) > 6 else ''}")
        if poisoned:
            message += (f"; {plural(len(poisoned), 'checkpoint')} saved after that hold "
                        f"them: {names(poisoned, 4)}")
        yield Diagnostic(
            rule="non-finite-value", severity="error", variables=variables, message=message,
            hint="Lower the learning rate, clip gradients, or guard with "
                 "tf.debugging.check_numerics; resume from a checkpoint saved before run "
                 f"{run}. (Values are sampled at steps 1, 2, 4, 8... of a training loop, so "
                 "the first bad step is at or before this run.)",
            session=session, run=run, location=location,
            sites=(Site("first seen", location, session, run),))


def _count(summary: Any) -> str:
    return " and ".join(non_finite_counts(summary))
