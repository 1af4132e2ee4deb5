"""The one interpretation of a variable's writes: History, on hand-built events."""
from tftrace.model import Event, History, Trace
from tftrace.model.history import history_of
from tftrace.tracefile import ValueSummary


def _value(digest: str) -> ValueSummary:
    return ValueSummary(digest=digest, dtype="float32", shape=())


def _history(*events: Event, values=()) -> History:
    return history_of("w", 1, events, values)


def test_origin_and_updates_since_it_as_of_any_run():
    h = _history(Event("w", "initializer", 1, 1), Event("w", "update", 1, 2, count=5,
                                                        last_run=6),
                 Event("w", "restore", 1, 7, checkpoint="ck"),
                 Event("w", "update", 1, 8, count=2, last_run=9))
    assert h.origin().kind == "restore" and h.updates_since_origin() == 2
    assert h.origin(6).kind == "initializer" and h.updates_since_origin(6) == 5
    assert h.origin_position() == 2


def test_no_origin_means_every_update_counts():
    h = _history(Event("w", "update", 1, 2, count=3, last_run=4))
    assert h.origin() is None and h.updates_since_origin() == 3
    assert h.replaced() == (None, 0)


def test_what_the_origin_replaced_and_what_was_lost():
    restore = Event("w", "restore", 1, 1, checkpoint="ck")
    init = Event("w", "initializer", 1, 2)
    h = _history(restore, init, Event("w", "update", 1, 3, count=4, last_run=6),
                 Event("w", "restore", 1, 7, checkpoint="ck"))
    assert h.replaced() == (init, 4)
    assert [(c.restore, c.initializer) for c in h.clobbered()] == [(restore, init)]
    [lost] = h.discarded()
    assert (lost.by.run, lost.updates, lost.last_update) == (7, 4, 6)


def test_an_assign_between_restore_and_initializer_is_no_clobber():
    h = _history(Event("w", "restore", 1, 1, checkpoint="ck"), Event("w", "assign", 1, 2),
                 Event("w", "initializer", 1, 3))
    assert h.clobbered() == []


def test_value_at_a_run_and_read_in_a_run():
    a, b = _value("a"), _value("b")
    h = _history(values=[(2, a), (5, b)])
    assert h.value() is b and h.value(1) is None and h.value(4) is a
    assert h.value_read_at(5) is b and h.value_read_at(4) is None


def test_trace_answers_origin_from_the_same_history():
    trace = Trace.load("tests/data/init_then_restore.jsonl")
    h = trace.variable_history("w")
    assert h.origin() == trace.origin("w").event
    assert h.updates_since_origin() == trace.updates_since_origin("w")


def test_overwrites_say_what_each_write_replaced():
    init, assign = Event("w", "initializer", 1, 1), Event("w", "assign", 1, 4)
    steps = Event("w", "update", 1, 2, count=2, last_run=3)
    again = Event("w", "initializer", 1, 5)
    h = _history(init, steps, assign, again)
    assert [(o.by, o.previous, list(o.updates), o.update_count) for o in h.overwrites()] == [
        (init, None, [], 0), (assign, init, [steps], 2), (again, assign, [], 0)]
    assert [o.by for o in h.overwrites("initializer")] == [init, again]


def test_origins_before_and_after_a_run_and_events_by_kind():
    steps = Event("w", "update", 1, 1, count=3, last_run=3)
    h = _history(steps, Event("w", "initializer", 1, 4), Event("w", "update", 1, 6))
    assert not h.has_origin_before(4) and h.has_origin_before(5)
    assert h.has_origin_after(3) and not h.has_origin_after(4)
    assert [e.run for e in h.of_kind("update")] == [1, 6]
    assert [e.run for e in h.of_kind("update", after=4)] == [6]


def test_where_each_write_was_written_over():
    h = _history(Event("w", "initializer", 1, 1), Event("w", "update", 1, 2, count=3,
                                                        last_run=4),
                 Event("w", "restore", 1, 5, checkpoint="ck"), Event("w", "assign", 1, 6),
                 Event("w", "update", 1, 7))
    # The initializer and its updates were replaced by the restore (run 5), the restore by
    # the assign (run 6); the assign and the update after it are still in the value.
    assert h.replaced_at() == [5, 5, 6, None, None]
    assert _history().replaced_at() == []
