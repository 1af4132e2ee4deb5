"""Two programs writing the same trace path never mix their records.

The first writer locks the file (``flock``) for as long as its process lives; a second
process asking for the same path writes a sibling file (``trace.<pid>.json``) and says so
on stderr. Both traces stay whole and load without a "cut short" note.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from tftrace.tracefile import Header, TraceWriter, read_trace

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WRITER = textwrap.dedent("""
    import sys
    from tftrace.tracefile import Header, TraceWriter
    path, who, wait = sys.argv[1], sys.argv[2], sys.argv[3] == "wait"
    writer = TraceWriter(path, Header(script=who))
    for i in range(200):
        writer.write({"type": "probe", "who": who, "i": i})
    if wait:  # hold the trace open until the test says go on
        print("ready", flush=True)
        sys.stdin.readline()
    for i in range(200, 400):
        writer.write({"type": "probe", "who": who, "i": i})
    writer.close()
    print(writer.path, flush=True)
""")


def lines_of(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def assert_only(path, who):
    header, *records = lines_of(path)
    assert header["script"] == who
    assert [(r["who"], r["i"]) for r in records] == [(who, i) for i in range(400)]
    assert not read_trace(path).truncated


ENV = dict(os.environ, PYTHONPATH=ROOT)


@contextlib.contextmanager
def another_process_writing(path):
    """Another process (writer "A") holding ``path`` open for the block; yields a list that
    gets its stdout (the path it wrote) once it finished."""
    other = subprocess.Popen([sys.executable, "-c", WRITER, path, "A", "wait"], env=ENV,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    finished = []
    try:
        assert other.stdout.readline() == "ready\n"
        yield finished
        finished.append(other.communicate("go\n", timeout=60)[0])
    finally:
        other.kill()
        other.wait()
    assert other.returncode == 0


@pytest.mark.skipif(os.name != "posix", reason="the lock is flock(2)")
def test_a_second_process_on_the_same_path_writes_a_sibling_and_says_so(tmp_path):
    path = str(tmp_path / "trace.json")
    with another_process_writing(path) as finished:
        second = subprocess.run([sys.executable, "-c", WRITER, path, "B", "go"], env=ENV,
                                capture_output=True, text=True, timeout=60)
    out = finished[0]
    assert second.returncode == 0, second.stderr
    sibling = second.stdout.strip()
    assert re.fullmatch(re.escape(str(tmp_path)) + r"/trace\.\d+\.json", sibling)
    assert second.stderr == (f"tftrace: {path} is being written by another process; this "
                             f"process writes its trace to {sibling}\n")
    assert out.strip() == path
    assert_only(path, "A")
    assert_only(sibling, "B")


def test_one_process_never_opens_a_trace_twice_but_reuses_a_closed_one(tmp_path, capfd):
    path = str(tmp_path / "t.json")
    first = TraceWriter(path, Header(script="first"))
    second = TraceWriter(path, Header(script="second"))  # the first is still open
    assert second.path == str(tmp_path / f"t.{os.getpid()}.json")
    assert "is being written by another process" in capfd.readouterr().err
    first.close()
    second.close()
    third = TraceWriter(path, Header(script="third"))  # closed: this process may take it
    third.close()
    assert third.path == path and lines_of(path)[0]["script"] == "third"
    assert capfd.readouterr().err == ""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_write_into_its_parents_trace(tmp_path):
    path = str(tmp_path / "t.json")
    writer = TraceWriter(path, Header(script="parent"))
    writer.write({"type": "probe", "who": "parent", "i": 0})
    pid = os.fork()
    if pid == 0:  # the child: its writes must not reach the parent's file
        try:
            writer.write({"type": "probe", "who": "child", "i": 0})
            writer.close()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    writer.write({"type": "probe", "who": "parent", "i": 1})
    writer.close()
    assert [r.get("who") for r in lines_of(path)[1:]] == ["parent", "parent"]


def test_a_process_writing_many_traces_keeps_a_bounded_number_of_locks(tmp_path, monkeypatch):
    from tftrace.tracefile import writer as writer_module

    monkeypatch.setattr(writer_module, "MAX_HELD", 4)
    before = len(writer_module._held)
    for i in range(12):
        TraceWriter(tmp_path / f"t{i}.json", Header()).close()
    assert len(writer_module._held) <= max(before, 4)


def test_renaming_a_trace_moves_it_with_its_lock(tmp_path, capfd):
    """A pattern's trace (traces/{job}{task}.json) is renamed once the task is known."""
    writer = TraceWriter(tmp_path / "local0.json", Header(script="me"))
    writer.write({"type": "probe", "who": "me", "i": 0})
    assert writer.rename(str(tmp_path / "worker1.json")) == str(tmp_path / "worker1.json")
    writer.write({"type": "probe", "who": "me", "i": 1})
    writer.close()
    assert not (tmp_path / "local0.json").exists()
    assert [r.get("i") for r in lines_of(tmp_path / "worker1.json")] == [None, 0, 1]
    assert capfd.readouterr().err == ""


@pytest.mark.skipif(os.name != "posix", reason="the lock is flock(2)")
def test_a_rename_never_replaces_another_processs_live_trace(tmp_path):
    taken = str(tmp_path / "worker0.json")
    with another_process_writing(taken):
        writer = TraceWriter(tmp_path / "local0.json", Header(script="B"))
        moved = writer.rename(taken)
        writer.close()
    assert moved == str(tmp_path / f"worker0.{os.getpid()}.json")
    assert_only(taken, "A")
    assert lines_of(moved)[0]["script"] == "B"
