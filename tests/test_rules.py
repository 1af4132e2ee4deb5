"""Each rule is a pure function of a Trace: run here on traces built by hand, in memory.

No file, no TensorFlow: a few records (the recorder's own dataclasses) make a RawTrace, and
the rule under test is called directly, as ``tftrace check`` calls every rule.
"""
from __future__ import annotations

from tftrace.model import Trace
from tftrace.model.diagnostics import checkpoints, cluster, initialization, restore_order
from tftrace.model.diagnostics import training, values
from tftrace.tracefile import (
    CheckpointRecord,
    Header,
    ProcessRecord,
    RawTrace,
    RunError,
    RunRecord,
    SaveInfo,
    SessionEnd,
    SessionRecord,
    StreakRecord,
    StreakSample,
    ValueSummary,
    VariableRecord,
    Write,
)


def trace(*records, sessions=(1,), variables=("w",), graph=1, remote=False) -> Trace:
    """A trace of ``sessions`` on one graph declaring ``variables``, then ``records``."""
    declared = [VariableRecord(graph=graph, name=n, index=i, shape=(2,),
                               location=f"model.py:{10 + i}", trainable=True)
                for i, n in enumerate(variables)]
    opened = [SessionRecord(session=s, graph=graph, location="train.py:1", remote=remote,
                            target="grpc://127.0.0.1:2222" if remote else "")
              for s in sessions]
    return Trace(RawTrace(path="hand.jsonl", header=Header(cwd="/job"),
                          records=[*declared, *opened, *records]))


def run(session, number, *writes, location="train.py:5", **fields) -> RunRecord:
    return RunRecord(session=session, run=number, location=location, writes=tuple(writes),
                     **fields)


def init(*names) -> list[Write]:
    return [Write(n, "initializer", op=f"{n}/Assign") for n in names]


def restore(*names, checkpoint="/ckpt/model") -> list[Write]:
    return [Write(n, "restore", op="save/restore_all", checkpoint=checkpoint, key=n)
            for n in names]


def streak(session, first, last, *names, location="train.py:9") -> StreakRecord:
    return StreakRecord(session=session, streak=1, first_run=first, last_run=last,
                        count=last - first + 1, location=location,
                        writes=tuple(Write(n, "update", op="Adam") for n in names))


def value(digest, nan=0) -> ValueSummary:
    return ValueSummary(digest=digest, dtype="float32", shape=(2,), nan=nan)


# --- initialization ----------------------------------------------------------------------

def test_uninitialized_read_says_why_for_each_variable():
    t = trace(run(1, 1, *init("w", "b")),
              run(2, 1, location="eval.py:3", reads=("w", "b"),
                  error=RunError("FailedPreconditionError", "uninitialized",
                                 uninitialized=("w",))),
              SessionEnd(session=2, runs=1),
              sessions=(1, 2), variables=("w", "b"))
    [d] = initialization.uninitialized_read(t)
    assert (d.rule, d.severity, d.variables, d.session, d.run) == \
        ("uninitialized-read", "error", ("b", "w"), 2, 1)
    assert "initialized only in session 1; each session has its own" in d.message


def test_reading_then_initializing_is_the_probe_pattern():
    t = trace(run(1, 1, reads=("w",), error=RunError("FailedPreconditionError", "x",
                                                     uninitialized=("w",))),
              run(1, 2, *init("w")), SessionEnd(session=1, runs=2))
    [d] = initialization.uninitialized_read(t)
    assert d.severity == "info" and "the probe pattern" in d.message


def test_initializer_reset_counts_the_updates_it_threw_away():
    t = trace(run(1, 1, *init("w")), streak(1, 2, 11, "w"),
              run(1, 12, *init("w"), location="train.py:20"))
    [d] = initialization.initializer_reset(t)
    assert (d.variables, d.run, d.location) == (("w",), 12, "train.py:20")
    assert "w (10 updates)" in d.message


def test_never_initialized_needs_a_closed_session():
    records = [run(1, 1, *init("w")), SessionEnd(session=1, runs=1)]
    [d] = initialization.never_initialized(trace(*records, variables=("w", "unused")))
    assert d.variables == ("unused",)
    assert list(initialization.never_initialized(
        trace(*records[:1], variables=("w", "unused")))) == []


