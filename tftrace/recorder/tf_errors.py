"""What a failed run's TensorFlow error says, as plain data for its run record."""
from __future__ import annotations

import re

#: A run error's message is kept up to this many characters.
MESSAGE_LIMIT = 4000


def run_error_message(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error)
    return message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + " ..."


_UNINITIALIZED_PATTERNS = None


def uninitialized_names(error: BaseException) -> tuple[str, ...]:
    """Variables TensorFlow's FailedPreconditionError says were read uninitialized."""
    global _UNINITIALIZED_PATTERNS
    if type(error).__name__ != "FailedPreconditionError":
        return ()
    if _UNINITIALIZED_PATTERNS is None:
        _UNINITIALIZED_PATTERNS = [
            re.compile(r"uninitialized value ([^\s\[\]\"';,]+)"),
            re.compile(r"reading resource variable ([^\s\[\]\"';,]+) from Container"),
            re.compile(r"Could not find variable ([^\s\[\]\"';,]+?)\.?(?:\s|$)"),
        ]
    text = str(error)
    names = []
    for pattern in _UNINITIALIZED_PATTERNS:
        names.extend(m.group(1).rstrip(".") for m in pattern.finditer(text))
    return tuple(dict.fromkeys(names))
