"""Escaping untrusted text for the terminal (stdlib only).

Every string from a trace, a checkpoint or a path is untrusted: a checkpoint key or a file
name can hold terminal escape sequences. The views, the recorder's exception notes and the
launcher's lines all print through :func:`printable`, so one rule applies everywhere — and
the recorder, which runs inside the user's program, does not import the model to use it.
"""
from __future__ import annotations

from typing import Any


def printable(text: Any) -> str:
    """``text`` with control and other invisible characters written as escapes.

    >>> printable("dense/kernel")
    'dense/kernel'
    >>> printable("x\\x1b[2Jy\\n")
    'x\\\\x1b[2Jy\\\\n'
    """
    text = str(text)
    if text.isprintable():
        return text
    # repr() spells each non-printable character as \\x.., \\n or \\u....; strip its quotes.
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
