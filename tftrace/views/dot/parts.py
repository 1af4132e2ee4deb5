"""The plain data a provenance diagram is made of — boxes, links, checkpoint tables —
and the options that choose it. No logic beyond a few derived labels: the stages
(:mod:`.select`, :mod:`.collapse`, :mod:`.links`, :mod:`.boxes`, :mod:`.checkpoints`)
produce these; :mod:`.source` writes them as DOT text.

Node ids are generated (``v1``, ``r2``, ``c3``...); names from the trace only ever appear
in labels, which the DOT writer escapes.
"""
from __future__ import annotations

from dataclasses import dataclass

from tftrace.errors import TftraceError
from tftrace.model.diagnostics import Diagnostic
from tftrace.model.events import run_span

#: ``--session all``: every session, each in its own box, joined by the checkpoints.
ALL_SESSIONS = "all"
#: Default ``--max-nodes``: more variables than this collapse into groups.
MAX_NODES = 60
RANKDIRS = ("LR", "TB")
UNUSED_SHOWN = 8  # unused checkpoint keys listed next to missing ones
#: Writes drawn per variable: earlier ones become one "N earlier writes" box (a variable
#: assigned from a feed in every run would otherwise bring one box per run).
WRITES_DRAWN = 6
FAILURES_DRAWN = 4      # failed attempts drawn per variable (the last ones)

# Link status: how a write relates to the value the variable holds at the end.
CURRENT = "current"          # the current origin
KEPT = "kept"                # an update after the current origin: part of the value
OVERWRITTEN = "overwritten"  # an earlier origin, replaced
DISCARDED = "discarded"      # updates made before an origin that replaced them
FAILED = "failed"            # a run that failed to write (or read) the variable
SAVED = "saved"              # the variable was saved to a checkpoint
FROM = "from"                # the value was computed from another variable
PROBE = "probe"              # a failed read that the program caught and then initialized


@dataclass(frozen=True)
class DiagramOptions:
    """What to draw. ``session``: a number, ``"all"``, or None for the last session."""

    session: int | str | None = None
    variables: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    problems: bool = False
    max_nodes: int = MAX_NODES
    rankdir: str = "LR"

    def __post_init__(self) -> None:
        if self.max_nodes < 1:
            raise TftraceError(f"--max-nodes must be at least 1, not {self.max_nodes}")
        if self.rankdir not in RANKDIRS:
            raise TftraceError(f"--rankdir must be LR or TB, not {self.rankdir!r}")
        if isinstance(self.session, str) and self.session != ALL_SESSIONS:
            raise TftraceError(f"--session takes a number or 'all', not {self.session!r}")


@dataclass(frozen=True)
class VariableBox:
    """A variable — or several that share scope and history, collapsed into one node."""

    id: str
    session: int
    names: tuple[str, ...]
    scope: str                 # the cluster it is drawn in ("" for none)
    dtype_shape: str           # "float32 [4, 2]"; "" when members differ
    origin_kind: str           # initializer | restore | assign | uninitialized | external
    origin: str                # "restore · run 1"
    updates: int               # update runs since the origin
    problems: tuple[Diagnostic, ...]
    details: tuple[str, ...]   # tooltip lines
    replaced: str = ""         # what the current origin threw away: "restore · run 1"
    non_finite: str | None = None  # "3 NaN" when the last value read holds NaN or Inf
    # A scope summary (variables that do not share a history, too many to draw): the
    # scope it stands for ("encoder", "" for the lump of the smallest scopes) and its
    # lines ("400 restored from ckpt/m", "12 initialized").
    summary_of: str | None = None
    summary: tuple[str, ...] = ()
    other_scopes: int = 0      # the lump: how many scopes it holds

    @property
    def collapsed(self) -> bool:
        return len(self.names) > 1

    @property
    def title(self) -> str:
        if self.summary_of is not None:
            if self.other_scopes:
                return (f"{self.other_scopes} more scopes — {len(self.names)} "
                        f"variable{'s' if len(self.names) != 1 else ''}")
            if not self.summary_of:
                return f"{len(self.names)} variables without a scope"
            return f"{self.summary_of}/ — {len(self.names)} variables"
        if not self.collapsed:
            return self.names[0]
        pattern = f"{self.scope}/*" if self.scope else "*"
        return f"{pattern} — {len(self.names)} variables"

    @property
    def severity(self) -> str | None:
        """The worst severity among warnings and errors naming it (info is not marked)."""
        worst = max((d.rank for d in self.problems if d.severity != "info"), default=None)
        return None if worst is None else ("info", "warning", "error")[worst]


