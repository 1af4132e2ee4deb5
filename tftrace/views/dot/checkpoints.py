"""Stage 4 of a diagram — the checkpoint tables.

While links are made (:mod:`.boxes`), each one to or from a checkpoint says which row it
uses as a :class:`KeyUse` and points at the placeholder ``checkpoint:<path>`` /
``row:<text>``. :func:`checkpoint_tables` takes those uses and the links that are drawn
and gives the :class:`~tftrace.views.dot.parts.CheckpointBox` es — numbered in path
order, one row per key used (a pattern for a collapsed group) with its mark, the keys
nobody used when some are missing, a note on the session that saved it — and the links
with the placeholders replaced by box ids and ports. Pure: it reads the trace's
checkpoint records and saves, and returns new values.
"""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

from tftrace.model import Trace
from tftrace.model.display import natural_key
from tftrace.tracefile import CheckpointRecord
from tftrace.views.dot.escape import shorten
from tftrace.views.dot.parts import UNUSED_SHOWN, CheckpointBox, KeyRow, Link

__all__ = ["KeyUse", "Spellings", "checkpoint_node", "checkpoint_tables", "key_pattern",
           "row_port", "spellings"]


@dataclass(frozen=True)
class KeyUse:
    """A link's row in a checkpoint: the keys it restores or saves (one, or a group's),
    the mark to show on the row, and — for a restore, done or failed — when it ran."""

    path: str                          # as the program spelt it
    keys: tuple[str | None, ...]
    mark: str | None = None
    restore: tuple[int, int] | None = None   # (session, run)

    @property
    def text(self) -> str:
        return key_pattern([k if k is not None else "(no key)" for k in self.keys])


def key_pattern(keys: list[str]) -> str:
    """One key as it is; several as their common scope: ``conv3/* (12 keys)``."""
    unique = sorted(set(keys))
    if len(unique) == 1:
        return unique[0]
    prefix = os.path.commonprefix(unique).rpartition("/")[0]
    return f"{prefix + '/' if prefix else ''}* ({len(unique)} keys)"


def checkpoint_node(path: str) -> str:
    """The placeholder id of a checkpoint (its normalized ``path``) in a link."""
    return f"checkpoint:{path}"


def row_port(use: KeyUse) -> str:
    """The placeholder port of ``use``'s row in a link."""
    return f"row:{use.text}"


@dataclass(frozen=True)
class Spellings:
    """How each checkpoint is shown: as the program wrote it (the shortest spelling when
    it used several), relative to its working directory when inside it
    (``ckpt/model.ckpt``, not ``/home/me/proj/ckpt/model.ckpt``); identified by the
    normalized path, so ``./ckpt/m`` and ``ckpt/m`` are one checkpoint."""

    shortest: dict[str, str]           # normalized path -> spelling
    cwd: str | None
    norm: Callable[[str | None], str | None]

    def display(self, path: str) -> str:
        """The shown path of ``path`` (normalized)."""
        shown = self.shortest[path]
        cwd = self.cwd
        if cwd and os.path.isabs(shown) and shown.startswith(cwd.rstrip("/") + "/"):
            return shown[len(cwd.rstrip("/")) + 1:]
        return shown

    def short(self, raw: str) -> str:
        """The shown path of ``raw``, cut to fit a box's line."""
        return shorten(self.display(self.norm(raw)), 48)


def spellings(trace: Trace, raws: Iterable[str],
              norm: Callable[[str | None], str | None]) -> Spellings:
    """The :class:`Spellings` of the checkpoint paths ``raws`` the diagram shows."""
    shortest: dict[str, str] = {}
    for raw in raws:
        path = norm(raw)
        known = shortest.get(path)
        if known is None or (len(raw), raw) < (len(known), known):
            shortest[path] = raw
    return Spellings(shortest, trace.header.cwd, norm)


