"""Rules about variable names (bug 5 of PRODUCT §1).

- ``name-uniquified`` (warning): a requested name was taken, so TensorFlow appended ``_1``.
- ``get-variable-ignores-name-scope`` (info): ``get_variable`` inside ``tf.name_scope``.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterator

from tftrace.model.diagnostics.base import Diagnostic, Site, rule
from tftrace.findings import names, plural
from tftrace.model.diagnostics.common import is_optimizer_state

_SUFFIX = re.compile(r"^(.*)_(\d+)$")


def requested_name(name: str, existing: set[str]) -> str | None:
    """The name ``name`` was asked for, if a path part got a ``_N`` suffix because that
    name was taken: ``dense_1/kernel`` -> ``dense/kernel`` when that exists."""
    parts = name.split("/")
    for i, part in enumerate(parts):
        m = _SUFFIX.match(part)
        if m and m.group(1):
            candidate = "/".join(parts[:i] + [m.group(1)] + parts[i + 1:])
            if candidate in existing:
                return candidate
    return None


def _first_session(index: Any, graph: int) -> int | None:
    sessions = index.sessions_of_graph.get(graph)
    return sessions[0] if sessions else None


@rule("name-uniquified")
def name_uniquified(trace: Any) -> Iterator[Diagnostic]:
    index = trace.index
    for graph, variables in sorted(index.variables.items()):
        session = _first_session(index, graph)
        if session is None:
            continue
        existing = set(variables)
        # Grouped by creation site: one diagnostic per line of code that ran twice.
        found: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
        for name, record in sorted(variables.items()):
            if is_optimizer_state(name):
                continue  # Adam's slots are named x/Adam and x/Adam_1 on purpose
            wanted = requested_name(name, existing)
            # Same creation site as the variable that got the name: the same code ran
            # twice (a model function called again without reuse), not two layers that
            # happen to be called dense and dense_1.
            if wanted and record.location and variables[wanted].location == record.location:
                found[record.location].append((name, wanted))
        for location, pairs in sorted(found.items(), key=lambda kv: kv[0] or ""):
            detail = ", ".join(f"{got} (asked for {wanted})" for got, wanted in pairs[:6])
            message = (f"{plural(len(pairs), 'variable')} created at {location} got a "
                       f"different name than requested because the name was taken: {detail}"
                       f"{' and more' if len(pairs) > 6 else ''}; the code ran twice and "
                       f"built a second copy, which checkpoints saved from the first will "
                       f"not restore into")
            yield Diagnostic(
                rule="name-uniquified", severity="warning",
                variables=tuple(got for got, _ in pairs), message=message,
                hint="Create the variables once and reuse them, e.g. "
                     "tf.compat.v1.get_variable inside tf.compat.v1.variable_scope(..., "
                     "reuse=tf.compat.v1.AUTO_REUSE) instead of tf.Variable(name=...).",
                session=session, location=location, sites=(Site("created", location),))


@rule("get-variable-ignores-name-scope")
def get_variable_ignores_name_scope(trace: Any) -> Iterator[Diagnostic]:
    index = trace.index
    for graph, variables in sorted(index.variables.items()):
        session = _first_session(index, graph)
        if session is None:
            continue
        found = defaultdict(list)  # scope -> [variable]
        for name, record in sorted(variables.items()):
            scope = record.used_in
            if not scope or not record.trainable or name.startswith(scope + "/"):
                continue
            if name.rsplit("/", 1)[0] == scope.rsplit("/", 1)[0] and "/" in name:
                continue  # used in a sibling scope of its own: ordinary layer wiring
            found[scope].append(name)
        for scope, vars_ in sorted(found.items()):
            location = variables[vars_[0]].location
            message = (f"{names(vars_)} {'is' if len(vars_) == 1 else 'are'} used only inside "
                       f"name scope {scope}/ but {'is' if len(vars_) == 1 else 'are'} not "
                       f"named {scope}/...: tf.compat.v1.get_variable ignores tf.name_scope, "
                       f"so checkpoints and scope filters see the unscoped names")
            yield Diagnostic(
                rule="get-variable-ignores-name-scope", severity="info",
                variables=tuple(vars_), message=message,
                hint="Use tf.compat.v1.variable_scope(...) (which get_variable honours) "
                     "instead of tf.name_scope(...).",
                session=session, location=location, sites=(Site("created", location),))
