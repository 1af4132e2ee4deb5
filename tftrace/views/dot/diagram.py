"""A provenance diagram as plain data (no DOT yet), built in stages.

:func:`build_diagram` runs them in order, each a function from immutable input to
immutable output, with nothing shared between them but their results:

1. :func:`~tftrace.views.dot.select.select` — the sessions and variables to draw (the
   filters, ``--problems``, the value sources pulled in) and the facts of each;
2. :func:`~tftrace.views.dot.collapse.collapse` — at most ``--max-nodes`` nodes: groups
   sharing scope and history, scope summaries;
3. :mod:`~tftrace.views.dot.links` and :mod:`~tftrace.views.dot.boxes` — the links (the
   current origin, what it overwrote, failures, saves) with the run boxes they leave
   from, and the variable boxes;
4. :func:`~tftrace.views.dot.checkpoints.checkpoint_tables` — the checkpoint boxes,
   their key rows and marks, from the rows the links use.

Then the edge cap (:func:`cap_links`) and the headings; :mod:`tftrace.views.dot.source`
turns the :class:`~tftrace.views.dot.parts.Diagram` into DOT text.
"""
from __future__ import annotations

from dataclasses import replace

from tftrace.model import Trace
from tftrace.model.display import natural_key
from tftrace.views.check import trace_name
from tftrace.views.dot.boxes import summary_box, summary_paths, variable_box
from tftrace.views.dot.checkpoints import checkpoint_tables, key_pattern, spellings
from tftrace.views.dot.collapse import Group, collapse
from tftrace.views.dot.links import link_context, link_session
from tftrace.views.dot.parts import (
    LINK_PRIORITY,
    Diagram,
    DiagramOptions,
    Link,
    SessionPart,
    edge_limit,
)
from tftrace.views.dot.select import normalizer, select, sessions_text

# key_pattern and natural_key stay importable from here, as before the split.
__all__ = ["Diagram", "DiagramOptions", "build_diagram", "cap_links", "key_pattern",
           "natural_key"]


def build_diagram(trace: Trace, options: DiagramOptions = DiagramOptions()) -> Diagram:
    """The diagram of ``trace`` (a :class:`~tftrace.model.Trace`) as ``options`` ask."""
    selection = select(trace, options)
    numbers = selection.numbers
    norm = normalizer(trace)
    context = link_context(trace, selection, norm)

    def note(session: int, text: str) -> str:
        # A line under the title; with several sessions drawn, it names its session.
        return f"session {session}: {text}" if len(numbers) > 1 else text

    notes: list[str] = []
    laid_out = []  # per session: (its selection, groups, box ids, links)
    boxes_so_far = runs_so_far = 0
    for part in selection.sessions:
        groups = collapse(part.facts, options.max_nodes, norm)
        notes += [note(part.number, text) for text in _collapse_notes(groups, options)]
        ids = [f"v{boxes_so_far + n}" for n in range(1, len(groups) + 1)]
        links = link_session(part.number, groups, ids, context, runs_so_far + 1)
        boxes_so_far += len(groups)
        runs_so_far += len(links.runs)
        if links.hidden_saves:
            notes.append(note(part.number, _hidden_saves_note(links.hidden_saves)))
        if len(part.facts) < part.total:
            notes.append(note(part.number, f"showing {len(part.facts)} of {part.total} "
                                           "variables"))
        laid_out.append((part, groups, ids, links))

    uses = [use for *_, links in laid_out for use in links.uses]
    names = spellings(trace, [use.path for use in uses]
                      + summary_paths(g for _, groups, _, _ in laid_out for g in groups), norm)
    parts = [SessionPart(
        number=part.number, heading=session_heading(trace, part.number),
        variables=tuple(summary_box(box, part.number, group, names) if group.summary
                        else variable_box(box, part.number, group)
                        for group, box in zip(groups, ids)),
        runs=links.runs, shown=len(part.facts), total=part.total)
        for part, groups, ids, links in laid_out]

    shown = selection.shown()
    findings = [d for d in selection.diagnostics if d.session in numbers
                and (not d.variables or any((d.session, n) in shown for n in d.variables))]
    if options.problems and not shown:
        notes.append("no variable has a warning or an error in " + sessions_text(numbers))
    all_links = [link for *_, links in laid_out for link in links.links]
    drawn, parts, capped = cap_links(all_links, parts, edge_limit(options.max_nodes)
                                     * len(numbers))
    notes += capped
    checkpoints, drawn = checkpoint_tables(trace, uses, drawn, names, numbers)
    return Diagram(
        title=title(trace, numbers), subtitle=subtitle(trace, numbers),
        sessions=tuple(parts), checkpoints=checkpoints, links=drawn,
        findings=tuple(d for d in findings if d.severity != "info"),
        info_findings=sum(1 for d in findings if d.severity == "info"),
        notes=tuple(notes), rankdir=options.rankdir, boxed_sessions=len(numbers) > 1)


