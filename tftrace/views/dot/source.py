"""The DOT text of a :class:`~tftrace.views.dot.parts.Diagram`.

Written as text, not with ``graphviz.Digraph``: the output is byte-for-byte deterministic
(everything comes out in the diagram's sorted order, nothing depends on dict or set
iteration or on the time), no Graphviz package is needed for ``.dot`` output, and every
piece of trace text goes through :mod:`tftrace.views.dot.escape` in one visible place.

The picture reads left to right (``rankdir=LR``): checkpoints and the runs that wrote are
the sources, variables sit in the middle clustered by scope, checkpoints saved to are on
the right. Colour says where a value came from; **bold** marks each variable's current
origin, grey dashes what was overwritten, red what failed and the variables findings name.
"""
from __future__ import annotations

import re
import textwrap
from typing import Iterator

from tftrace.model.display import natural_key
from tftrace.views.dot.parts import (
    CURRENT,
    DISCARDED,
    EARLIER,
    FAILED,
    FROM,
    KEPT,
    OVERWRITTEN,
    PROBE,
    SAVED,
    CheckpointBox,
    Diagram,
    Link,
    RunBox,
    SessionPart,
    VariableBox,
)
from tftrace.views.dot.escape import html_text, quoted, quoted_lines, shorten

FONT = "Helvetica,Arial,sans-serif"
KIND_COLORS = {"restore": "#2e7d32", "initializer": "#1565c0", "assign": "#6a1b9a",
               "update": "#00838f"}
FILLS = {"restore": "#e8f5e9", "initializer": "#e3f2fd", "assign": "#f3e5f5",
         "uninitialized": "#ffffff", "update": "#e0f7fa", "failed": "#ffebee",
         "probe": "#f5f5f5", "external": "#e0f2f1"}
# Legend samples of the box fills, a shade darker than the fills so they show.
SWATCHES = {"restore": "#a5d6a7", "initializer": "#90caf9", "assign": "#ce93d8",
            "uninitialized": "#e0e0e0", "external": "#80cbc4"}
SEVERITY_COLORS = {"error": "#c62828", "warning": "#e65100"}
SEVERITY_MARKS = {"error": "✗", "warning": "⚠"}
GREY, DARK_GREY, SAVE_COLOR, FAILED_COLOR = "#9e9e9e", "#616161", "#455a64", "#c62828"
CHECKPOINT_BORDER, CHECKPOINT_HEAD = "#8d6e63", "#ffe0b2"

FINDINGS_SHOWN = 8      # more go to "+ N more: tftrace check"
MESSAGE_WIDTH = 110     # characters per line of a finding in the title
MESSAGE_LINES = 8       # lines of a finding in the title, at most
MESSAGE_CHARS = 1500    # escaped characters of a finding in the title, at most
PATH_WIDTH = 56         # a checkpoint path longer than this keeps its end
BR = "<br align=\"left\"/>"


def dot_source(diagram: Diagram) -> str:
    """The whole DOT text, ending with a newline."""
    return "\n".join(_lines(diagram)) + "\n"


def _lines(d: Diagram) -> Iterator[str]:
    port_side = "e" if d.rankdir == "LR" else "s"
    yield "digraph tftrace {"
    yield (f"  graph [rankdir={d.rankdir}, fontname={quoted(FONT)}, labelloc=t, labeljust=l, "
           f"nodesep=0.18, ranksep=0.7, newrank=true, label=<{keep_spaces(_heading(d))}>];")
    yield (f"  node [fontname={quoted(FONT)}, fontsize=11, shape=box, style=\"rounded,filled\","
           f" margin=\"0.12,0.04\", color=\"{DARK_GREY}\", penwidth=1];")
    yield f"  edge [fontname={quoted(FONT)}, fontsize=9, arrowsize=0.7];"
    for box in d.checkpoints:
        yield f"  {_checkpoint(box)}"
    for part in d.sessions:
        yield from _session(d, part)
    for link in d.links:
        yield f"  {_link(link, port_side)}"
    yield "}"


# --- nodes ----------------------------------------------------------------------------------

