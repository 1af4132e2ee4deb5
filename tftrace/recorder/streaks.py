"""Streaks: repeated runs that only update or assign, coalesced into one record each.

A streak is one run shape (what the runs write, however they are fetched). Each step is a
counter bump; values are read at steps 1, 2, 4, 8, ... (the geometric schedule) so a
divergence is still caught at a cost logarithmic in the loop's length. Streaks of
different shapes interleave, unless one assigns what the other writes (the order of a
variable's assigns decides its value). ``StreakTracking`` is mixed into the session
recorder (its methods run on the hot path, so no extra object in between); it needs from
its host ``graph``, ``number``, ``run_index``, ``state`` (``write``) and ``_read_values``.
Nothing here imports TensorFlow.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from tftrace.recorder.capture import caller_location
from tftrace.recorder.classify import RunPlan
from tftrace.tracefile import StreakRecord, StreakSample, Write


@dataclass
class Streak:
    number: int
    plan: RunPlan
    first_run: int
    location: str | None
    count: int = 0
    last_run: int = 0
    sampled_at: int = 0  # count at the last value sample
    pending: list[StreakSample] = field(default_factory=list)
    started: float = 0.0
    written: bool = False  # a record of it is in the trace (later ones omit its writes)


class StreakTracking:
    """The running streaks of one session recorder, and when to sample and write them."""

    def _init_streaks(self) -> None:
        self._streak_numbers = itertools.count(1)
        self._streaks: dict[int, Streak] = {}  # streak key (a plan shape) -> running streak
        self._shapes: dict[tuple[Any, ...], int] = {}  # plan shape -> streak key
        self._shape_numbers = itertools.count(1)
        self._shapes_run: set[int] = set()  # assign shapes that ran once already

    def _starts_streak(self, plan: RunPlan) -> bool:
        """Whether this run of ``plan`` is a streak's (an assign shape's first run is a
        run record of its own, exactly as a one-off assign)."""
        return plan.streakable and (plan.update_only or plan.streak_key in self._shapes_run)

    def _conflicts(self, plan: RunPlan) -> list[Streak]:
        """Running streaks that cannot interleave with ``plan``'s: one of the two assigns
        a variable the other writes. Update streaks interleave freely (GAN D/G steps, a
        train op with and without the hooks' fetches): counts add up whatever the order,
        while the order of a variable's assigns decides its value."""
        return [s for s in self._streaks.values()
                if s.plan.streak_key != plan.streak_key  # its own streak goes on
                and (s.plan.assigned.intersection(plan.written)
                     or plan.assigned.intersection(s.plan.written))]

    def _streak_step(self, plan: RunPlan) -> None:
        streak = self._streaks.get(plan.streak_key)
        if streak is None:
            streak = Streak(number=next(self._streak_numbers), plan=plan,
                             first_run=self.run_index, location=caller_location(),
                             started=time.time())
            self._streaks[plan.streak_key] = streak
        streak.count += 1
        streak.last_run = self.run_index
        count = streak.count
        if count & (count - 1) == 0:  # 1, 2, 4, 8, ...: the geometric schedule
            self._sample([streak])
            self._write_streak(streak, final=False)

    def _sample(self, streaks: list[Streak]) -> None:
        names = sorted({name for s in streaks for name in s.plan.written})
        with self.graph.as_default():
            values = self._read_values(names)
        for streak in streaks:
            streak.sampled_at = streak.count
            streak.pending.append(StreakSample(
                run=streak.last_run, count=streak.count,
                values={n: values[n] for n in streak.plan.written if n in values}))

    def _write_streak(self, streak: Streak, final: bool) -> None:
        plan = streak.plan
        self.state.write(StreakRecord(
            session=self.number, streak=streak.number, first_run=streak.first_run,
            last_run=streak.last_run, count=streak.count, location=streak.location,
            fetches=() if streak.written else plan.fetch_names,
            # The reader keeps the first record's writes; repeating them costs space only.
            writes=() if streak.written else tuple(
                Write(variable=w.variable, kind=w.kind, op=w.op, sources=w.sources)
                for w in plan.writes),
            samples=tuple(streak.pending), final=final, time=streak.started,
            last_time=time.time()))
        streak.pending = []
        streak.written = True

    def _end_streaks(self, which: list[Streak] | None = None) -> None:
        """End ``which`` (default: every running streak), sampled first if they moved."""
        if which is None:
            streaks = sorted(self._streaks.values(), key=lambda s: s.number)
            self._streaks.clear()
        else:
            streaks = sorted(which, key=lambda s: s.number)
            for streak in streaks:
                del self._streaks[streak.plan.streak_key]
        if not streaks:
            return
        unsampled = [s for s in streaks if s.sampled_at != s.count]
        if unsampled:
            self._sample(unsampled)
        for streak in streaks:
            self._write_streak(streak, final=True)
