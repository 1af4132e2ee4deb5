"""Trace records as frozen dataclasses, and their JSON form (docs/trace-format.md).

Every record converts to a plain dict with ``to_json()`` and back with ``from_json()``.
``from_json`` validates types, because a trace is untrusted input: a hand-edited or foreign
file must give a clear :class:`~tftrace.errors.TraceFormatError`, never a traceback from
deep inside a view.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from tftrace.errors import TraceFormatError

FORMAT_NAME = "tftrace-trace"
FORMAT_VERSION = 2  # 2: process records, session remote/devices, variable device

EVENT_KINDS = ("initializer", "restore", "assign", "update")
#: The ``sources`` entry of a write whose value was fed (``feed_dict``), not computed.
FEED = "<feed>"
_new = object.__new__

# --- small validators -------------------------------------------------------------------

def _req(d: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    if key not in d:
        raise TraceFormatError(f"{what} has no '{key}'")
    return _check(d[key], kind, what, key)


def _opt(d: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str,
         default: Any = None) -> Any:
    value = d.get(key, default)
    if value is None:
        return default
    return _check(value, kind, what, key)


def _check(value: Any, kind: type | tuple[type, ...], what: str, key: str | None = None) -> Any:
    # Fast path first: JSON gives exact types, and this runs for every field of every record
    # of a trace that may hold a million. ``type(True)`` is bool, never int: a trace that says
    # "run": true is rejected below.
    t = type(value)
    if t is kind or (type(kind) is tuple and t in kind):
        return value
    where = what if key is None else f"{what} field '{key}'"
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise TraceFormatError(f"{where} should be a number, not {json_type(value)}")
    if not isinstance(value, kind):
        raise TraceFormatError(f"{where} should be {_kind_name(kind)}, not {json_type(value)}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", list: "a list",
             dict: "an object", bool: "true/false"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _str_list(d: Mapping[str, Any], key: str, what: str) -> tuple[str, ...]:
    items = _opt(d, key, list, what, [])
    for item in items:
        if type(item) is not str:
            _check(item, str, f"{what} field '{key}' item")
    return tuple(items)


def _str_map(d: Mapping[str, Any], key: str, what: str) -> dict[str, str]:
    items = _opt(d, key, dict, what, {})
    for k, v in items.items():
        if type(v) is not str:
            _check(v, str, f"{what} field '{key}' entry {k!r}")
    return dict(items)


def _shape(value: Any, what: str, key: str = "shape") -> tuple[int | None, ...] | None:
    if value is None:
        return None
    _check(value, list, what, key)
    for dim in value:
        if dim is not None and type(dim) is not int:
            _check(dim, int, f"{what} field '{key}' dimension")
    return tuple(value)


def encode_float(x: float | None) -> float | str | None:
    """JSON has no NaN/Inf: write them as strings."""
    if x is None:
        return None
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def decode_float(x: Any, what: str, key: str | None = None) -> float | None:
    t = type(x)
    if t is float or x is None:
        return x
    if t is int:
        return float(x)
    if t is str and x in ("nan", "inf", "-inf"):
        return float(x)
    where = what if key is None else f"{what} field '{key}'"
    if t is str:
        raise TraceFormatError(f"{where} should be a number, not {x!r}")
    return float(_check(x, (int, float), where))


# --- records ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Header:
    version: int = FORMAT_VERSION
    tftrace: str = ""
    created: float = 0.0
    pid: int | None = None
    argv: tuple[str, ...] = ()
    script: str | None = None
    cwd: str | None = None
    python: str | None = None
    tensorflow: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT_NAME, "version": self.version, "tftrace": self.tftrace,
                "created": self.created, "pid": self.pid, "argv": list(self.argv),
                "script": self.script, "cwd": self.cwd, "python": self.python,
                "tensorflow": self.tensorflow}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Header":
        w = "the header"
        return cls(version=_req(d, "version", int, w), tftrace=_opt(d, "tftrace", str, w, ""),
                   created=float(_opt(d, "created", (int, float), w, 0.0)),
                   pid=_opt(d, "pid", int, w), argv=_str_list(d, "argv", w),
                   script=_opt(d, "script", str, w), cwd=_opt(d, "cwd", str, w),
                   python=_opt(d, "python", str, w), tensorflow=_opt(d, "tensorflow", str, w))


@dataclass(frozen=True)
class ProcessRecord:
    """Who wrote the trace: the process and, in a cluster, its task (version 2).

    Written when the trace is opened and again whenever the recorder learns more (a
    ``tf.train.Server`` was built, ``MonitoredTrainingSession`` said whether this is the
    chief). Readers merge them in order: a later record's non-null fields win.
    """

    host: str | None = None
    pid: int | None = None
    job: str | None = None
    task: int | None = None
    is_chief: bool | None = None
    cluster: dict[str, tuple[str, ...]] | None = None  # job -> task addresses, by index
    sources: tuple[str, ...] = ()  # where job/task/is_chief/cluster came from
    time: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"type": "process", "host": self.host, "pid": self.pid, "job": self.job,
                "task": self.task, "is_chief": self.is_chief,
                "cluster": None if self.cluster is None
                else {job: list(hosts) for job, hosts in self.cluster.items()},
                "sources": list(self.sources), "time": self.time}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "ProcessRecord":
        w = "a process record"
        cluster = None
        if d.get("cluster") is not None:
            cluster = {}
            for job, hosts in _check(d["cluster"], dict, w, "cluster").items():
                _check(hosts, list, f"{w} field 'cluster' job {job!r}")
                for host in hosts:
                    _check(host, str, f"{w} field 'cluster' job {job!r} address")
                cluster[job] = tuple(hosts)
        return cls(host=_opt(d, "host", str, w), pid=_opt(d, "pid", int, w),
                   job=_opt(d, "job", str, w), task=_opt(d, "task", int, w),
                   is_chief=_opt(d, "is_chief", bool, w), cluster=cluster,
                   sources=_str_list(d, "sources", w),
                   time=float(_opt(d, "time", (int, float), w, 0.0)))

    def updated(self, later: "ProcessRecord") -> "ProcessRecord":
        """This record with ``later``'s known fields on top (how readers merge them)."""
        fields = {k: v for k, v in later.__dict__.items() if v is not None}
        fields["sources"] = tuple(dict.fromkeys(self.sources + later.sources))
        return ProcessRecord(**{**self.__dict__, **fields})