# --- restore order -----------------------------------------------------------------------

def test_restore_overwritten_names_the_checkpoint_and_both_sites():
    t = trace(run(1, 1, *restore("w"), location="train.py:3"),
              run(1, 2, *init("w", "head"), location="train.py:4"), variables=("w", "head"))
    [d] = restore_order.restore_overwritten(t)
    assert (d.variables, d.run) == (("w",), 2)
    assert "restored from /ckpt/model at train.py:3 (run 1)" in d.message
    assert [s.role for s in d.sites] == ["restored", "initializer"]
    assert "'head'" in d.hint  # initialize only what the checkpoint does not have


def test_restore_discards_updates_unless_a_save_kept_them():
    lost = [run(1, 1, *init("w")), streak(1, 2, 6, "w"), run(1, 7, *restore("w"))]
    [d] = restore_order.restore_discards_updates(trace(*lost))
    assert "up to 5 training updates not saved" in d.message
    saved = lost[:2] + [run(1, 7, save=SaveInfo("/ckpt/model", {"w": "w"})),
                        run(1, 8, *restore("w"))]
    assert list(restore_order.restore_discards_updates(trace(*saved))) == []


def test_restored_partially_lists_what_the_checkpoint_did_not_have():
    t = trace(run(1, 1, *restore("enc/w")), CheckpointRecord(
        "/ckpt/model", keys={"enc/w": ((2,), "float32"), "cls/w": ((2,), "float32")}),
        variables=("enc/w", "head/w"))
    [d] = restore_order.restored_partially(t)
    assert "loaded 1 of 2 variables" in d.message and "(head/w)" in d.message
    assert d.message.endswith("(unexpected keys): cls/* (1 key)")


# --- training, values, checkpoints, cluster ----------------------------------------------

def test_checkpoint_untrained_when_saved_before_any_update():
    t = trace(run(1, 1, *init("w")),
              run(1, 2, save=SaveInfo("/ckpt/model", {"w": "w"}), location="train.py:30"),
              run(2, 1, *restore("w")), sessions=(1, 2))
    [d] = training.checkpoint_untrained(t)
    assert (d.session, d.run) == (2, 1) and "saved at train.py:30" in d.message
    trained = trace(run(1, 1, *init("w")),
                    run(1, 2, save=SaveInfo("/ckpt/model", {"w": "w"})),
                    run(2, 1, *restore("w")), streak(2, 2, 5, "w"), sessions=(1, 2))
    assert list(training.checkpoint_untrained(trained)) == []  # rewound, then trained


def test_non_finite_value_from_a_streak_sample():
    bad = StreakRecord(session=1, streak=1, first_run=2, last_run=9, count=8,
                       location="train.py:9", writes=(Write("w", "update"),),
                       samples=(StreakSample(2, 1, {"w": value("a")}),
                                StreakSample(4, 3, {"w": value("b", nan=2)})))
    [d] = values.non_finite_value(trace(run(1, 1, *init("w")), bad))
    assert (d.run, d.location) == (4, "train.py:9") and "w (2 NaN at run 4)" in d.message


def test_shape_mismatch_spells_a_scalar_as_the_views_do():
    t = trace(run(1, 1, *restore("w"), error=RunError("InvalidArgumentError", "shape")),
              CheckpointRecord("/ckpt/model", keys={"w": ((), "float32")}))
    [d] = checkpoints.checkpoint_shape_mismatch(t)
    assert "w is declared [2] but key 'w' holds scalar; the restore failed" in d.message


def test_non_chief_initializer_in_one_workers_own_trace():
    me = ProcessRecord(job="worker", task=1, is_chief=False)
    t = trace(me, run(1, 1, *init("w")), remote=True)
    [d] = cluster.non_chief_initializer(t)
    assert d.message.startswith("worker:1, not the chief, ran the initializer at train.py:5")
    chief = trace(ProcessRecord(job="worker", task=0, is_chief=True), run(1, 1, *init("w")),
                  remote=True)
    assert list(cluster.non_chief_initializer(chief)) == []
