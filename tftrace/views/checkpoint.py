"""``tftrace inspect``: a checkpoint's keys, and how they fit a traced graph.

Reading a checkpoint's index needs TensorFlow, which only the recorder imports: the caller
(the CLI) hands in a loader of the recorder's checkpoint reader, and this view never
imports it. When TensorFlow is not installed, the contents recorded in a trace
(``--against``) are used instead, so a trace attached to a bug report is enough.
"""
from __future__ import annotations

import codecs
import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Callable

from tftrace.ckptmatch import CheckpointMatch, match_checkpoint
from tftrace.errors import CheckpointNotFound, TftraceError
from tftrace.model.diagnostics.common import is_global
from tftrace.model.display import printable
from tftrace.shapes import format_shape

#: Checkpoints up to this size have every tensor read back to verify their data shards;
#: bigger ones are listed from their index only, and the output says so.
VERIFY_LIMIT = 1 << 30

_ITEM_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int8": 1,
               "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "int64": 8,
               "uint64": 8, "bool": 1, "complex64": 8, "complex128": 16}


@dataclass
class InspectReport:
    path: str
    keys: dict[str, tuple[Any, str]]
    source: str  # "checkpoint" (read now) or "trace" (as recorded)
    trace_path: str | None = None
    session: int | None = None
    match: CheckpointMatch | None = None
    declared: dict[str, Any] = field(default_factory=dict)
    data_verified: bool = False  # every tensor was read back from the data shards
    data_problem: str | None = None  # why TensorFlow cannot restore it (shard missing...)
    data_note: str = ""  # why the data was not verified

    @property
    def problems(self) -> bool:
        if self.data_problem:
            return True
        return self.match is not None and bool(self.match.missing or self.match.mismatched)


def resolve_prefix(path: str) -> str:
    """A checkpoint prefix from a prefix, a directory (its 'checkpoint' file) or a file of
    the checkpoint (model.ckpt.index, model.ckpt.data-00000-of-00001)."""
    if os.path.isdir(path):
        state = os.path.join(path, "checkpoint")
        if not os.path.exists(state):
            prefixes = sorted(os.path.join(path, n[:-len(".index")]) for n in os.listdir(path)
                              if n.endswith(".index"))
            found = (f"; it holds {', '.join(prefixes[:3])}{' ...' if len(prefixes) > 3 else ''}"
                     " (pass one of those prefixes)" if prefixes else
                     "; pass the checkpoint prefix (e.g. dir/model.ckpt-100)")
            raise CheckpointNotFound(f"{path}: a directory without a 'checkpoint' file{found}")
        _require_regular_file(state)
        with open(state, "rb") as f:
            m = re.search(rb'^model_checkpoint_path:\s*"(.*)"\s*$', f.read(), re.M)
        if not m:
            raise CheckpointNotFound(f"{state}: names no model_checkpoint_path")
        # A text-format protobuf string: C escapes over UTF-8 bytes (TF writes non-ASCII
        # names as raw UTF-8; escaped octal bytes are valid too).
        try:
            prefix = codecs.escape_decode(m.group(1))[0].decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise CheckpointNotFound(f"{state}: its model_checkpoint_path is not a valid "
                                     "UTF-8 path") from None
        return prefix if os.path.isabs(prefix) else os.path.join(path, prefix)
    m = re.match(r"^(.*)\.(index|data-\d+-of-\d+|meta)$", path)
    return m.group(1) if m else path


#: Returns the checkpoint reader: an object with ``checkpoint_contents(prefix)`` and
#: ``checkpoint_data_problem(prefix, keys)`` (``tftrace.recorder.capture``); raises
#: ImportError when TensorFlow is not installed. Called only when a checkpoint is read.
ReaderLoader = Callable[[], Any]


def _no_tensorflow() -> Any:
    raise ImportError("no checkpoint reader")


def inspect_checkpoint(path: str, trace: Any = None, session: int | None = None,
                       reader: ReaderLoader = _no_tensorflow) -> InspectReport:
    prefix = resolve_prefix(path)
    if trace is not None and not trace.sessions:
        raise TftraceError(f"{trace.path}: the trace has no sessions, so no graph to match "
                           "the checkpoint against")
    keys, source, capture = _read_keys(prefix, trace, reader)
    report = InspectReport(path=prefix, keys=keys, source=source)
    _verify_data(report, capture)
    if trace is not None:
        number = session if session is not None else max(s.number for s in trace.sessions)
        trace.session(number)  # UnknownSession for a bad number
        variables = {n: r for n, r in trace.variables_of(number).items() if is_global(r)}
        report.trace_path, report.session = trace.path, number
        report.declared = {n: r.shape for n, r in variables.items()}
        report.match = match_checkpoint({n: n for n in variables}, keys, report.declared)
    return report


def _read_keys(prefix: str, trace: Any, reader: ReaderLoader
               ) -> tuple[dict[str, tuple[Any, str]], str, Any]:
    """The keys, where they come from ("checkpoint" or "trace"), and the reader used."""
    recorded = _recorded(prefix, trace)
    try:
        capture = reader()
    except ImportError:
        if recorded is not None:
            return recorded, "trace", None
        raise TftraceError("reading a checkpoint needs TensorFlow (pip install "
                           "tensorflow), or --against a trace that recorded it") from None
    if not os.path.exists(prefix + ".index"):
        if recorded is not None:
            return recorded, "trace", None
        raise CheckpointNotFound(f"{prefix}: no checkpoint here (no {os.path.basename(prefix)}"
                                 ".index); pass a prefix like model.ckpt-100 or its directory")
    _require_regular_file(prefix + ".index")
    record = capture.checkpoint_contents(prefix)
    if record.error:
        raise TftraceError(f"{prefix}: cannot read the checkpoint: {record.error}")
    return dict(record.keys), "checkpoint", capture


