"""SQLite storage of papers: upserts with merging, upvote history, full-text search."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Collection, Sequence

from bot.errors import StoreError
from bot.models import Paper, UpsertCounts, merge
from bot.store.sqlite._connections import Connections
from bot.store.words import vocabulary_change, vocabulary_of
from bot.text import tokenize

__all__ = ["PaperTables", "count_words"]

log = logging.getLogger(__name__)

_COLUMNS = [
    "id",
    "version",
    "title",
    "abstract",
    "authors",
    "authors_text",
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
_SELECT = f"SELECT {', '.join(c for c in _COLUMNS if c != 'authors_text')} FROM papers"
_STAGED = (*_COLUMNS, "first_seen", "updated_at")
# Staged rows in the order staged (a paper written twice in a batch: its later row wins,
# as one by one); "WHERE true" tells SQLite's parser the ON CONFLICT is the upsert's.
_UPSERT_STAGED = (
    f"INSERT INTO papers ({', '.join(_STAGED)}) "
    f"SELECT {', '.join(_STAGED)} FROM temp.paper_stage WHERE true ORDER BY rowid "
    "ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:] if c != "upvotes")
    + ", upvotes = max(coalesce(papers.upvotes, 0), coalesce(excluded.upvotes, 0))"
    ", updated_at = excluded.updated_at"
)
_HISTORY_UPSERT = (
    "INSERT INTO upvote_history(paper_id, observed_at, upvotes) VALUES (?, ?, ?) "
    "ON CONFLICT(paper_id, observed_at) DO UPDATE SET upvotes = max(upvotes, excluded.upvotes)"
)
_VOCABULARY_STAGED = (
    "INSERT INTO vocabulary(term, docs, rev) SELECT term, docs, rev FROM temp.word_stage"
    " WHERE true ORDER BY rowid ON CONFLICT(term) DO UPDATE SET docs = docs + excluded.docs"
)
# Fewer new papers than this are never worth rebuilding the full-text indexes for.
_BULK_MIN = 1000
# The triggers that keep the full-text indexes in step with the papers (migrations 1, 2).
_FTS_TRIGGERS = ("papers_ai", "papers_ad", "papers_au", "titles_ai", "titles_ad", "titles_au")


# Rows converted between two turns of the event loop: 500 take about 15 ms here.
_CONVERT_BATCH = 500


async def _papers_of(rows: Sequence[sqlite3.Row]) -> list[Paper]:
    """``rows`` as papers, letting the event loop (a chat gateway's heartbeat) run between
    batches: a digest's window of 7,000 papers would otherwise hold it for 0.2 s."""
    papers = []
    for start in range(0, len(rows), _CONVERT_BATCH):
        if start:
            await asyncio.sleep(0)
        papers += [_row_to_paper(row) for row in rows[start : start + _CONVERT_BATCH]]
    return papers


def _row_to_paper(row: Sequence[object]) -> Paper:
    values = dict(zip((c for c in _COLUMNS if c != "authors_text"), row, strict=True))
    published = values["published_at"]
    day = values["day"]
    return Paper(
        id=str(values["id"]),
        version=values["version"],  # type: ignore[arg-type]
        title=str(values["title"]),
        abstract=str(values["abstract"]),
        authors=tuple(json.loads(str(values["authors"]))),
        published_at=dt.datetime.fromisoformat(str(published)) if published else None,
        day=dt.date.fromisoformat(str(day)) if day else None,
        categories=tuple(json.loads(str(values["categories"]))),
        upvotes=values["upvotes"],  # type: ignore[arg-type]
        comments=values["comments"],  # type: ignore[arg-type]
        github_repo=values["github_repo"],  # type: ignore[arg-type]
        github_stars=values["github_stars"],  # type: ignore[arg-type]
        project_page=values["project_page"],  # type: ignore[arg-type]
        ai_summary=values["ai_summary"],  # type: ignore[arg-type]
        ai_keywords=tuple(json.loads(str(values["ai_keywords"]))),
        thumbnail=values["thumbnail"],  # type: ignore[arg-type]
        source=str(values["source"]),
    )


def _paper_to_row(p: Paper) -> tuple[object, ...]:
    return (
        p.id,
        p.version,
        p.title,
        p.abstract,
        json.dumps(list(p.authors), ensure_ascii=False),
        ", ".join(p.authors),
        p.published_at.astimezone(dt.UTC).isoformat() if p.published_at else None,
        p.day.isoformat() if p.day else None,
        json.dumps(list(p.categories)),
        p.upvotes,
        p.comments,
        p.github_repo,
        p.github_stars,
        p.project_page,
        p.ai_summary,
        json.dumps(list(p.ai_keywords), ensure_ascii=False),
        p.thumbnail,
        p.source,
    )


class PaperTables(Connections):
    """The papers part of ``SqliteStore``, and the caches that follow its commits."""

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
            # The papers as they stand, in the database (read inside the transaction, so
            # no other writer can change them before the merge lands) and after each group.
            state: dict[str, Paper] = await self.get_papers(ids)
            rows, history = [], []
            pairs: list[tuple[Paper | None, Paper]] = []
            for observed_at, papers in groups:
                # The last record of a paper in a group wins, after merging with earlier ones.
                incoming: dict[str, Paper] = {}
                for p in papers:
                    incoming[p.id] = merge(incoming[p.id], p) if p.id in incoming else p
                now = observed_at.astimezone(dt.UTC).isoformat()
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
                        rows.append((*_paper_to_row(merged), now, now))
                        pairs.append((old, merged))
                        state[pid] = merged
                    if merged.upvotes is not None and (
                        old is None or old.upvotes != merged.upvotes
                    ):
                        history.append((pid, now, merged.upvotes))
            if rows or history:
                change = vocabulary_change(pairs, _indexed_tokens)
                await self._save(
                    rows,
                    history,
                    change,
                    bulk=new >= _BULK_MIN and new >= await self.count_papers(),
                )
                if rows:
                    self._after_commit(self._forget_caches)
        return UpsertCounts(new=new, updated=updated, unchanged=unchanged)

    async def _save(
        self,
        rows: Sequence[Sequence[object]],
        history: Sequence[Sequence[object]],
        change: Counter[str],
        *,
        bulk: bool,
    ) -> None:
        """Write merged rows, upvote history and the vocabulary's ``change`` (papers more
        or fewer per word) inside the caller's transaction.

        With ``bulk`` (at least as many new papers as the table holds) the full-text
        indexes are rebuilt once instead of updated paper by paper: the first run's
        snapshot takes 1.0 s instead of 2.9 s. Readers never see the indexes without
        their triggers: that happens inside the transaction.
        """
        try:
            triggers = await self._drop_fts_triggers() if bulk else []
            await upsert_staged(self, "paper_stage", _STAGED, rows, _UPSERT_STAGED)
            await self._write_many(_HISTORY_UPSERT, history)
            if bulk:
                for index in ("papers_fts", "titles_fts"):
                    await self._write(f"INSERT INTO {index}({index}) VALUES ('rebuild')")
                for sql in triggers:
                    await self._write(sql)
            await count_words(self, change)
        except sqlite3.Error as exc:
            raise StoreError(f"could not save {len(rows)} papers: {exc}") from exc

    async def _drop_fts_triggers(self) -> list[str]:
        """Drop the triggers that keep the full-text indexes in step (inside the caller's
        transaction, which must rebuild the indexes and recreate them from the SQL
        returned before it commits)."""
        sql = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            f" AND name IN ({', '.join('?' * len(_FTS_TRIGGERS))})"
        )
        triggers = await self._rows(sql, _FTS_TRIGGERS)
        for name, _ in triggers:
            await self._write(f'DROP TRIGGER "{name}"')
        return [text for _, text in triggers]

    def _forget_caches(self) -> None:
        self._count = None

    async def get_paper(self, paper_id: str) -> Paper | None:
        return (await self.get_papers([paper_id])).get(paper_id)

    async def get_papers(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        found: dict[str, Paper] = {}
        ids = list(dict.fromkeys(paper_ids))
        # Stay well below SQLite's limit on bound parameters.
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = f"{_SELECT} WHERE id IN ({', '.join('?' * len(chunk))})"
            for row in await self._rows(sql, chunk):
                paper = _row_to_paper(row)
                found[paper.id] = paper
        return found

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
        return await _papers_of(await self._rows(f"{_SELECT} ORDER BY day, id"))

    async def latest_day(self, *, with_upvotes: bool = False) -> dt.date | None:
        where = " WHERE upvotes IS NOT NULL" if with_upvotes else ""
        row = await self._row(f"SELECT max(day) FROM papers{where}")
        return dt.date.fromisoformat(row[0]) if row and row[0] else None

    async def papers_between(self, start: dt.date, end: dt.date) -> list[Paper]:
        sql = f"{_SELECT} WHERE day BETWEEN ? AND ? ORDER BY day DESC, id"
        return await _papers_of(await self._rows(sql, (start.isoformat(), end.isoformat())))

    async def upvotes_before(self, paper_ids: Sequence[str], when: dt.datetime) -> dict[str, int]:
        result: dict[str, int] = {}
        ids = list(dict.fromkeys(paper_ids))
        at = when.astimezone(dt.UTC).isoformat()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = (
                "SELECT paper_id, max(upvotes) FROM upvote_history "
                f"WHERE observed_at <= ? AND paper_id IN ({', '.join('?' * len(chunk))}) "
                "GROUP BY paper_id"
            )
            for pid, votes in await self._rows(sql, (at, *chunk)):
                result[pid] = votes
        return result

    async def vocabulary(self) -> dict[str, int]:
        # Read whole each time, never cached: nothing on a hot path asks for all of it
        # (a digest build's IDF does, and keeps it), and a cached copy would cost every
        # later write a copy of it.
        rows = await self._rows("SELECT term, docs FROM vocabulary")
        return await asyncio.to_thread(vocabulary_of, rows)

    async def term_counts(self, terms: Collection[str]) -> dict[str, int]:
        words = sorted(set(terms))
        counts: dict[str, int] = {}
        for i in range(0, len(words), 500):
            chunk = words[i : i + 500]
            sql = f"SELECT term, docs FROM vocabulary WHERE term IN ({', '.join('?' * len(chunk))})"
            counts.update(await self._rows(sql, chunk))
        return counts


async def upsert_staged(
    store: Connections,
    stage: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    upsert: str,
) -> None:
    """Write ``rows`` into the temporary table ``stage``, then ``upsert`` them from it
    in one statement (inside the caller's transaction). Row by row, every statement
    makes the full-text triggers write out what they hold: 20,000 papers into a 100k
    database took 9.2 s that way, 5.2 s staged."""
    if not rows:
        return
    await store._write(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({', '.join(columns)})")
    await store._write_many(
        f"INSERT INTO temp.{stage} VALUES ({', '.join('?' * len(columns))})", rows
    )
    await store._write(upsert)
    await store._write(f"DELETE FROM temp.{stage}")


async def count_words(store: Connections, change: Counter[str]) -> None:
    """Count ``change`` (papers more or fewer per word) into the stored vocabulary, inside
    the caller's transaction."""
    terms = sorted(t for t, n in change.items() if n)
    rows = [(t, change[t], t[::-1]) for t in terms]
    await upsert_staged(store, "word_stage", ("term", "docs", "rev"), rows, _VOCABULARY_STAGED)
    gone = [t for t in terms if change[t] < 0]
    for i in range(0, len(gone), 500):
        chunk = gone[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        await store._write(f"DELETE FROM vocabulary WHERE docs <= 0 AND term IN ({marks})", chunk)


def _indexed_tokens(paper: Paper) -> set[str]:
    return set(tokenize(f"{paper.title} {paper.abstract} {' '.join(paper.authors)}"))
