"""Spelling candidates on PostgreSQL: the vocabulary's words that share trigrams with a
word (``pg_trgm``), instead of a scan of the whole vocabulary in memory."""

from __future__ import annotations

from bot.store.postgres._connections import Connections

__all__ = ["TRIGRAM_THRESHOLD", "Spelling"]

# The similarity (shared trigrams over all of both words') a candidate needs: low enough
# for one edit of a five-letter word ("lora" and "lola" share a quarter of theirs).
TRIGRAM_THRESHOLD = 0.2
# The most candidates one word gets, the most alike first.
_LIMIT = 500


class Spelling(Connections):
    """The spelling part of ``PostgresStore`` (reads only)."""

    async def spelling_candidates(
        self, term: str, *, max_edits: int, common: bool
    ) -> dict[str, int]:
        # The GIN trigram index finds the words over the threshold (the session's
        # pg_trgm.similarity_threshold, set when the pool connects); the rest is a filter.
        sql = (
            "SELECT term, docs FROM vocabulary WHERE term % $1"
            " AND length(term) BETWEEN $2 AND $3 AND (docs > 1) = $4"
            " ORDER BY similarity(term, $1) DESC, term LIMIT $5"
        )
        low, high = len(term) - max_edits, len(term) + max_edits
        rows = await self._rows(sql, (term, low, high, common, _LIMIT))
        return {word: docs for word, docs in rows if word != term and not word.isdigit()}
