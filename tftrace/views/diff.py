"""Output of ``tftrace diff``: PRODUCT §5 JSON, or one line per differing variable."""
from __future__ import annotations

import json
from typing import Any

from tftrace.model.compare import Side, VariableDiff
from tftrace.model.display import printable


def diff_json(a: Side, b: Side, changes: list[VariableDiff]) -> str:
    """``{"a", "b", "variables": [...]}``, most significant change first."""
    return json.dumps({"a": a.label, "b": b.label,
                       "variables": [c.to_json() for c in changes]}, indent=2)


def diff_text(a: Side, b: Side, changes: list[VariableDiff]) -> str:
    lines = [f"a: {printable(a.label)}", f"b: {printable(b.label)}", ""]
    if not changes:
        return "\n".join(lines + ["no differences in origins, update counts or values"])
    width = max(len(c.change) for c in changes)
    for c in changes:
        lines.append(f"{c.change.ljust(width)}  {printable(c.variable)}")
        for side, s in (("a", c.a), ("b", c.b)):
            lines.append(f"{' ' * width}    {side}: {_describe(s)}")
    lines += ["", f"{len(changes)} variable{'s' if len(changes) != 1 else ''} differ"]
    return "\n".join(lines)


def _describe(s: dict[str, Any] | None) -> str:
    if s is None:
        return "(no such variable)"
    o = s["origin"]
    text = o["kind"]
    if o["checkpoint"] is not None or o["key"] is not None:
        text += f" from {printable(o['checkpoint'])} key {printable(o['key'])}"
    if o["location"]:
        text += f" at {printable(o['location'])}"
    if o.get("process"):
        p = o["process"]
        text += f" by {printable(p.get('job'))}:{p.get('task')}" if p.get("job") else ""
    n = s["updates_since_origin"]
    text += f", then {n} update{'s' if n != 1 else ''}" if n else ""
    value = s["value"]
    if value is not None:
        shown = value.get("values", None)
        text += f"; value #{printable(value['digest'][:8])}"
        if "values" in value and not isinstance(shown, list):
            text += f" = {printable(str(shown))}"
    return text
