"""One interpretation of a variable's writes in a session: its :class:`History`.

Every rule and view that asks "where did this value come from, what did that replace, what
was lost" reads a :class:`History` instead of walking the events itself, so they cannot
disagree. :func:`history_of` is pure: it takes the events and value summaries the index
holds for one (session, variable) and touches nothing else.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterator, NamedTuple, Sequence

from tftrace.model.events import Event
from tftrace.tracefile import RunRecord, ValueSummary

__all__ = ["Clobbered", "Discarded", "History", "Overwrite", "history_of", "origin_position",
           "value_at"]


@dataclass(frozen=True)
class Clobbered:
    """A restore that was the variable's origin until an initializer replaced it."""

    restore: Event
    initializer: Event


@dataclass(frozen=True)
class Discarded:
    """Update runs a later origin (``by``) threw away: ``updates`` of them, the last in
    run ``last_update``."""

    by: Event
    updates: int
    last_update: int


class Overwrite(NamedTuple):  # a tuple: built for every write by two rules, kept cheap
    """A write that gave the variable a new value (``by``: an initializer, restore or
    assign), the write it replaced (``previous``, None for the first) and the update
    events between the two, whose training ``by`` threw away."""

    by: Event
    previous: Event | None
    updates: Sequence[Event]

    @property
    def update_count(self) -> int:
        """How many update runs ``by`` threw away."""
        return sum(e.count for e in self.updates)


@dataclass(slots=True)  # not frozen: built for every variable by every rule, kept cheap
class History:
    """The writes to ``variable`` in ``session``, in run order, and what they mean (read
    only: the sequences are the index's own).

    ``values`` is the timeline of value summaries the recorder read, as (run, summary);
    ``failed`` the runs that failed trying to write it (their writes never happened).
    """

    variable: str
    session: int
    events: Sequence[Event]
    values: Sequence[tuple[int, ValueSummary]] = ()
    failed: Sequence[RunRecord] = ()

    # --- the current origin -------------------------------------------------------------

    def origin_position(self, run: int | None = None) -> int | None:
        """Position in ``events`` of the last initializer/restore/assign (as of ``run``,
        inclusive, when given), or None when there is none."""
        return origin_position(self.until(run))

    def origin(self, run: int | None = None) -> Event | None:
        """The event that gave the variable its value (as of ``run``), or None."""
        found = self.origin_position(run)
        return None if found is None else self.events[found]

    def updates_since_origin(self, run: int | None = None) -> int:
        """Update runs after the origin (as of ``run``). A streak that started at or
        before ``run`` counts whole: the recorder ends a streak at every save and
        non-update run, so at those points its count is exact."""
        writes = self.until(run)
        found = origin_position(writes)
        start = 0 if found is None else found + 1
        return sum(e.count for e in writes[start:] if e.kind == "update")

    def has_origin_before(self, run: int) -> bool:
        """Whether an initializer, restore or assign ran before ``run`` (exclusive)."""
        return origin_position(self.until(run - 1)) is not None

    def has_origin_after(self, run: int) -> bool:
        """Whether an initializer, restore or assign ran after ``run`` (exclusive)."""
        return any(e.is_origin for e in self.events[len(self.until(run)):])

    def of_kind(self, kind: str, after: int | None = None) -> list[Event]:
        """The events of one kind (``"update"``, ``"restore"``...), in run order; only
        those after run ``after`` (exclusive) when given."""
        events = self.events if after is None else self.events[len(self.until(after)):]
        return [e for e in events if e.kind == kind]

    def until(self, run: int | None) -> Sequence[Event]:
        """The events up to ``run`` inclusive (all of them for None)."""
        if run is None:
            return self.events
        return self.events[:bisect.bisect_right(self.events, run, key=lambda e: e.run)]

    # --- what the origin replaced ---------------------------------------------------------

    def replaced(self) -> tuple[Event | None, int]:
        """What the current origin wrote over: the write before the updates that preceded
        it (None when there was none) and how many update runs it discarded."""
        found = self.origin_position()
        if not found:
            return None, 0
        updates, i = 0, found - 1
        while i >= 0 and self.events[i].kind == "update":
            updates += self.events[i].count
            i -= 1
        return (self.events[i] if i >= 0 else None), updates

    def overwrites(self, kind: str | None = None) -> Iterator[Overwrite]:
        """Every write that replaced the value (only those of ``kind`` when given), with
        what it replaced: the write before it and the updates between them."""
        events, previous = self.events, None
        for i, event in enumerate(events):
            if event.kind == "update":
                continue
            if kind is None or event.kind == kind:
                start = 0 if previous is None else previous + 1
                yield Overwrite(event, None if previous is None else events[previous],
                                events[start:i])
            previous = i

    def replaced_at(self) -> list[int | None]:
        """For each event, the run of the next initializer, restore or assign after it:
        where its value was written over (None for the writes still in the value)."""
        out: list[int | None] = [None] * len(self.events)
        upcoming = None
        for i in range(len(self.events) - 1, -1, -1):
            out[i] = upcoming
            if self.events[i].is_origin:
                upcoming = self.events[i].run
        return out

    def clobbered(self) -> list[Clobbered]:
        """Every restore that was the origin until an initializer ran over it."""
        out, restore = [], None
        for event in self.events:
            if event.kind == "restore":
                restore = event
            elif event.kind == "initializer" and restore is not None:
                out.append(Clobbered(restore, event))
                restore = None
            elif event.kind == "assign":
                restore = None
        return out

    def discarded(self) -> list[Discarded]:
        """Every run of updates that a restore replaced (saved or not: whether a
        checkpoint kept them is the caller's question)."""
        out, updates, last = [], 0, None
        for event in self.events:
            if event.kind == "update":
                updates += event.count
                last = event.last_run
                continue
            if event.kind == "restore" and updates and last is not None:
                out.append(Discarded(event, updates, last))
            updates, last = 0, None
        return out

    # --- values ---------------------------------------------------------------------------

    def value(self, run: int | None = None) -> ValueSummary | None:
        """The latest value summary (at or before ``run``), None when none was read."""
        if run is None:
            return self.values[-1][1] if self.values else None
        return value_at(self.values, run)

    def value_read_at(self, run: int) -> ValueSummary | None:
        """The value summary read in exactly ``run`` (None when none was read then)."""
        i = bisect.bisect_right(self.values, run, key=lambda item: item[0])
        return self.values[i - 1][1] if i and self.values[i - 1][0] == run else None


def history_of(variable: str, session: int, events: Sequence[Event] = (),
               values: Sequence[tuple[int, ValueSummary]] = (),
               failed: Sequence[RunRecord] = ()) -> History:
    """The :class:`History` of ``variable`` in ``session`` from its events (in run order)
    and its value timeline (kept as given, not copied: the index's own lists)."""
    return History(variable=variable, session=session, events=events, values=values,
                   failed=failed)


def origin_position(events: Sequence[Event]) -> int | None:
    """Position of the last origin write (initializer, restore, assign) in ``events``."""
    for i in range(len(events) - 1, -1, -1):
        if events[i].is_origin:
            return i
    return None


def value_at(timeline: Sequence[tuple[int, ValueSummary]], run: int) -> ValueSummary | None:
    """The latest summary of a (run, summary) timeline at or before ``run``."""
    i = bisect.bisect_right(timeline, run, key=lambda item: item[0])
    return timeline[i - 1][1] if i else None
