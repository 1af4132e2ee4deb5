"""Putting untrusted text into DOT safely.

Every string in a trace is untrusted (PRODUCT §3): a variable named ``x"];evil[label="pwn``
or ``<b>x</b>`` must stay a label. Two escapers, one per kind of DOT string:

- :func:`html_text` for HTML-like labels (``label=<...>``): XML-escaped — and backslashes
  doubled, because Graphviz expands ``\\N``, ``\\G``... even inside HTML labels
  (checked with dot 2.43: ``<x\\N>`` on node ``a`` shows ``xa``).
- :func:`quoted` for double-quoted strings (tooltips): backslashes and quotes escaped.

Both first pass the text through :func:`~tftrace.model.display.printable`, which spells
control and other invisible characters as escapes: newlines cannot break a line of DOT,
and Graphviz's XML parser, which rejects control characters, never sees one.

Both also bound the text: Graphviz rejects any HTML label or quoted string longer than
16 384 characters, so a 100 000-character name would make ``dot`` fail. Labels show at
most :data:`LABEL_CHARS` characters (the start and the end, elided in the middle) and
tooltips — where the whole name goes — at most :data:`TOOLTIP_CHARS`.
"""
from __future__ import annotations

import html
from typing import Any, Iterable

from tftrace.model.display import printable

LABEL_CHARS = 400
TOOLTIP_CHARS = 2000
_QUOTED_TOTAL = 12000  # a multi-line tooltip, all lines together (under Graphviz's 16 384)


def elide(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and end.

    >>> elide("encoder/" + "x" * 300 + "/kernel", 21)
    'encoder/xx…xxx/kernel'
    """
    if len(text) <= limit:
        return text
    keep = (limit - 1) // 2
    return text[:keep] + "…" + text[len(text) - keep:]


def html_text(text: Any) -> str:
    """``text`` as literal content of an HTML-like label.

    >>> html_text('x"];evil[label="pwn <b>\\\\N')
    'x&quot;];evil[label=&quot;pwn &lt;b&gt;\\\\\\\\N'
    """
    text = elide(printable(text), LABEL_CHARS)
    return html.escape(text, quote=True).replace("\\", "\\\\")


def quoted(text: Any) -> str:
    """``text`` as a DOT double-quoted string, shown literally.

    >>> print(quoted('a"b\\\\n'))
    "a\\"b\\\\n"
    """
    return '"' + _quoted_body(text) + '"'


def quoted_lines(lines: Iterable[Any]) -> str:
    """Several lines as one double-quoted string (a multi-line tooltip)."""
    body = "\\n".join(_quoted_body(line) for line in lines)
    if len(body) > _QUOTED_TOTAL:
        body = body[:_QUOTED_TOTAL].rstrip("\\") + "…"
    return '"' + body + '"'


def _quoted_body(text: Any) -> str:
    return elide(printable(text), TOOLTIP_CHARS).replace("\\", "\\\\").replace('"', '\\"')


def shorten(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping its end (a path's file name):
    ``.../pretrained/vgg16/model.ckpt``."""
    if len(text) <= limit:
        return text
    tail = text[-(limit - 3):]
    if "/" in tail[1:]:
        tail = tail[tail.index("/", 1):]
    return "..." + tail