@dataclass(frozen=True)
class SessionRecord:
    session: int
    graph: int
    kind: str = "Session"
    location: str | None = None
    time: float = 0.0
    target: str = ""
    remote: bool = False  # the target is a server: variables may hold other processes' values
    devices: dict[str, str] = field(default_factory=dict)  # device -> incarnation (decimal)

    def to_json(self) -> dict[str, Any]:
        return {"type": "session", "session": self.session, "graph": self.graph,
                "kind": self.kind, "location": self.location, "time": self.time,
                "target": self.target, "remote": self.remote, "devices": dict(self.devices)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "SessionRecord":
        w = "a session record"
        return cls(session=_req(d, "session", int, w), graph=_req(d, "graph", int, w),
                   kind=_opt(d, "kind", str, w, "Session"), location=_opt(d, "location", str, w),
                   time=float(_opt(d, "time", (int, float), w, 0.0)),
                   target=_opt(d, "target", str, w, ""),
                   remote=_opt(d, "remote", bool, w, False),
                   devices=_str_map(d, "devices", w))


@dataclass(frozen=True)
class InitializerInfo:
    op: str
    random: tuple[str, ...] = ()
    unseeded: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    checkpoint: str | None = None
    key: str | None = None
    # Where the user's code wired this initializer when it is not the variable's own
    # (tf.train.init_from_checkpoint's call site); optional, written only when known.
    location: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = {"op": self.op, "random": list(self.random), "unseeded": list(self.unseeded),
             "sources": list(self.sources), "checkpoint": self.checkpoint, "key": self.key}
        if self.location is not None:
            d["location"] = self.location
        return d

    @classmethod
    def from_json(cls, d: Any) -> "InitializerInfo":
        w = "a variable's initializer"
        _check(d, dict, w)
        return cls(op=_req(d, "op", str, w), random=_str_list(d, "random", w),
                   unseeded=_str_list(d, "unseeded", w), sources=_str_list(d, "sources", w),
                   checkpoint=_opt(d, "checkpoint", str, w), key=_opt(d, "key", str, w),
                   location=_opt(d, "location", str, w))


@dataclass(frozen=True)
class VariableRecord:
    graph: int
    name: str
    op: str = "VariableV2"
    resource: bool = False
    dtype: str = "float32"
    shape: tuple[int | None, ...] | None = None
    index: int = 0
    location: str | None = None
    trainable: bool | None = None
    initializer: InitializerInfo | None = None
    collections: tuple[str, ...] = ()
    used_in: str | None = None
    device: str | None = None  # as placed in the graph, e.g. "/job:ps/task:0" (version 2)
    # Optional construction-time evidence (written only when set; see docs/trace-format.md):
    requested: str | None = None  # the name the user's code asked for, when it got another
    ignored_name_scope: str | None = None  # tf.name_scope active when get_variable made it
    update_ops: tuple[str, ...] = ()  # ops of tf.GraphKeys.UPDATE_OPS that write it

    def to_json(self) -> dict[str, Any]:
        d = {"type": "variable", "graph": self.graph, "name": self.name, "op": self.op,
             "resource": self.resource, "dtype": self.dtype,
             "shape": None if self.shape is None else list(self.shape), "index": self.index,
             "location": self.location, "trainable": self.trainable,
             "initializer": None if self.initializer is None else self.initializer.to_json(),
             "collections": list(self.collections), "used_in": self.used_in,
             "device": self.device}
        if self.requested is not None:
            d["requested"] = self.requested
        if self.ignored_name_scope is not None:
            d["ignored_name_scope"] = self.ignored_name_scope
        if self.update_ops:
            d["update_ops"] = list(self.update_ops)
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "VariableRecord":
        w = "a variable record"
        init = d.get("initializer")
        return cls(graph=_req(d, "graph", int, w), name=_req(d, "name", str, w),
                   op=_opt(d, "op", str, w, "VariableV2"),
                   resource=_opt(d, "resource", bool, w, False),
                   dtype=_opt(d, "dtype", str, w, "float32"),
                   shape=_shape(d.get("shape"), w),
                   index=_opt(d, "index", int, w, 0), location=_opt(d, "location", str, w),
                   trainable=_opt(d, "trainable", bool, w),
                   initializer=None if init is None else InitializerInfo.from_json(init),
                   collections=_str_list(d, "collections", w),
                   used_in=_opt(d, "used_in", str, w), device=_opt(d, "device", str, w),
                   requested=_opt(d, "requested", str, w),
                   ignored_name_scope=_opt(d, "ignored_name_scope", str, w),
                   update_ops=_str_list(d, "update_ops", w))


@dataclass(frozen=True)
class SaverRecord:
    graph: int
    name: str
    keys: dict[str, str] = field(default_factory=dict)
    index: int = 0
    location: str | None = None
    filename_tensor: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": "saver", "graph": self.graph, "name": self.name, "index": self.index,
                "location": self.location, "filename_tensor": self.filename_tensor,
                "keys": dict(self.keys)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "SaverRecord":
        w = "a saver record"
        return cls(graph=_req(d, "graph", int, w), name=_req(d, "name", str, w),
                   keys=_str_map(d, "keys", w), index=_opt(d, "index", int, w, 0),
                   location=_opt(d, "location", str, w),
                   filename_tensor=_opt(d, "filename_tensor", str, w))


@dataclass(frozen=True)
class CheckpointRecord:
    path: str
    keys: dict[str, tuple[tuple[int | None, ...] | None, str]] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": "checkpoint", "path": self.path,
                "keys": {k: {"shape": None if s is None else list(s), "dtype": t}
                         for k, (s, t) in self.keys.items()},
                "error": self.error}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "CheckpointRecord":
        w = "a checkpoint record"
        keys = {}
        for k, v in _opt(d, "keys", dict, w, {}).items():
            _check(v, dict, f"{w} key {k!r}")
            keys[k] = (_shape(v.get("shape"), f"{w} key {k!r}"),
                       _opt(v, "dtype", str, f"{w} key {k!r}", ""))
        return cls(path=_req(d, "path", str, w), keys=keys, error=_opt(d, "error", str, w))


