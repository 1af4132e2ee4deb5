"""The import contract: ``recorder -> tracefile <- model <- views``, ``cli`` on top.

Every module under ``tftrace/`` is parsed (never imported) and every import in it is
counted, those inside functions too: a lazy import is still an arrow. Then the suite that
needs no TensorFlow is run where importing TensorFlow fails, as on a user's machine
without it (``make test`` does that; here only the blocker itself is checked, cheaply).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "tftrace"
BLOCKER = Path(__file__).parent / "without_tensorflow"

#: Stdlib-only modules that anything may use; they import no other part of tftrace but
#: other leaves (without cycles: see test_leaves_import_only_leaves_without_cycles).
LEAVES = {"tftrace.escape", "tftrace.filelock", "tftrace.findings", "tftrace.errors",
          "tftrace.gcpause", "tftrace.shapes", "tftrace.ckptmatch"}

#: Leaf arrows that close a cycle, each with the change that removes it. Keep it empty.
LEAF_CYCLES: set[tuple[str, str]] = set()  # known cycles between leaves: keep it empty

#: Which parts of tftrace each layer may import (besides itself and the leaves).
ALLOWED = {
    "leaf": set(),
    "tracefile": set(),
    "recorder": {"tracefile"},
    "model": {"tracefile"},
    "views": {"model", "tracefile"},
    "top": {"recorder", "tracefile", "model", "views", "top"},  # cli, __main__, the facade
}

#: Known arrows against the contract, each with the issue that removes it. Keep it empty.
EXCEPTIONS: set[tuple[str, str]] = set()

#: Third-party packages a layer may not import at all (stdlib-only layers import none).
TENSORFLOW = ("tensorflow", "tf_keras", "keras")


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def layer(module: str) -> str:
    if module in LEAVES:
        return "leaf"
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("recorder", "tracefile", "model", "views"):
        return parts[1]
    return "top"


def imports(module: str, path: Path) -> list[tuple[str, int]]:
    """Every module ``path`` imports, absolute, with its line; at any depth of the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, node.lineno))
            # `from tftrace import views` and `from tftrace.views import dot` import modules
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names
                      if base.startswith("tftrace")]
    return found


def first_party(name: str, known: dict[str, Path]) -> str | None:
    """The tftrace module ``name`` denotes (a name imported from a module is that module)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def violations() -> list[str]:
    known = modules()
    found = []
    for module, path in known.items():
        mine = layer(module)
        for name, line in imports(module, path):
            where = f"{path.relative_to(ROOT)}:{line}"
            top = name.split(".")[0]
            if top in TENSORFLOW and mine != "recorder":
                found.append(f"{where}: {module} imports {name}; only tftrace.recorder may")
                continue
            if top != "tftrace":
                if mine in ("leaf", "tracefile") and top not in sys.stdlib_module_names:
                    found.append(f"{where}: {module} ({mine}) is stdlib-only, imports {name}")
                continue
            target = first_party(name, known)
            if target is None or target == "tftrace" or target in LEAVES:
                continue
            theirs = layer(target)
            if theirs == mine and mine != "leaf":
                continue
            if (module, target) in EXCEPTIONS:
                continue
            if theirs not in ALLOWED[mine]:
                found.append(f"{where}: {module} ({mine}) imports {target} ({theirs})")
    return sorted(set(found))


def test_every_import_follows_the_layers():
    assert violations() == []


def test_the_walk_counts_imports_inside_functions():
    """The contract would be empty if lazy imports were missed: cli imports the launcher
    (and so TensorFlow) only inside `tftrace run`'s function."""
    known = modules()
    names = {name for name, _ in imports("tftrace.cli", known["tftrace.cli"])}
    assert "tftrace.recorder.launcher" in names
    assert layer("tftrace.views.tui.app") == "views" and layer("tftrace.errors") == "leaf"


