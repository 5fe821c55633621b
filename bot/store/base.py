"""The storage port: what the rest of paperbot may ask of a database, and nothing more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.models import Paper, UpsertCounts

__all__ = ["PaperStore", "TextQuery"]


@dataclass(frozen=True, slots=True)
class TextQuery:
    """A full-text query in backend-neutral form; every string is a folded token.

    ``groups`` are ANDed (ORed when ``match_any``, at least ``min_groups`` of them when
    that is set); the alternatives inside one group are ORed (a word and its spelling
    corrections). ``phrases`` must appear as adjacent
    tokens, ``authors`` as adjacent tokens in the author names, and no ``excluded`` token
    may appear. With ``prefix_last`` the last token of the last group also matches as a
    prefix (for a title typed half-way). ``columns`` restricts groups and phrases to
    ``title`` / ``abstract`` / ``authors``. The remaining fields filter on metadata.
    """

    groups: tuple[tuple[str, ...], ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    authors: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    min_upvotes: int | None = None
    prefix_last: bool = False
    match_any: bool = False
    # At least this many of ``groups`` must match (0: all of them, or one if match_any).
    min_groups: int = 0
    columns: tuple[str, ...] = ()

    @property
    def has_text(self) -> bool:
        return bool(self.groups or self.phrases or self.authors)


class PaperStore(Protocol):
    """Contract for a paper database.

    A store MUST:
    - key papers by bare arXiv id (``2510.06131``), whatever version was written;
    - on upsert keep the newest metadata (a higher version wins; the same version takes
      the newer non-empty values; an older version only fills blanks), never lower a
      known upvote count, and record each new upvote count with its time;
    - write each ``upsert_papers`` call atomically: all of it or none;
    - keep full-text search in step with the papers table;
    - return ``Paper`` objects equal to what was stored (round trip), dates aware UTC.

    A store MAY cache (for example the vocabulary) but MUST reflect its own writes.
    """

    async def upsert_papers(
        self, papers: Sequence[Paper], *, observed_at: dt.datetime
    ) -> UpsertCounts: ...

    async def get_paper(self, paper_id: str) -> Paper | None: ...

    async def get_papers(self, paper_ids: Sequence[str]) -> dict[str, Paper]: ...

    async def count_papers(self) -> int: ...

    async def all_papers(self) -> list[Paper]:
        """Every paper, oldest day first (for exports)."""
        ...

    async def latest_day(self, *, with_upvotes: bool = False) -> dt.date | None:
        """The newest ``day`` of any paper (of any upvoted one), or None when there is none."""
        ...

    async def papers_between(self, start: dt.date, end: dt.date) -> list[Paper]:
        """Papers whose ``day`` is in ``[start, end]`` (both inclusive)."""
        ...

    async def upvotes_before(self, paper_ids: Sequence[str], when: dt.datetime) -> dict[str, int]:
        """The last upvote count observed at or before ``when``, per paper that has one."""
        ...

    async def text_search(self, query: TextQuery, *, limit: int) -> list[tuple[str, float]]:
        """Ids of matching papers with a relevance score (higher is better), best first."""
        ...

    async def vocabulary(self) -> dict[str, int]:
        """Every indexed token with the number of papers containing it."""
        ...

    async def close(self) -> None: ...
