"""Rich ``Text`` for the TUI's tables and panes, built from the model (no Textual here).

Every string from the trace goes through :func:`~tftrace.model.display.printable` and into
a ``Text`` object — never into markup — so a variable named ``[bold]x`` shows literally and
a path holding terminal escapes cannot move the cursor. Functions here are pure and cheap
to test; the widgets only place their results.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from rich.text import Text

from tftrace.model import Trace
from tftrace.model.diagnostics import Diagnostic
from tftrace.model.display import (
    DIGEST_CHARS,
    event_source,
    format_number,
    format_shape,
    format_values,
    printable,
)
from tftrace.model.events import Event, Save, run_span
from tftrace.tracefile import RunRecord, StreakRecord, ValueSummary, VariableRecord
from tftrace.views.check import STYLES as SEVERITY_STYLES
from tftrace.views.tui.status import MARKERS, ORIGIN_WORDS, VariableStatus, badge_of

KIND_STYLES = {"initializer": "dodger_blue1", "restore": "green", "assign": "magenta",
               "update": "", "saved": "cyan", "failed": "bold red"}
#: At most this many rows in a variable's timeline: the first and the last ones are kept.
TIMELINE_LIMIT = 1000
TIMELINE_HEAD = 100
#: At most this many runs listed for a session (the first and the last ones).
RUNS_LIMIT = 2000
RUNS_HEAD = 200


def plain(text: object, style: str = "") -> Text:
    """Untrusted text as a literal, printable ``Text``."""
    return Text(printable(text), style=style, end="")


# --- the variable tree ------------------------------------------------------------------

def variable_label(leaf: str, status: VariableStatus) -> Text:
    """``INIT kernel ✗ +100``: origin badge, name, problem marker, updates since origin."""
    badge, colour = badge_of(status.origin)
    label = Text(end="")
    label.append(badge, style=f"bold {colour}")
    label.append(" ")
    label.append(printable(leaf))
    if status.severity is not None:
        marker, style = MARKERS[status.severity]
        label.append(" " + marker, style=style)
    if status.updates:
        label.append(f" +{status.updates}", style="dim")
    return label


def scope_label(name: str, count: int, problems: int, severity: str | None) -> Text:
    """``dense/ 2 ✗2``: scope name, variables below, problem variables below."""
    label = Text(end="")
    label.append(printable(name or "(empty)") + "/", style="bold")
    label.append(f" {count}", style="dim")
    if problems and severity is not None:
        marker, style = MARKERS[severity]
        label.append(f" {marker}{problems}", style=style)
    return label


# --- the variable's detail ---------------------------------------------------------------

def declaration_text(name: str, session: int, record: VariableRecord,
                     status: VariableStatus | None) -> Text:
    """The title lines: name, origin badge, declaration, session."""
    text = Text(end="")
    text.append(printable(name), style="bold")
    if status is not None:
        badge, colour = badge_of(status.origin)
        text.append("  ")
        text.append(f" {ORIGIN_WORDS[status.origin]} ", style=f"bold reverse {colour}")
    declared = f"{printable(record.dtype) or 'unknown dtype'} {format_shape(record.shape)}"
    text.append(f"\n{declared}", style="dim")
    if record.trainable is False:
        text.append(", not trainable", style="dim")
    if record.location:
        text.append(", created at ", style="dim")
        text.append(printable(record.location), style="dim underline")
    text.append(f", session {session}", style="dim")
    return text


@dataclass(frozen=True)
class TimelineRow:
    """One row of a variable's timeline: a write, a save, or a failed attempt to write."""

    kind: str
    session: int
    run: int
    runs: str
    count: int
    location: str | None
    source: str
    value: ValueSummary | None
    current: bool = True  # in the session the detail is about
    note: str = ""
    process: str = ""  # a merged trace: the process that wrote, and its own runs

    def cells(self, declared_shape: tuple[int | None, ...] | None) -> tuple[Text, ...]:
        """kind, session, run, value, where: two lines where there is more to say (the
        streak's count under its runs, NaN/Inf and the digest under the value, the
        source under the call site), so that everything fits 120 columns."""
        dim = "" if self.current else "dim"
        kind = Text(self.kind, style=KIND_STYLES.get(self.kind.split()[0], "") + " " + dim,
                    end="")
        value, nan, inf, digest = value_cells(self.value, declared_shape, VALUE_WIDTH)
        if self.note:
            value = plain(self.note, "red")
        else:
            second = Text(end="")
            if " mean " in value.plain:  # min/max above, mean below: a narrower column
                value, mean = value.divide([value.plain.index(" mean ")])
                second.append(mean.plain.strip() + " ")
            if value.cell_len > VALUE_WIDTH:  # 16 small values: `explain` shows them all
                value.truncate(VALUE_WIDTH - 1)
                value.append("…")
            for count, what in ((nan, "NaN"), (inf, "Inf")):
                if count.plain:
                    second.append(f"{count.plain} {what} ", style="bold red")
            second.append_text(digest if digest.plain != "-" else Text(""))
            if second.plain:
                value.append("\n")
                value.append_text(second)
        runs = Text(self.runs, style=dim, end="")
        if self.count != 1:
            runs.append(f"\n×{self.count}", style="dim")
        where = plain(short_location(self.location), dim)
        if self.source:
            where.append("\n")
            where.append(shorten_source(printable(self.source)), style="dim")
        cells = (kind, Text(str(self.session), style=dim, end=""), runs, value, where)
        if self.process:
            cells = cells[:2] + (plain(self.process, dim),) + cells[2:]
        return cells