@dataclass(frozen=True)
class ValueSummary:
    digest: str
    dtype: str
    shape: tuple[int | None, ...] | None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    nan: int = 0
    inf: int = 0
    values: Any = None  # the full value when the variable has <= 16 elements
    has_values: bool = False

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "digest": self.digest, "dtype": self.dtype,
            "shape": None if self.shape is None else list(self.shape),
            "min": encode_float(self.min), "max": encode_float(self.max),
            "mean": encode_float(self.mean), "std": encode_float(self.std),
            "nan": self.nan, "inf": self.inf}
        if self.has_values:
            d["values"] = _encode_values(self.values)
        return d

    @classmethod
    def from_json(cls, d: Any) -> "ValueSummary":
        # The most numerous record part by far (a sample of a 10 000-variable model holds
        # 10 000): the common, well-formed case is checked with exact type tests inline;
        # anything else takes the field-by-field path, which names what is wrong.
        if type(d) is dict:
            g = d.get
            digest, dtype, shape = g("digest", ""), g("dtype", ""), g("shape")
            nan, inf = g("nan", 0), g("inf", 0)
            lo, hi, mean, std = g("min"), g("max"), g("mean"), g("std")
            if (type(digest) is str and type(dtype) is str and type(nan) is int
                    and type(inf) is int and type(shape) is list
                    and all(type(x) is int for x in shape)
                    and (lo is None or type(lo) is float) and (hi is None or type(hi) is float)
                    and (mean is None or type(mean) is float)
                    and (std is None or type(std) is float)):
                has = "values" in d
                # Fields set directly: a frozen dataclass's __init__ costs 3 us here
                # (object.__setattr__ per field), over half of reading a big trace.
                summary = _new(cls)
                summary.__dict__.update(
                    digest=digest, dtype=dtype, shape=tuple(shape), min=lo, max=hi,
                    mean=mean, std=std, nan=nan, inf=inf,
                    values=_decode_values(d["values"]) if has else None, has_values=has)
                return summary
        return cls._from_json_checked(d)

    @classmethod
    def _from_json_checked(cls, d: Any) -> "ValueSummary":
        w = "a value summary"
        _check(d, dict, w)
        return cls(digest=_opt(d, "digest", str, w, ""), dtype=_opt(d, "dtype", str, w, ""),
                   shape=_shape(d.get("shape"), w),
                   min=decode_float(d.get("min"), w, "min"),
                   max=decode_float(d.get("max"), w, "max"),
                   mean=decode_float(d.get("mean"), w, "mean"),
                   std=decode_float(d.get("std"), w, "std"),
                   nan=_opt(d, "nan", int, w, 0), inf=_opt(d, "inf", int, w, 0),
                   values=_decode_values(d["values"]) if "values" in d else None,
                   has_values="values" in d)

    @property
    def finite(self) -> bool:
        return self.nan == 0 and self.inf == 0