def _session(d: Diagram, part: SessionPart) -> Iterator[str]:
    indent = "  "
    if d.boxed_sessions:
        yield f"  subgraph cluster_session{part.number} {{"
        heading = keep_spaces(html_text(part.heading))
        yield (f"    graph [label=<<b>{heading}</b>>, style=\"rounded\", "
               f"color=\"{DARK_GREY}\", fontsize=12, margin=12];")
        indent = "    "
    yield from _runs(part, indent)
    order = _source_order(d, part)
    if len(order) > 1:
        # The sources in run order, first on top (LR) or left (TB): time reads down the
        # column, so an initializer after a restore sits below it.
        yield f"{indent}{{ rank=same; {' -> '.join(order)} [style=invis]; }}"
    scopes: dict[str, list[VariableBox]] = {}
    for box in part.variables:
        scopes.setdefault(box.scope, []).append(box)
    for n, scope in enumerate(sorted(scopes, key=natural_key), 1):
        boxes = scopes[scope]
        if not scope:
            for box in boxes:
                yield f"{indent}{_variable(box)}"
            continue
        yield f"{indent}subgraph cluster_s{part.number}_{n} {{"
        label = keep_spaces(html_text(scope + '/'))
        yield (f"{indent}  graph [label=<{label}>, style=\"rounded,dashed\", "
               f"color=\"#bdbdbd\", fontcolor=\"{DARK_GREY}\", fontsize=10];")
        for box in boxes:
            yield f"{indent}  {_variable(box)}"
        yield f"{indent}}}"
    if d.boxed_sessions:
        yield "  }"


def _runs(part: SessionPart, indent: str) -> Iterator[str]:
    """The run boxes; in a merged trace, one cluster per process around its runs."""
    processes = sorted({run.process for run in part.runs if run.process is not None})
    for run in part.runs:
        if run.process is None:
            yield f"{indent}{_run(run)}"
    for n, process in enumerate(processes, 1):
        yield f"{indent}subgraph cluster_p{part.number}_{n} {{"
        yield (f"{indent}  graph [label=<<b>{html_text(process)}</b>>, style=\"rounded,filled\", "
               f"fillcolor=\"#fafafa\", color=\"{GREY}\", fontcolor=\"{DARK_GREY}\", "
               "fontsize=11];")
        for run in part.runs:
            if run.process == process:
                yield f"{indent}  {_run(run)}"
        yield f"{indent}}}"


def _source_order(d: Diagram, part: SessionPart) -> list[str]:
    items = [(run.run, run.id) for run in part.runs]
    if not d.boxed_sessions:  # checkpoints sit outside the session boxes
        items += [(box.first_use[1], box.id) for box in d.checkpoints
                  if box.first_use is not None and box.first_use[0] == part.number]
    return [node for _, node in sorted(items, key=lambda item: (item[0], item[1]))]


def _variable(box: VariableBox) -> str:
    rows = [f"<b>{html_text(box.title)}</b>"]
    if box.dtype_shape:
        rows.append(_small(html_text(box.dtype_shape), DARK_GREY))
    if box.summary_of is not None:
        rows += [_small(html_text(line)) for line in box.summary]
    else:
        origin = f"origin: {box.origin}"
        if box.updates:
            origin += f" + {box.updates} update{'s' if box.updates != 1 else ''}"
        rows.append(_small(html_text(origin)))
    if box.non_finite:
        rows.append(_small(f"<b>{html_text('value: ' + box.non_finite)}</b>", FAILED_COLOR))
    if box.replaced:
        rows.append(_small(f"<i>{html_text('replaced: ' + box.replaced)}</i>", DARK_GREY))
    for severity, rule in _problem_rules(box):
        named = ""
        if box.summary_of is not None:  # how many of the summarized variables it names
            names = set(box.names)
            count = len({n for d in box.problems if d.rule == rule for n in d.variables
                         if n in names})
            named = f" ({count})"
        rows.append(_small(f"<b>{SEVERITY_MARKS[severity]} {html_text(rule)}{named}</b>",
                           SEVERITY_COLORS[severity]))
    style = "rounded,filled" + (",dashed" if box.origin_kind == "uninitialized" else "")
    severity = box.severity
    border = (f"color=\"{SEVERITY_COLORS[severity]}\", penwidth=3"
              if severity in SEVERITY_COLORS else "")
    attrs = [f"label=<{keep_spaces(_table(rows))}>", f"fillcolor=\"{FILLS[box.origin_kind]}\"",
             f"style=\"{style}\"", f"tooltip={quoted_lines(box.details)}"]
    if border:
        attrs.append(border)
    return f"{box.id} [{', '.join(attrs)}];"


