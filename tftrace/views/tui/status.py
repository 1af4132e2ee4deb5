"""What the variable tree shows next to each name: origin badge, problem marker, updates.

Each status comes from the trace's public queries (the variable's own events) and is computed
only when its tree node is first shown; the problem markers come from the diagnostics,
which the app computes off the UI thread and hands over as :class:`Findings`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from tftrace.model import Trace, display
from tftrace.model.diagnostics import SEVERITY_RANK, Diagnostic
from tftrace.views.tui.scopes import scope_paths

#: origin → (badge, colour). The badge is four letters so names line up in the tree.
BADGES = {
    "restore": ("REST", "green"),
    "initializer": ("INIT", "dodger_blue1"),
    "assign": ("ASGN", "magenta"),
    "uninitialized": ("NONE", "yellow"),
}
#: origin → the word the help and the detail pane use (the same in every view).
ORIGIN_WORDS = display.ORIGIN_WORDS
#: Origins only remote sessions have: no write here, the value is on a server (another
#: process wrote it). Kept out of BADGES, which the help screen lists.
REMOTE_BADGES = {"external": ("EXTN", "cyan")}


def badge_of(origin: str) -> tuple[str, str]:
    """(badge, colour) of an origin kind."""
    return BADGES.get(origin) or REMOTE_BADGES[origin]


#: severity → (marker, colour).
MARKERS = {"error": ("✗", "bold red"), "warning": ("!", "bold yellow"),
           "info": ("i", "cyan")}


@dataclass(frozen=True)
class VariableStatus:
    """``origin`` is the kind of the last initializer/restore/assign (``"restore"`` too
    for an initializer that loads a checkpoint: ``init_from_checkpoint``), ``updates`` the
    update runs since, ``severity`` the worst finding naming the variable (or None)."""

    name: str
    session: int
    origin: str
    updates: int
    severity: str | None = None


class Findings:
    """The diagnostics of a trace, indexed for the tree: worst severity per variable of
    each session, and per scope. Compared by identity (a new object means new findings)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        self._worst: dict[tuple[int, str], str] = {}
        for d in self.diagnostics:
            for name in d.variables:
                key = (d.session, name)
                known = self._worst.get(key)
                if known is None or SEVERITY_RANK[d.severity] > SEVERITY_RANK[known]:
                    self._worst[key] = d.severity
        self._scopes: dict[int, dict[str, tuple[int, str]]] = {}

    def severity(self, session: int, name: str) -> str | None:
        return self._worst.get((session, name))

    def problems(self, session: int, min_severity: str = "info") -> list[str]:
        """Names of the variables of ``session`` that some finding names."""
        floor = SEVERITY_RANK[min_severity]
        return [name for (s, name), sev in self._worst.items()
                if s == session and SEVERITY_RANK[sev] >= floor]

    def in_session(self, session: int) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.session == session]

    def scope(self, session: int, path: str) -> tuple[int, str | None]:
        """How many variables below scope ``path`` of ``session`` have findings, and the
        worst severity among them (``(0, None)`` when nothing is wrong there)."""
        scopes = self._scopes.get(session)
        if scopes is None:  # one pass over the problem variables, on first use
            scopes = self._scopes[session] = {}
            for name in self.problems(session):
                sev = self._worst[(session, name)]
                for p in [""] + scope_paths(name):
                    count, worst = scopes.get(p, (0, sev))
                    if SEVERITY_RANK[sev] > SEVERITY_RANK[worst]:
                        worst = sev
                    scopes[p] = (count + 1, worst)
        count, worst = scopes.get(path, (0, None))
        return count, worst

    def counts(self, session: int | None = None) -> Counter[str]:
        """Number of findings per severity (in ``session``, or in all)."""
        return Counter(d.severity for d in self.diagnostics
                       if session is None or d.session == session)


def variable_status(trace: Trace, name: str, session: int,
                    findings: Findings | None) -> VariableStatus:
    """The status of ``name`` (a variable of ``session``'s graph): two index lookups."""
    found = trace.origin(name, session)
    kind = found.kind
    if kind == "initializer" and found.checkpoint is not None:
        kind = "restore"
    return VariableStatus(
        name=name, session=session, origin=kind,
        updates=trace.updates_since_origin(name, session),
        severity=None if findings is None else findings.severity(session, name))
