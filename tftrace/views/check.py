"""Output of ``tftrace check``: findings grouped by severity (text) or PRODUCT §5 JSON.

Text is coloured with Rich when written to a terminal and plain when piped (or when
``NO_COLOR`` is set). Every string from the trace goes through
:func:`~tftrace.model.display.printable` and into Rich ``Text`` objects — never into markup —
so a variable named ``[bold]x`` or a path holding escape sequences is shown literally.
"""
from __future__ import annotations

import json
import os
from typing import IO, Iterable, Sequence

from tftrace.model.diagnostics import SEVERITIES, Diagnostic
from tftrace.model.display import printable

STYLES = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}
TITLES = {"error": "errors", "warning": "warnings", "info": "info"}


def check_json(diagnostics: Iterable[Diagnostic], incomplete: dict | None = None) -> str:
    """``{"diagnostics": [...]}``, plus ``"incomplete"`` (:attr:`Trace.incomplete`) when
    the trace was cut short or a session never closed; ``ensure_ascii`` keeps control
    characters escaped."""
    out: dict = {"diagnostics": [d.to_json() for d in diagnostics]}
    if incomplete is not None:
        out["incomplete"] = incomplete
    return json.dumps(out, indent=2)


def summary_line(diagnostics: list[Diagnostic]) -> str:
    counts = {s: sum(1 for d in diagnostics if d.severity == s) for s in SEVERITIES}
    parts = [f"{counts['error']} error{'s' if counts['error'] != 1 else ''}",
             f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}",
             f"{counts['info']} info"]
    return ", ".join(parts)


def trace_name(paths: str | Sequence[str]) -> str:
    """The short name every view gives a trace: a file's or a directory's name, the
    names of several (raw: escape it where it is shown). A string is a
    :attr:`Trace.path <tftrace.model.Trace.path>`: one path, or a merge's paths joined
    by ``", "``.

    >>> trace_name("examples/distributed/traces/wipe/"), trace_name(["a/w0.json", "w1.json"])
    ('wipe', 'w0.json, w1.json')
    """
    if isinstance(paths, str):
        paths = paths.split(", ")
    names = [os.path.basename(os.path.normpath(p)) or p for p in paths]
    if len(names) > 3:
        return f"{', '.join(names[:2])} and {len(names) - 2} more"
    return ", ".join(names)


def write_check_text(diagnostics: list[Diagnostic], label: str, out: IO[str],
                     color: bool | None = None, hidden: int = 0) -> None:
    """Write the text report to ``out`` (colour: auto-detected from ``out`` when None);
    ``label`` names the trace on the summary line (:func:`trace_name`); ``hidden``: how
    many findings ``--min-severity`` left out (said, never silently)."""
    from rich.console import Console
    from rich.text import Text

    if color is None:
        color = out.isatty() and "NO_COLOR" not in os.environ
    console = Console(file=out, force_terminal=color, no_color=not color, highlight=False,
                      soft_wrap=True, emoji=False, markup=False)
    name = printable(label)
    more = (f" ({hidden} lower-severity finding{'s' if hidden != 1 else ''} hidden by "
            f"--min-severity)" if hidden else "")
    if not diagnostics:
        text = f"{name}: no findings{more}" if hidden else f"{name}: no findings"
        console.print(Text(text, style="green" if color else ""))
        return
    for severity in reversed(SEVERITIES):
        group = [d for d in diagnostics if d.severity == severity]
        if not group:
            continue
        console.print(Text(f"{TITLES[severity].upper()} ({len(group)})",
                           style=STYLES[severity] + " underline"))
        for d in group:
            console.print(_finding(d, Text))
        console.print()
    console.print(Text(f"{name}: {summary_line(diagnostics)}{more}", style="bold"))


def process_label(process: dict) -> str:
    """``worker:1`` (or ``pid 42``, or the trace file's name when even the pid is unknown)
    from a PRODUCT §5 ``process`` object, printable."""
    if process.get("job") is not None:
        task = process.get("task")
        return printable(f"{process['job']}:{'?' if task is None else task}")
    if process.get("pid") is not None:
        return f"pid {process.get('pid')}"
    return printable(os.path.basename(process["trace"])) if process.get("trace") else "?"


def finding_where(d: Diagnostic, session: bool = True) -> list[str]:
    """Where a finding happened, for its header: ``session 2``, ``run 5``, the process
    (in a merged trace) and the call site, each printable; ``check`` and ``explain``
    both head a finding with it."""
    where = [f"session {d.session}"] if session and d.session else []  # 0: the merge
    if d.run is not None:
        where.append(f"run {d.run}")
    if d.process is not None:  # a merged trace: the process where it happened
        where.append(process_label(d.process))
    if d.location:
        where.append(printable(d.location))
    return where


def _finding(d: Diagnostic, text_cls: type) -> object:
    where = finding_where(d)
    head = text_cls()
    head.append(f"{d.severity:<8}", style=STYLES[d.severity])
    head.append(f"{d.rule}", style="bold")
    if where:
        head.append(f"  ({', '.join(where)})", style="dim")
    head.append("\n  " + printable(d.message))
    if d.variables:
        shown = ", ".join(printable(v) for v in d.variables[:12])
        more = f" and {len(d.variables) - 12} more" if len(d.variables) > 12 else ""
        head.append("\n  variables: ", style="dim")
        head.append(shown + more)
    if d.hint:
        head.append("\n  hint: ", style="green")
        head.append(printable(d.hint))
    return head