def _problem_rules(box: VariableBox) -> list[tuple[str, str]]:
    """(severity, rule) of the warnings and errors naming the box, most severe first."""
    seen: dict[tuple[str, str], None] = {}
    for d in sorted(box.problems, key=lambda d: (-d.rank, d.rule)):
        if d.severity in SEVERITY_COLORS:
            seen[(d.severity, d.rule)] = None
    return list(seen)


def _run(run: RunBox) -> str:
    where = f" · {run.location}" if run.location else ""
    if run.kind in ("failed", "probe"):
        head = f"run {run.run} failed" if run.kind == "failed" else f"probe · run {run.run}"
        rows = [f"<b>{head}</b>", html_text(run.error or "error")
                + (" (caught)" if run.kind == "probe" else "")]
        if run.location:
            rows.append(_small(html_text(run.location)))
        color = FAILED_COLOR if run.kind == "failed" else DARK_GREY
        return (f"{run.id} [label=<{keep_spaces(_table(rows))}>, "
                f"fillcolor=\"{FILLS[run.kind]}\", color=\"{color}\", fontcolor=\"{color}\", "
                "style=\"rounded,filled,dashed\"];")
    if run.kind == EARLIER:
        rows = [f"<b>{run.distinct} earlier writes</b>", _small(html_text(f"runs {run.runs}"))]
        return (f"{run.id} [label=<{keep_spaces(_table(rows))}>, fillcolor=\"#fafafa\", "
                f"color=\"{GREY}\", fontcolor=\"{DARK_GREY}\", "
                "style=\"rounded,filled,dashed\"];")
    if run.kind == "update":
        count = f" ×{run.count}" if run.count != 1 else ""
        head = f"<b>update{count}</b>"
        runs = f"runs {run.runs}" if run.last_run != run.run else f"run {run.run}"
    elif run.distinct > 1:
        head = f"<b>{html_text(run.kind)}</b>" + (" (fed values)" if run.fed else "")
        runs = f"{run.distinct} runs, {run.runs}"
    else:
        head = f"<b>{html_text(run.kind)}</b>" + (" (fed value)" if run.fed else "")
        runs = f"run {run.run}"
    if run.local is not None:  # a merged trace: the run numbers in the process's trace
        runs += f" ({run.process} {run.local})"
    rows = [head, _small(html_text(runs + where))]
    color = KIND_COLORS.get(run.kind, DARK_GREY)
    return (f"{run.id} [label=<{keep_spaces(_table(rows))}>, "
            f"fillcolor=\"{FILLS.get(run.kind, '#ffffff')}\","
            f" color=\"{color}\"];")


def _checkpoint(box: CheckpointBox) -> str:
    rows = [f"<tr><td align=\"left\" bgcolor=\"{CHECKPOINT_HEAD}\"><b>checkpoint</b> "
            f"{html_text(shorten(box.path, PATH_WIDTH))}</td></tr>"]
    if box.error:
        rows.append(_row(_small(html_text("could not be read: " + box.error), FAILED_COLOR)))
    for row in box.rows:
        text = html_text(row.text)
        if row.port is None:  # a key no variable in the picture uses
            text = _small(f"{text} — {html_text(row.mark or '')}", DARK_GREY, size=10)
        elif row.mark:
            text = (f"<font color=\"{FAILED_COLOR}\"><b>{text}</b> — "
                    f"{html_text(row.mark)}</font>")
        port = f" port=\"{row.port}\"" if row.port else ""
        rows.append(f"<tr><td align=\"left\"{port}>{text}</td></tr>")
    for note in box.notes:
        rows.append(_row(_small(html_text(note), DARK_GREY)))
    table = (f"<table border=\"1\" cellborder=\"0\" cellspacing=\"0\" cellpadding=\"3\" "
             f"color=\"{CHECKPOINT_BORDER}\" bgcolor=\"#fffdf7\">{''.join(rows)}</table>")
    return (f"{box.id} [shape=plain, style=\"\", label=<{keep_spaces(table)}>, "
            f"tooltip={quoted(box.path)}];")


# --- edges ----------------------------------------------------------------------------------