TIMELINE_COLUMNS = ("kind", "s", "run", "value · digest", "call site · from")
VALUE_WIDTH = 22   # a value's first line
SOURCE_WIDTH = 32  # the checkpoint path keeps its end; `o` and `explain` show it whole


def shorten_source(source: str) -> str:
    """A long ``PATH key KEY`` cut to about SOURCE_WIDTH, keeping the key and the path's
    end: ``…/bert/model.ckpt key enc/w``; other sources are cut at twice that."""
    path, sep, key = source.rpartition(" key ")
    if not sep or len(source) <= SOURCE_WIDTH:
        return source if len(source) <= SOURCE_WIDTH * 2 else source[:SOURCE_WIDTH * 2] + "…"
    name = path.rsplit("/", 1)[-1]
    room = max(len(name) + 2, SOURCE_WIDTH - len(key) - 5)
    if len(path) > room:
        tail = path[-room:]
        path = "…" + (tail[tail.index("/"):] if "/" in tail[1:] else tail)
    return f"{path} key {key}"


def timeline_columns(rows: Iterable[TimelineRow]) -> tuple[str, ...]:
    """The timeline's header: with a process column only for a merged trace."""
    if any(row.process for row in rows):
        return TIMELINE_COLUMNS[:2] + ("process",) + TIMELINE_COLUMNS[2:]
    return TIMELINE_COLUMNS


def _process_of(trace: Trace, session: int, run: int, event: Event | None = None) -> str:
    """``worker:1 r2-4`` for a merged trace's run, ``""`` otherwise."""
    if event is not None and event.process is not None and event.local is not None:
        _, first, last = event.local
        return f"{event.process.label} r{run_span(first, last)}"
    found = trace.process_of(session, run)
    return "" if found is None else f"{found[0].label} r{found[2]}"


def short_location(location: str | None) -> str:
    """``examples/train.py:44`` → ``train.py:44`` (``o`` shows the full path)."""
    if not location:
        return "-"
    path, sep, line = location.rpartition(":")
    if not sep or not line.isdigit():
        return location.rsplit("/", 1)[-1]
    return f"{path.rsplit('/', 1)[-1]}:{line}"


