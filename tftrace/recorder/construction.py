"""Evidence gathered while the program builds its graph, for the naming rules.

Two facts can only be known at graph construction, never later from the graph itself:

- the name a piece of code *asked for* when TensorFlow uniquified it (``tf.Variable(name=
  "w")`` twice gives ``w_1``; an unnamed ``tf.Variable()`` gives ``Variable_1`` without
  anybody asking for ``Variable``), and
- the ``tf.name_scope`` active when ``get_variable`` created a variable (which it ignores).

Under ``tftrace run`` / ``tftrace.tracing()`` the patch is installed before the script
builds its graph, so two small hooks see both: ``Graph.unique_name`` (only when a name was
taken does it do any work) and ``VariableScope.get_variable``. For ops created before the
hooks were installed, :func:`requested_name` falls back to the creating line's source text
(the op's traceback), and :func:`ignored_name_scope` to nothing (no evidence, no finding).

Fail-open like the rest of the recorder: a hook that raises falls back to TensorFlow's own
function; it never changes a name or a result.
"""
from __future__ import annotations

import re
import sys
import weakref
from typing import Any

from tftrace.recorder.capture import is_internal

_ORIGINALS: dict[str, Any] = {}
_VARIABLE_SCOPE_MODULE = "tensorflow.python.ops.variable_scope"
_FRAME_LIMIT = 40
_USER_FRAME_LIMIT = 3  # a helper's caller may hold the literal: make_layer("w")
# Where TensorFlow's name_scope / variable_scope objects decide between name and default.
_SCOPE_ENTRIES = frozenset({"__enter__", "_enter_scope_uncached"})


class _GraphEvidence:
    __slots__ = ("complete", "renamed", "name_scopes")

    def __init__(self, complete: bool):
        self.complete = complete  # the hooks saw the graph from its first op on
        self.renamed: dict[str, str] = {}  # given name (lowercase) -> requested name
        self.name_scopes: dict[str, str] = {}  # variable -> name scope get_variable ignored


_evidence: "weakref.WeakKeyDictionary[Any, _GraphEvidence]" = weakref.WeakKeyDictionary()


def _of(graph: Any) -> _GraphEvidence:
    found = _evidence.get(graph)
    if found is None:
        found = _evidence[graph] = _GraphEvidence(graph.version == 0)
    return found


# --- the hooks ----------------------------------------------------------------------------

def install() -> None:
    """Hook ``Graph.unique_name`` (and ``VariableScope.get_variable`` once loaded)."""
    ops = sys.modules.get("tensorflow.python.framework.ops")
    if ops is None or "unique_name" in _ORIGINALS:
        return
    original = ops.Graph.unique_name
    _ORIGINALS["unique_name"] = original

    def unique_name(self: Any, name: str, mark_as_used: bool = True) -> str:
        given = original(self, name, mark_as_used)
        try:
            if "get_variable" not in _ORIGINALS:
                _install_get_variable()
            if self.version == 0:
                _of(self)  # seen from its first op on: the evidence is complete
            # Variables and scopes get their names from Graph.name_scope; op names
            # (mul_1, Assign_3) are renamed all the time and concern no rule.
            if mark_as_used and sys._getframe(1).f_code.co_name == "name_scope" and \
                    given != _joined(self, name):
                _note_renamed(_of(self), name, given)
        except Exception:
            pass
        return given

    unique_name.__wrapped__ = original  # type: ignore[attr-defined]
    ops.Graph.unique_name = unique_name


def uninstall() -> None:
    ops = sys.modules.get("tensorflow.python.framework.ops")
    original = _ORIGINALS.pop("unique_name", None)
    if ops is not None and original is not None:
        ops.Graph.unique_name = original
    module = sys.modules.get(_VARIABLE_SCOPE_MODULE)
    original = _ORIGINALS.pop("get_variable", None)
    if module is not None and original is not None:
        module.VariableScope.get_variable = original


def _joined(graph: Any, name: str) -> str:
    # What unique_name returns when the name was free (see Graph.unique_name).
    stack = graph._name_stack  # noqa: SLF001 - read only
    return stack + "/" + name if stack else name


