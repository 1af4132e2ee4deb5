"""Fuzzy matching of variable names for the search box (``/``).

Textual's own matcher explores every alignment of the query (exponential on names with
many repeated letters) and builds its highlight from markup; this one is linear in the
name and returns positions, which the view highlights on a plain ``Text``.
"""
from __future__ import annotations

from typing import Iterable

_SEPARATORS = "/_.-: "


def fuzzy_match(query: str, candidate: str) -> tuple[float, tuple[int, ...]] | None:
    """Score ``candidate`` against ``query`` (higher is better), with the matched positions;
    None when it does not match. Case-insensitive; space-separated words must all match.

    A word found as a substring scores best (more at the start of a name component, most
    in the last component); otherwise its letters must appear in order, scoring for
    letters that start a component or follow each other.

    >>> fuzzy_match("kern", "dense/kernel")[1]
    (6, 7, 8, 9)
    >>> fuzzy_match("dk", "dense/kernel")[1]
    (0, 6)
    >>> fuzzy_match("xyz", "dense/kernel") is None
    True
    """
    text = candidate.lower()
    total, positions = 0.0, set()
    for word in query.lower().split():
        found = _match_word(word, text)
        if found is None:
            return None
        score, where = found
        total += score
        positions.update(where)
    # Shorter names first among equal matches: "w" finds "w" before "dense/w_1".
    return total - len(candidate) / 1000, tuple(sorted(positions))


def _match_word(word: str, text: str) -> tuple[float, range | list[int]] | None:
    leaf_start = text.rfind("/") + 1
    if word in text:
        # Prefer an occurrence at the start of a component, then one in the last component.
        bonus, best = max((5 * _starts_component(text, i) + 3 * (i >= leaf_start), -i)
                          for i in _occurrences(text, word))
        start = -best
        whole_leaf = start == leaf_start and start + len(word) == len(text)
        return 10.0 * len(word) + bonus + 4 * whole_leaf, range(start, start + len(word))
    positions: list[int] = []
    start = 0
    for ch in word:
        i = text.find(ch, start)
        if i == -1:
            return None
        positions.append(i)
        start = i + 1
    score = 0.0
    for n, i in enumerate(positions):
        score += 1
        if _starts_component(text, i):
            score += 2
        if n and positions[n - 1] == i - 1:
            score += 1.5
    return score, positions


def _occurrences(text: str, word: str) -> Iterable[int]:
    i = text.find(word)
    while i != -1:
        yield i
        i = text.find(word, i + 1)


def _starts_component(text: str, i: int) -> bool:
    return i == 0 or text[i - 1] in _SEPARATORS


Match = tuple[str, tuple[int, ...]]  # a name and the positions of the matched letters


def search(query: str, names: Iterable[str], limit: int = 200) -> list[Match]:
    """The best ``limit`` matches of ``query`` among ``names``, best first (all names in
    order when the query is blank)."""
    if not query.strip():
        return [(name, ()) for name in sorted(names)[:limit]]
    scored = []
    for name in names:
        found = fuzzy_match(query, name)
        if found is not None:
            scored.append((-found[0], name, found[1]))
    scored.sort()
    return [(name, where) for _, name, where in scored[:limit]]
