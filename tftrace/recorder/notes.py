"""The short note tftrace adds to a failing run's exception (``BaseException.add_note``).

TensorFlow names one uninitialized variable, or the first missing checkpoint key; the note
names all of them and why, in the words of the diagnostics rules (:mod:`tftrace.findings`).
The exception object and its type stay the user's.
"""
from __future__ import annotations

from typing import Any

from tftrace.escape import printable
from tftrace.ckptmatch import match_checkpoint
from tftrace.findings import NEVER_INITIALIZED, describe_uninitialized, names, plural
from tftrace.shapes import format_shape

PREFIX = "tftrace: "


def for_failed_run(recorder: Any, record: Any, error: BaseException) -> str | None:
    """The note for a failed run, or None; every line escaped for the terminal, since it
    quotes checkpoint keys and paths (untrusted: a checkpoint can come from anywhere)."""
    kind = type(error).__name__
    if kind == "FailedPreconditionError":
        return _uninitialized(recorder, record)
    if kind in ("NotFoundError", "InvalidArgumentError", "DataLossError"):
        return _restore(recorder, record)
    return None


def _uninitialized(recorder: Any, record: Any) -> str | None:
    known = recorder.index.variables
    if getattr(recorder, "remote", False):
        return _uninitialized_on_server(recorder, record)
    missing = list(record.error.uninitialized) + [
        n for n in record.reads if n not in recorder.initialized and n in known]
    missing = list(dict.fromkeys(missing))
    if not missing:
        return None
    reasons = {}
    for name in missing:
        elsewhere = sorted(recorder.state.initialized_in.get(name, set()) - {recorder.number})
        if name in recorder.failed_restores:
            location, run, error = recorder.failed_restores[name]
            reasons[name] = f"its restore at {location} (run {run}) failed: {error}"
        elif elsewhere:
            reasons[name] = (f"initialized only in session {names(map(str, elsewhere))}; "
                             "each session has its own variable values")
        else:
            reasons[name] = NEVER_INITIALIZED
    text = (f"{PREFIX}this run reads {plural(len(missing), 'uninitialized variable')}: "
            f"{describe_uninitialized(reasons)}.")
    if any(r == NEVER_INITIALIZED for r in reasons.values()):
        text += (" Run the initializer (or restore a checkpoint) in this session before "
                 "reading them.")
    return printable(text)


def _uninitialized_on_server(recorder: Any, record: Any) -> str | None:
    """A session on a server: its variables' values belong to the cluster. Only what
    TensorFlow names is uninitialized (others may hold the chief's values), and running the
    initializer here is the wrong fix -- it would wipe what other workers trained."""
    missing = list(dict.fromkeys(record.error.uninitialized))
    if not missing:
        return None
    devices = sorted({info.record.device for n, info in recorder.index.variables.items()
                      if n in missing and info.record.device})
    where = f" on {names(devices)}" if devices else ""
    return (f"{PREFIX}this run reads {plural(len(missing), 'uninitialized variable')}"
            f"{where}: {names(missing)}. This session runs on a server "
            f"({recorder.target}): its variables are initialized once for the whole "
            "cluster, by the chief (or restored from a checkpoint). Wait for the chief "
            "(MonitoredTrainingSession(is_chief=False), SessionManager.wait_for_session) "
            "rather than running the initializer here, which would reset the variables "
            "for every worker.")


def _restore(recorder: Any, record: Any) -> str | None:
    wanted: dict[str, dict[str, str]] = {}
    for w in record.writes:
        if w.kind == "restore" and w.checkpoint and w.key:
            wanted.setdefault(w.checkpoint, {})[w.variable] = w.key
    declared = {n: info.record.shape for n, info in recorder.index.variables.items()}
    parts = []
    for path, mapping in sorted(wanted.items()):
        checkpoint = recorder.state.checkpoints.get(path)
        if checkpoint is None:
            continue
        if checkpoint.error:
            parts.append(f"{PREFIX}cannot read checkpoint {path}: {checkpoint.error}")
            continue
        match = match_checkpoint(mapping, checkpoint.keys, declared)
        if match.missing:
            renamed = {n: info.record.requested for n, info in recorder.index.variables.items()
                       if n in match.missing and info.record.requested}  # w_1 asked for w
            parts.append(PREFIX + match.missing_message(path, renamed) + ". "
                         + match.missing_hint(checkpoint.keys, renamed))
        if match.mismatched:
            shapes = [f"{var} is {format_shape(d)} in the graph, {format_shape(c)} in the "
                      "checkpoint" for var, (d, c) in sorted(match.mismatched.items())]
            parts.append(f"{PREFIX}shape mismatch restoring from {path}: {names(shapes, 4)}")
    return "\n".join(printable(part) for part in parts) or None
