"""Rules about initialization (bugs 2 and 3 of PRODUCT §1).

- ``uninitialized-read`` (error; info for the probe pattern): a run failed reading
  uninitialized variables — we name all of them and why each is uninitialized.
- ``initializer-reset`` (warning): the initializer re-ran after assigns or training updates.
- ``never-initialized`` (info): a variable no run of a session touched.
- ``unseeded-random-init`` (info): random initial values that differ on every run.

The wording (``describe_uninitialized``) is shared with the recorder's note on the user's
``FailedPreconditionError`` through :mod:`tftrace.findings`.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterator

from tftrace.findings import (
    NEVER_INITIALIZED,
    describe_uninitialized,
    names,
    plural,
    uninitialized_hint,
)
from tftrace.model.diagnostics.base import Diagnostic, Site, rule
from tftrace.model.diagnostics.cluster import crosses_processes
from tftrace.model.diagnostics.common import is_local
from tftrace.model.events import FEED

if TYPE_CHECKING:
    from tftrace.model.trace import Trace


def uninitialized_reasons(trace: Trace, session: int, run: int,
                          variables: list[str]) -> dict[str, str]:
    """Why each variable was uninitialized at ``run`` of ``session``."""
    remote = trace.session(session).remote
    reasons = {}
    for name in variables:
        failed_restore = [r for r in trace.history_of(name, session).failed
                          if r.run < run and any(w.variable == name and w.kind == "restore"
                                                 for w in r.writes)]
        elsewhere = [s for s in trace.session_numbers
                     if s != session and trace.history_of(name, s).origin() is not None]
        if failed_restore:
            r = failed_restore[-1]
            reasons[name] = (f"its restore at {r.location} (run {r.run}) failed: "
                             f"{r.error.type}")
        elif remote:
            # The values live on a server: some process (the chief) should have set them.
            reasons[name] = ("not yet initialized on its server: in a cluster the chief "
                             "initializes and the other workers wait for it")
        elif elsewhere:
            reasons[name] = (f"initialized only in session {names(map(str, elsewhere))}; "
                             "each session has its own variable values")
        else:
            reasons[name] = NEVER_INITIALIZED
    return reasons


@rule("uninitialized-read")
def uninitialized_read(trace: Trace) -> Iterator[Diagnostic]:
    probes: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for read in trace.uninitialized_reads():  # every variable, not only TensorFlow's one
        record, missing = read.run, list(read.variables)
        session, run = record.session, record.run
        info = trace.session(session)
        later_runs = info.runs > run
        remote = info.remote  # a worker waiting for the chief
        if later_runs and (remote or all(trace.history_of(n, session).has_origin_after(run)
                                         for n in missing)):
            # The probe pattern: read, catch FailedPreconditionError, then initialize.
            probes[session].extend((n, record) for n in missing)
            continue
        reasons = uninitialized_reasons(trace, session, run, missing)
        message = (f"the run at {record.location} (run {run}) failed reading "
                   f"{plural(len(missing), 'uninitialized variable')}: "
                   f"{describe_uninitialized(reasons)}")
        yield Diagnostic(rule="uninitialized-read", severity="error",
                         variables=tuple(sorted(missing)), message=message,
                         hint=uninitialized_hint(missing), session=session, run=run,
                         location=record.location,
                         sites=(Site("failed run", record.location, session, run),))
    for session, items in sorted(probes.items()):
        variables = tuple(sorted({n for n, _ in items}))
        first = min((r for _, r in items), key=lambda r: r.run)
        message = (f"{plural(len(variables), 'variable')} ({names(variables)}) "
                   f"{'was' if len(variables) == 1 else 'were'} probed by reading "
                   f"(FailedPreconditionError caught) and then initialized: the probe "
                   f"pattern, no problem")
        yield Diagnostic(rule="uninitialized-read", severity="info", variables=variables,
                         message=message,
                         hint="tf.compat.v1.report_uninitialized_variables() finds them "
                              "in one run, without exceptions.",
                         session=session, run=first.run, location=first.location,
                         sites=(Site("probe", first.location, session, first.run),))


@rule("initializer-reset")
def initializer_reset(trace: Trace) -> Iterator[Diagnostic]:
    resets: dict[tuple[int, int], list[tuple[str, str, Any]]] = defaultdict(list)
    declared: dict[int, dict[str, Any]] = {}  # session -> its graph's variables
    for history in trace.histories():
        session, name = history.session, history.variable
        if session not in declared:
            declared[session] = trace.variables_of(session)
        record = declared[session].get(name)
        if record is not None and is_local(record):
            continue  # resetting local variables (streaming metrics) is what they are for
        for o in history.overwrites("initializer"):
            origin = o.previous
            # An initializer after a restore (trained or not) is restore-overwritten's
            # finding; reporting it here too would say the same thing twice.
            if origin is None or origin.kind == "restore":
                continue
            updates = o.update_count
            if (updates or origin.kind == "assign") and \
                    not crosses_processes([origin, *o.updates], o.by):  # else: cluster.py's
                what = (plural(updates, "update") if updates else
                        f"assigned at {origin.location}")
                resets[(session, o.by.run)].append((name, what, o.by))
    for (session, run), items in sorted(resets.items()):
        location = items[0][2].location
        variables = tuple(sorted(n for n, _, _ in items))
        detail = ", ".join(f"{n} ({what})" for n, what, _ in sorted(items)[:8])
        more = f" and {len(items) - 8} more" if len(items) > 8 else ""
        message = (f"the initializer at {location} (run {run}) reset "
                   f"{plural(len(variables), 'variable')} that had been trained or assigned: "
                   f"{detail}{more}")
        hint = ("Run the initializer once, before training. To reset state on purpose, "
                "build a dedicated op (tf.compat.v1.variables_initializer([...]) over exactly "
                "the variables to reset).")
        yield Diagnostic(rule="initializer-reset", severity="warning", variables=variables,
                         message=message, hint=hint, session=session, run=run,
                         location=location,
                         sites=(Site("initializer", location, session, run),))


@rule("never-initialized")
def never_initialized(trace: Trace) -> Iterator[Diagnostic]:
    for session in sorted(trace.sessions, key=lambda s: s.number):
        number = session.number
        if not session.closed or session.remote:
            # Without the session's end we do not know what it read; a remote session's
            # variables may hold values another process gave them.
            continue
        touched = set(session.reads)
        touched.update(trace.variables_written(number))
        for record in trace.failed_runs:
            if record.session == number:  # it wrote nothing, but meant to (and read)
                touched.update(w.variable for w in record.writes)
                touched.update(record.reads)
        # Only variables that existed while the session was open are its business.
        untouched = sorted(n for n in trace.variables_while_open(number) if n not in touched)
        if not untouched:
            continue
        message = (f"{plural(len(untouched), 'variable')} of session {number}'s graph "
                   f"{'was' if len(untouched) == 1 else 'were'} never initialized, restored, "
                   f"assigned or read: {names(untouched)}")
        yield Diagnostic(rule="never-initialized", severity="info",
                         variables=tuple(untouched), message=message,
                         hint="Harmless until something reads them; unused variables may "
                              "also be leftovers of another model in the same graph.",
                         session=number, location=session.location,
                         sites=(Site("session created", session.location, number),))


@rule("unseeded-random-init")
def unseeded_random_init(trace: Trace) -> Iterator[Diagnostic]:
    found: dict[int, list[tuple[str, Any, Any]]] = defaultdict(list)
    for history in trace.histories():
        session, name = history.session, history.variable
        record = trace.variables_of(session).get(name)
        if record is None or record.initializer is None or not record.initializer.unseeded:
            continue
        origin = history.origin()
        # Only when the random value is what the variable went on with (not when the
        # initial value was fed: feed_dict={...Initializer/...: weights}).
        if origin is not None and origin.kind == "initializer" and FEED not in origin.sources:
            found[session].append((name, record, origin))
    for session, items in sorted(found.items()):
        variables = tuple(sorted(n for n, _, _ in items))
        ops = sorted({op for _, r, _ in items for op in r.initializer.unseeded})
        first = min((e for _, _, e in items), key=lambda e: e.run)
        message = (f"{plural(len(variables), 'variable')} ({names(variables)}) "
                   f"{'gets' if len(variables) == 1 else 'get'} random initial values from "
                   f"unseeded ops ({names(ops, 3)}): different on every initializer run and "
                   f"every process run")
        yield Diagnostic(rule="unseeded-random-init", severity="info", variables=variables,
                         message=message,
                         hint="For reproducible runs set a graph seed "
                              "(tf.compat.v1.set_random_seed(0)) or seed= on the "
                              "initializers.",
                         session=session, run=first.run, location=first.location,
                         sites=tuple(Site("created", r.location, session)
                                     for _, r, _ in items[:3]))
