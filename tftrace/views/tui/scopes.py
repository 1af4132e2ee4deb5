"""Variables grouped by name scope (``dense/kernel`` lives in scope ``dense/``).

Built once per session in one pass over the names, without looking at any event: the tree
widget then creates its nodes only for the scopes a person opens, so a graph of 10 000
variables costs nothing until someone looks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

from tftrace.model.display import natural_key


@dataclass(eq=False)
class Scope:
    """One name scope: ``path`` is its full prefix (``"encoder/dense/"``; ``""`` for the
    top), ``scopes`` its sub-scopes by name, ``variables`` the full names of the variables
    directly in it, ``count`` the number of variables at any depth below it."""

    name: str
    path: str
    scopes: dict[str, "Scope"] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)
    count: int = 0

    def sorted_scopes(self) -> list["Scope"]:
        return [self.scopes[k] for k in sorted(self.scopes, key=natural_key)]

    def sorted_variables(self) -> list[str]:
        return sorted(self.variables, key=lambda name: natural_key(leaf_name(name)))

    def walk(self) -> Iterator["Scope"]:
        """This scope and every scope below it, depth first, sorted."""
        yield self
        for scope in self.sorted_scopes():
            yield from scope.walk()

    def all_variables(self) -> Iterator[str]:
        """Every variable below, in the order the tree shows them (scopes first)."""
        for scope in self.sorted_scopes():
            yield from scope.all_variables()
        yield from self.sorted_variables()

    def only_child(self) -> "Scope | None":
        """The single sub-scope when this scope holds nothing else (worth opening at once)."""
        if len(self.scopes) == 1 and not self.variables:
            return next(iter(self.scopes.values()))
        return None


def scope_parts(name: str) -> list[str]:
    """The scopes a variable name lies in: ``"a/b/c"`` → ``["a", "b"]``."""
    return name.split("/")[:-1]


def leaf_name(name: str) -> str:
    """What the tree shows for a variable: its last component (the full name when that is
    empty, as for a hand-edited ``"w/"``)."""
    return name.rsplit("/", 1)[-1] or name


def scope_paths(name: str) -> list[str]:
    """The paths of the scopes holding ``name``, outermost first: ``["a/", "a/b/"]``."""
    paths, prefix = [], ""
    for part in scope_parts(name):
        prefix += part + "/"
        paths.append(prefix)
    return paths


def build_scopes(names: Iterable[str]) -> Scope:
    """The scope tree of ``names``.

    >>> top = build_scopes(["dense/kernel", "dense/bias", "step"])
    >>> top.count, list(top.scopes), top.variables, top.scopes["dense"].count
    (3, ['dense'], ['step'], 2)
    """
    top = Scope(name="", path="")
    for name in names:
        scope = top
        scope.count += 1
        for part in scope_parts(name):
            child = scope.scopes.get(part)
            if child is None:
                child = scope.scopes[part] = Scope(name=part, path=scope.path + part + "/")
            scope = child
            scope.count += 1
        scope.variables.append(name)
    return top


def find_scope(top: Scope, path: str) -> Scope | None:
    """The scope whose path is ``path`` (``""`` is ``top``)."""
    scope = top
    for part in path.split("/")[:-1]:
        scope = scope.scopes.get(part)
        if scope is None:
            return None
    return scope