def checkpoint_tables(trace: Trace, uses: Sequence[KeyUse], links: Sequence[Link],
                      names: Spellings, sessions: Sequence[int]
                      ) -> tuple[tuple[CheckpointBox, ...], tuple[Link, ...]]:
    """The checkpoint boxes the drawn ``links`` reach, rows from every use (the edge cap
    may have dropped some links, not what the checkpoint holds), and the links
    renamed to them."""
    norm = names.norm
    rows: dict[str, dict[str, str | None]] = defaultdict(dict)  # path → key text → mark
    drawn_keys: dict[str, set[str]] = defaultdict(set)
    first_use: dict[str, tuple[int, int]] = {}
    for use in uses:
        path = norm(use.path)
        drawn_keys[path].update(k for k in use.keys if k is not None)
        marks = rows[path]
        if marks.get(use.text) is None:  # the first mark given wins
            marks[use.text] = use.mark
        if use.restore is not None:
            first_use[path] = min(first_use.get(path, use.restore), use.restore)
    recorded = {norm(path): record for path, record in trace.checkpoints.items()}
    boxes, ids, ports = [], {}, {}
    linked = {end for link in links for end in (link.source, link.target)}
    paths = [p for p in sorted(rows, key=natural_key)
             if checkpoint_node(p) in linked]  # the edge cap may have dropped them all
    for n, path in enumerate(paths, 1):
        ids[checkpoint_node(path)] = f"c{n}"
        table = []
        for m, text in enumerate(sorted(rows[path], key=natural_key), 1):
            ports[(f"c{n}", f"row:{text}")] = f"k{m}"
            table.append(KeyRow(port=f"k{m}", text=text, mark=rows[path][text]))
        record = recorded.get(path)
        unused = _unused_keys(record, drawn_keys[path])
        missing = any(row.mark == "missing" for row in table)
        if missing:
            # Keys the restore wanted are missing: the ones nobody used are what the
            # var_list mapping would point at, so they are listed.
            table += [KeyRow(port=None, text=key, mark="not used")
                      for key in unused[:UNUSED_SHOWN]]
            if len(unused) > UNUSED_SHOWN:
                table.append(KeyRow(port=None, text=f"+ {len(unused) - UNUSED_SHOWN} "
                                                     "more keys", mark="not used"))
        notes = _saved_elsewhere(trace, path, first_use.get(path), sessions, norm)
        if unused and not missing:
            notes.append(f"+ {len(unused)} other key{'s' if len(unused) != 1 else ''}")
        boxes.append(CheckpointBox(id=f"c{n}", path=names.display(path), rows=tuple(table),
                                   first_use=first_use.get(path), notes=tuple(notes),
                                   error=record.error if record else None))
    return tuple(boxes), _label_once([_renamed(link, ids, ports) for link in links])


def _saved_elsewhere(trace: Trace, path: str, restore: tuple[int, int] | None,
                     sessions: Sequence[int], norm: Callable[[str | None], str | None]
                     ) -> list[str]:
    """``saved by session 1, run 9 at x.py:40`` when the last save before the first
    restore drawn was made by a session not drawn."""
    if restore is None:
        return []
    earlier = [s for s in trace.saves if s.path is not None
               and norm(s.path) == path and (s.session, s.run) < restore]
    if not earlier:
        return []
    save = max(earlier, key=lambda s: (s.session, s.run))
    if save.session in sessions:
        return []
    where = f" at {save.location}" if save.location else ""
    return [f"saved by session {save.session}, run {save.run}{where}"]


def _unused_keys(record: CheckpointRecord | None, drawn: set[str]) -> list[str]:
    if record is None:
        return []
    return sorted(set(record.keys) - drawn, key=natural_key)


def _label_once(links: list[Link]) -> tuple[Link, ...]:
    seen: set[tuple[str, str, int]] = set()
    out = []
    for link in links:
        # Saves bundle where they arrive (one checkpoint), the rest where they leave.
        bundle = (link.target if link.kind == "save" else link.source, link.label,
                  link.session)
        out.append(replace(link, quiet=bundle in seen) if link.label else link)
        seen.add(bundle)
    return tuple(out)


def _renamed(link: Link, ids: dict[str, str], ports: dict[tuple[str, str], str]) -> Link:
    source, target = ids.get(link.source, link.source), ids.get(link.target, link.target)
    return replace(link, source=source, target=target,
                   source_port=ports.get((source, link.source_port), link.source_port),
                   target_port=ports.get((target, link.target_port), link.target_port))
