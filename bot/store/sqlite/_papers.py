"""SQLite storage of papers: upserts with merging, upvote history, full-text search."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import logging
from collections.abc import Sequence
from dataclasses import replace

import aiosqlite

from bot.errors import StoreError
from bot.models import Paper, UpsertCounts, merge
from bot.store.port import TextQuery
from bot.text import tokenize

__all__ = ["PaperTables"]

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
_UPSERT = (
    f"INSERT INTO papers ({', '.join(_COLUMNS)}, first_seen, updated_at) "
    f"VALUES ({', '.join('?' * (len(_COLUMNS) + 2))}) "
    "ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:] if c != "upvotes")
    + ", upvotes = max(coalesce(papers.upvotes, 0), coalesce(excluded.upvotes, 0))"
    ", updated_at = excluded.updated_at"
)
_HISTORY_UPSERT = (
    "INSERT INTO upvote_history(paper_id, observed_at, upvotes) VALUES (?, ?, ?) "
    "ON CONFLICT(paper_id, observed_at) DO UPDATE SET upvotes = max(upvotes, excluded.upvotes)"
)
_FTS_COLUMN = {"title": "title", "abstract": "abstract", "authors": "authors_text"}
# Fewer new papers than this are never worth rebuilding the full-text indexes for.
_BULK_MIN = 1000
# The triggers that keep the full-text indexes in step with the papers (migrations 1, 2).
_FTS_TRIGGERS = ("papers_ai", "papers_ad", "papers_au", "titles_ai", "titles_ad", "titles_au")


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


class PaperTables:
    """The papers half of ``SqliteStore``: needs ``_db``, ``_write_lock`` and the caches."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock
    _vocabulary: dict[str, int] | None
    _count: int | None

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
        async with self._write_lock:
            # The papers as they stand, in the database and then after each group.
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
                # Writing at least as many new papers as the table holds, rebuilding the
                # full-text indexes once beats updating them paper by paper (the first
                # run's snapshot: 2.9 s -> 1.0 s in SQLite).
                bulk = new >= max(_BULK_MIN, await self.count_papers())
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    triggers = await self._drop_fts_triggers() if bulk else []
                    await self._db.executemany(_UPSERT, rows)
                    await self._db.executemany(_HISTORY_UPSERT, history)
                    if bulk:
                        for index in ("papers_fts", "titles_fts"):
                            await self._db.execute(
                                f"INSERT INTO {index}({index}) VALUES ('rebuild')"
                            )
                        for sql in triggers:
                            await self._db.execute(sql)
                    await self._db.commit()
                except Exception as exc:
                    await self._db.rollback()
                    raise StoreError(f"could not save {len(rows)} papers: {exc}") from exc
                if rows:
                    self._count = None
                    self._update_vocabulary(pairs)
        return UpsertCounts(new=new, updated=updated, unchanged=unchanged)

    async def _drop_fts_triggers(self) -> list[str]:
        """Drop the triggers that keep the full-text indexes in step (inside the caller's
        transaction, which must rebuild the indexes and recreate them from the SQL
        returned before it commits)."""
        sql = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            f" AND name IN ({', '.join('?' * len(_FTS_TRIGGERS))})"
        )
        async with self._db.execute(sql, _FTS_TRIGGERS) as cur:
            triggers = [(name, text) async for name, text in cur]
        for name, _ in triggers:
            await self._db.execute(f'DROP TRIGGER "{name}"')
        return [text for _, text in triggers]

    async def get_paper(self, paper_id: str) -> Paper | None:
        return (await self.get_papers([paper_id])).get(paper_id)

    async def get_papers(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        found: dict[str, Paper] = {}
        ids = list(dict.fromkeys(paper_ids))
        # Stay well below SQLite's limit on bound parameters.
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = f"{_SELECT} WHERE id IN ({', '.join('?' * len(chunk))})"
            async with self._db.execute(sql, chunk) as cur:
                async for row in cur:
                    paper = _row_to_paper(row)
                    found[paper.id] = paper
        return found

    async def count_papers(self) -> int:
        if self._count is None:
            async with self._db.execute("SELECT count(*) FROM papers") as cur:
                row = await cur.fetchone()
            self._count = int(row[0]) if row else 0
        return self._count

    async def all_papers(self) -> list[Paper]:
        async with self._db.execute(f"{_SELECT} ORDER BY day, id") as cur:
            return [_row_to_paper(row) async for row in cur]

    async def latest_day(self, *, with_upvotes: bool = False) -> dt.date | None:
        where = " WHERE upvotes IS NOT NULL" if with_upvotes else ""
        async with self._db.execute(f"SELECT max(day) FROM papers{where}") as cur:
            row = await cur.fetchone()
        return dt.date.fromisoformat(row[0]) if row and row[0] else None

    async def papers_between(self, start: dt.date, end: dt.date) -> list[Paper]:
        sql = f"{_SELECT} WHERE day BETWEEN ? AND ? ORDER BY day DESC, id"
        async with self._db.execute(sql, (start.isoformat(), end.isoformat())) as cur:
            return [_row_to_paper(row) async for row in cur]

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
            async with self._db.execute(sql, (at, *chunk)) as cur:
                async for pid, votes in cur:
                    result[pid] = votes
        return result

    async def text_search(self, query: TextQuery, *, limit: int) -> list[tuple[str, float]]:
        titles_only = bool(query.columns) and set(query.columns) <= {"title", "authors"}
        # An excluded word is excluded from the whole paper, abstract included.
        where, params = _filters(query, exclude_in_sql=titles_only)
        if titles_only:
            query = replace(query, excluded=())
        # The titles index needs no filter for both its columns: it holds nothing else.
        whole = set(query.columns) == {"title", "authors"}
        match = _fts_expression(replace(query, columns=()) if whole else query)
        if match:
            index = "titles_fts" if titles_only else "papers_fts"
            # `ORDER BY rank` lets FTS5 keep only the best rows; each index's rank (a
            # weighted bm25) is configured by the migrations.
            sql = (
                f"SELECT p.id, -rank FROM {index} JOIN papers p ON p.rowid = {index}.rowid "
                f"WHERE {index} MATCH ? {''.join(' AND ' + w for w in where)} "
                "ORDER BY rank LIMIT ?"
            )
            params = [match, *params, limit]
        elif where:
            # Filters alone (author-less, word-less): newest first.
            sql = (
                "SELECT p.id, 0.0 FROM papers p WHERE "
                f"{' AND '.join(where)} ORDER BY p.day DESC, p.upvotes DESC LIMIT ?"
            )
            params = [*params, limit]
        else:
            return []
        try:
            async with self._db.execute(sql, params) as cur:
                return [(pid, float(score)) async for pid, score in cur]
        except aiosqlite.OperationalError as exc:
            # Every token is quoted, so this is a bug, not the user's fault.
            log.error("full-text query failed: %r: %s", match, exc)
            raise StoreError("search failed") from exc

    def _update_vocabulary(self, pairs: Sequence[tuple[Paper | None, Paper]]) -> None:
        """Apply written papers to the cached vocabulary instead of rescanning the index.

        Rescanning costs seconds at a million papers; the change is known here. A new
        dict replaces the old one, so callers holding the old one see a stable copy.
        """
        if self._vocabulary is None:
            return
        vocabulary = dict(self._vocabulary)
        for old, new in pairs:
            before = _indexed_tokens(old) if old else set()
            after = _indexed_tokens(new)
            for token in before - after:
                left = vocabulary.get(token, 0) - 1
                if left > 0:
                    vocabulary[token] = left
                else:
                    vocabulary.pop(token, None)
            for token in after - before:
                vocabulary[token] = vocabulary.get(token, 0) + 1
        self._vocabulary = vocabulary

    async def vocabulary(self) -> dict[str, int]:
        if self._vocabulary is None:
            async with self._db.execute("SELECT term, doc FROM papers_vocab") as cur:
                self._vocabulary = {term: doc async for term, doc in cur}
        return self._vocabulary


def _indexed_tokens(paper: Paper) -> set[str]:
    return set(tokenize(f"{paper.title} {paper.abstract} {' '.join(paper.authors)}"))


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fts_expression(q: TextQuery) -> str:
    """Build an FTS5 MATCH expression in which every user token is a quoted string."""
    groups: list[str] = []
    for i, group in enumerate(q.groups):
        last = q.prefix_last and i == len(q.groups) - 1
        alts = [_quote(t) + ("*" if last and j == 0 else "") for j, t in enumerate(group)]
        groups.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
    phrases = ["(" + " + ".join(map(_quote, p)) + ")" for p in q.phrases if p]
    if q.columns:
        cols = " ".join(_FTS_COLUMN[c] for c in q.columns)
        groups = [f"{{{cols}}} : {g}" for g in groups]
        phrases = [f"{{{cols}}} : {p}" for p in phrases]
    if q.match_any and groups:
        words = ["(" + " OR ".join(groups) + ")"]
    elif 0 < q.min_groups < len(groups):
        # "At least k of n": the OR of every k-word AND (n is small: a handful of words).
        combos = itertools.combinations(groups, q.min_groups)
        words = ["(" + " OR ".join("(" + " AND ".join(c) + ")" for c in combos) + ")"]
    else:
        words = groups
    parts = words + phrases
    parts += [
        "authors_text : (" + " + ".join(map(_quote, name)) + ")" for name in q.authors if name
    ]
    if not parts:
        return ""
    expr = " AND ".join(parts)
    if q.excluded:
        expr = f"({expr}) NOT ({' OR '.join(map(_quote, q.excluded))})"
    return expr


def _filters(q: TextQuery, *, exclude_in_sql: bool = False) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if q.categories:
        # `cat:cs` matches every cs.* category, `cat:cs.CL` only that one.
        checks = " OR ".join("c.value = ? OR c.value LIKE ?" for _ in q.categories)
        where.append(f"EXISTS (SELECT 1 FROM json_each(p.categories) c WHERE {checks})")
        for cat in q.categories:
            params += [cat, cat + ".%"]
    if q.since:
        where.append("p.day >= ?")
        params.append(q.since.isoformat())
    if q.until:
        where.append("p.day <= ?")
        params.append(q.until.isoformat())
    if q.min_upvotes is not None:
        where.append("coalesce(p.upvotes, 0) >= ?")
        params.append(q.min_upvotes)
    if q.excluded and (exclude_in_sql or not q.has_text):
        # FTS5 cannot express a pure negation, nor one on another index: filter rows.
        neg = " OR ".join(_quote(t) for t in q.excluded)
        where.append("p.rowid NOT IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)")
        params.append(neg)
    return where, params
