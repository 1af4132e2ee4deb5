"""Streak tracking without TensorFlow: the geometric sampling schedule, records, conflicts.

``StreakTracking`` is the session recorder's streak half; here its host is a stand-in
with a fake trace (a list) and fake value reads, so the schedule is tested directly.
"""
from __future__ import annotations

import contextlib
from types import SimpleNamespace

from tftrace.recorder.streaks import StreakTracking
from tftrace.tracefile import StreakRecord, ValueSummary


class Host(StreakTracking):
    """What the session recorder gives the mixin: a graph, a number, runs, a trace."""

    def __init__(self) -> None:
        self._init_streaks()
        self.graph = SimpleNamespace(as_default=contextlib.nullcontext)
        self.number = 1
        self.run_index = 0
        self.written: list[StreakRecord] = []
        self.state = SimpleNamespace(write=self.written.append)
        self.sampled_runs: list[int] = []

    def _read_values(self, names):
        self.sampled_runs.append(self.run_index)
        return {n: ValueSummary(digest=f"{n}@{self.run_index}", dtype="float32", shape=())
                for n in names}

    def run(self, plan) -> None:
        """One run of ``plan`` in a streak, as ``SessionRecorder.after`` makes it."""
        self.run_index += 1
        self._streak_step(plan)


def plan(key: int, written=("w",), assigned=()):
    writes = tuple(SimpleNamespace(variable=v, kind="assign" if v in assigned else "update",
                                   op=f"{v}/op", sources=()) for v in written)
    return SimpleNamespace(streak_key=key, written=frozenset(written),
                           assigned=frozenset(assigned), fetch_names=("train",),
                           writes=writes, streakable=True, update_only=not assigned)


def test_values_are_sampled_at_steps_1_2_4_8():
    host, train = Host(), plan(1)
    for _ in range(20):
        host.run(train)
    assert host.sampled_runs == [1, 2, 4, 8, 16]
    assert [(r.count, r.final) for r in host.written] == [(1, False), (2, False), (4, False),
                                                          (8, False), (16, False)]
    # The first record carries the writes; later ones only their counts and samples.
    assert [w.variable for w in host.written[0].writes] == ["w"]
    assert all(r.writes == () for r in host.written[1:])


def test_ending_a_streak_samples_its_last_step_once():
    host, train = Host(), plan(1)
    for _ in range(5):
        host.run(train)
    host._end_streaks()
    last = host.written[-1]
    assert (last.first_run, last.last_run, last.count, last.final) == (1, 5, 5, True)
    assert [s.count for s in last.samples] == [5]
    assert host.sampled_runs == [1, 2, 4, 5]
    host.run(train)  # a new streak, numbered anew
    assert host.written[-1].streak == 2 and host.written[-1].count == 1


def test_ending_right_after_a_sample_reads_nothing_more():
    host, train = Host(), plan(1)
    for _ in range(4):
        host.run(train)
    host._end_streaks()
    assert host.sampled_runs == [1, 2, 4]
    assert host.written[-1].samples == ()  # already written with the record at step 4


def test_only_an_assign_to_what_the_other_writes_conflicts():
    host = Host()
    d_step, g_step = plan(1, written=("d",)), plan(2, written=("g",))
    lr = plan(3, written=("lr",), assigned=("lr",))
    lr_and_d = plan(4, written=("d",), assigned=("d",))
    for step in (d_step, g_step, lr):
        host.run(step)
    assert host._conflicts(d_step) == []  # its own streak goes on
    assert host._conflicts(lr) == []  # lr is written by nobody else
    assert [s.plan for s in host._conflicts(lr_and_d)] == [d_step]


def test_an_assign_shape_streaks_from_its_second_run_on():
    host = Host()
    lr = plan(3, written=("lr",), assigned=("lr",))
    assert not host._starts_streak(lr)  # its first run is a run record, like any assign
    host._shapes_run.add(lr.streak_key)  # what SessionRecorder.after notes after it
    assert host._starts_streak(lr)
    assert host._starts_streak(plan(1))  # an update-only shape streaks at once
    assert not host._starts_streak(SimpleNamespace(**{**vars(plan(1)), "streakable": False}))


def test_ending_some_streaks_leaves_the_others_running():
    host = Host()
    d_step, g_step = plan(1, written=("d",)), plan(2, written=("g",))
    for _ in range(3):
        host.run(d_step)
        host.run(g_step)
    host._end_streaks([host._streaks[1]])
    assert list(host._streaks) == [2]
    final = [r for r in host.written if r.final]
    assert [(r.streak, r.count, r.last_run) for r in final] == [(1, 3, 5)]
    host.run(g_step)
    assert host._streaks[2].count == 4