def _encode_values(v: Any) -> Any:
    if isinstance(v, list):
        return [_encode_values(x) for x in v]
    if isinstance(v, float):
        return encode_float(v)
    return v


def _decode_values(v: Any) -> Any:
    t = type(v)
    if t is float or t is int:
        return v
    if t is list:
        for x in v:
            tx = type(x)
            if tx is not float and tx is not int:
                return [_decode_values(x) for x in v]
        return v  # a fresh list from json.loads of plain numbers: nothing to convert
    if isinstance(v, str) and v in ("nan", "inf", "-inf"):
        return float(v)
    if v is None or isinstance(v, (int, float, str, bool)):
        return v
    raise TraceFormatError(f"a value summary's values hold {json_type(v)}")


def _values_map(d: Mapping[str, Any], key: str, what: str) -> dict[str, ValueSummary]:
    return {name: ValueSummary.from_json(v) for name, v in _opt(d, key, dict, what, {}).items()}


@dataclass(frozen=True)
class Write:
    variable: str
    kind: str
    op: str | None = None
    checkpoint: str | None = None
    key: str | None = None
    sources: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"variable": self.variable, "kind": self.kind, "op": self.op,
                "checkpoint": self.checkpoint, "key": self.key, "sources": list(self.sources)}

    @classmethod
    def from_json(cls, d: Any) -> "Write":
        w = "a write"
        _check(d, dict, w)
        kind = _req(d, "kind", str, w)
        if kind not in EVENT_KINDS:
            raise TraceFormatError(f"a write has unknown kind {kind!r}")
        return cls(variable=_req(d, "variable", str, w), kind=kind, op=_opt(d, "op", str, w),
                   checkpoint=_opt(d, "checkpoint", str, w), key=_opt(d, "key", str, w),
                   sources=_str_list(d, "sources", w))