def value_cells(value: ValueSummary | None, declared_shape: tuple[int | None, ...] | None,
                width: int | None = None) -> tuple[Text, Text, Text, Text]:
    """value (shape when it differs from the declaration, then the values or
    min/max/mean — the latter also when the values would not fit ``width``), NaN count,
    Inf count, digest."""
    if value is None:
        none = Text("-", style="dim", end="")
        return Text("(not read)", style="dim", end=""), none, none.copy(), none.copy()
    text = Text(end="")
    if declared_shape is not None and value.shape != declared_shape:
        text.append(format_shape(value.shape) + " ", style="bold red")
    values = format_values(value.values) if value.has_values else None
    if values is not None and (width is None or len(values) <= width or value.min is None):
        text.append(values)
    elif value.min is not None:
        text.append(f"min {format_number(value.min)} max {format_number(value.max)} "
                    f"mean {format_number(value.mean)}")
    else:
        text.append(printable(value.dtype), style="dim")
    nan = Text(str(value.nan) if value.nan else "", style="bold red", end="")
    inf = Text(str(value.inf) if value.inf else "", style="bold red", end="")
    digest = plain(value.digest[:DIGEST_CHARS], "dim")
    return text, nan, inf, digest


def timeline(trace: Trace, name: str, session: int) -> list[TimelineRow]:
    """The variable's writes in every session whose graph has it, with the saves that
    wrote it to a checkpoint and the runs that failed trying to write it, by run."""
    rows: list[tuple[tuple[int, int, int], TimelineRow]] = []
    for number in trace.session_numbers:
        if name not in trace.variables_of(number):
            continue
        current = number == session
        history = trace.variable_history(name, number)
        for e in history.events:
            rows.append(((number, e.run, 1), TimelineRow(
                kind=e.kind, session=number, run=e.run, runs=e.runs, count=e.count,
                location=e.location, source=event_source(e), value=e.value,
                current=current, process=_process_of(trace, number, e.run, e))))
        for run in history.failed:
            # What the run meant to write (the r screen has the whole error message).
            meant = next(w for w in run.writes if w.variable == name)
            rows.append(((number, run.run, 0), TimelineRow(
                kind=f"failed {meant.kind}", session=number, run=run.run, runs=str(run.run),
                count=1, location=run.location, current=current, note=run.error.type,
                process=_process_of(trace, number, run.run),
                source=event_source(Event(name, meant.kind, number, run.run,
                                          checkpoint=meant.checkpoint, key=meant.key,
                                          sources=meant.sources)), value=None)))
        saved: dict[int, tuple[Save, list[str]]] = {}  # id(save) -> it, its keys for name
        for save, key in trace.saves_of(name, number):
            saved.setdefault(id(save), (save, []))[1].append(key)
        rows += [((number, save.run, 2), TimelineRow(
            kind="saved", session=number, run=save.run, runs=str(save.run), count=1,
            location=save.location, source=f"→ {save.path} key {', '.join(keys)}",
            value=history.value_read_at(save.run), current=current,
            process=_process_of(trace, number, save.run))) for save, keys in saved.values()]
    rows.sort(key=lambda item: item[0])
    return [row for _, row in rows]


def column_widths(header: tuple[str, ...], rows: list[tuple[Text, ...]],
                  most: int = 60) -> list[int]:
    """Each column's width: its widest cell or header, at most ``most`` cells.

    Given to the DataTable up front: its own measuring happens when it is next idle,
    so a table filled just before a dialog opens would stay at its header widths.
    """
    widths = [len(label) for label in header]
    for row in rows:
        for i, cell in enumerate(row):
            longest = max((len(line) for line in cell.plain.split("\n")), default=0)
            widths[i] = max(widths[i], longest)
    return [min(width, most) for width in widths]


def row_height(row: tuple[Text, ...]) -> int:
    """Lines the row needs: its tallest cell."""
    return max((cell.plain.count("\n") + 1 for cell in row), default=1)


