"""What the recorder knows about this process's place in a cluster (trace format version 2).

Distributed TF1 programs say who they are in three places, and the recorder listens to all
three without changing the program:

- ``tf.train.Server(...)`` (``tf.distribute.Server``): its ``server_def`` holds the job name,
  the task index and the whole cluster spec. ``Server.__init__`` is wrapped on the class, so
  every way of reaching it (``tf.train.Server``, ``tf.distribute.Server``, the module) is seen.
- ``MonitoredTrainingSession(master=..., is_chief=...)`` builds a ``ChiefSessionCreator`` or a
  ``WorkerSessionCreator``: wrapping those classes' ``__init__`` tells whether this process
  is the chief (``MonitoredTrainingSession`` itself is re-exported under ``tf.compat.v1.train``
  by reference, so wrapping the function on its module would miss the usual call).
- ``tf.compat.v1.train.Supervisor(is_chief=...)``, the older recipe, likewise.
- ``TF_CONFIG`` (JSON in the environment: ``cluster`` and ``task``), read once.

What is known goes into ``process`` records (written when a trace is opened and again when
the recorder learns more) and decides the expansion of trace path patterns
(``traces/{job}{task}.json``). Nothing here imports TensorFlow at module level: the patch
functions receive TensorFlow's modules once they are imported.
"""
from __future__ import annotations

import json
import os
import re
import socket
import sys
import threading
import time
from typing import Any, Callable

from tftrace.recorder import PATH_PLACEHOLDER
from tftrace.tracefile.records import ProcessRecord

SERVER_MODULE = "tensorflow.python.training.server_lib"
MONITORED_MODULE = "tensorflow.python.training.monitored_session"
SUPERVISOR_MODULE = "tensorflow.python.training.supervisor"
TF_CONFIG = "TF_CONFIG"
_ORIGINALS = "_tftrace_cluster_originals"

UNKNOWN_JOB, UNKNOWN_TASK = "local", "0"

_lock = threading.RLock()
_known: dict[str, Any] = {}  # job, task, is_chief, cluster: the latest known values
_sources: list[str] = []
_tf_config_read = False
_listeners: list[Callable[[ProcessRecord], None]] = []


# --- what is known ------------------------------------------------------------------------

def process_record() -> ProcessRecord:
    """Everything known about this process now."""
    with _lock:
        _read_tf_config()
        cluster = _known.get("cluster")
        return ProcessRecord(host=_hostname(), pid=os.getpid(), job=_known.get("job"),
                             task=_known.get("task"), is_chief=_known.get("is_chief"),
                             cluster=cluster, sources=tuple(_sources), time=time.time())


def subscribe(listener: Callable[[ProcessRecord], None]) -> None:
    """Call ``listener(process_record())`` whenever the recorder learns something new."""
    with _lock:
        if listener not in _listeners:
            _listeners.append(listener)


def learn(source: str, **facts: Any) -> None:
    """Record ``facts`` (job, task, is_chief, cluster; None = unknown) from ``source``."""
    with _lock:
        _read_tf_config()
        changed = _merge(source, facts)
        listeners = list(_listeners) if changed else []
    if changed:
        record = process_record()
        for listener in listeners:
            try:
                listener(record)
            except Exception as e:  # fail open: the program matters more than the trace
                _warn(f"could not record this process's cluster role: {type(e).__name__}: {e}")


def _merge(source: str, facts: dict[str, Any]) -> bool:
    """Take the known ``facts``; True if anything changed (a new source of the same facts
    counts: it says the program agrees with itself, e.g. TF_CONFIG and the Server)."""
    said = {k: v for k, v in facts.items() if v is not None}
    if not said:
        return False
    changed = any(_known.get(k) != v for k, v in said.items())
    _known.update(said)
    if source not in _sources:
        _sources.append(source)
        changed = True
    return changed


def _read_tf_config() -> None:
    """Job, task and cluster from ``$TF_CONFIG``, once (a later Server overrides them)."""
    global _tf_config_read
    if _tf_config_read:
        return
    _tf_config_read = True
    facts = tf_config_facts(os.environ.get(TF_CONFIG))
    if facts:
        _merge("TF_CONFIG", facts)


