"""Spelling candidates on SQLite: the stored vocabulary's words that begin, or end, with
the same two letters as a word, near its length, read by index (migration 9)."""

from __future__ import annotations

from bot.store.sqlite._papers import PaperTables

__all__ = ["Spelling"]

# The letters a candidate shares with the word at its start (or at its end). Two keep a
# range small at millions of words; a typo within the first two letters and within the
# last two as well is missed (a short word with two edits, rarely).
_SHARED = 2
_RANGE = (
    "SELECT term, docs FROM vocabulary WHERE {column} >= ? AND {column} < ?"
    " AND length(term) BETWEEN ? AND ? AND (docs > 1) = ?"
)


class Spelling(PaperTables):
    """The spelling part of ``SqliteStore`` (reads only)."""

    async def spelling_candidates(
        self, term: str, *, max_edits: int, common: bool
    ) -> dict[str, int]:
        low, high = len(term) - max_edits, len(term) + max_edits
        found: dict[str, int] = {}
        for column, key in (("term", term), ("rev", term[::-1])):
            start = key[:_SHARED]
            end = start[:-1] + chr(ord(start[-1]) + 1)  # just past every key with start
            sql = _RANGE.format(column=column)
            found.update(await self._rows(sql, (start, end, low, high, common)))
        return {word: docs for word, docs in found.items() if not word.isdigit()}
