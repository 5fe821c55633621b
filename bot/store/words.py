"""The vocabulary as both backends keep it: what a write changes of it (how many more or
fewer papers hold each word), and the whole of it read back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.models import Paper

__all__ = ["vocabulary_change", "vocabulary_of"]


def vocabulary_of(rows: Iterable[Any]) -> dict[str, int]:
    """The vocabulary from its (term, docs) rows. A Python loop, for a worker thread:
    700,000 words at 1M papers, and a thread running Python code lets the event loop
    have the GIL every few milliseconds, where ``dict(rows)`` would hold it throughout."""
    return {term: docs for term, docs in rows}


def vocabulary_change(
    pairs: Sequence[tuple[Paper | None, Paper]], tokens: Callable[[Paper], set[str]]
) -> Counter[str]:
    """How many more (or fewer) papers hold each word once ``pairs`` (old, new) land;
    ``tokens`` gives a paper's words as its backend's index holds them."""
    change: Counter[str] = Counter()
    for old, new in pairs:
        before = tokens(old) if old else set()
        after = tokens(new)
        change.update(after - before)
        change.subtract(before - after)
    return change