def tf_config_facts(text: str | None) -> dict[str, Any]:
    """``{"cluster": ..., "task": {"type", "index"}}`` as process facts; {} if unusable."""
    if not text:
        return {}
    try:
        config = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(config, dict):
        return {}
    facts: dict[str, Any] = {}
    cluster = _cluster_from_mapping(config.get("cluster"))
    if cluster:
        facts["cluster"] = cluster
    task = config.get("task")
    if isinstance(task, dict):
        job, index = task.get("type"), task.get("index")
        if isinstance(job, str) and job:
            facts["job"] = job
            # The chief is the task of job "chief" (or "master"); with such a job in the
            # cluster, every other task is not. Without one, TF_CONFIG does not say.
            if job in ("chief", "master"):
                facts["is_chief"] = True
            elif cluster and ("chief" in cluster or "master" in cluster):
                facts["is_chief"] = False
        if isinstance(index, int) and not isinstance(index, bool) and index >= 0:
            facts["task"] = index
    return facts


def _cluster_from_mapping(cluster: Any) -> dict[str, tuple[str, ...]] | None:
    """A cluster spec dict (``{"ps": ["h:p", ...]}``, or ``{"ps": {0: "h:p"}}``)."""
    if not isinstance(cluster, dict):
        return None
    out: dict[str, tuple[str, ...]] = {}
    for job, tasks in cluster.items():
        if not isinstance(job, str):
            continue
        if isinstance(tasks, list):
            out[job] = tuple(str(t) for t in tasks)
        elif isinstance(tasks, dict):  # sparse: task index -> address
            try:
                items = sorted((int(k), str(v)) for k, v in tasks.items())
            except (TypeError, ValueError):
                continue
            out[job] = tuple(addr for _, addr in items)
    return out or None


def server_def_facts(server_def: Any) -> dict[str, Any]:
    """Job, task and cluster from a ``tf.train.ServerDef`` protocol buffer."""
    cluster: dict[str, tuple[str, ...]] = {}
    for job in server_def.cluster.job:
        tasks = sorted(dict(job.tasks).items())
        cluster[job.name] = tuple(addr for _, addr in tasks)
    facts: dict[str, Any] = {"cluster": cluster or None}
    if server_def.job_name:
        facts["job"] = server_def.job_name
        facts["task"] = int(server_def.task_index)
    return facts


def _hostname() -> str | None:
    try:
        return socket.gethostname()
    except OSError:
        return None


def _warn(message: str) -> None:
    try:
        sys.stderr.write(f"tftrace: {message} (your program is not affected)\n")
    except Exception:
        pass


# --- trace path patterns ------------------------------------------------------------------

def has_placeholders(path: str) -> bool:
    return PATH_PLACEHOLDER.search(path) is not None


def expand(pattern: str, record: ProcessRecord | None = None) -> tuple[str, bool]:
    """The trace path for ``pattern`` and whether every placeholder in it was known.

    ``{job}`` and ``{task}`` not known yet become ``local`` and ``0``; ``{pid}`` and
    ``{host}`` are always known. Only those four are placeholders: other braces in a path
    stay as written.
    """
    record = record or process_record()
    complete = True

    def value(match: re.Match[str]) -> str:
        nonlocal complete
        name = match.group(1)
        if name == "job":
            if record.job is None:
                complete = False
                return UNKNOWN_JOB
            return _path_safe(record.job)
        if name == "task":
            if record.task is None:
                complete = False
                return UNKNOWN_TASK
            return str(record.task)
        if name == "pid":
            return str(record.pid if record.pid is not None else os.getpid())
        return _path_safe(record.host or "localhost")

    return PATH_PLACEHOLDER.sub(value, pattern), complete


