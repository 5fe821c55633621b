"""Spelling candidates on SQLite: the stored vocabulary's words that begin, or end, with
the same two letters as a word, near its length, read by index (migration 9)."""

from __future__ import annotations

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.store.sqlite._papers import PaperTables

__all__ = ["Spelling"]

# The letters a candidate shares with the word at its start (or at its end). Two keep a
# range small at millions of words; a typo within the first two letters and within the
# last two as well is missed (a short word with two edits, rarely).
_SHARED = 2
# Forwards, the table's own order holds each word's count; backwards, the index holds
# the words alone, and looking up the count of each of its thousands of words (to keep
# the common ones) took 15-30 ms at 1M papers (710,168 words): the words are measured
# first, and only those near enough are counted.
_FORWARDS = (
    "SELECT term, docs FROM vocabulary WHERE term >= ? AND term < ?"
    " AND length(term) BETWEEN ? AND ? AND (docs > 1) = ?"
)
_BACKWARDS = (
    "SELECT term FROM vocabulary WHERE rev >= ? AND rev < ? AND length(term) BETWEEN ? AND ?"
)


class Spelling(PaperTables):
    """The spelling part of ``SqliteStore`` (reads only)."""

    async def spelling_candidates(
        self, term: str, *, max_edits: int, common: bool
    ) -> dict[str, int]:
        low, high = len(term) - max_edits, len(term) + max_edits
        start, end = _prefix_range(term)
        found = dict(await self._rows(_FORWARDS, (start, end, low, high, common)))
        start, end = _prefix_range(term[::-1])
        backwards = [w for (w,) in await self._rows(_BACKWARDS, (start, end, low, high))]
        # The port allows leaving out words too far off to be a misspelling.
        near = process.extract(
            term, backwards, scorer=OSA.distance, score_cutoff=max_edits, limit=None
        )
        counts = await self.term_counts([w for w, _, _ in near if w not in found])
        found.update((w, n) for w, n in counts.items() if (n > 1) == common)
        return {word: docs for word, docs in found.items() if not word.isdigit()}


def _prefix_range(key: str) -> tuple[str, str]:
    """The keys that begin with the first letters of ``key``: from, and just past."""
    start = key[:_SHARED]
    return start, start[:-1] + chr(ord(start[-1]) + 1)
