"""Rules about variable names (bug 5 of PRODUCT §1).

- ``name-uniquified`` (warning): a requested name was taken, so TensorFlow appended ``_1``.
- ``get-variable-ignores-name-scope`` (info): ``get_variable`` inside ``tf.name_scope``.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterator

from tftrace.model.diagnostics.base import Diagnostic, Site, rule
from tftrace.findings import names, plural
from tftrace.model.diagnostics.common import is_optimizer_state

def _first_session(index: Any, graph: int) -> int | None:
    sessions = index.sessions_of_graph.get(graph)
    return sessions[0] if sessions else None


@rule("name-uniquified")
def name_uniquified(trace: Any) -> Iterator[Diagnostic]:
    """Decided from the recorder's construction-time evidence (``requested``: the name the
    user's code asked for), never from a ``_1`` suffix: ``Variable_1``, ``dense_1/`` and
    Adam's ``beta1_power_1`` are names nobody asked for."""
    index = trace.index
    for graph, variables in sorted(index.variables.items()):
        session = _first_session(index, graph)
        if session is None:
            continue
        # One diagnostic per line that asked for a taken name.
        found: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
        for name, record in sorted(variables.items()):
            if record.requested and record.requested != name and not is_optimizer_state(name):
                found[record.location].append((name, record.requested))
        for location, pairs in sorted(found.items(), key=lambda kv: kv[0] or ""):
            owners = {wanted: variables[wanted].location for _, wanted in pairs
                      if wanted in variables}
            same_line = bool(owners) and all(loc == location for loc in owners.values())
            detail = ", ".join(
                f"{got} (asked for {wanted}"
                + (f", taken by the variable created at {owners[wanted]}"
                   if wanted in owners and owners[wanted] != location else "")
                + ")" for got, wanted in pairs[:6])
            cause = ("the code ran twice and built a second copy" if same_line else
                     "two places asked for the same name and the second got a suffix")
            message = (f"{plural(len(pairs), 'variable')} created at {location} got a "
                       f"different name than requested because the name was taken: {detail}"
                       f"{' and more' if len(pairs) > 6 else ''}; {cause}, so checkpoint "
                       f"keys, summaries and lookups by name find the other variable")
            hint = ("Create the variables once and reuse them, e.g. "
                    "tf.compat.v1.get_variable inside tf.compat.v1.variable_scope(..., "
                    "reuse=tf.compat.v1.AUTO_REUSE) instead of tf.Variable(name=...)."
                    if same_line else
                    "Give each variable its own name (or build it once and reuse the "
                    "Python object).")
            sites = (Site("created", location),) + tuple(
                Site("name taken", loc) for loc in sorted({l for l in owners.values()
                                                           if l and l != location}))
            yield Diagnostic(
                rule="name-uniquified", severity="warning",
                variables=tuple(got for got, _ in pairs), message=message, hint=hint,
                session=session, location=location, sites=sites)


@rule("get-variable-ignores-name-scope")
def get_variable_ignores_name_scope(trace: Any) -> Iterator[Diagnostic]:
    """From where get_variable was *called* (``ignored_name_scope``, recorded at graph
    construction), never from which ops read the variable."""
    index = trace.index
    for graph, variables in sorted(index.variables.items()):
        session = _first_session(index, graph)
        if session is None:
            continue
        found = defaultdict(list)  # name scope -> [variable]
        for name, record in sorted(variables.items(), key=lambda kv: kv[1].index):
            scope = record.ignored_name_scope
            if scope and not name.startswith(scope + "/") and not is_optimizer_state(name):
                found[scope].append(name)
        for scope, vars_ in sorted(found.items()):
            location = variables[vars_[0]].location
            one = len(vars_) == 1
            scoped = [f"{scope}/{v}" for v in vars_]
            message = (f"{names(vars_)} {'was' if one else 'were'} created by "
                       f"tf.compat.v1.get_variable inside tf.name_scope {scope!r} (at "
                       f"{location}{'' if one else ' and after'}), which get_variable "
                       f"ignores: {'it is' if one else 'they are'} named {names(vars_, 3)}, "
                       f"not {names(scoped, 3)}, while the ops around "
                       f"{'it' if one else 'them'} are under {scope}/ — checkpoints and "
                       f"scope filters see the unscoped names")
            yield Diagnostic(
                rule="get-variable-ignores-name-scope", severity="info",
                variables=tuple(sorted(vars_)), message=message,
                hint="Use tf.compat.v1.variable_scope(...) (which get_variable honours) "
                     "instead of tf.name_scope(...).",
                session=session, location=location, sites=(Site("created", location),))