def _note_renamed(evidence: _GraphEvidence, name: str, given: str) -> None:
    """``name`` was taken and became ``given``: keep it if the user's code asked for it."""
    frame = sys._getframe(3)  # _note_renamed <- unique_name <- Graph.name_scope <- ...
    asked = False
    user_frames = 0
    for _ in range(_FRAME_LIMIT):
        if frame is None:
            break
        code = frame.f_code
        if code.co_name in _SCOPE_ENTRIES and is_internal(code.co_filename):
            scope = frame.f_locals.get("self")
            default = getattr(scope, "_default_name", None)
            if default is not None and (
                    getattr(scope, "_name", None) == default  # name_scope(None, "Variable")
                    or getattr(scope, "_name_or_scope", default) is None):  # variable_scope
                return  # a default name, asked for by nobody
        elif not is_internal(code.co_filename):
            # The user's code holds the name it asked for as a literal: tf.Variable(name=
            # "w") or make_layer("w"). Adam's "beta1_power" or "Variable" are not there.
            last = name.rsplit("/", 1)[-1]
            if name in code.co_consts or last in code.co_consts or any(
                    type(v) is str and v in (name, last) for v in frame.f_locals.values()):
                asked = True  # a literal here, or a parameter holding it (make(name))
                break
            user_frames += 1
            if user_frames >= _USER_FRAME_LIMIT:
                break  # names are renamed all the time (mul_1): keep this walk short
        frame = frame.f_back
    if asked:
        requested = given[: len(given) - len(given.rsplit("/", 1)[-1])] + name.rsplit("/", 1)[-1]
        evidence.renamed[given.lower()] = requested