@dataclass(frozen=True)
class SaveInfo:
    path: str | None
    keys: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "keys": dict(self.keys)}

    @classmethod
    def from_json(cls, d: Any) -> "SaveInfo":
        w = "a save"
        _check(d, dict, w)
        return cls(path=_opt(d, "path", str, w), keys=_str_map(d, "keys", w))


@dataclass(frozen=True)
class RunError:
    type: str
    message: str
    uninitialized: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message,
                "uninitialized": list(self.uninitialized)}

    @classmethod
    def from_json(cls, d: Any) -> "RunError":
        w = "a run error"
        _check(d, dict, w)
        return cls(type=_req(d, "type", str, w), message=_opt(d, "message", str, w, ""),
                   uninitialized=_str_list(d, "uninitialized", w))


@dataclass(frozen=True)
class RunRecord:
    session: int
    run: int
    time: float = 0.0
    duration: float = 0.0
    location: str | None = None
    fetches: tuple[str, ...] = ()
    writes: tuple[Write, ...] = ()
    values: dict[str, ValueSummary] = field(default_factory=dict)
    save: SaveInfo | None = None
    error: RunError | None = None
    reads: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        d = {"type": "run", "session": self.session, "run": self.run, "time": self.time,
             "duration": self.duration, "location": self.location,
             "fetches": list(self.fetches), "writes": [w.to_json() for w in self.writes],
             "values": {k: v.to_json() for k, v in self.values.items()},
             "save": None if self.save is None else self.save.to_json(),
             "error": None if self.error is None else self.error.to_json()}
        if self.reads:
            d["reads"] = list(self.reads)
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "RunRecord":
        w = "a run record"
        save, error = d.get("save"), d.get("error")
        return cls(session=_req(d, "session", int, w), run=_req(d, "run", int, w),
                   time=float(_opt(d, "time", (int, float), w, 0.0)),
                   duration=float(_opt(d, "duration", (int, float), w, 0.0)),
                   location=_opt(d, "location", str, w), fetches=_str_list(d, "fetches", w),
                   writes=tuple(Write.from_json(x) for x in _opt(d, "writes", list, w, [])),
                   values=_values_map(d, "values", w),
                   save=None if save is None else SaveInfo.from_json(save),
                   error=None if error is None else RunError.from_json(error),
                   reads=_str_list(d, "reads", w))


@dataclass(frozen=True)
class StreakSample:
    run: int
    count: int
    values: dict[str, ValueSummary]

    def to_json(self) -> dict[str, Any]:
        return {"run": self.run, "count": self.count,
                "values": {k: v.to_json() for k, v in self.values.items()}}

    @classmethod
    def from_json(cls, d: Any) -> "StreakSample":
        w = "a streak sample"
        _check(d, dict, w)
        return cls(run=_req(d, "run", int, w), count=_req(d, "count", int, w),
                   values=_values_map(d, "values", w))


