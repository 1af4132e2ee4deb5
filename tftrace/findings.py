"""Plain-words findings shared by the diagnostics rules and the recorder's exception notes.

Stdlib only: the recorder (inside the user's process, when a run fails) and the model (when
``tftrace check`` runs) word the same finding the same way, without either importing the
other. Matching a restore against a checkpoint's keys is :mod:`tftrace.ckptmatch`; writing
a shape is :mod:`tftrace.shapes`.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Mapping

LIST_LIMIT = 8
NEVER_INITIALIZED = "never initialized in this session"


def names(items: Iterable[str], limit: int = LIST_LIMIT) -> str:
    """``a, b, c`` or ``a, b, ... and 12 more``."""
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def describe_uninitialized(reasons: Mapping[str, str]) -> str:
    """``a (never initialized in this session), b (its restore at x.py:3 failed)``."""
    by_reason: dict[str, list[str]] = defaultdict(list)
    for name, reason in sorted(reasons.items()):
        by_reason[reason].append(name)
    return "; ".join(f"{names(vs)} ({reason})" for reason, vs in by_reason.items())


def uninitialized_hint(variables: list[str]) -> str:
    return ("Initialize or restore them in this session before the run: "
            "sess.run(tf.compat.v1.global_variables_initializer()) then restore, or only "
            "these: " + variables_initializer_code(variables))


def var_list_code(mapping: dict[str, str]) -> str:
    """Ready-to-paste Python: a Saver whose var_list maps checkpoint keys to variables."""
    entries = ", ".join(f"{key!r}: var({name!r})" for key, name in sorted(mapping.items()))
    return ("var = {v.op.name: v for v in tf.compat.v1.global_variables()}.__getitem__; "
            f"saver = tf.compat.v1.train.Saver(var_list={{{entries}}})")


def variables_initializer_code(variables: Iterable[str]) -> str:
    wanted = ", ".join(repr(v) for v in sorted(variables))
    return ("sess.run(tf.compat.v1.variables_initializer([v for v in "
            f"tf.compat.v1.global_variables() if v.op.name in {{{wanted}}}]))")
