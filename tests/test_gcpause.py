"""The one GC pause: it nests, and only the outermost pause turns the collector back on."""
import gc
import threading

import pytest

from tftrace.gcpause import paused_gc


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_nested_pauses_resume_only_at_the_outermost(collector_on):
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause must not turn it back on
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_the_caller_turned_off_alone(collector_on):
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_the_pause_ends_when_the_block_raises(collector_on):
    with pytest.raises(ValueError):
        with paused_gc():
            raise ValueError
    assert gc.isenabled()


def test_a_pause_in_another_thread_outlasting_the_first_keeps_it_off(collector_on):
    # The TUI checks in a worker thread while its UI thread may load: the first pause to
    # end must not turn the collector on under the other one.
    inside, release = threading.Event(), threading.Event()

    def worker():
        with paused_gc():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    with paused_gc():
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the worker's pause still holds
    release.set()
    thread.join(10)
    assert gc.isenabled()