def test_the_walk_reports_an_arrow_against_the_layers(tmp_path, monkeypatch):
    fake = tmp_path / "tftrace"
    (fake / "model").mkdir(parents=True)
    (fake / "recorder").mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "errors.py").write_text("from tftrace.model import rules\n")
    (fake / "recorder" / "__init__.py").write_text("")
    (fake / "model" / "__init__.py").write_text("")
    (fake / "model" / "rules.py").write_text(
        "def late():\n    from ..recorder import session\n    import tensorflow\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    found = "\n".join(violations())
    assert "tftrace.model.rules (model) imports tftrace.recorder (recorder)" in found
    assert "tftrace.model.rules imports tensorflow; only tftrace.recorder may" in found
    assert "tftrace.errors (leaf) imports tftrace.model.rules (model)" in found


def test_the_blocker_makes_tensorflow_unimportable():
    """`make test` runs `pytest -m "not tf"` with this blocker first on PYTHONPATH."""
    code = ("import importlib.util, tftrace, tftrace.cli\n"
            "try:\n    import tensorflow\nexcept ImportError as e:\n    print('BLOCKED', e)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, env={"PYTHONPATH": f"{BLOCKER}:{ROOT}"}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "BLOCKED" in result.stdout


def leaf_imports() -> dict[str, set[str]]:
    """leaf -> the parts of tftrace it imports (at any depth of the file)."""
    known = modules()
    return {leaf: {first_party(n, known) for n, _ in imports(leaf, known[leaf])
                   if n.startswith("tftrace")} - {None, "tftrace", leaf}
            for leaf in sorted(LEAVES)}


def test_leaves_import_only_leaves_without_cycles():
    found = leaf_imports()
    assert {leaf: sorted(targets - LEAVES) for leaf, targets in found.items()
            if targets - LEAVES} == {}
    for leaf, target in LEAF_CYCLES:
        found[leaf].discard(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for target in found.get(start, ()):
            if target == goal or target not in seen and reaches(target, goal, seen | {target}):
                return True
        return False

    assert [leaf for leaf in found if reaches(leaf, leaf, set())] == []


# --- rules and views read the model's public queries, never the index --------------------

#: Packages whose modules must read a Trace through its public API (History, queries).
PUBLIC_ONLY = ("tftrace.model.diagnostics", "tftrace.views")


def index_reach_ins(path: Path, root: Path | None = None) -> list[str]:
    """Where the module at ``path`` reaches into a trace's index: ``x.index.<anything>``
    (``trace.index.events``, ``self.trace.index.runs``), ``trace.index`` or ``trace._index``
    taken whole (``index = trace.index``), by the parsed source, not its text."""
    def trace_like(node: ast.AST) -> bool:
        name = node.id if isinstance(node, ast.Name) else \
            node.attr if isinstance(node, ast.Attribute) else ""
        return name == "trace" or name.endswith("_trace") or name.endswith("trace_")

    where = path.relative_to(root or ROOT)
    found: dict[int, str] = {}  # line -> the outermost reach-in on it
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Attribute):
            continue
        inner = node.value
        if isinstance(inner, ast.Attribute) and inner.attr in ("index", "_index"):
            found.setdefault(node.lineno, f".{inner.attr}.{node.attr}")
        elif node.attr in ("index", "_index") and trace_like(inner):
            found.setdefault(node.lineno, ast.unparse(node))
    return [f"{where}:{line}: {what}" for line, what in sorted(found.items())]


def test_rules_and_views_read_no_trace_index():
    found = [hit for module, path in modules().items()
             if module.startswith(PUBLIC_ONLY) for hit in index_reach_ins(path)]
    assert found == []


def test_the_index_check_sees_reach_ins_and_nothing_else(tmp_path):
    (tmp_path / "rule.py").write_text(
        "def rule(trace, app):\n"
        "    index = trace.index\n"                  # taken whole
        "    runs = app.trace.index.runs\n"          # reached through
        "    own = self_trace._index\n"
        "    ok = record.index + ids.index(3)\n"     # a record's field, list.index
        "    return [h.events for h in trace.histories()]\n")
    assert index_reach_ins(tmp_path / "rule.py", tmp_path) == [
        "rule.py:2: trace.index", "rule.py:3: .index.runs", "rule.py:4: self_trace._index"]