def _link(link: Link, side: str) -> str:
    source = f"{link.source}:{link.source_port}:{side}" if link.source_port else link.source
    target = (f"{link.target}:{link.target_port}:{_opposite(side)}" if link.target_port
              else link.target)
    attrs = _link_style(link)
    if link.label:
        attrs.append(f"{'tooltip' if link.quiet else 'label'}={quoted(link.label)}")
    if not link.constraint:
        attrs.append("constraint=false")
    return f"{source} -> {target} [{', '.join(attrs)}];"


def _opposite(side: str) -> str:
    return {"e": "w", "s": "n"}[side]


def _link_style(link: Link) -> list[str]:
    color = KIND_COLORS.get(link.kind, DARK_GREY)
    if link.status == CURRENT:
        return [f"color=\"{color}\"", f"fontcolor=\"{color}\"", "penwidth=2.8"]
    if link.status == KEPT:
        return [f"color=\"{color}\"", f"fontcolor=\"{color}\"", "penwidth=1.4"]
    if link.status in (OVERWRITTEN, DISCARDED):
        return [f"color=\"{GREY}\"", "fontcolor=\"#757575\"", "style=dashed", "penwidth=1.4"]
    if link.status == FAILED:
        return [f"color=\"{FAILED_COLOR}\"", f"fontcolor=\"{FAILED_COLOR}\"", "style=dashed",
                "arrowhead=tee", "penwidth=1.4"]
    if link.status == PROBE:
        return [f"color=\"{GREY}\"", "fontcolor=\"#757575\"", "style=dotted",
                "arrowhead=tee", "penwidth=1.2"]
    if link.status == SAVED:
        return [f"color=\"{SAVE_COLOR}\"", f"fontcolor=\"{SAVE_COLOR}\"", "penwidth=1"]
    if link.status == FROM:
        return [f"color=\"{KIND_COLORS['assign']}\"", "style=dotted", "penwidth=1.6",
                "arrowhead=empty"]
    raise ValueError(f"unknown link status {link.status!r}")


# --- title and legend -----------------------------------------------------------------------

def _heading(d: Diagram) -> str:
    """The graph's label: the title and findings, the legend on their right. (A legend
    node would be placed by dot wherever its ranks leave room, often first.)"""
    legend = _legend(d)
    cells = f"<td valign=\"top\" align=\"left\" balign=\"left\">{_title(d)}</td>"
    if legend:
        cells += (f"<td width=\"24\"></td>"
                  f"<td valign=\"top\" align=\"left\" balign=\"left\">{legend}</td>")
    return (f"<table border=\"0\" cellborder=\"0\" cellspacing=\"0\" cellpadding=\"0\">"
            f"<tr>{cells}</tr></table>")


def _title(d: Diagram) -> str:
    rows = [f"<font point-size=\"16\"><b>{html_text(d.title)}</b></font>",
            _small(html_text(d.subtitle), DARK_GREY, size=10)]
    for finding in d.findings[:FINDINGS_SHOWN]:
        color = SEVERITY_COLORS[finding.severity]
        where = f"session {finding.session}" + (
            f", run {finding.run}" if finding.run is not None else "")
        head = (f"<b>{SEVERITY_MARKS[finding.severity]} {finding.severity} "
                f"{html_text(finding.rule)}</b> ({html_text(where)}): ")
        body = BR.join(_message_lines(finding.message))
        rows.append(f"<font color=\"{color}\" point-size=\"11\">{head}{BR}{body}</font>")
    hidden = len(d.findings) - FINDINGS_SHOWN
    more = []
    if hidden > 0:
        more.append(f"{hidden} more warning{'s' if hidden != 1 else ''} or errors")
    if d.info_findings:
        more.append(f"{d.info_findings} info finding{'s' if d.info_findings != 1 else ''}")
    if more:
        rows.append(_small(html_text(f"+ {' and '.join(more)}: see tftrace check"),
                           DARK_GREY, size=10))
    for note in d.notes:
        rows.append(_small(f"<i>{html_text(note)}</i>", DARK_GREY, size=10))
    # One block of lines, not a table: table rows would be stretched to the legend's height.
    return "".join(row + BR for row in rows)


