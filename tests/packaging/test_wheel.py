"""The wheel as a user installs it: built from the source tree, installed into a fresh
virtual environment WITHOUT TensorFlow, every reading command run from it.

The suite otherwise imports tftrace from the checkout, where a data file that the wheel
forgets (Textual's ``app.tcss`` once was) is still there. This test builds the wheel with
pip (build isolation: setuptools comes from pip's cache or PyPI), installs it with
``--no-deps`` into a venv made from the base interpreter, and gives that venv only the
runtime dependencies — networkx, rich, textual, graphviz and what they need — linked from
this environment, so no network is needed for them and TensorFlow cannot leak in.

Skip it only with a stated reason: ``TFTRACE_SKIP_WHEEL_TEST="no network for setuptools"``.
"""
from __future__ import annotations

import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRACE = ROOT / "examples" / "traces" / "restore_then_init.json"
RUNTIME = ("networkx", "rich", "textual", "graphviz")  # the core deps + tui + dot extras

pytestmark = pytest.mark.wheel

VIEW_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    import tftrace
    from tftrace.views.tui import create_app

    async def main():
        app = create_app(tftrace.load(sys.argv[1]))
        async with app.run_test(size=(120, 35)) as pilot:
            await pilot.pause()
            first = type(app.screen).__name__
            await pilot.press("?")          # a second screen, styled by the same sheet
            await pilot.pause()
            help_screen = type(app.screen).__name__
            await pilot.press("escape")
            await pilot.press("q")
        assert "tensorflow" not in sys.modules
        print("view ok", first, help_screen)

    asyncio.run(main())
""")


def _requirements(dist: metadata.Distribution) -> list[str]:
    """Names of the distributions ``dist`` needs (no extras, markers that hold here)."""
    from packaging.requirements import Requirement

    names = []
    for text in dist.requires or ():
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            names.append(req.name)
    return names


def _link_runtime(target: Path) -> None:
    """Link the runtime dependencies' files (and their metadata) into ``target``."""
    todo, seen = list(RUNTIME), set()
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        dist = metadata.distribution(name)
        todo += _requirements(dist)
        for file in dist.files or ():
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith(".pth") or top == "bin":
                continue
            source = Path(dist.locate_file(top))
            link = target / top
            if source.exists() and not link.exists():
                link.symlink_to(source)


def _run(*command: str | Path, cwd: Path, env: dict[str, str], ok=(0,)) -> str:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode in ok, (command, result.returncode, result.stdout, result.stderr)
    return result.stdout + result.stderr


def test_installed_wheel_runs_every_reading_command_without_tensorflow(tmp_path):
    reason = os.environ.get("TFTRACE_SKIP_WHEEL_TEST")
    if reason:
        pytest.skip(f"TFTRACE_SKIP_WHEEL_TEST: {reason}")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # A copy of the source tree: building in the checkout would leave build/ behind, and
    # only what git would ship (no egg-info, no caches) goes in.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "tftrace", source / "tftrace",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # -v: pip shows the build backend's warnings only when verbose.
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w",
                 tmp_path / "dist", source, cwd=tmp_path, env=env)
    assert "deprecated" not in built, [line for line in built.splitlines()
                                       if "deprecated" in line]
    (wheel,) = (tmp_path / "dist").glob("tftrace-*.whl")

    venv = tmp_path / "venv"
    _run(getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip",
         venv, cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
         "--no-index", "--quiet", wheel, cwd=tmp_path, env=env)
    deps = tmp_path / "deps"
    deps.mkdir()
    _link_runtime(deps)
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                     cwd=tmp_path, env=env).strip())
    (site / "runtime-deps.pth").write_text(f"{deps}\n")

    # Run from elsewhere, so nothing is imported from the checkout.
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(TRACE, work / "trace.json")
    _run(python, "-c", "import importlib.util as u, tftrace, sys; "
                       "assert u.find_spec('tensorflow') is None; "
                       "assert tftrace.__file__.startswith(sys.prefix), tftrace.__file__",
         cwd=work, env=env)
    tftrace = venv / "bin" / "tftrace"
    assert "restore-overwritten" in _run(tftrace, "check", "trace.json", cwd=work, env=env,
                                         ok=(1,))
    assert "overwritten by the initializer" in _run(tftrace, "explain", "trace.json",
                                                    "dense/kernel", cwd=work, env=env)
    _run(tftrace, "render", "trace.json", "-o", "x.dot", cwd=work, env=env)
    assert (work / "x.dot").read_text().startswith("digraph tftrace {")
    (work / "view.py").write_text(VIEW_SCRIPT)
    shown = _run(python, "view.py", "trace.json", cwd=work, env=env)
    assert "view ok VariablesScreen HelpScreen" in shown, shown