def _path_safe(text: str) -> str:
    """A job or host name as one path component (no separators, no '..')."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", text)
    return safe.replace("..", "_") or "_"


# --- sessions: remote targets and the devices (servers) they see --------------------------

def is_remote(target: str) -> bool:
    """Whether a session target names a server (``grpc://host:port``) rather than this
    process: such a session's variables live in the server and may already hold values."""
    return "://" in target


def session_devices(session: Any) -> dict[str, str]:
    """Device name -> incarnation (decimal string) for every device ``session`` sees.

    One ``ListDevices`` round trip to the master: call it once per session. The incarnation
    is a random 64-bit number a server draws when it starts, so it tells a restarted ps (or
    another cluster reusing the same job names) from the one that held earlier values.
    """
    devices = {}
    for device in session.list_devices():
        incarnation = getattr(device, "incarnation", None)
        if incarnation is not None:
            # TensorFlow hands the uint64 over as a signed int64: print it unsigned.
            devices[str(device.name)] = str(int(incarnation) % (1 << 64))
    return dict(sorted(devices.items()))


# --- patches (installed with the session patch by `tftrace run` / tracing()) --------------

def patch_server_lib(module: Any) -> None:
    """Wrap ``Server.__init__``: learn job/task/cluster from its ``server_def``, and open
    the trace (a ps only serves: its trace is all that says it was part of the job)."""

    def after(server: Any) -> None:
        try:
            learn("server_def", **server_def_facts(server.server_def))
        finally:
            _open_default_trace()

    _wrap_init(module.Server, after, "this tf.train.Server's task")


def patch_session_creators(module: Any) -> None:
    """Wrap the chief and worker session creators MonitoredTrainingSession picks between."""
    for cls, is_chief in ((module.ChiefSessionCreator, True),
                          (module.WorkerSessionCreator, False)):
        _wrap_init(cls, _creator_seen(is_chief, cls.__name__), "whether this is the chief")


def _creator_seen(is_chief: bool, name: str) -> Any:
    def after(creator: Any) -> None:
        # Only a creator for a server says anything about a cluster role: a local
        # MonitoredSession uses a ChiefSessionCreator too.
        master = getattr(creator, "_master", "") or ""
        if isinstance(master, bytes):
            master = master.decode("utf-8", "replace")
        if master and is_remote(str(master)):
            # after <- the wrapped __init__ <- whoever built the creator
            caller = sys._getframe(2).f_code.co_name
            learn("MonitoredTrainingSession" if caller == "MonitoredTrainingSession" else name,
                  is_chief=is_chief)

    return after


def patch_supervisor(module: Any) -> None:
    """Wrap ``Supervisor.__init__`` (the TF 1.x recipe: ``Supervisor(is_chief=...)`` then
    ``prepare_or_wait_for_session(server.target)``). Its ``is_chief`` defaults to True even
    in a single process, so it counts only in a process that is a task of a cluster."""

    def after(supervisor: Any) -> None:
        with _lock:
            _read_tf_config()
            in_cluster = _known.get("job") is not None
        if in_cluster:
            learn("Supervisor", is_chief=bool(supervisor.is_chief))

    _wrap_init(module.Supervisor, after, "whether this is the chief")


def _wrap_init(cls: type, after: Callable[[Any], None], what: str) -> None:
    """Wrap ``cls.__init__`` to call ``after(instance)`` once it has returned; a failure of
    ``after`` is one warning, never the program's problem."""
    if _ORIGINALS in cls.__dict__:
        return
    original = cls.__dict__["__init__"]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        try:
            after(self)
        except Exception as e:
            _warn(f"could not record {what}: {type(e).__name__}: {e}")

    _wrap(cls, {"__init__": (original, __init__)})


def _wrap(cls: type, methods: dict[str, tuple[Any, Any]]) -> None:
    saved = {}
    for name, (original, wrapper) in methods.items():
        wrapper.__wrapped__ = original
        wrapper.__doc__ = original.__doc__
        wrapper.__qualname__ = f"{cls.__name__}.{name}"
        setattr(cls, name, wrapper)
        saved[name] = original
    setattr(cls, _ORIGINALS, saved)


def unpatch(module: Any) -> None:
    """Undo ``patch_server_lib`` / ``patch_session_creators`` on ``module``."""
    for attr in ("Server", "ChiefSessionCreator", "WorkerSessionCreator", "Supervisor"):
        cls = getattr(module, attr, None)
        saved = None if cls is None else cls.__dict__.get(_ORIGINALS)
        if saved is None:
            continue
        for name, original in saved.items():
            setattr(cls, name, original)
        delattr(cls, _ORIGINALS)


def _open_default_trace() -> None:
    """A process that builds a Server is part of a cluster even if it never runs a session
    (a ps only serves): open its trace now so the trace says which task it was."""
    from tftrace.recorder.traces import trace_state

    trace_state(None)


PATCHES = {SERVER_MODULE: patch_server_lib, MONITORED_MODULE: patch_session_creators,
           SUPERVISOR_MODULE: patch_supervisor}
