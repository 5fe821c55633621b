"""PostgreSQL storage of papers: upserts with merging, upvote history, the vocabulary."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Collection, Sequence

from bot.errors import StoreError
from bot.models import Paper, UpsertCounts, merge
from bot.store.postgres._connections import DB_ERRORS, Connections
from bot.store.postgres._vectors import indexed_tokens, search_vectors
from bot.store.words import vocabulary_change, vocabulary_of

__all__ = ["PAPERS_LOCK", "PaperTables", "apply_vocabulary_change"]

log = logging.getLogger(__name__)

_COLUMNS = [
    "id",
    "version",
    "title",
    "abstract",
    "authors",
    "published_at",
    "day",
    "categories",
    "upvotes",
    "comments",
    "github_repo",
    "github_stars",
    "project_page",
    "ai_summary",
    "ai_keywords",
    "thumbnail",
    "source",
]
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM papers"
_WRITTEN = [*_COLUMNS, "first_seen", "updated_at", "doc", "titles"]
_UPSERT = (
    f"INSERT INTO papers AS p ({', '.join(_WRITTEN)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(_WRITTEN) + 1))}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _WRITTEN[1:] if c not in ("upvotes", "first_seen"))
    + ", upvotes = greatest(p.upvotes, excluded.upvotes)"
)
_HISTORY_UPSERT = (
    "INSERT INTO upvote_history AS h (paper_id, observed_at, upvotes) VALUES ($1, $2, $3) "
    "ON CONFLICT (paper_id, observed_at) DO UPDATE SET"
    " upvotes = greatest(h.upvotes, excluded.upvotes)"
)
_VOCABULARY_ADD = (
    "INSERT INTO vocabulary AS v (term, docs) SELECT * FROM unnest($1::text[], $2::int[])"
    " ON CONFLICT (term) DO UPDATE SET docs = v.docs + excluded.docs"
)
_VOCABULARY_PRUNE = "DELETE FROM vocabulary WHERE term = ANY($1::text[]) AND docs <= 0"
# Paper writes of every process take turns on this (key, schema): each merges what it
# read inside its transaction, and two merging one paper at once would lose one merge.
PAPERS_LOCK = "SELECT pg_advisory_xact_lock(7421, hashtext(current_schema()))"


def _row_to_paper(row: Sequence[object]) -> Paper:
    v = dict(zip(_COLUMNS, row, strict=True))
    return Paper(
        id=str(v["id"]),
        version=v["version"],  # type: ignore[arg-type]
        title=str(v["title"]),
        abstract=str(v["abstract"]),
        authors=tuple(v["authors"]),  # type: ignore[arg-type]
        published_at=v["published_at"],  # type: ignore[arg-type]
        day=v["day"],  # type: ignore[arg-type]
        categories=tuple(v["categories"]),  # type: ignore[arg-type]
        upvotes=v["upvotes"],  # type: ignore[arg-type]
        comments=v["comments"],  # type: ignore[arg-type]
        github_repo=v["github_repo"],  # type: ignore[arg-type]
        github_stars=v["github_stars"],  # type: ignore[arg-type]
        project_page=v["project_page"],  # type: ignore[arg-type]
        ai_summary=v["ai_summary"],  # type: ignore[arg-type]
        ai_keywords=tuple(v["ai_keywords"]),  # type: ignore[arg-type]
        thumbnail=v["thumbnail"],  # type: ignore[arg-type]
        source=str(v["source"]),
    )


def _paper_to_row(p: Paper, when: dt.datetime) -> tuple[object, ...]:
    doc, titles = search_vectors(p)
    return (
        p.id,
        p.version,
        p.title,
        p.abstract,
        list(p.authors),
        p.published_at.astimezone(dt.UTC) if p.published_at else None,
        p.day,
        list(p.categories),
        p.upvotes,
        p.comments,
        p.github_repo,
        p.github_stars,
        p.project_page,
        p.ai_summary,
        list(p.ai_keywords),
        p.thumbnail,
        p.source,
        when,
        when,
        doc,
        titles,
    )


async def apply_vocabulary_change(store: Connections, change: Counter[str]) -> None:
    """Count ``change`` (papers more or fewer per token) into the vocabulary table, inside
    the caller's transaction."""
    terms = sorted(t for t, n in change.items() if n)
    if terms:
        await store._write(_VOCABULARY_ADD, (terms, [change[t] for t in terms]))
        gone = [t for t in terms if change[t] < 0]
        if gone:
            await store._write(_VOCABULARY_PRUNE, (gone,))


