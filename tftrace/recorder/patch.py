"""Tracing every session of a process (``tftrace run``, ``tftrace.tracing()``).

``BaseSession.__init__``, ``run`` and ``close`` are wrapped, so every session is traced —
``tf.compat.v1.Session``, ``InteractiveSession`` and the sessions ``MonitoredSession`` and
``SessionManager`` create inside TensorFlow — without replacing any class (``isinstance``
checks in user code and in TensorFlow keep working).

The cluster patches (``recorder/cluster.py``: ``Server``, the monitored session creators and
``Supervisor``, for the process's job, task and chief role) are installed and removed with it.

When TensorFlow is not imported yet, an import hook applies each patch the moment its module
(``tensorflow.python.client.session``, ...) has been executed, so scripts that never import
TensorFlow do not pay its import cost. This module imports nothing from TensorFlow itself:
it may run in the middle of TensorFlow's own import.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from typing import Any

from tftrace.recorder import cluster

SESSION_MODULE = "tensorflow.python.client.session"
_ORIGINALS = "_tftrace_originals"


def originals(base_session: type) -> dict[str, Any]:
    """The unpatched ``__init__``/``run``/``close`` of ``BaseSession``."""
    saved = base_session.__dict__.get(_ORIGINALS)
    if saved is not None:
        return saved
    return {name: base_session.__dict__[name] for name in ("__init__", "run", "close")}


def patch_module(module: Any) -> None:
    """Wrap ``BaseSession`` methods of an imported ``tensorflow.python.client.session``."""
    base = module.BaseSession
    if _ORIGINALS in base.__dict__:
        return
    orig = originals(base)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        orig["__init__"](self, *args, **kwargs)
        if not self.__dict__.get("_tftrace_explicit"):
            from tftrace.recorder import session

            session.attach(self, None)

    def run(self: Any, fetches: Any, feed_dict: Any = None, options: Any = None,
            run_metadata: Any = None) -> Any:
        from tftrace.recorder.session import traced_run

        return traced_run(self, fetches, feed_dict, options, run_metadata)

    def close(self: Any) -> None:
        from tftrace.recorder.live import finish

        finish(self)
        orig["close"](self)

    for name, func in (("__init__", __init__), ("run", run), ("close", close)):
        func.__wrapped__ = orig[name]  # type: ignore[attr-defined]
        func.__doc__ = orig[name].__doc__
        func.__qualname__ = f"BaseSession.{name}"
        setattr(base, name, func)
    setattr(base, _ORIGINALS, orig)
    _construction_hooks(install=True)


def _construction_hooks(install: bool) -> None:
    """Naming evidence while the graph is built (see :mod:`tftrace.recorder.construction`)."""
    try:
        from tftrace.recorder import construction

        construction.install() if install else construction.uninstall()
    except Exception:
        pass  # no evidence, no naming findings: never a broken program


def unpatch_module(module: Any) -> None:
    base = module.BaseSession
    orig = base.__dict__.get(_ORIGINALS)
    if orig is None:
        return
    for name, func in orig.items():
        setattr(base, name, func)
    delattr(base, _ORIGINALS)
    _construction_hooks(install=False)


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Finds a module to patch with the other finders, then patches it once executed."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        patcher = _PATCHERS.get(fullname)
        if patcher is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                loader = spec.loader
                original_exec = loader.exec_module

                def exec_module(module: Any, _exec: Any = original_exec) -> None:
                    _exec(module)
                    patcher(module)

                spec.loader = _Loader(loader, exec_module)
                return spec
        return None


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: Any, exec_module: Any):
        self._inner = inner
        self._exec = exec_module

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._exec(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_code, ... for tracebacks
        return getattr(self._inner, name)


_hook: _PatchAfterImport | None = None
_PATCHERS: dict[str, Any] = {SESSION_MODULE: patch_module, **cluster.PATCHES}


def install() -> None:
    """Trace every session created from now on (and sessions that run after this)."""
    global _hook
    waiting = False
    for name, patcher in _PATCHERS.items():
        module = sys.modules.get(name)
        if module is not None:
            patcher(module)
        else:
            waiting = True
    if waiting and _hook is None:
        _hook = _PatchAfterImport()
        sys.meta_path.insert(0, _hook)


def uninstall() -> None:
    global _hook
    if _hook is not None and _hook in sys.meta_path:
        sys.meta_path.remove(_hook)
    _hook = None
    module = sys.modules.get(SESSION_MODULE)
    if module is not None:
        unpatch_module(module)
    for name in cluster.PATCHES:
        module = sys.modules.get(name)
        if module is not None:
            cluster.unpatch(module)