def _install_get_variable() -> None:
    module = sys.modules.get(_VARIABLE_SCOPE_MODULE)
    if module is None:
        return
    original = module.VariableScope.get_variable
    _ORIGINALS["get_variable"] = original

    def get_variable(self: Any, var_store: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            ops = sys.modules["tensorflow.python.framework.ops"]
            graph = ops.get_default_graph()
            name_scope = graph.get_name_scope()
            before = graph.version
        except Exception:
            return original(self, var_store, name, *args, **kwargs)
        variable = original(self, var_store, name, *args, **kwargs)
        try:
            op = variable.op
            if op.graph is graph and graph.version > before:  # created by this call
                ignored = _ignored_part(name_scope, self.original_name_scope.rstrip("/"))
                if ignored:
                    _of(graph).name_scopes[op.name] = ignored
        except Exception:
            pass
        return variable

    get_variable.__wrapped__ = original  # type: ignore[attr-defined]
    module.VariableScope.get_variable = get_variable


def _ignored_part(name_scope: str, variable_scope: str) -> str | None:
    """The ``tf.name_scope`` part get_variable ignores: the name scope active at the call,
    beyond the one its variable scope opened (``block`` in ``name_scope("block")``)."""
    if not name_scope or name_scope == variable_scope:
        return None
    if variable_scope and name_scope.startswith(variable_scope + "/"):
        return name_scope  # name_scope("x") inside variable_scope("enc"): enc/x
    if variable_scope and variable_scope.startswith(name_scope + "/"):
        return None  # a variable scope opened inside the name scope: it is honoured
    return name_scope


# --- what the graph index asks ------------------------------------------------------------

_SUFFIX = re.compile(r"^(.*)_(\d+)$")


def requested_name(op: Any) -> str | None:
    """The name the user's code asked for, when ``op`` (a variable) got another one."""
    evidence = _evidence.get(op.graph)
    if evidence is not None:
        seen = _apply_renames(op.name, evidence.renamed)
        if seen is not None or evidence.complete:
            return seen
    return _requested_from_source(op)  # ops created before the hooks were installed


def _apply_renames(name: str, renamed: dict[str, str]) -> str | None:
    """Map every uniquified prefix of ``name`` back to what was asked for."""
    if not renamed:
        return None
    parts = name.split("/")
    out: list[str] = []
    changed = False
    for i in range(len(parts)):
        given = "/".join(parts[: i + 1]).lower()
        requested = renamed.get(given)
        if requested is not None:
            out = requested.split("/")
            changed = True
        else:
            out.append(parts[i])
    return "/".join(out) if changed else None


def _requested_from_source(op: Any) -> str | None:
    """For a graph built before tracing: a ``_N`` name part whose base name the creating
    line of the user's code spells as a string literal (``name="w"``), when the variable of
    the name asked for exists."""
    parts = op.name.split("/")
    for i, part in enumerate(parts):
        m = _SUFFIX.match(part)
        if not m or not m.group(1) or not _source_spells(op, m.group(1)):
            continue
        candidate = "/".join(parts[:i] + [m.group(1)] + parts[i + 1:])
        try:
            op.graph.get_operation_by_name(candidate)
        except (KeyError, ValueError):
            continue
        return candidate
    return None


def _source_spells(op: Any, literal: str) -> bool:
    try:
        frames = list(op.traceback)
    except Exception:
        return False
    quoted = (f'"{literal}"', f"'{literal}'")
    for frame in frames:
        if is_internal(frame.filename):
            continue
        text = _statement(frame.filename, frame.lineno)
        if any(q in text for q in quoted):
            return True
    return False


def _statement(filename: str, lineno: int, limit: int = 6) -> str:
    """The source line at ``lineno`` and, while its brackets are open, the next ones (a
    call split over lines: ``tf.Variable(x,\n name="w")``)."""
    import linecache

    lines = []
    depth = 0
    for number in range(lineno, lineno + limit):
        line = linecache.getline(filename, number)
        if not line:
            break
        lines.append(line)
        depth += sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")
        if depth <= 0:
            break
    return "".join(lines)


def ignored_name_scope(op: Any) -> str | None:
    """The ``tf.name_scope`` get_variable ignored when it created ``op``, if known."""
    evidence = _evidence.get(op.graph)
    if evidence is not None:
        if op.name in evidence.name_scopes or evidence.complete:
            return evidence.name_scopes.get(op.name)
    return _name_scope_from_source(op)


def _name_scope_from_source(op: Any) -> str | None:
    """For a graph built before tracing: the ``with tf.name_scope("x"):`` blocks around the
    user's line that called get_variable, read from the source file (literal names only;
    anything less certain gives no evidence)."""
    try:
        frames = list(op.traceback)
    except Exception:
        return None
    if not any(f.name == "get_variable" and is_internal(f.filename) for f in frames):
        return None
    user = next((f for f in reversed(frames) if not is_internal(f.filename)), None)
    if user is None:
        return None
    chain = _with_scopes(user.filename, user.lineno)
    if not chain or chain[-1][0] != "name_scope" or any(n is None for _, n in chain):
        return None
    return "/".join(name for _, name in chain)


_SCOPE_CALLS = {"name_scope": "name_scope", "variable_scope": "variable_scope"}
_with_cache: dict[str, Any] = {}


def _with_scopes(filename: str, lineno: int) -> list[tuple[str, str | None]]:
    """(kind, literal name or None) of the scope ``with`` blocks enclosing ``lineno``,
    outermost first, within the function that holds the line."""
    import ast

    tree = _with_cache.get(filename)
    if tree is None:
        try:
            with open(filename, encoding="utf-8") as f:
                tree = ast.parse(f.read(), filename)
        except (OSError, SyntaxError, ValueError):
            tree = False
        if len(_with_cache) < 64:
            _with_cache[filename] = tree
    if not tree:
        return []
    chain: list[tuple[str, str | None]] = []
    node: Any = tree
    while True:
        inner = None
        for child in ast.iter_child_nodes(node):
            start, end = getattr(child, "lineno", None), getattr(child, "end_lineno", None)
            if start is not None and end is not None and start <= lineno <= end:
                inner = child
                break
        if inner is None:
            return chain
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            chain = []  # scopes outside the function are not known to be active here
        elif isinstance(inner, (ast.With, ast.AsyncWith)) and lineno > inner.lineno:
            for item in inner.items:
                call = item.context_expr
                if not isinstance(call, ast.Call):
                    continue
                func = call.func
                attr = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if attr in _SCOPE_CALLS:
                    arg = call.args[0] if call.args else None
                    literal = arg.value if isinstance(arg, ast.Constant) and \
                        isinstance(arg.value, str) else None
                    chain.append((attr, literal))
        node = inner
