"""Rules about variable names (bug 5 of PRODUCT §1).

- ``name-uniquified`` (warning): a requested name was taken, so TensorFlow appended ``_1``.
- ``get-variable-ignores-name-scope`` (info): ``get_variable`` inside ``tf.name_scope``.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterator

from tftrace.findings import names, plural
from tftrace.model.diagnostics.base import Diagnostic, Site, rule
from tftrace.model.diagnostics.common import is_optimizer_state

if TYPE_CHECKING:
    from tftrace.model.trace import Trace


def _first_session(trace: Trace, graph: int) -> int | None:
    sessions = trace.sessions_of_graph(graph)
    return sessions[0] if sessions else None


@rule("name-uniquified")
def name_uniquified(trace: Trace) -> Iterator[Diagnostic]:
    """Decided from the recorder's construction-time evidence (``requested``: the name the
    user's code asked for), never from a ``_1`` suffix: ``Variable_1``, ``dense_1/`` and
    Adam's ``beta1_power_1`` are names nobody asked for."""
    for graph, variables in sorted(trace.variables.items()):
        session = _first_session(trace, graph)
        if session is None:
            continue
        # (renamed variable, name asked for, its creation site, the taker's site), split
        # by cause: the same line ran twice, or two lines asked for one name.
        twice: list[tuple[str, str, Any, Any]] = []
        two_places: list[tuple[str, str, Any, Any]] = []
        for name, record in sorted(variables.items(), key=lambda kv: kv[1].index):
            wanted = record.requested
            if not wanted or wanted == name or is_optimizer_state(name):
                continue
            owner = variables[wanted].location if wanted in variables else None
            item = (name, wanted, record.location, owner)
            (twice if owner is None or owner == record.location else two_places).append(item)
        if twice:
            yield _uniquified(session, twice, "the code that created them ran twice and "
                              "built a second copy",
                              "Create the variables once and reuse them, e.g. "
                              "tf.compat.v1.get_variable inside tf.compat.v1.variable_scope"
                              "(..., reuse=tf.compat.v1.AUTO_REUSE) instead of "
                              "tf.Variable(name=...).")
        if two_places:
            yield _uniquified(session, two_places, "two places asked for the same name and "
                              "the later one got a suffix",
                              "Give each variable its own name (or build it once and reuse "
                              "the Python object).")


def _uniquified(session: int, items: list[tuple[str, str, Any, Any]], cause: str,
                hint: str) -> Diagnostic:
    def detail(got: str, wanted: str, location: Any, owner: Any) -> str:
        taken = f", taken by the variable created at {owner}" if owner and owner != location \
            else ""
        return f"{got} (asked for {wanted} at {location}{taken})"

    one = len(items) == 1
    message = (f"{plural(len(items), 'variable')} got a different name than requested "
               f"because the name{' was' if one else 's were'} taken: "
               f"{', '.join(detail(*item) for item in items[:6])}"
               f"{' and more' if len(items) > 6 else ''}; {cause}, so checkpoint keys, "
               f"summaries and lookups by name find the other variable")
    locations = list(dict.fromkeys(loc for _, _, loc, _ in items if loc))
    takers = list(dict.fromkeys(o for _, _, loc, o in items if o and o != loc))
    return Diagnostic(
        rule="name-uniquified", severity="warning",
        variables=tuple(sorted(got for got, _, _, _ in items)), message=message, hint=hint,
        session=session, location=locations[0] if locations else None,
        sites=tuple(Site("created", loc) for loc in locations[:3])
        + tuple(Site("name taken", loc) for loc in takers[:3]))


@rule("get-variable-ignores-name-scope")
def get_variable_ignores_name_scope(trace: Trace) -> Iterator[Diagnostic]:
    """From where get_variable was *called* (``ignored_name_scope``, recorded at graph
    construction), never from which ops read the variable."""
    for graph, variables in sorted(trace.variables.items()):
        session = _first_session(trace, graph)
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
