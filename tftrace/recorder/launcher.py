"""``tftrace run``: run an unmodified script (or ``-m module``) with every session traced.

The program runs in this process exactly as ``python SCRIPT ARGS`` (or ``python -m MODULE
ARGS``) would run it, after installing the session patch (which waits for the program to
import TensorFlow):

- ``__main__`` is a fresh module in ``sys.modules`` with Python's ``__file__`` (absolute),
  ``__spec__``, ``__loader__``, ``__package__``, ``__cached__`` and ``__builtins__``;
  ``sys.argv`` and ``sys.path[0]`` are Python's (the script's real directory; the working
  directory for ``-m``); the code is compiled under its absolute path, so tracebacks and
  warnings name the file as Python does, and without this module's ``__future__`` flags.
- An uncaught exception goes to ``sys.excepthook`` — the script's own hook if it set one —
  with a traceback that starts at the script's first frame and holds no tftrace frames;
  exit status 1. ``SystemExit`` passes its code through. Ctrl-C (``KeyboardInterrupt``)
  prints its traceback, then the process dies by SIGINT after the trace is flushed, so a
  shell loop around ``tftrace run`` stops as it would around ``python``.
- A syntax error (or any error before the script starts) is shown as Python shows it, and
  nothing is said about a trace that was never going to be written.

Problems tftrace can see before the program starts — TensorFlow missing, a trace path that
cannot be written, no such script or module — are one line and exit status 2. Nothing here
imports TensorFlow: a program that never uses it runs at plain-Python speed.
"""
from __future__ import annotations

import atexit
import importlib.machinery
import importlib.util
import os
import runpy
import signal
import sys
import traceback
import types
from dataclasses import dataclass
from typing import Any, Sequence

from tftrace.escape import printable
from tftrace.recorder import PATH_PLACEHOLDER, TENSORFLOW_MISSING, TRACE_ENV, patch
from tftrace.filelock import try_lock

EXIT_USAGE = 2
_TFTRACE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class LaunchError(Exception):
    """Why the program cannot be started (one line; exit status 2)."""


@dataclass
class _Program:
    """What to run and the ``__main__`` it runs in."""

    argv0: str
    path0: str | None  # None: runpy sets sys.path[0] itself
    globals: dict[str, Any]
    code: Any = None  # a code object, or None for a directory/zip run through runpy
    path_entry: str | None = None  # a directory or zip with __main__.py


def run_script(trace_path: str, script: str, args: Sequence[str], quiet: bool = False) -> int:
    """Run ``script`` with ``args`` as ``python script args`` would, tracing into
    ``trace_path``; return its exit status."""
    return _launch(trace_path, lambda: _script(script), args, quiet)


def run_module(trace_path: str, module: str, args: Sequence[str], quiet: bool = False) -> int:
    """Run ``module`` as ``python -m module args`` would, tracing into ``trace_path``."""
    return _launch(trace_path, lambda: _module(module), args, quiet)


def tensorflow_missing() -> bool:
    """True when TensorFlow cannot be imported (without importing it)."""
    try:
        return importlib.util.find_spec("tensorflow") is None
    except (ImportError, ValueError):  # a broken or blocked installation
        return True


def _launch(trace_path: str, find: Any, args: Sequence[str], quiet: bool) -> int:
    try:
        if tensorflow_missing():
            raise LaunchError(TENSORFLOW_MISSING)
        trace_path, note = trace_target(trace_path)
    except LaunchError as e:
        sys.stderr.write(f"tftrace: error: {printable(e)}\n")
        return EXIT_USAGE
    if note and not quiet:
        sys.stderr.write(f"tftrace: note: {printable(note)}\n")
    # The env var makes every session of this process — patched ones and explicit
    # tftrace.Session() without trace= — write to the one trace the user asked for.
    os.environ[TRACE_ENV] = trace_path
    # Registered first, so it runs last of all exit handlers (they run in reverse order).
    atexit.register(_die_if_interrupted)
    # Installed before the module is looked up: `-m pkg.mod` imports `pkg` first.
    patch.install()
    started: list[bool] = []
    try:
        code = _execute(find, args, started)
    except LaunchError as e:
        sys.stderr.write(f"tftrace: error: {printable(e)}\n")
        return EXIT_USAGE
    written = _finish()
    if not quiet and started:  # nothing to say of a program that never started
        _summary(trace_path, written)
    return code


def _execute(find: Any, args: Sequence[str], started: list[bool]) -> int:
    """Find the program (:class:`LaunchError` if there is none) and run it; its status.
    ``started`` gets an entry once the program's own code runs."""
    error = None
    try:
        program = find()  # a syntax error, or `-m pkg.mod`'s package failing, counts
        _enter(program, args)
        started.append(True)
        if program.code is not None:
            exec(program.code, sys.modules["__main__"].__dict__)
        else:
            runpy.run_path(program.path_entry, run_name="__main__")
    except LaunchError:
        raise
    except SystemExit as e:
        return _exit_code(e)
    except BaseException as e:
        error = e
    if error is None:
        return 0
    # Reported outside the except block, as the interpreter does: the hook runs with no
    # exception being handled. (This module's frames are left out of the traceback.)
    _report(error, error.__traceback__)
    if isinstance(error, KeyboardInterrupt):
        _interrupted.append(True)
        return 128 + signal.SIGINT
    return 1


