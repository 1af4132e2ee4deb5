"""Stage 3 of a diagram — the variable boxes.

:func:`variable_box` takes a :class:`~tftrace.views.dot.collapse.Group` of variables
sharing one history and gives its :class:`~tftrace.views.dot.parts.VariableBox`: the
current origin, what it replaced, the updates since, the findings, a tooltip with the
whole timeline. :func:`summary_box` does the same for a scope summary (how many hold a
value from where). Pure; the links between boxes are :mod:`.links`.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence, TypeGuard

from tftrace.model.display import ORIGIN_WORDS, format_summary
from tftrace.model.events import FEED, Event
from tftrace.model.history import History
from tftrace.views.dot.checkpoints import Spellings
from tftrace.views.dot.collapse import Group
from tftrace.views.dot.links import event_label
from tftrace.views.dot.parts import VariableBox
from tftrace.views.dot.select import Facts, non_finite

__all__ = ["summary_box", "summary_paths", "variable_box"]


def variable_box(box: str, session: int, group: Group) -> VariableBox:
    """The box of one variable, or of several sharing scope and history."""
    members = group.members
    first = members[0]
    shapes = {f.dtype_shape for f in members}
    updates = first.history.updates_since_origin()
    kind = first.origin_kind
    event = first.history.origin()
    if event is not None:
        origin = f"{kind} · run {event.run}"
    else:  # "no value (uninitialized)", "external (from another process)"
        origin = f"{'no value' if kind == 'uninitialized' else kind} ({ORIGIN_WORDS[kind]})"
    return VariableBox(
        id=box, session=session, names=tuple(f.name for f in members),
        scope=group.scope, dtype_shape=shapes.pop() if len(shapes) == 1 else "",
        origin_kind=kind, origin=origin, updates=updates, problems=first.problems,
        details=_details(members, origin, updates), replaced=_replaced(first.history),
        non_finite=_group_non_finite(members))


def _details(members: Sequence[Facts], origin: str, updates: int) -> tuple[str, ...]:
    if len(members) > 1:
        return (f"{len(members)} variables:",) + _names_listed(members)
    facts = members[0]
    lines = [facts.name, facts.dtype_shape]
    if facts.record.location:
        lines.append(f"created at {facts.record.location}")
    lines.append(f"origin: {origin}" + (f", then {updates} updates" if updates else ""))
    value = facts.value
    if value is not None:
        lines.append(f"value: {format_summary(value)}")
    listed = facts.events[-40:]
    if len(facts.events) > len(listed):
        lines.append(f"  ... {len(facts.events) - len(listed)} earlier writes")
    for event in listed:
        where = f" at {event.location}" if event.location else ""
        source = (f" from {event.checkpoint} key {event.key}"
                  if event.checkpoint is not None else "")
        lines.append(f"  {event_label(event)}{where}{source}")
    lines += [f"{d.severity} {d.rule}: {d.message}" for d in facts.problems]
    return tuple(lines)


def _names_listed(members: Sequence[Facts]) -> tuple[str, ...]:
    more = (f"... and {len(members) - 20} more",) if len(members) > 20 else ()
    return tuple(f.name for f in members[:20]) + more


def summary_paths(groups: Iterable[Group]) -> list[str]:
    """The checkpoint paths the summary boxes among ``groups`` name."""
    out = []
    for group in groups:
        if group.summary:
            for m in group.members:
                event = m.history.origin()
                if event is not None and event.checkpoint is not None:
                    out.append(event.checkpoint)
    return out


def summary_box(box: str, session: int, group: Group, names: Spellings) -> VariableBox:
    """One box for a scope whose variables do not share a history: how many hold a
    value from where ("400 restored from ckpt/m", "12 initialized"), the findings."""
    members = group.members
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for m in members:
        event = m.history.origin()
        if event is None:
            counts[(m.origin_kind, "")] += 1
        elif event.checkpoint is not None:
            counts[(event.kind, names.short(event.checkpoint))] += 1
        else:
            counts[(event.kind, FEED if FEED in event.sources else "")] += 1
    lines = [_origin_count(kind, where, n) for (kind, where), n in
             sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    replaced: dict[str, int] = defaultdict(int)
    for m in members:
        before, _ = m.history.replaced()
        if _news(before):
            replaced[before.kind] += 1
    lines += [f"{n} of them replaced a{'n' if kind[0] in 'aeiou' else ''} {kind}"
              for kind, n in sorted(replaced.items())]
    trained = [m for m in members if m.history.updates_since_origin()]
    if trained:
        total = sum(m.history.updates_since_origin() for m in trained)
        lines.append(f"then updated: {len(trained)} ({total} update runs)")
    failed = sum(1 for m in members if m.failures)
    if failed:
        lines.append(f"{failed} with failed runs")
    by_kind: dict[str, int] = defaultdict(int)
    for (kind, _), n in counts.items():
        by_kind[kind] += n
    kind = max(by_kind, key=lambda k: (by_kind[k], k))
    problems = tuple({id(d): d for m in members for d in m.problems}.values())
    shapes = {m.dtype_shape for m in members}
    return VariableBox(
        id=box, session=session, names=tuple(m.name for m in members),
        scope=group.scope.rpartition("/")[0] if group.scope else "",
        dtype_shape=shapes.pop() if len(shapes) == 1 else "",
        origin_kind=kind, origin="; ".join(lines), updates=0, problems=problems,
        details=tuple(lines) + (f"{len(members)} variables:",) + _names_listed(members),
        non_finite=_group_non_finite(members), summary_of=group.scope,
        summary=tuple(lines), other_scopes=group.other_scopes)


# --- small helpers --------------------------------------------------------------------------



def _origin_count(kind: str, where: str, n: int) -> str:
    """``"400 restored from ckpt/m"``, ``"12 initialized"``, ``"3 assigned (fed)"``."""
    text = f"{n} {ORIGIN_WORDS.get(kind, kind)}"
    if where == FEED:
        return text + " (fed)"
    if where:
        via = " (by the initializer)" if kind == "initializer" else ""
        return f"{n} restored from {where}{via}"
    return text


def _group_non_finite(members: Sequence[Facts]) -> str | None:
    if len(members) == 1:
        return non_finite(members[0].value)
    bad = sum(1 for m in members if non_finite(m.value) is not None)
    return f"NaN or Inf in {bad} of {len(members)}" if bad else None


def _replaced(history: History) -> str:
    """What the current origin replaced, when that is news: a restore or an assign
    (``restore · run 1``) and the updates since (``3 updates``). An initializer replaced
    by a restore is the normal start of every fine-tuning run: not news."""
    before, updates = history.replaced()
    parts = []
    if _news(before):
        parts.append(f"{before.kind} · run {before.run}")
    if updates:
        parts.append(f"{updates} update{'s' if updates != 1 else ''}")
    return " + ".join(parts)


def _news(before: Event | None) -> TypeGuard[Event]:
    """Whether a write the origin replaced is worth saying: anything but an initializer
    that loaded no checkpoint."""
    return before is not None and (before.kind != "initializer"
                                   or before.checkpoint is not None)