def clip(rows: list, limit: int, head: int) -> tuple[list, int]:
    """The first ``head`` and the last ``limit - head`` rows, and how many were left out."""
    if len(rows) <= limit:
        return rows, 0
    return rows[:head] + rows[len(rows) - (limit - head):], len(rows) - limit


# --- diagnostics --------------------------------------------------------------------------

def finding_head(d: Diagnostic) -> Text:
    """``✗ error restore-overwritten  session 2 · run 2 · a.py:73``"""
    marker, _ = MARKERS[d.severity]
    text = Text(end="")
    text.append(f"{marker} {d.severity:<7} ", style=SEVERITY_STYLES[d.severity])
    text.append(printable(d.rule), style="bold")
    where = [f"session {d.session}"]
    if d.run is not None:
        where.append(f"run {d.run}")
    if d.location:
        where.append(printable(d.location))
    text.append("  " + " · ".join(where), style="dim")
    return text


def finding_summary(d: Diagnostic, width: int = 0) -> Text:
    """Two lines for a list: the head, then the message (cut to ``width`` when given)."""
    text = finding_head(d)
    message = printable(d.message)
    if width and len(message) > width:
        message = message[:max(1, width - 1)] + "…"
    text.append("\n  " + message)
    return text


def finding_detail(d: Diagnostic) -> Text:
    """Everything about a finding: message, variables, hint, the call sites involved."""
    text = finding_head(d)
    text.append("\n\n" + printable(d.message))
    if d.variables:
        text.append("\n\nvariables: ", style="dim")
        text.append(", ".join(printable(v) for v in d.variables))
    if d.hint:
        text.append("\n\nhint: ", style="green")
        text.append(printable(d.hint))
    if d.sites:
        text.append("\n\nwhere:", style="dim")
        for site in d.sites:
            text.append(f"\n  {printable(site.role)}: ", style="dim")
            text.append(printable(site.location or "?"))
            if site.session is not None:
                run = f" run {site.run}" if site.run is not None else ""
                text.append(f"  (session {site.session}{run})", style="dim")
    return text


# --- sessions and runs --------------------------------------------------------------------

@dataclass(frozen=True)
class RunRow:
    """A run (or an update streak) of a session, with what it wrote."""

    run: int
    runs: str
    count: int
    location: str | None
    fetches: tuple[str, ...]
    writes: tuple[tuple[str, str], ...]  # (variable, kind)
    saved: str | None = None
    error: str | None = None
    checkpoints: tuple[str, ...] = field(default=())

    @property
    def variables(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.writes))

    def what(self) -> Text:
        """``restore 2 from ckpt/model`` / ``update 4`` / ``save → path`` / ``FAILED …``."""
        text = Text(end="")
        if self.error is not None:
            text.append("FAILED ", style="bold red")
            text.append(printable(self.error.split(":")[0]), style="red")
            return text
        kinds: dict[str, int] = {}
        for _, kind in self.writes:
            kinds[kind] = kinds.get(kind, 0) + 1
        for i, (kind, n) in enumerate(kinds.items()):
            if i:
                text.append(", ")
            text.append(f"{kind} {n}", style=KIND_STYLES.get(kind, ""))
        if self.checkpoints:
            text.append(" from " + ", ".join(printable(c) for c in self.checkpoints),
                        style="dim")
        if self.saved is not None:
            if kinds:
                text.append(", ")
            text.append("save → ", style="cyan")
            text.append(printable(self.saved))
        return text

    def cells(self) -> tuple[Text, ...]:
        names = self.variables
        wrote = ", ".join(printable(n) for n in names[:4])
        if len(names) > 4:
            wrote += f" +{len(names) - 4}"
        # The call site before what the run did: "did" can name long checkpoint paths.
        return (Text(self.runs, end=""),
                Text(f"×{self.count}" if self.count != 1 else "", style="dim", end=""),
                plain(short_location(self.location)), self.what(), Text(wrote, end=""),
                plain(", ".join(self.fetches), "dim"))