def _enter(program: _Program, args: Sequence[str]) -> None:
    """Set up ``sys.argv``, ``sys.path[0]`` and ``__main__`` for the program. Not undone
    afterwards: its exit handlers and threads keep seeing them, as under python, and the
    process ends with the program."""
    sys.argv = [program.argv0, *args]
    if program.path0 is not None:
        if sys.path:
            sys.path[0] = program.path0
        else:
            sys.path.insert(0, program.path0)
    main = types.ModuleType("__main__")
    main.__dict__.update(program.globals)
    sys.modules["__main__"] = main


# --- what to run --------------------------------------------------------------------------

def _script(script: str) -> _Program:
    if not os.path.exists(script):
        raise LaunchError(f"{script}: no such file")
    if os.path.isdir(script):
        if not os.path.exists(os.path.join(script, "__main__.py")):
            raise LaunchError(f"{script}: is a directory without __main__.py")
        return _Program(argv0=script, path0=None, globals={}, path_entry=script)
    if not os.path.isfile(script):  # a FIFO or a device: reading it could block forever
        raise LaunchError(f"{script}: not a regular file")
    try:
        with open(script, "rb") as f:
            source = f.read()
    except OSError as e:
        raise LaunchError(f"{script}: cannot read ({e.strerror or e})") from None
    if _is_zip(script):  # a zip application: runpy runs its __main__.py as Python does
        return _Program(argv0=script, path0=None, globals={}, path_entry=script)
    # Python joins the working directory and the path as given, without normalizing it.
    absolute = os.path.join(os.getcwd(), script)
    # dont_inherit: this module's `from __future__` flags must not leak into the script.
    code = compile(source, absolute, "exec", dont_inherit=True)
    return _Program(
        argv0=script, path0=os.path.dirname(os.path.realpath(script)), code=code,
        globals=_main_globals(absolute, importlib.machinery.SourceFileLoader(
            "__main__", absolute), spec=None, package=None, cached=None))


def _is_zip(path: str) -> bool:
    import zipfile  # only for this rare case

    return zipfile.is_zipfile(path)


def _module(name: str) -> _Program:
    sys.path.insert(0, os.getcwd())  # python -m: the working directory comes first
    try:
        spec = _find_spec(name)
        if spec.submodule_search_locations is not None:  # a package: run its __main__
            spec = _find_spec(name + ".__main__", package=name)
        loader = spec.loader
        code = loader.get_code(spec.name) if hasattr(loader, "get_code") else None
        if code is None:
            raise LaunchError(f"no code object available for {name}")
    finally:
        del sys.path[0]
    return _Program(
        argv0=spec.origin or name, path0=os.getcwd(), code=code,
        globals=_main_globals(spec.origin, loader, spec=spec, package=spec.parent,
                              cached=spec.cached if spec.has_location else None))


def _find_spec(name: str, package: str | None = None) -> Any:
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError as e:
        if not e.name or not (name == e.name or name.startswith(e.name + ".")):
            raise  # an import inside a parent package failed: that is the program's error
        spec = None
    except ValueError as e:  # "-m ''", "-m .relative"
        raise LaunchError(f"cannot run module {name!r}: {e}") from None
    if spec is None:
        if package:
            raise LaunchError(f"no module named {name}; '{package}' is a package and "
                              "cannot be directly executed")
        raise LaunchError(f"no module named {name}")
    return spec


def _main_globals(file: str | None, loader: Any, spec: Any, package: str | None,
                  cached: str | None) -> dict[str, Any]:
    """``__main__``'s namespace as the interpreter sets it up."""
    return dict(__name__="__main__", __doc__=None, __package__=package, __loader__=loader,
                __spec__=spec, __annotations__={}, __builtins__=sys.modules["builtins"],
                __file__=file, __cached__=cached)


# --- how it ended ---------------------------------------------------------------------------

_interrupted: list[bool] = []