def cap_links(links: list[Link], parts: list[SessionPart], limit: int
              ) -> tuple[list[Link], list[SessionPart], list[str]]:
    """At most ``limit`` links: the current origins and failures are kept first, what was
    overwritten goes first; run boxes left without an edge go. Gives the links kept, the
    parts without those run boxes, and the note saying so (none when nothing went)."""
    if len(links) <= limit:
        return links, parts, []
    ranked = sorted(range(len(links)), key=lambda i: (LINK_PRIORITY[links[i].status], i))
    keep = set(ranked[:limit])
    note = (f"{len(links) - limit} of {len(links)} edges are not drawn (at most {limit}; "
            "current origins and failures first)")
    kept = [link for i, link in enumerate(links) if i in keep]
    used = {link.source for link in kept} | {link.target for link in kept}
    return kept, [replace(p, runs=tuple(r for r in p.runs if r.id in used))
                  for p in parts], [note]


def _collapse_notes(groups: list[Group], options: DiagramOptions) -> list[str]:
    notes = []
    shared = [g for g in groups if len(g.members) > 1 and not g.summary]
    if shared:
        collapsed = sum(len(g.members) for g in shared)
        notes.append(
            f"{collapsed} variables that share scope and history are drawn as "
            f"{len(shared)} node{'s' if len(shared) != 1 else ''} (more than --max-nodes "
            f"{options.max_nodes}); --scope or --var shows them one by one")
    summaries = [g for g in groups if g.summary]
    if summaries:
        count = sum(len(g.members) for g in summaries)
        notes.append(
            f"{count} variables that do not share a history are summarized by scope in "
            f"{len(summaries)} box{'es' if len(summaries) != 1 else ''} (more than "
            f"--max-nodes {options.max_nodes}); --scope or --var shows them one by one")
    return notes


def _hidden_saves_note(hidden: tuple[tuple[int, str], ...]) -> str:
    runs = ", ".join(str(r) for r, _ in hidden[:6]) + (", ..." if len(hidden) > 6 else "")
    return (f"earlier saves (run{'s' if len(hidden) != 1 else ''} {runs}) are not drawn: "
            "only each variable's last save, saves a later restore reads and saves of "
            "NaN/Inf")


# --- headings -------------------------------------------------------------------------------

def title(trace: Trace, numbers: list[int]) -> str:
    script = trace.header.script or "(unknown script)"
    total = len(trace.session_numbers)
    if len(numbers) == 1:
        return f"{script} — session {numbers[0]} of {total}"
    return f"{script} — all {total} sessions"


def subtitle(trace: Trace, numbers: list[int]) -> str:
    parts = [f"trace {trace_name(trace.path)}"]
    if len(numbers) == 1:
        parts.append(session_heading(trace, numbers[0], with_number=False))
    if trace.truncated:
        parts.append("cut short (the program was killed?)")
    unclosed = [n for n in numbers if n in trace.unclosed_sessions]
    if unclosed:
        parts.append(f"session {', '.join(map(str, unclosed))} never closed "
                     "(killed?): counts are lower bounds")
    return " · ".join(parts)


def session_heading(trace: Trace, number: int, with_number: bool = True) -> str:
    info = trace.session(number)
    where = f" created at {info.location}" if info.location else ""
    text = f"{info.kind}{where} · {info.runs} run{'s' if info.runs != 1 else ''}"
    return f"session {number} · {text}" if with_number else text
