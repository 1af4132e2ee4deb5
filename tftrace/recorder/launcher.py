"""``tftrace run``: run an unmodified script with every TensorFlow session traced.

The script runs as ``python SCRIPT ARGS`` would run it — ``sys.argv``, ``__main__``,
``sys.path[0]`` — in this process, after installing the session patch (which waits for the
script to import TensorFlow). Its exit code and uncaught-exception traceback pass through;
the trace is finished and flushed even when the script fails. Nothing here imports
TensorFlow: a script that never uses it runs at plain-Python speed.
"""
from __future__ import annotations

import os
import runpy
import sys
import traceback
from typing import Sequence

from tftrace.recorder import patch

TRACE_ENV = "TFTRACE_TRACE"


def run_script(trace_path: str, script: str, args: Sequence[str], quiet: bool = False) -> int:
    """Run ``script`` with ``args``, tracing into ``trace_path``; return its exit code."""
    if not os.path.exists(script):
        sys.stderr.write(f"tftrace: error: {script}: no such file\n")
        return 2
    if os.path.isdir(script) and not os.path.exists(os.path.join(script, "__main__.py")):
        sys.stderr.write(f"tftrace: error: {script}: is a directory without __main__.py\n")
        return 2
    trace_path = os.path.abspath(trace_path)
    # The env var makes every session of this process — patched ones and explicit
    # tftrace.Session() without trace= — write to the one trace the user asked for.
    os.environ[TRACE_ENV] = trace_path
    saved_argv, saved_path0 = sys.argv, sys.path[0] if sys.path else None
    sys.argv = [script, *args]
    script_dir = os.path.dirname(os.path.abspath(script))
    if sys.path:
        sys.path[0] = script_dir
    else:
        sys.path.insert(0, script_dir)
    patch.install()
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        code = _exit_code(e)
    except KeyboardInterrupt:
        traceback.print_exc()
        code = 130
    except BaseException as e:  # the script's own error: print it as Python would
        _print_script_traceback(e, script)
        code = 1
    finally:
        written = _finish()
        sys.argv = saved_argv
        if saved_path0 is not None and sys.path:
            sys.path[0] = saved_path0
    if not quiet:
        _summary(trace_path, written)
    return code


def _exit_code(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    sys.stderr.write(f"{e.code}\n")  # sys.exit("message") prints it and exits 1
    return 1


def _print_script_traceback(e: BaseException, script: str) -> None:
    """The traceback from the script's first frame on, without runpy's and ours."""
    tb = e.__traceback__
    target = os.path.abspath(script)
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != target:
        tb = tb.tb_next
    traceback.print_exception(type(e), e, tb if tb is not None else e.__traceback__)


def _finish() -> list:
    session = sys.modules.get("tftrace.recorder.session")
    if session is None:  # the script never created a session
        return []
    try:
        return session.close_traces(join_threads=True)  # as Python joins them at exit
    except Exception as e:  # fail open: the script's exit code matters more
        sys.stderr.write(f"tftrace: internal error while finishing the trace: {e}\n")
        return []


def _summary(trace_path: str, written: list) -> None:
    # trace_path may be a pattern ({job}{task}): the summary names the file it became.
    states = [s for s in written if s.requested == trace_path]
    if not states:
        sys.stderr.write(f"tftrace: the script created no TensorFlow session; "
                         f"no trace written to {_display(trace_path)}\n")
        return
    sessions = sum(s.sessions for s in states)
    path = _display(states[0].path)
    sys.stderr.write(f"tftrace: trace written to {path} "
                     f"({sessions} session{'s' if sessions != 1 else ''}); "
                     f"try: tftrace explain {path} VARIABLE\n")


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else path
