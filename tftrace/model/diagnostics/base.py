"""The diagnostic record and the rule registry.

A rule is a small pure function ``rule(trace) -> Iterable[Diagnostic]`` registered with
``@rule("slug")``. Rules read the model (a :class:`~tftrace.model.Trace`) and never the
file or TensorFlow; each family of rules lives in its own module of this package.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from tftrace.model.trace import Trace

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {name: i for i, name in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Site:
    """A call site that matters to a finding, with what happened there."""

    role: str  # e.g. "restored", "initializer", "saver created"
    location: str | None
    session: int | None = None
    run: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "location": self.location, "session": self.session,
                "run": self.run}


@dataclass(frozen=True)
class Diagnostic:
    """One finding. ``to_json()`` is the contract of PRODUCT §5 (plus ``sites``)."""

    rule: str
    severity: str
    variables: tuple[str, ...]
    message: str
    hint: str
    session: int
    run: int | None = None
    location: str | None = None
    sites: tuple[Site, ...] = field(default=())
    #: In a merged trace: the process where it happened and every process it involves
    #: (PRODUCT §5 ``process`` objects), set by :func:`tftrace.model.merge.locate`.
    process: dict[str, Any] | None = None
    processes: tuple[dict[str, Any], ...] | None = None

    def to_json(self) -> dict[str, Any]:
        d = {"rule": self.rule, "severity": self.severity,
             "variables": list(self.variables), "message": self.message,
             "hint": self.hint, "session": self.session, "run": self.run,
             "location": self.location, "sites": [s.to_json() for s in self.sites]}
        if self.processes is not None:
            d.update(process=self.process, processes=list(self.processes))
        return d

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def __repr__(self) -> str:
        names = ", ".join(self.variables[:3]) + (", ..." if len(self.variables) > 3 else "")
        return f"<Diagnostic {self.severity} {self.rule} [{names}] session {self.session}>"


#: A rule reads the model (never the file, never TensorFlow) and says what it found.
Rule = Callable[["Trace"], Iterable[Diagnostic]]
RULES: dict[str, Rule] = {}


def rule(slug: str) -> Callable[[Rule], Rule]:
    """Register a rule function under its stable slug."""

    def register(func: Rule) -> Rule:
        RULES[slug] = func
        func.slug = slug  # type: ignore[attr-defined]
        return func

    return register