RUN_COLUMNS = ("run", "×", "call site", "did", "wrote", "fetches")


def run_rows(trace: Trace, session: int) -> list[RunRow]:
    """The recorded runs and update streaks of ``session``, in run order."""
    rows: list[RunRow] = []
    for run in trace.runs:
        if run.session == session:
            rows.append(_run_row(run))
    for streak in trace.streaks:
        if streak.session == session:
            rows.append(_streak_row(streak))
    rows.sort(key=lambda r: r.run)
    return rows


def _run_row(run: RunRecord) -> RunRow:
    checkpoints = tuple(dict.fromkeys(w.checkpoint for w in run.writes
                                      if w.checkpoint is not None))
    error = None if run.error is None else f"{run.error.type}: {run.error.message}"
    return RunRow(run=run.run, runs=str(run.run), count=1, location=run.location,
                  fetches=run.fetches, writes=tuple((w.variable, w.kind) for w in run.writes),
                  saved=None if run.save is None else (run.save.path or "?"), error=error,
                  checkpoints=checkpoints)


def _streak_row(streak: StreakRecord) -> RunRow:
    runs = run_span(streak.first_run, streak.last_run)
    return RunRow(run=streak.first_run, runs=runs, count=streak.count,
                  location=streak.location, fetches=streak.fetches,
                  writes=tuple((w.variable, w.kind) for w in streak.writes))


def run_detail(row: RunRow, session: int) -> Text:
    """Everything about one run: where, what it fetched, each write, the save, the error."""
    text = Text(end="")
    text.append(f"session {session} run {row.runs}", style="bold")
    if row.count != 1:
        text.append(f"  ({row.count} runs coalesced into one streak)", style="dim")
    text.append("\ncall site: ", style="dim")
    text.append(printable(row.location or "-"))
    if row.fetches:
        text.append("\nfetches: ", style="dim")
        text.append(", ".join(printable(f) for f in row.fetches))
    if row.error is not None:
        text.append("\nerror: ", style="bold red")
        text.append(printable(row.error))
    if row.saved is not None:
        text.append("\nsaved to: ", style="cyan")
        text.append(printable(row.saved))
    if row.writes:
        verb = "was going to write" if row.error is not None else "wrote"
        text.append(f"\n{verb} {len(row.variables)} variable(s):", style="dim")
        for name, kind in row.writes[:50]:
            text.append("\n  ")
            text.append(f"{kind:<12}", style=KIND_STYLES.get(kind, ""))
            text.append(printable(name))
        if len(row.writes) > 50:
            text.append(f"\n  … and {len(row.writes) - 50} more", style="dim")
    return text


def session_label(trace: Trace, number: int, counts: dict[str, int] | None) -> Text:
    """``session 2  Session  2 variables  3 runs  ✗1`` for lists of sessions."""
    info = trace.session(number)
    variables = len(trace.variables_of(number))
    text = Text(end="")
    text.append(f"session {number}", style="bold")
    text.append(f"  {printable(info.kind)}  graph {info.graph}", style="dim")
    text.append(f"\n  {variables} variable{'s' if variables != 1 else ''}, "
                f"{info.runs} run{'s' if info.runs != 1 else ''}")
    if not info.closed:
        text.append(", not closed", style="yellow")
    if counts:
        for severity in ("error", "warning", "info"):
            if counts.get(severity):
                marker, style = MARKERS[severity]
                text.append(f"  {marker}{counts[severity]}", style=style)
    if info.location:
        text.append("\n  at ", style="dim")
        text.append(printable(short_location(info.location)), style="dim")
    if info.members:  # a merged session: the processes whose sessions it joins
        text.append("\n  processes: ", style="dim")
        text.append(", ".join(f"{p.label} s{s}" for p, s in info.members))
    return text