def _exit_code(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    sys.stderr.write(f"{e.code}\n")  # sys.exit("message") prints it and exits 1
    return 1


def _report(e: BaseException, tb: types.TracebackType | None) -> None:
    """Hand an uncaught exception to ``sys.excepthook``, as the interpreter would."""
    tb = _without_tftrace(tb)
    e.with_traceback(tb)  # the hook may read e.__traceback__ rather than its argument
    sys.last_type, sys.last_value, sys.last_traceback = type(e), e, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = e
    hook_error = None
    try:
        sys.excepthook(type(e), e, tb)
    except BaseException as error:
        hook_error = error
    if hook_error is not None:  # what Python prints when the hook itself fails
        sys.stderr.write("Error in sys.excepthook:\n")
        traceback.print_exception(type(hook_error), hook_error,
                                  _without_tftrace(hook_error.__traceback__), chain=False)
        sys.stderr.write("\nOriginal exception was:\n")
        sys.__excepthook__(type(e), e, tb)


def _without_tftrace(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The traceback without tftrace's frames (the launcher, the traced ``Session.run``
    wrappers) and the import machinery's, which Python hides too."""
    frames = []
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not (filename.startswith((_TFTRACE_DIR, "<frozen importlib"))
                or filename == runpy.__file__):
            frames.append(tb)
        tb = tb.tb_next
    rebuilt = None
    for entry in reversed(frames):
        rebuilt = types.TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


def _die_if_interrupted() -> None:
    """After Ctrl-C, die by SIGINT as Python does, once everything else has run."""
    if not _interrupted or os.name != "posix":
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


# --- the trace ------------------------------------------------------------------------------

def trace_target(path: str) -> tuple[str, str | None]:
    """The absolute path the trace will be written to, and a note to say first (a symlink
    is followed, and the user told); :class:`LaunchError` when it cannot be written."""
    if not path:
        raise LaunchError("the trace path is empty; name a file with -o TRACE")
    absolute = os.path.abspath(path)
    note = None
    placeholder = PATH_PLACEHOLDER.search(absolute)
    if placeholder is not None:
        # A per-process pattern (see cluster.expand): the file is named later; check the
        # deepest directory the pattern does not vary.
        fixed = absolute[:placeholder.start()]
        existing = os.path.dirname(fixed) if not fixed.endswith(os.sep) else fixed
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
            raise LaunchError(f"cannot write the trace to {path}: {existing} is not a "
                              "writable directory")
        return absolute, None
    if os.path.islink(absolute):
        absolute = os.path.realpath(absolute)
        note = f"{path} is a symbolic link; the trace is written to its target {absolute}"
    if os.path.isdir(absolute):
        raise LaunchError(f"cannot write the trace to {path}: it is a directory (name a "
                          f"file, e.g. {os.path.join(path, 'tftrace.json')})")
    if os.path.exists(absolute) and not os.path.isfile(absolute):
        raise LaunchError(f"cannot write the trace to {path}: not a regular file")
    parent = os.path.dirname(absolute)
    existing = parent
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise LaunchError(f"cannot write the trace to {path}: {existing} is not a directory")
    try:  # the writer would create them at the first session anyway
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise LaunchError(f"cannot write the trace to {path}: cannot create {parent} "
                          f"({e.strerror or e})") from None
    _probe(absolute, path)
    return absolute, note


def _probe(absolute: str, path: str) -> None:
    """Open the trace path for writing now — the only reliable test (root, read-only
    mounts, ACLs) — without truncating a file, and without deleting one that another
    process started writing meanwhile (a file we created is removed only under its lock,
    which a writer would hold)."""
    try:
        fd = os.open(absolute, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        try:
            with open(absolute, "a"):
                return
        except OSError as e:
            raise LaunchError(f"cannot write the trace to {path}: {e.strerror or e}") from None
    except OSError as e:
        raise LaunchError(f"cannot write the trace to {path}: {e.strerror or e}") from None
    try:
        if try_lock(fd):
            os.unlink(absolute)
    finally:
        os.close(fd)


def _finish() -> list:
    if "tftrace.recorder.traces" not in sys.modules:  # the script never opened a trace
        return []
    try:
        from tftrace.recorder.live import close_traces

        return close_traces(join_threads=True)  # as Python joins them at exit
    except Exception as e:  # fail open: the script's exit code matters more
        sys.stderr.write(f"tftrace: internal error while finishing the trace: "
                         f"{printable(e)}\n")
        return []


def _summary(trace_path: str, written: list) -> None:
    # trace_path may be a pattern ({job}{task}): the summary names the file it became.
    states = [s for s in written if s.requested == trace_path]
    if not states:
        # With TensorFlow imported, a session may have been made but not recorded (its
        # own "internal error" line said why): say only what is sure.
        said = ("no TensorFlow session was recorded" if "tensorflow" in sys.modules
                else "the script created no TensorFlow session")
        sys.stderr.write(f"tftrace: {said}; no trace written to {_display(trace_path)}\n")
        return
    sessions = sum(s.sessions for s in states)
    # The file actually written: a pattern's expansion ({job}{task}), or a sibling when
    # another process holds the path.
    actual = _display(states[0].writer.path)
    sys.stderr.write(f"tftrace: trace written to {actual} "
                     f"({sessions} session{'s' if sessions != 1 else ''}); "
                     f"try: tftrace explain {actual} VARIABLE\n")


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return printable(rel if not rel.startswith("..") else path)
