"""Stage 2 of a diagram — never more than ``--max-nodes`` variable nodes.

:func:`collapse` takes one session's :class:`~tftrace.views.dot.select.Facts` (in name
order) and ``max_nodes``; it gives the :class:`Group` each node stands for: one variable,
several that share scope and history (drawn like one), or a scope summary when even that
is too many. Pure: the facts are only read, the groups are new.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from tftrace.model.display import natural_key
from tftrace.views.dot.select import Facts

__all__ = ["Group", "collapse", "signature", "summarize_scopes"]

Normalize = Callable[[str | None], str | None]


@dataclass(frozen=True)
class Group:
    """The variables one node stands for: one variable, several sharing scope and history
    (drawn like one), or a scope summary (``summary``: histories differ)."""

    scope: str
    members: tuple[Facts, ...]
    summary: bool = False
    other_scopes: int = 0      # a summary lumping this many of the smallest scopes


def _same(path: str | None) -> str | None:
    return path


def signature(facts: Facts, norm: Normalize = _same) -> tuple:
    """What two variables must share to be drawn as one node: the same writes from the
    same runs and checkpoints (paths compared through ``norm``), the same failures, saves
    and findings."""
    return (
        tuple((e.kind, e.run, e.last_run, e.count, norm(e.checkpoint), e.sources)
              for e in facts.events),
        tuple((f.run.run, f.kind, norm(f.checkpoint)) for f in facts.failures),
        tuple((run, path) for run, path, _ in facts.saves),
        facts.initial_sources,
        tuple(id(d) for d in facts.problems),  # the same finding objects, cheaply
        facts.event_marks, facts.failure_marks, facts.save_marks,
    )


def collapse(facts: Sequence[Facts], max_nodes: int, norm: Normalize = _same) -> list[Group]:
    """The nodes to draw, never more than ``max_nodes``. Up to ``max_nodes`` variables
    each get a node; beyond that, variables with the same :func:`signature` collapse into
    one node per scope, and the scopes are cut shorter (``a/b/c`` → ``a/b`` → ``a`` →
    top) until the nodes fit. When even that is too many (the variables do not share a
    history), each scope becomes one summary node (see :func:`summarize_scopes`)."""
    if len(facts) <= max_nodes:
        return [Group(f.scope, (f,)) for f in facts]
    signatures = [signature(f, norm) for f in facts]
    depth = max(f.name.count("/") for f in facts)
    for level in range(depth, -1, -1):
        groups: dict[tuple[str, tuple], list[Facts]] = {}
        for f, sig in zip(facts, signatures):
            groups.setdefault((_cut(f.scope, level), sig), []).append(f)
        if len(groups) <= max_nodes:
            nodes = [Group(scope if len(members) > 1 else members[0].scope, tuple(members))
                     for (scope, _), members in groups.items()]
            return sorted(nodes, key=lambda node: natural_key(node.members[0].name))
    return summarize_scopes(facts, signatures, max_nodes)


def summarize_scopes(facts: Sequence[Facts], signatures: Sequence[tuple],
                     max_nodes: int) -> list[Group]:
    """At most ``max_nodes`` nodes for variables that do not share a history: the
    deepest scopes that fit, one node each (a scope whose variables do share one history
    is drawn as a plain collapsed node); when even the top-level scopes are too many, the
    largest get a node each and the rest one node together."""
    depth = max(f.name.count("/") for f in facts)
    scopes: dict[str, list[int]] = {}
    for level in range(max(depth, 1), 0, -1):
        scopes = {}
        for i, f in enumerate(facts):
            scopes.setdefault(_cut(f.scope, level), []).append(i)
        if len(scopes) <= max_nodes:
            break
    lump: list[int] = []
    lumped = 0
    if len(scopes) > max_nodes:
        by_size = sorted(scopes, key=lambda s: (-len(scopes[s]), natural_key(s)))
        for scope in by_size[max_nodes - 1:]:
            lump += scopes.pop(scope)
            lumped += 1
    nodes = []
    for scope, members in scopes.items():
        group = tuple(facts[i] for i in members)
        if len({signatures[i] for i in members}) == 1:
            nodes.append(Group(scope if len(members) > 1 else group[0].scope, group))
        else:
            nodes.append(Group(scope, group, summary=True))
    nodes.sort(key=lambda node: natural_key(node.members[0].name))
    if lump:
        nodes.append(Group("", tuple(facts[i] for i in sorted(lump)), summary=True,
                           other_scopes=lumped))
    return nodes


def _cut(scope: str, level: int) -> str:
    return "/".join(scope.split("/")[:level]) if scope else ""