@dataclass(frozen=True)
class RunBox:
    """A run that wrote without a checkpoint (initializer, assign, update streak), a
    failed run (``kind == "failed"``), or a caught probe read (``kind == "probe"``)."""

    id: str
    session: int
    kind: str
    run: int
    last_run: int
    count: int
    location: str | None
    fed: bool = False          # an assign of a fed value
    error: str | None = None   # the exception type of a failed run
    distinct: int = 1          # runs it stands for: several for scope summaries and for
                               # a variable's earlier writes (kind "earlier")
    process: str | None = None  # a merged trace: the process that ran it (its label)
    local: str | None = None    # ... and its run numbers there ("r2-9")

    @property
    def runs(self) -> str:
        return run_span(self.run, self.last_run)


def edge_limit(max_nodes: int) -> int:
    """The most edges a diagram of ``max_nodes`` variable boxes draws."""
    return 4 * max_nodes + 40


#: Which links ``--max-nodes``' edge cap keeps first (lowest first).
LINK_PRIORITY = {CURRENT: 0, FAILED: 1, KEPT: 2, SAVED: 3, FROM: 4, PROBE: 5,
                 OVERWRITTEN: 6, DISCARDED: 7}

#: RunBox kind of a variable's writes before the last WRITES_DRAWN.
EARLIER = "earlier"


@dataclass(frozen=True)
class KeyRow:
    """One row of a checkpoint box: a key (or a pattern for a collapsed group)."""

    port: str | None           # None: a key nothing in the picture uses
    text: str
    mark: str | None = None    # "missing", a shape mismatch, or "not used"


@dataclass(frozen=True)
class CheckpointBox:
    id: str
    path: str
    rows: tuple[KeyRow, ...]
    notes: tuple[str, ...] = ()
    error: str | None = None   # the trace could not read it
    first_use: tuple[int, int] | None = None  # (session, run) of the first restore drawn


@dataclass(frozen=True)
class Link:
    """An edge: a value (or an attempt at one) going from ``source`` to ``target``."""

    source: str
    target: str
    kind: str                  # initializer|restore|assign|update|read|save|value
    status: str                # CURRENT, KEPT, OVERWRITTEN, DISCARDED, FAILED, SAVED, FROM
    label: str = ""            # kind and run: shown, or only a tooltip (see ``quiet``)
    source_port: str | None = None
    target_port: str | None = None
    constraint: bool = True    # False: drawn, but not used to rank nodes (breaks cycles)
    # True when another edge from the same box shows the same label: a bundle of edges
    # (a restore of 15 variables) is labelled once; the others get it as a tooltip.
    quiet: bool = False
    session: int = 0           # of the variable end


@dataclass(frozen=True)
class SessionPart:
    number: int
    heading: str               # "session 2 · Session at x.py:71 · 3 runs"
    variables: tuple[VariableBox, ...]
    runs: tuple[RunBox, ...]
    shown: int                 # variables drawn (members of groups included)
    total: int                 # variables in the session's graph


@dataclass(frozen=True)
class Diagram:
    title: str
    subtitle: str
    sessions: tuple[SessionPart, ...]
    checkpoints: tuple[CheckpointBox, ...]
    links: tuple[Link, ...]
    findings: tuple[Diagnostic, ...]   # warnings and errors about what is shown
    info_findings: int
    notes: tuple[str, ...]
    rankdir: str = "LR"
    boxed_sessions: bool = False       # draw each session in its own cluster

    @property
    def variables(self) -> list[VariableBox]:
        return [v for part in self.sessions for v in part.variables]

    @property
    def runs(self) -> list[RunBox]:
        return [r for part in self.sessions for r in part.runs]

