"""Spelling candidates on SQLite: the words of the vocabulary in memory near a length."""

from __future__ import annotations

from collections.abc import Mapping

from bot.store.sqlite._papers import PaperTables

__all__ = ["Spelling"]


class Spelling(PaperTables):
    """The spelling part of ``SqliteStore`` (reads only)."""

    # The vocabulary last seen and its words by length, those of several papers and those
    # of one. Holding the vocabulary itself (not its id) means a new vocabulary after a
    # write can never be mistaken for the old one.
    _buckets: tuple[Mapping[str, int], dict[int, list[str]], dict[int, list[str]]] | None = None

    async def spelling_candidates(self, term: str, *, max_edits: int, common: bool) -> list[str]:
        vocabulary = await self.vocabulary()
        if self._buckets is None or self._buckets[0] is not vocabulary:
            several: dict[int, list[str]] = {}
            one: dict[int, list[str]] = {}
            for word, papers in vocabulary.items():
                if not word.isdigit():
                    (several if papers > 1 else one).setdefault(len(word), []).append(word)
            self._buckets = (vocabulary, several, one)
        by_length = self._buckets[1] if common else self._buckets[2]
        low, high = len(term) - max_edits, len(term) + max_edits
        return [word for n in range(low, high + 1) for word in by_length.get(n, ())]
