"""How a restore's variables match a checkpoint's keys (stdlib only).

Shared by the recorder's note on a failed restore, the ``checkpoint-*`` rules and
``tftrace inspect``: which keys are missing, which are unused, which shapes disagree, and
the closest unused key for each missing one. The words come from :mod:`tftrace.findings`.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Mapping

from tftrace.findings import names, plural, var_list_code
from tftrace.shapes import format_shape

__all__ = ["CheckpointMatch", "match_checkpoint"]


@dataclass
class CheckpointMatch:
    """How a set of variables (variable -> wanted key) matches a checkpoint's keys."""

    missing: dict[str, str] = field(default_factory=dict)  # variable -> key not found
    unused: list[str] = field(default_factory=list)  # checkpoint keys nothing wants
    mismatched: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # var -> (decl, ckpt)
    closest: dict[str, str] = field(default_factory=dict)  # variable -> best unused key
    wanted: dict[str, str] = field(default_factory=dict)

    def var_list(self) -> dict[str, str]:
        """checkpoint key -> variable, with the closest keys for the missing ones."""
        mapping = {key: var for var, key in self.wanted.items() if var not in self.missing}
        for var, key in self.closest.items():
            mapping[key] = var
        return mapping

    def missing_message(self, checkpoint: str,
                        renamed: Mapping[str, str] | None = None) -> str:
        """``renamed``: variable -> the name its code asked for, for variables TensorFlow
        uniquified (``w_1`` asked for ``w``): then the renaming is the cause, say so."""
        parts = [f"key {key!r} for {var}" for var, key in sorted(self.missing.items())]
        text = (f"{checkpoint} lacks {plural(len(self.missing), 'key')} the restore needs "
                f"(TensorFlow reports only the first): {names(parts)}")
        if self.unused:
            text += (f"; it has {plural(len(self.unused), 'key')} nothing uses: "
                     f"{names(self.unused)}")
        cause = self._renamed(renamed)
        if cause:
            pairs = [f"{var} asked for {asked}" for var, asked in sorted(cause.items())]
            text += (f"; the cause is the renaming name-uniquified reports: "
                     f"{plural(len(cause), 'variable')} got a _N suffix because "
                     f"{'its name was' if len(cause) == 1 else 'their names were'} taken "
                     f"({names(pairs, 4)}), so the Saver asks for keys the checkpoint never "
                     f"had")
        return text

    def _renamed(self, renamed: Mapping[str, str] | None) -> dict[str, str]:
        return {var: asked for var, asked in (renamed or {}).items()
                if var in self.missing and asked and asked != var}

    def missing_hint(self, shapes: Mapping[str, tuple[Any, str]],
                     renamed: Mapping[str, str] | None = None) -> str:
        cause = self._renamed(renamed)
        if cause:
            hint = ("The model was built twice: create its variables once and reuse them "
                    "(the name-uniquified warning names the line).")
            loadable = {asked: var for var, asked in sorted(cause.items()) if asked in shapes}
            if loadable:
                hint += (" If the second copy should load the same values, map the keys: "
                         + var_list_code(loadable))
            return hint
        if not self.closest:
            return ("The checkpoint was written by another model: restore a subset with "
                    "Saver(var_list=[...]) and initialize the rest.")
        pairs = [f"{var} <- {key} ({format_shape(shapes.get(key, (None, ''))[0])})"
                 for var, key in sorted(self.closest.items())]
        return (f"Closest checkpoint keys: {names(pairs, 5)}. Map them explicitly: "
                + var_list_code(self.var_list()))


def match_checkpoint(wanted: Mapping[str, str], keys: Mapping[str, tuple[Any, str]],
                     declared: Mapping[str, Any]) -> CheckpointMatch:
    """Compare ``wanted`` (variable -> key) with a checkpoint's ``keys`` (key -> (shape,
    dtype)) and the variables' ``declared`` shapes."""
    match = CheckpointMatch(wanted=dict(wanted))
    used = set()
    for var, key in sorted(wanted.items()):
        if key not in keys:
            match.missing[var] = key
            continue
        used.add(key)
        ckpt_shape, decl = keys[key][0], declared.get(var)
        if _known(decl) and ckpt_shape is not None and tuple(decl) != tuple(ckpt_shape):
            match.mismatched[var] = (decl, ckpt_shape)
    match.unused = sorted(k for k in keys if k not in used)
    free = list(match.unused)
    for var, key in sorted(match.missing.items()):
        best = _closest(key, declared.get(var), free, keys)
        if best is not None:
            match.closest[var] = best
            free.remove(best)
    return match


def _known(shape: Any) -> bool:
    return shape is not None and all(d is not None for d in shape)


def _closest(key: str, shape: Any, candidates: list[str],
             keys: Mapping[str, tuple[Any, str]]) -> str | None:
    """The candidate most like ``key`` by name, preferring the same shape."""
    best, best_score = None, 0.0
    for candidate in candidates:
        score = difflib.SequenceMatcher(None, key, candidate).ratio()
        if key.rsplit("/", 1)[-1] == candidate.rsplit("/", 1)[-1]:
            score += 0.3  # same last name part: kernel <-> kernel
        if score < 0.5:
            continue  # a shape that happens to match is no reason on its own
        cshape = keys[candidate][0]
        if _known(shape) and cshape is not None:
            score += 0.5 if tuple(shape) == tuple(cshape) else -0.5
        if score > best_score:
            best, best_score = candidate, score
    return best if best_score >= 0.6 else None