class PaperTables(Connections):
    """The papers part of ``PostgresStore``, and the caches that follow its commits."""

    # Both change only when papers are written, so they are kept until a commit does.
    _count: int | None = None

    async def upsert_papers(
        self, papers: Sequence[Paper], *, observed_at: dt.datetime
    ) -> UpsertCounts:
        return await self.upsert_observed([(observed_at, papers)])

    async def upsert_observed(
        self, groups: Sequence[tuple[dt.datetime, Sequence[Paper]]]
    ) -> UpsertCounts:
        # Counted per group, as that many upsert_papers calls would count them.
        new = updated = unchanged = 0
        ids = list(dict.fromkeys(p.id for _, papers in groups for p in papers))
        async with self.transaction():
            try:
                await self._write(PAPERS_LOCK)
            except DB_ERRORS as exc:
                raise StoreError(f"could not save papers: {exc}") from exc
            # The papers as they stand (read under the lock, so no other writer can change
            # them before the merge lands) and after each group.
            state: dict[str, Paper] = await self.get_papers(ids)
            rows: list[tuple[object, ...]] = []
            history: list[tuple[object, ...]] = []
            pairs: list[tuple[Paper | None, Paper]] = []
            for observed_at, papers in groups:
                # The last record of a paper in a group wins, after merging with earlier ones.
                incoming: dict[str, Paper] = {}
                for p in papers:
                    incoming[p.id] = merge(incoming[p.id], p) if p.id in incoming else p
                now = observed_at.astimezone(dt.UTC)
                for pid, paper in incoming.items():
                    old = state.get(pid)
                    merged = merge(old, paper) if old else paper
                    if old is None:
                        new += 1
                    elif merged == old:
                        unchanged += 1
                    else:
                        updated += 1
                    if merged != old:
                        rows.append(_paper_to_row(merged, now))
                        pairs.append((old, merged))
                        state[pid] = merged
                    if merged.upvotes is not None and (
                        old is None or old.upvotes != merged.upvotes
                    ):
                        history.append((pid, now, merged.upvotes))
            change = vocabulary_change(pairs, indexed_tokens)
            if rows or history:
                await self._save(rows, history, change)
            if rows:
                self._after_commit(self._forget_caches)
        return UpsertCounts(new=new, updated=updated, unchanged=unchanged)

    async def _save(
        self,
        rows: Sequence[Sequence[object]],
        history: Sequence[Sequence[object]],
        change: Counter[str],
    ) -> None:
        """Write merged rows, upvote history and the vocabulary's change inside the
        caller's transaction."""
        try:
            # One by one, in the order of the ids: two writers never wait on each other
            # in opposite orders (the lock above makes that doubly sure).
            await self._write_many(_UPSERT, sorted(rows, key=lambda r: str(r[0])))
            await self._write_many(_HISTORY_UPSERT, history)
            await apply_vocabulary_change(self, change)
        except DB_ERRORS as exc:
            raise StoreError(f"could not save {len(rows)} papers: {exc}") from exc

    def _forget_caches(self) -> None:
        self._count = None

    async def get_paper(self, paper_id: str) -> Paper | None:
        return (await self.get_papers([paper_id])).get(paper_id)

    async def get_papers(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        ids = list(dict.fromkeys(paper_ids))
        if not ids:
            return {}
        rows = await self._rows(f"{_SELECT} WHERE id = ANY($1::text[])", (ids,))
        return {paper.id: paper for paper in map(_row_to_paper, rows)}

    async def count_papers(self) -> int:
        if self._owns_transaction():
            # Its own uncommitted papers count for this task, not for the cache.
            return await self._count_now()
        if self._count is None:
            generation = self._generation
            count = await self._count_now()
            if not self._cacheable(generation):
                return count
            self._count = count
        return self._count

    async def _count_now(self) -> int:
        row = await self._row("SELECT count(*) FROM papers")
        return int(row[0]) if row else 0

    async def all_papers(self) -> list[Paper]:
        rows = await self._rows(f"{_SELECT} ORDER BY day NULLS FIRST, id")
        return [_row_to_paper(row) for row in rows]

    async def latest_day(self, *, with_upvotes: bool = False) -> dt.date | None:
        where = " WHERE upvotes IS NOT NULL" if with_upvotes else ""
        row = await self._row(f"SELECT max(day) FROM papers{where}")
        return row[0] if row and row[0] else None

    async def papers_between(self, start: dt.date, end: dt.date) -> list[Paper]:
        sql = f"{_SELECT} WHERE day BETWEEN $1 AND $2 ORDER BY day DESC, id"
        return [_row_to_paper(row) for row in await self._rows(sql, (start, end))]

    async def upvotes_before(self, paper_ids: Sequence[str], when: dt.datetime) -> dict[str, int]:
        ids = list(dict.fromkeys(paper_ids))
        if not ids:
            return {}
        sql = (
            "SELECT paper_id, max(upvotes) FROM upvote_history"
            " WHERE observed_at <= $1 AND paper_id = ANY($2::text[]) GROUP BY paper_id"
        )
        return {pid: votes for pid, votes in await self._rows(sql, (when, ids))}

    async def vocabulary(self) -> dict[str, int]:
        # Read whole each time, never cached: nothing on a hot path asks for all of it
        # (a digest build's IDF does, and keeps it), and a cached copy would cost every
        # later write a copy of it.
        rows = await self._rows("SELECT term, docs FROM vocabulary")
        return await asyncio.to_thread(vocabulary_of, rows)

    async def term_counts(self, terms: Collection[str]) -> dict[str, int]:
        words = sorted(set(terms))
        if not words:
            return {}
        sql = "SELECT term, docs FROM vocabulary WHERE term = ANY($1::text[])"
        return {term: docs for term, docs in await self._rows(sql, (words,))}