def _message_lines(message: str) -> list[str]:
    """A finding's message wrapped and escaped, cut (with "…") past MESSAGE_LINES lines or
    MESSAGE_CHARS characters: Graphviz rejects a label over 16 384 characters, and a
    100 000-character name must not make the whole diagram fail."""
    shown: list[str] = []
    size = 0
    for line in textwrap.wrap(message, MESSAGE_WIDTH) or [""]:
        escaped = html_text(line)
        if shown and (len(shown) == MESSAGE_LINES or size + len(escaped) > MESSAGE_CHARS):
            shown[-1] += " …"
            break
        shown.append(escaped)
        size += len(escaped)
    return shown


def _legend(d: Diagram) -> str:
    """The legend as lines of text: only what the picture uses. (Text, not a table: a
    table in the heading would be stretched to the title's height.)"""
    statuses = {(link.status, link.kind if link.status == CURRENT else "") for link in d.links}
    lines = []
    for kind in ("restore", "initializer", "assign"):
        if (CURRENT, kind) in statuses:
            lines.append(_line(KIND_COLORS[kind], "━━━", f"{kind}: the current origin"))
    if (KEPT, "") in statuses:
        lines.append(_line(KIND_COLORS["update"], "───", "update since the origin"))
    if any(s in statuses for s in ((OVERWRITTEN, ""), (DISCARDED, ""))):
        lines.append(_line(GREY, "╌╌╌", "overwritten or discarded: no longer in the value"))
    if (FAILED, "") in statuses:
        lines.append(_line(FAILED_COLOR, "╌╌┤", "failed run: the value never arrived"))
    if (PROBE, "") in statuses:
        lines.append(_line(GREY, "┈┈┤", "probe: a caught read of an uninitialized variable"))
    if (SAVED, "") in statuses:
        lines.append(_line(SAVE_COLOR, "───", "saved to a checkpoint"))
    if (FROM, "") in statuses:
        lines.append(_line(KIND_COLORS["assign"], "┈┈▷", "value computed from"))
    kinds = {v.origin_kind for v in d.variables}
    for kind, text in (("restore", "value restored from a checkpoint"),
                       ("initializer", "value from the initializer"),
                       ("assign", "value assigned"),
                       ("uninitialized", "dashed: no value (uninitialized)"),
                       ("external", "value written by another process (remote session)")):
        if kind in kinds:
            lines.append(_line(SWATCHES[kind], "███", text))
    severities = {v.severity for v in d.variables}
    for severity in ("error", "warning"):
        if severity in severities:
            lines.append(_line(SEVERITY_COLORS[severity], "▉▉▉",
                               f"{SEVERITY_MARKS[severity]} named by "
                               f"{'an' if severity == 'error' else 'a'} {severity}",
                               SEVERITY_COLORS[severity]))
    if not lines:
        return ""
    return "<b>legend</b>" + BR + "".join(line + BR for line in lines)


def _line(color: str, sample: str, text: str, text_color: str | None = None) -> str:
    return (f"<font color=\"{color}\" point-size=\"9\"><b>{sample}</b></font> "
            + _small(html_text(text), text_color))


# --- HTML-like label pieces -----------------------------------------------------------------

def keep_spaces(label: str) -> str:
    """An HTML-like label whose spaces survive SVG output.

    dot writes one SVG ``<text>`` per run of same-styled text, and SVG drops the spaces at
    the start and end of a ``<text>`` (``<b>checkpoint</b> ckpt/m`` read as
    ``checkpointckpt/m`` in browsers and in text copied out of the picture). A space next
    to a tag becomes a no-break space, which SVG keeps; PNG and PDF look the same.

    >>> keep_spaces('<b>checkpoint</b> ckpt/m <i>x y</i>')
    '<b>checkpoint</b>&#160;ckpt/m&#160;<i>x y</i>'
    """
    return _SPACE_AT_TAG.sub("&#160;", label)


_SPACE_AT_TAG = re.compile(r"(?<=>) | (?=<)")


def _table(rows: list[str]) -> str:
    cells = "".join(row if row.startswith("<tr>") else _row(row) for row in rows)
    return (f"<table border=\"0\" cellborder=\"0\" cellspacing=\"0\" cellpadding=\"1\">"
            f"{cells}</table>")


def _row(content: str) -> str:
    return f"<tr><td align=\"left\" balign=\"left\">{content}</td></tr>"


def _small(content: str, color: str | None = None, size: int = 9) -> str:
    colour = f" color=\"{color}\"" if color else ""
    return f"<font point-size=\"{size}\"{colour}>{content}</font>"
