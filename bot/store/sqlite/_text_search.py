"""SQLite full-text search of papers: a ``TextQuery`` as one FTS5 query."""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace
from typing import Any

from bot.errors import StoreError
from bot.store.port import TextQuery
from bot.store.sqlite._bm25 import phrases_of, top_by_bm25
from bot.store.sqlite._papers import PaperTables

__all__ = ["TextSearch"]

log = logging.getLogger(__name__)

_FTS_COLUMN = {"title": "title", "abstract": "abstract", "authors": "authors_text"}
# Each index's columns and their weights in its rank (as the migrations configure it).
_INDEX = {
    "titles_fts": (("title", "authors"), (10.0, 4.0)),
    "papers_fts": (("title", "abstract", "authors"), (2.0, 1.0, 1.0)),
}
# How many of its matches an unscored query weighs, in Python (see _bm25.py), newest
# first: FTS5's bm25 would weigh every match, and count every paper holding each word.
_WEIGHED = {"titles_fts": 250, "papers_fts": 150}


class TextSearch(PaperTables):
    """The full-text search part of ``SqliteStore`` (reads only)."""

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
            found = (
                f"FROM {index} JOIN papers p ON p.rowid = {index}.rowid "
                f"WHERE {index} MATCH ? {''.join(' AND ' + w for w in where)}"
            )
            params = [match, *params]
            newest = f"ORDER BY {index}.rowid DESC"
            if query.unranked:
                return await self._search(
                    f"SELECT p.id, 0.0 {found} {newest} LIMIT ?", [*params, limit], match
                )
            if query.unscored:
                # bm25 counts the papers holding each word of the query, a whole doclist
                # for a common one, and scores every match: at 1M papers tens of ms
                # however few match, hundreds for a common title. The caller has all
                # matches when they fit, else the best of the newest few hundred, weighed
                # in Python from their text: the cost stays that of a few hundred papers.
                columns, weights = _INDEX[index]
                text = ", ".join(f"p.{_FTS_COLUMN[c]}" for c in columns)
                sql = f"SELECT p.id, {text} {found} {newest} LIMIT ?"
                rows = await self._text_rows(sql, [*params, _WEIGHED[index]], match)
                if len(rows) <= limit:
                    return [(row[0], 0.0) for row in rows]
                phrases = phrases_of(query, columns)
                docs = await self.term_counts({t for p in phrases for t in p.tokens})
                total = await self.count_papers()
                return top_by_bm25(rows, phrases, weights, docs, total, limit)
            # `ORDER BY rank` lets FTS5 keep only the best rows; each index's rank (a
            # weighted bm25) is configured by the migrations.
            sql = f"SELECT p.id, -rank {found} ORDER BY rank LIMIT ?"
            params.append(limit)
        elif where:
            # Filters alone (author-less, word-less): newest first.
            sql = (
                "SELECT p.id, 0.0 FROM papers p WHERE "
                f"{' AND '.join(where)} ORDER BY p.day DESC, p.upvotes DESC LIMIT ?"
            )
            params = [*params, limit]
        else:
            return []
        return await self._search(sql, params, match)

    async def _search(self, sql: str, params: list[object], match: str) -> list[tuple[str, float]]:
        return [(pid, float(score)) for pid, score in await self._text_rows(sql, params, match)]

    async def _text_rows(self, sql: str, params: list[object], match: str) -> list[Any]:
        try:
            return await self._rows(sql, params, failure="search failed")
        except StoreError as exc:
            # Every token is quoted, so this is a bug, not the user's fault.
            log.error("full-text query failed: %r: %s", match, exc.__cause__)
            raise


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
    if q.near and len(phrases) > 1:
        near = " ".join(" + ".join(map(_quote, p)) for p in q.phrases if p)
        phrases = [f"NEAR({near}, {q.near})"]
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
