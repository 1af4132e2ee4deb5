"""Turning live values into plain data: call sites, value summaries, checkpoint contents.

Nothing returned from here holds a TensorFlow object.
"""
from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
from typing import Any, Iterable

import numpy as np

from tftrace.tracefile import CheckpointRecord, ValueSummary

SMALL_VALUE_LIMIT = 16  # full values are stored for variables with at most this many elements


# --- call sites -------------------------------------------------------------------------

def _library_roots() -> tuple[str, ...]:
    """Directories of packages whose frames are never the user's code."""
    roots = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]  # tftrace/
    for name in ("tensorflow", "keras", "tf_keras", "absl", "numpy", "google.protobuf"):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path:
            roots.append(os.path.dirname(os.path.abspath(path)))
    return tuple(r + os.sep for r in roots)


_STDLIB = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep
_SITE_MARKERS = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)
_library: tuple[str, ...] | None = None
_internal_cache: dict[str, bool] = {}


def is_internal(filename: str) -> bool:
    """True for frames of TensorFlow, tftrace or the standard library (cached per file).

    Libraries installed in site-packages other than TensorFlow's family count as the
    user's code: a model library is where the user's variables are created.
    """
    cached = _internal_cache.get(filename)
    if cached is None:
        global _library
        library = _library
        if library is None:
            library = _library_roots()
            if "tensorflow" in sys.modules:  # complete: kept (before, asked again next time)
                _library = library
        if filename.startswith("<"):  # <frozen runpy>, <string>; but <stdin>/<ipython-...> are the user
            cached = not filename.startswith(("<stdin>", "<ipython"))
        else:
            path = os.path.abspath(filename)
            cached = path.startswith(library) or (
                path.startswith(_STDLIB) and not any(m in path for m in _SITE_MARKERS))
        if library is _library:
            _internal_cache[filename] = cached
    return cached


def format_location(filename: str, lineno: int) -> str:
    """``file:line``, relative to the working directory when the file lies under it."""
    try:
        rel = os.path.relpath(filename)
        if not rel.startswith(".."):
            filename = rel
    except ValueError:  # another drive on Windows
        pass
    return f"{filename}:{lineno}"


def caller_location(depth: int = 1) -> str | None:
    """The innermost frame of the user's code on the current stack."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None
    while frame is not None:
        filename = frame.f_code.co_filename
        if not is_internal(filename):
            return format_location(filename, frame.f_lineno)
        frame = frame.f_back
    return None


def creation_location(op: Any) -> str | None:
    """Where the user's code created ``op`` (from the op's recorded traceback)."""
    try:
        frames = list(op.traceback)
    except Exception:  # ops imported from a GraphDef have none
        return None
    for frame in reversed(frames):
        if not is_internal(frame.filename):
            return format_location(frame.filename, frame.lineno)
    return None


# --- value summaries --------------------------------------------------------------------

def _digest(array: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=8)
    h.update(str(array.dtype).encode())
    h.update(repr(array.shape).encode())
    if array.dtype == object:
        for item in array.ravel():
            h.update(item if isinstance(item, bytes) else repr(item).encode())
            h.update(b"\0")
    else:
        h.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    return h.hexdigest()


def _plain(value: Any) -> Any:
    """numpy scalar/bytes -> JSON-friendly Python value."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (np.generic,)):
        return value.item()
    return value


def _small_values(array: np.ndarray) -> Any:
    if array.dtype == object:
        flat = [_plain(x) for x in array.ravel().tolist()]
        return np.array(flat, dtype=object).reshape(array.shape).tolist() if array.ndim else flat[0]
    if array.dtype.kind == "f" and array.dtype.itemsize <= 4 or array.dtype.kind == "V":
        # float32/16, bfloat16: each value's shortest decimal that is exact in float32
        # ('0.1', not float64's '0.10000000149011612'): exact, and half the trace size.
        as32 = array.astype(np.float32)
        values = np.array([float(str(x)) for x in as32.ravel()]).reshape(array.shape).tolist()
        return values
    values = array.tolist()
    if not isinstance(values, (list, int, float, bool, complex)):
        values = array.astype(np.float64).tolist()
    return _decode_complex(values)


def _short(x: Any) -> float:
    """A statistic to 7 significant digits: all a summary needs, and a third of the JSON."""
    return float(f"{float(x):.7g}")


def _decode_complex(values: Any) -> Any:
    if isinstance(values, list):
        return [_decode_complex(v) for v in values]
    if isinstance(values, complex):
        return [values.real, values.imag]
    return values


def summarize(value: Any, dtype_name: str | None = None) -> ValueSummary:
    """Digest, dtype, shape, min/max/mean/std over finite elements, NaN/Inf counts."""
    array = np.asarray(value)
    dtype = dtype_name or array.dtype.name
    shape = tuple(int(d) for d in array.shape)
    summary: dict[str, Any] = {"digest": _digest(array), "dtype": dtype, "shape": shape}
    kind = array.dtype.kind
    numeric = kind in "biufc" or (kind == "V" and array.dtype.itemsize in (1, 2))
    if numeric and array.size:
        try:
            data = array.astype(np.float64) if kind != "c" else np.abs(array).astype(np.float64)
        except (TypeError, ValueError):
            data = None
        if data is not None:
            nan_mask = np.isnan(data)
            inf_mask = np.isinf(data)
            nan, inf = int(nan_mask.sum()), int(inf_mask.sum())
            finite = data[~(nan_mask | inf_mask)] if nan or inf else data
            summary.update(nan=nan, inf=inf)
            if finite.size:
                summary.update(min=_short(finite.min()), max=_short(finite.max()),
                               mean=_short(finite.mean()), std=_short(finite.std()))
    if array.size <= SMALL_VALUE_LIMIT:
        summary["values"] = _small_values(array)
        summary["has_values"] = True
    return ValueSummary(**summary)


# --- checkpoints ------------------------------------------------------------------------

def checkpoint_contents(path: str) -> CheckpointRecord:
    """Keys, shapes and dtypes of a checkpoint, read from its index (no tensor data)."""
    from tensorflow.python.training import py_checkpoint_reader

    try:
        reader = py_checkpoint_reader.NewCheckpointReader(path)
        shapes = reader.get_variable_to_shape_map()
        dtypes = reader.get_variable_to_dtype_map()
    except Exception as e:  # missing or unreadable checkpoint: the run itself will say so
        return CheckpointRecord(path=path, error=f"{type(e).__name__}: {_first_line(e)}")
    keys = {key: (tuple(int(d) for d in shape), dtypes[key].name if key in dtypes else "")
            for key, shape in sorted(shapes.items())}
    return CheckpointRecord(path=path, keys=keys)


def checkpoint_data_problem(path: str, keys: Iterable[str]) -> str | None:
    """None when every tensor of the checkpoint reads back whole (its data shards exist,
    are complete and pass their checksums); else the first problem, in one line. The
    index alone (``checkpoint_contents``) says nothing about the data."""
    from tensorflow.python.training import py_checkpoint_reader

    key = None
    try:
        reader = py_checkpoint_reader.NewCheckpointReader(path)
        for key in keys:
            reader.get_tensor(key)
    except Exception as e:
        where = f"key {key}" if key is not None else "the checkpoint"
        return f"cannot read {where}: {_first_line(e) or type(e).__name__}"
    return None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else ""


def short_names(items: Iterable[str], limit: int = 20) -> tuple[str, ...]:
    """At most ``limit`` names, for fields that only help a reader recognise a run."""
    out = []
    for i, item in enumerate(items):
        if i >= limit:
            out.append("...")
            break
        out.append(item)
    return tuple(out)