@dataclass(frozen=True)
class StreakRecord:
    session: int
    streak: int
    first_run: int
    last_run: int
    count: int
    location: str | None = None
    fetches: tuple[str, ...] = ()
    writes: tuple[Write, ...] = ()
    samples: tuple[StreakSample, ...] = ()
    final: bool = False
    time: float = 0.0  # when the first run of the streak started
    last_time: float = 0.0  # when this record was written (its last run had finished)

    def to_json(self) -> dict[str, Any]:
        return {"type": "streak", "session": self.session, "streak": self.streak,
                "first_run": self.first_run, "last_run": self.last_run, "count": self.count,
                "location": self.location, "fetches": list(self.fetches),
                "writes": [w.to_json() for w in self.writes],
                "samples": [s.to_json() for s in self.samples], "final": self.final,
                "time": self.time, "last_time": self.last_time}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "StreakRecord":
        w = "a streak record"
        return cls(session=_req(d, "session", int, w), streak=_req(d, "streak", int, w),
                   first_run=_req(d, "first_run", int, w), last_run=_req(d, "last_run", int, w),
                   count=_req(d, "count", int, w), location=_opt(d, "location", str, w),
                   fetches=_str_list(d, "fetches", w),
                   writes=tuple(Write.from_json(x) for x in _opt(d, "writes", list, w, [])),
                   samples=tuple(StreakSample.from_json(x)
                                 for x in _opt(d, "samples", list, w, [])),
                   final=_opt(d, "final", bool, w, False),
                   time=float(_opt(d, "time", (int, float), w, 0.0)),
                   last_time=float(_opt(d, "last_time", (int, float), w, 0.0)))


@dataclass(frozen=True)
class GraphGrowth:
    """Ops added to a session's graph between its runs, by the line that created them."""

    location: str | None
    runs: int  # runs before which this line had added ops
    ops: int  # ops it added in all
    first_run: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"location": self.location, "runs": self.runs, "ops": self.ops,
                "first_run": self.first_run}

    @classmethod
    def from_json(cls, d: Any) -> "GraphGrowth":
        w = "a graph_growth entry"
        _check(d, dict, w)
        return cls(location=_opt(d, "location", str, w), runs=_req(d, "runs", int, w),
                   ops=_req(d, "ops", int, w), first_run=_opt(d, "first_run", int, w, 0))


@dataclass(frozen=True)
class SessionEnd:
    session: int
    runs: int
    time: float = 0.0
    reads: tuple[str, ...] = ()
    graph_growth: tuple[GraphGrowth, ...] = ()  # optional: written only when ops were added

    def to_json(self) -> dict[str, Any]:
        d = {"type": "session_end", "session": self.session, "runs": self.runs,
             "time": self.time, "reads": list(self.reads)}
        if self.graph_growth:
            d["graph_growth"] = [g.to_json() for g in self.graph_growth]
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "SessionEnd":
        w = "a session_end record"
        return cls(session=_req(d, "session", int, w), runs=_opt(d, "runs", int, w, 0),
                   time=float(_opt(d, "time", (int, float), w, 0.0)),
                   reads=_str_list(d, "reads", w),
                   graph_growth=tuple(GraphGrowth.from_json(g)
                                      for g in _opt(d, "graph_growth", list, w, [])))


@dataclass(frozen=True)
class RecorderError:
    session: int | None
    message: str
    time: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"type": "recorder_error", "session": self.session, "message": self.message,
                "time": self.time}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "RecorderError":
        w = "a recorder_error record"
        return cls(session=_opt(d, "session", int, w), message=_opt(d, "message", str, w, ""),
                   time=float(_opt(d, "time", (int, float), w, 0.0)))


RECORD_TYPES: dict[str, Any] = {
    "process": ProcessRecord,
    "session": SessionRecord,
    "variable": VariableRecord,
    "saver": SaverRecord,
    "checkpoint": CheckpointRecord,
    "run": RunRecord,
    "streak": StreakRecord,
    "session_end": SessionEnd,
    "recorder_error": RecorderError,
}
