"""``explain``: where one variable's value came from in one session, as data.

The :class:`Explanation` holds the facts; ``to_json()`` is the fixed JSON shape of
``tftrace explain --format json`` (PRODUCT §5) and :mod:`tftrace.views.text` words it for
people.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from tftrace.model.display import format_summary, printable
from tftrace.model.events import Event, Origin, process_json
from tftrace.model.index import TraceIndex
from tftrace.model.queries import events, origin, updates_since_origin
from tftrace.tracefile import RunRecord, VariableRecord


@dataclass(frozen=True, repr=False)
class Explanation:
    """Where ``variable``'s value in ``session`` came from.

    ``events`` are all its writes in the session, ordered by run; ``origin`` is the last
    initializer/restore/assign among them; ``record`` is the variable's declaration;
    ``failed`` the runs of the session that failed while trying to write it (a restore
    with a missing key, say), which explain why a write the program meant did not happen.
    """

    variable: str
    session: int
    origin: Origin
    updates_since_origin: int
    events: tuple[Event, ...]
    record: VariableRecord
    failed: tuple[RunRecord, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The exact shape of ``tftrace explain --format json`` (PRODUCT §5)."""
        return {"variable": self.variable, "session": self.session,
                "origin": self.origin.to_json(),
                "updates_since_origin": self.updates_since_origin,
                "events": [event_json(e) for e in self.events]}

    def __repr__(self) -> str:
        return (f"<Explanation {printable(self.variable)} in session {self.session}: "
                f"origin {self.origin.kind}"
                + (f" run {self.origin.run}" if self.origin.run is not None else "")
                + f", {self.updates_since_origin} updates since, {len(self.events)} events>")

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr><td>{e(ev.kind)}</td><td>{e(ev.runs)}</td><td>{ev.count}</td>"
            f"<td>{e(ev.location or '')}</td>"
            f"<td>{e(_checkpoint_key(ev))}</td><td>{e(format_summary(ev.value))}</td></tr>"
            for ev in self.events)
        return (f"<p><b>{e(self.variable)}</b> in session {self.session}: origin "
                f"<b>{e(self.origin.kind)}</b>, {self.updates_since_origin} updates since</p>"
                "<table><tr><th>kind</th><th>run</th><th>count</th><th>location</th>"
                f"<th>checkpoint / key</th><th>value</th></tr>{rows}</table>")


def event_json(event: Event) -> dict[str, Any]:
    """One entry of ``events`` in ``explain --format json``."""
    d = {"kind": event.kind, "run": event.run, "count": event.count,
         "location": event.location, "checkpoint": event.checkpoint, "key": event.key,
         "value": None if event.value is None else event.value.to_json()}
    if event.process is not None:  # a merged trace (PRODUCT §5)
        d["process"] = process_json(event)
    return d


def explain(index: TraceIndex, variable: str, session: int) -> Explanation:
    """Explain ``variable`` (a resolved name) in ``session`` (a resolved number)."""
    return Explanation(variable=variable, session=session,
                       origin=origin(index, variable, session),
                       updates_since_origin=updates_since_origin(index, variable, session),
                       events=tuple(events(index, variable, session)),
                       record=index.variables_of(session)[variable],
                       failed=tuple(index.failed_writes.get((session, variable), ())))


def _checkpoint_key(event: Event) -> str:
    if event.checkpoint is None and event.key is None:
        return ""
    return f"{event.checkpoint} : {event.key}"