def _require_regular_file(path: str) -> None:
    """A FIFO or a device in place of a checkpoint file would block the reader forever."""
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise CheckpointNotFound(f"{path}: cannot read ({e.strerror or e})") from None
    if not stat.S_ISREG(mode):
        raise CheckpointNotFound(f"{path}: not a regular file, not part of a checkpoint")


def _verify_data(report: InspectReport, capture: Any) -> None:
    """Read every tensor back (TensorFlow checks each one's checksum), or say why not."""
    if report.source != "checkpoint":
        report.data_note = "data not verified: listed from the trace"
        return
    total = sum(_size(s, t) or 0 for s, t in report.keys.values())
    if total > VERIFY_LIMIT:
        report.data_note = f"data not verified: {_human(total)} is over {_human(VERIFY_LIMIT)}"
        return
    for shard in _data_shards(report.path):
        _require_regular_file(shard)
    report.data_problem = capture.checkpoint_data_problem(report.path, sorted(report.keys))
    report.data_verified = report.data_problem is None


def _data_shards(prefix: str) -> list[str]:
    directory, base = os.path.split(prefix)
    pattern = re.compile(re.escape(base) + r"\.data-\d+-of-\d+$")
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return []
    return [os.path.join(directory, n) for n in sorted(names) if pattern.match(n)]


def _recorded(prefix: str, trace: Any) -> dict[str, tuple[Any, str]] | None:
    if trace is None:
        return None
    wanted = trace.normalize_path(prefix) if not os.path.isabs(prefix) else prefix
    for path, record in trace.checkpoints.items():
        if not record.error and (path == prefix or trace.normalize_path(path) in
                                 (wanted, os.path.abspath(prefix))):
            return dict(record.keys)
    return None


def _size(shape: Any, dtype: str) -> int | None:
    if shape is None or any(d is None for d in shape) or dtype not in _ITEM_BYTES:
        return None
    return math.prod(shape) * _ITEM_BYTES[dtype]


def _human(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return "?"


def inspect_text(report: InspectReport) -> str:
    rows = [(printable(k), format_shape(s), printable(t), _human(_size(s, t)))
            for k, (s, t) in sorted(report.keys.items())]
    widths = [max([len(h)] + [len(r[i]) for r in rows])
              for i, h in enumerate(("key", "shape", "dtype", "size"))]
    total = sum(_size(s, t) or 0 for s, t in report.keys.values())
    source = "" if report.source == "checkpoint" else " (as recorded in the trace)"
    keys = f"{len(report.keys)} key{'s' if len(report.keys) != 1 else ''}"
    data = ("; data verified" if report.data_verified
            else f"; {report.data_note}" if report.data_note else "")
    lines = [f"{printable(report.path)}: {keys}, {_human(total)}{source}{data}"]
    if report.data_problem:
        lines.append(f"  data: {printable(report.data_problem)} (a data shard is missing, "
                     "truncated or corrupt: TensorFlow cannot restore this checkpoint)")
    lines.append("")
    header = ("key", "shape", "dtype", "size")
    lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    if report.match is not None:
        lines += ["", *_match_lines(report)]
    return "\n".join(lines)


def _match_lines(report: InspectReport) -> list[str]:
    match = report.match
    assert match is not None
    matched = len(match.wanted) - len(match.missing)
    lines = [f"against {printable(report.trace_path)} (session {report.session}): "
             f"{matched} of {len(match.wanted)} variables found in the checkpoint"]
    for var, key in sorted(match.missing.items()):
        closest = match.closest.get(var)
        tail = f"  (closest key: {printable(closest)})" if closest else ""
        lines.append(f"  missing   {printable(var)} {format_shape(report.declared.get(var))}"
                     f"{tail}")
    for var, (decl, ckpt) in sorted(match.mismatched.items()):
        lines.append(f"  shape     {printable(var)}: graph {format_shape(decl)}, checkpoint "
                     f"{format_shape(ckpt)}")
    for key in match.unused:
        lines.append(f"  unused    {printable(key)} {format_shape(report.keys[key][0])}")
    if match.missing and match.closest:
        lines += ["", "  " + printable(match.missing_hint(report.keys))]
    elif not match.missing and not match.mismatched:
        lines.append("  every variable has a key of the same shape")
    return lines


def inspect_json(report: InspectReport) -> str:
    out: dict[str, Any] = {
        "checkpoint": report.path, "source": report.source,
        "keys": [{"key": k, "shape": None if s is None else list(s), "dtype": t,
                  "bytes": _size(s, t)} for k, (s, t) in sorted(report.keys.items())],
        "data": {"verified": report.data_verified, "problem": report.data_problem,
                 "note": report.data_note or None}}
    if report.match is not None:
        m = report.match
        out["against"] = {
            "trace": report.trace_path, "session": report.session,
            "missing": [{"variable": v, "key": k, "closest": m.closest.get(v)}
                        for v, k in sorted(m.missing.items())],
            "unused": m.unused,
            "shape_mismatch": [{"variable": v, "declared": list(d), "checkpoint": list(c)}
                               for v, (d, c) in sorted(m.mismatched.items())],
            "var_list": m.var_list() if m.missing else None}
    return json.dumps(out, indent=2)
