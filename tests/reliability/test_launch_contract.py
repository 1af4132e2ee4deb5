"""`tftrace run` runs a program exactly as `python` does: the same script both ways.

Each case runs one program under plain `python` and under `tftrace run`, and compares what
the program saw and did: `__file__`, `sys.argv`, `sys.path[0]`, `__main__`, `__spec__`,
warnings and tracebacks, exit status, death by SIGINT, the script's own `sys.excepthook`.
tftrace's only addition is its own last line on stderr (`tftrace: ...`).
These programs do not import TensorFlow, so the cases take well under a second each.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = """
    import json, sys, warnings
    import __main__
    loader = globals().get("__loader__")
    print(json.dumps({
        "file": __file__, "argv": sys.argv, "path0": sys.path[0], "name": __name__,
        "spec": getattr(__spec__, "name", None), "package": __package__,
        "loader": [type(loader).__name__, getattr(loader, "name", None),
                   getattr(loader, "path", None)],
        "cached": __cached__, "builtins": type(__builtins__).__name__,
        "main_is_module": __main__.__dict__ is globals(), "doc": __doc__,
        "globals": sorted(k for k in globals() if k.startswith("__")),
    }, sort_keys=True))
    warnings.warn("careful")
"""


def env():
    e = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    e.pop("TFTRACE_TRACE", None)
    return e


def both(args, cwd, trace="t.json"):
    """(python's result, tftrace run's result) of the same program and arguments."""
    plain = subprocess.run([sys.executable, *args], cwd=cwd, env=env(), capture_output=True,
                           text=True, timeout=120)
    traced = subprocess.run([sys.executable, "-m", "tftrace", "run", "-o", trace, *args],
                            cwd=cwd, env=env(), capture_output=True, text=True, timeout=120)
    return plain, traced


def own_lines_removed(stderr):
    return "".join(line for line in stderr.splitlines(keepends=True)
                   if not line.startswith("tftrace: "))


def assert_same(plain, traced):
    assert traced.returncode == plain.returncode, traced.stderr
    assert traced.stdout == plain.stdout
    assert own_lines_removed(traced.stderr) == plain.stderr


def write(path, source):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


@pytest.fixture
def project(tmp_path):
    write(tmp_path / "sub" / "probe.py", PROBE)
    write(tmp_path / "pkg" / "__init__.py", "")
    write(tmp_path / "pkg" / "mod.py", PROBE)
    write(tmp_path / "pkg" / "__main__.py", PROBE)
    os.symlink(tmp_path / "sub" / "probe.py", tmp_path / "link.py")
    return tmp_path


@pytest.mark.parametrize("program", [
    ["sub/probe.py", "a", "--", "-o", "b"],
    ["./sub/../sub/probe.py"],
    ["link.py", "x"],  # sys.path[0] is the link target's directory, __file__ the link
    ["-m", "pkg.mod", "--flag", "--", "z"],
    ["-m", "pkg", "arg"],  # a package's __main__
], ids=["script", "dotted-path", "symlink", "module", "package"])
def test_the_program_sees_what_python_gives_it(project, program):
    plain, traced = both(program, project)
    assert plain.returncode == 0, plain.stderr
    assert_same(plain, traced)
    assert os.path.isabs(eval_json(traced.stdout)["file"])  # absolute, as on Python >= 3.9


def eval_json(stdout):
    import json

    return json.loads(stdout.splitlines()[0])


@pytest.mark.parametrize("body", [
    "import sys; sys.exit(3)",
    "import sys; sys.exit('a message')",
    "import sys; sys.exit(None)",
    "def f():\n    raise ValueError('boom')\nf()",
    "raise SystemExit(True)",
    "x = (\n",  # a syntax error: shown as python shows it, and nothing about sessions
    "import atexit; atexit.register(print, 'bye'); raise KeyError('k')",
    # this launcher's `from __future__ import annotations` must not leak into the script
    "def f(x: undefined_name): pass",
], ids=["exit-3", "exit-message", "exit-none", "exception", "exit-true", "syntax-error",
        "atexit", "no-future-leak"])
def test_exit_status_and_tracebacks_are_pythons(tmp_path, body):
    write(tmp_path / "prog.py", body + "\n")
    plain, traced = both(["prog.py"], tmp_path)
    assert_same(plain, traced)


@pytest.mark.parametrize("init", ["import sys; sys.exit(4)", "1 / 0"])
def test_a_package_that_fails_while_its_module_is_found(tmp_path, init):
    write(tmp_path / "pkg" / "__init__.py", init + "\n")
    write(tmp_path / "pkg" / "mod.py", "print('never')\n")
    plain, traced = both(["-m", "pkg.mod"], tmp_path)
    assert traced.returncode == plain.returncode and traced.stdout == plain.stdout == ""
    assert "tftrace: " not in traced.stderr  # the program never started: nothing to say
    assert plain.stderr.splitlines()[-1:] == traced.stderr.splitlines()[-1:]


def test_a_syntax_error_says_nothing_about_a_trace(tmp_path):
    write(tmp_path / "prog.py", "def broken(:\n")
    plain, traced = both(["prog.py"], tmp_path)
    assert traced.stderr == plain.stderr and traced.returncode == 1
    assert "Traceback" not in traced.stderr


@pytest.mark.parametrize("how", [
    "raise KeyboardInterrupt",
    "import os, signal; os.kill(os.getpid(), signal.SIGINT)",
])
def test_ctrl_c_kills_the_process_by_sigint_as_python_does(tmp_path, how):
    """So `for f in *.py; do tftrace run $f; done` stops on Ctrl-C, as with python."""
    write(tmp_path / "prog.py", f"""
        import atexit
        atexit.register(print, "exit handlers still run")
        def train():
            {how}
        train()
    """)
    plain, traced = both(["prog.py"], tmp_path)
    assert plain.returncode == -signal.SIGINT
    assert_same(plain, traced)
    assert "launcher" not in traced.stderr and "runpy" not in traced.stderr


def test_other_signals_end_the_program_as_they_would_under_python(tmp_path):
    write(tmp_path / "prog.py", """
        import os, signal
        signal.signal(signal.SIGUSR1, lambda *a: print("handled SIGUSR1", flush=True))
        os.kill(os.getpid(), signal.SIGUSR1)  # the script's own handler runs
        os.kill(os.getpid(), signal.SIGTERM)  # no handler: the process dies by it
    """)
    plain, traced = both(["prog.py"], tmp_path)
    assert plain.returncode == -signal.SIGTERM and plain.stdout == "handled SIGUSR1\n"
    assert_same(plain, traced)


def test_the_scripts_own_excepthook_gets_the_uncaught_exception(tmp_path):
    write(tmp_path / "prog.py", """
        import sys, traceback
        def hook(kind, error, tb):
            frames = traceback.extract_tb(tb)
            print("HOOK", kind.__name__, error, [(f.name, f.lineno) for f in frames])
        sys.excepthook = hook
        def f():
            raise RuntimeError("reported")
        f()
    """)
    plain, traced = both(["prog.py"], tmp_path)
    assert "HOOK RuntimeError reported [('<module>', 9), ('f', 8)]" in plain.stdout
    assert_same(plain, traced)


def test_a_failing_excepthook_is_reported_as_python_reports_it(tmp_path):
    write(tmp_path / "prog.py", """
        import sys
        def hook(kind, error, tb):
            raise OSError("the hook broke")
        sys.excepthook = hook
        raise ValueError("original")
    """)
    plain, traced = both(["prog.py"], tmp_path)
    assert "Original exception was:" in plain.stderr
    assert_same(plain, traced)


# --- problems tftrace sees before the program starts: one line, exit 2, program not run ---

MARKER = "open('ran', 'w').close()\n"


@pytest.mark.parametrize("output, says", [
    ("", "the trace path is empty"),
    ("adir", "cannot write the trace to adir: it is a directory"),
    ("afile/t.json", "afile is not a directory"),
    ("/sys/t.json", "cannot write the trace to /sys/t.json: Permission denied"),
    ("/sys/new/t.json", "cannot write the trace to /sys/new/t.json: cannot create /sys/new"),
], ids=["empty", "directory", "under-a-file", "unwritable", "uncreatable-directory"])
def test_a_trace_that_cannot_be_written_is_said_before_the_program_runs(tmp_path, output,
                                                                          says):
    if output.startswith("/sys/") and not os.path.isdir("/sys/kernel"):
        pytest.skip("needs Linux's /sys, where nobody may create files")
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("")
    write(tmp_path / "prog.py", MARKER)
    result = subprocess.run([sys.executable, "-m", "tftrace", "run", "-o", output, "prog.py"],
                            cwd=tmp_path, env=env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tftrace: error: "), result.stderr
    assert says in lines[0]
    assert "no TensorFlow session" not in result.stderr
    assert not (tmp_path / "ran").exists()


def test_a_symlinked_trace_is_followed_and_said(tmp_path):
    (tmp_path / "runs").mkdir()
    os.symlink(tmp_path / "runs" / "real.json", tmp_path / "latest.json")
    write(tmp_path / "prog.py", MARKER)
    result = subprocess.run([sys.executable, "-m", "tftrace", "run", "-o", "latest.json",
                             "prog.py"], cwd=tmp_path, env=env(), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"tftrace: note: latest.json is a symbolic link; the trace is written to its "
        f"target {tmp_path / 'runs' / 'real.json'}")
    assert "no trace written to runs/real.json" in result.stderr


def test_launcher_lines_escape_hostile_names(tmp_path):
    name = "evil\x1b]2;PWNED\x07.py"
    result = subprocess.run([sys.executable, "-m", "tftrace", "run", "-o", "t\x1b[2J.json",
                             name], cwd=tmp_path, env=env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert "\x1b" not in result.stderr and "\\x1b]2;PWNED\\x07" in result.stderr


# --- TensorFlow not installed ------------------------------------------------------------

BLOCK_TF = "import sys; sys.modules['tensorflow'] = None; "


def test_run_without_tensorflow_says_so_in_one_line(tmp_path):
    write(tmp_path / "prog.py", MARKER)
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_TF + "from tftrace.cli import main; "
         "sys.exit(main(['run', '-o', 't.json', 'prog.py']))"],
        cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "tftrace: error: TensorFlow is not installed, and recording a trace needs it "
        "(reading one does not): pip install 'tftrace[tf]' or pip install tensorflow-cpu"]
    assert not (tmp_path / "ran").exists()


def test_tftrace_session_without_tensorflow_is_one_clear_import_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_TF + "import tftrace\n"
         "try:\n    tftrace.Session\nexcept ImportError as e:\n"
         "    print(type(e).__name__, e.name, e.__cause__, e.__suppress_context__)\n"
         "    print(e)\n"],
        cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    first, message = result.stdout.splitlines()
    assert first == "ImportError tensorflow None True"
    assert message.startswith("TensorFlow is not installed") and "tftrace[tf]" in message


# --- the command line's own words ----------------------------------------------------------

def test_run_usage_shows_script_or_module_and_optional_args(capsys):
    from tftrace.cli import main

    with pytest.raises(SystemExit) as info:
        main(["run", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: tftrace run [-h] [-o TRACE] (SCRIPT | -m MODULE) [ARGS ...]")
    assert "-m MODULE" in out


@pytest.mark.parametrize("words, own, program", [
    (["train.py", "--lr", "3", "-o", "x", "--help"], [], ["train.py", "--lr", "3", "-o", "x",
                                                         "--help"]),
    (["-o", "t.json", "--", "-odd.py", "--", "a"], ["-o", "t.json"], ["-odd.py", "--", "a"]),
    (["--output=t.json", "-m", "pkg.mod", "-o", "x"], ["--output=t.json"],
     ["-m", "pkg.mod", "-o", "x"]),
    (["-mpkg", "--", "a"], [], ["-m", "pkg", "--", "a"]),
    (["-o", "t.json"], ["-o", "t.json"], []),
])
def test_run_splits_its_own_options_from_the_programs(words, own, program):
    from tftrace.cli import split_run_words

    assert split_run_words(words) == (own, program)


@pytest.mark.parametrize("words, message", [
    (["run"], "name the script to run (SCRIPT), or -m MODULE"),
    (["run", "-o", "t.json", "-m"], "-m needs a module name"),
])
def test_run_without_a_program_is_a_usage_error(capsys, words, message):
    from tftrace.cli import main

    with pytest.raises(SystemExit) as info:
        main(words)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_a_missing_module_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tftrace", "run", "-m", "no_such_mod"],
                            cwd=tmp_path, env=env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr == "tftrace: error: no module named no_such_mod\n"


def test_checking_the_trace_path_leaves_no_file_and_touches_no_old_trace(tmp_path):
    (tmp_path / "old.json").write_text("an earlier trace\n")
    write(tmp_path / "prog.py", "print('no session here')\n")
    for output in ("old.json", "new.json", "sub/dir/new.json"):
        result = subprocess.run([sys.executable, "-m", "tftrace", "run", "-o", output,
                                 "prog.py"], cwd=tmp_path, env=env(), capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "old.json").read_text() == "an earlier trace\n"
    assert not (tmp_path / "new.json").exists() and not (tmp_path / "sub/dir/new.json").exists()
