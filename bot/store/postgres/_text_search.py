"""PostgreSQL full-text search of papers: a ``TextQuery`` as one ``tsquery``.

The query is built here from our tokens as a ``tsquery`` literal (every token a quoted
lexeme), never parsed from user text, so no input can make a syntax error. Columns are
weights of one vector (title A, authors B, abstract D): a query restricted to the title
asks for ``'word':A``. Known-item searches (``columns`` within title and authors) read
the small titles vector's index, as SQLite reads its titles index.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import replace

from bot.errors import StoreError
from bot.store.port import TextQuery
from bot.store.postgres._papers import PaperTables
from bot.store.postgres._vectors import WEIGHTS, indexable, lexeme

__all__ = ["TextSearch"]

log = logging.getLogger(__name__)

# ts_rank weights, {D, C, B, A}: those of SQLite's bm25 for each index scaled to at most
# one (titles index: title 10, authors 4; full index: title 2, abstract 1, authors 1).
_TITLES_RANK = "'{0, 0, 0.4, 1}'::float4[]"
_FULL_RANK = "'{0.5, 0, 0.5, 1}'::float4[]"


class TextSearch(PaperTables):
    """The full-text search part of ``PostgresStore`` (reads only)."""

    async def text_search(self, query: TextQuery, *, limit: int) -> list[tuple[str, float]]:
        titles_only = bool(query.columns) and set(query.columns) <= {"title", "authors"}
        # The titles vector needs no weights for both its columns: it holds nothing else.
        whole = set(query.columns) == {"title", "authors"}
        parts: list[_Part] = []
        matched = _tsquery(
            replace(query, columns=(), excluded=()) if whole else query, titles_only, parts
        )
        where, params = _filters(query)
        if matched is None:
            return []  # a word no paper can hold (longer than any lexeme)
        if matched:
            vector, weights = ("p.titles", _TITLES_RANK) if titles_only else ("p.doc", _FULL_RANK)
            params.append(matched)
            q = f"${len(params)}::tsquery"
            score = f"ts_rank({weights}, {vector}, {q})"
            if len(parts) > 1:
                # ts_rank knows no rarity: weigh each word's rank by its IDF, as BM25 does,
                # so a rare title word counts for more than two common ones.
                idf = await self._idf(parts)
                terms = []
                for (part, _), weight in zip(parts, idf, strict=True):
                    params.append(part)
                    terms.append(
                        f"{weight:.4f} * ts_rank({weights}, {vector}, ${len(params)}::tsquery)"
                    )
                score = " + ".join(terms)
            if titles_only and query.excluded and (excluded := _excluded(query)):
                # An excluded word is excluded from the whole paper, abstract included.
                params.append(excluded)
                where.append(f"NOT p.doc @@ ${len(params)}::tsquery")
            params.append(limit)
            sql = (
                f"SELECT p.id, {score} AS score FROM papers p"
                f" WHERE {vector} @@ {q}{''.join(' AND ' + w for w in where)}"
                f" ORDER BY score DESC, p.id LIMIT ${len(params)}"
            )
        elif where or query.excluded:
            if query.excluded and (excluded := _excluded(query)):
                params.append(excluded)
                where.append(f"NOT p.doc @@ ${len(params)}::tsquery")
            params.append(limit)
            # Filters alone (author-less, word-less): newest first.
            sql = (
                f"SELECT p.id, 0.0 FROM papers p WHERE {' AND '.join(where) or 'true'}"
                " ORDER BY p.day DESC NULLS LAST, p.upvotes DESC NULLS LAST, p.id"
                f" LIMIT ${len(params)}"
            )
        else:
            return []
        try:
            rows = await self._rows(sql, params, failure="search failed")
        except StoreError as exc:
            # Every token is quoted, so this is a bug, not the user's fault.
            log.error("full-text query failed: %r: %s", matched, exc.__cause__)
            raise
        return [(pid, float(score)) for pid, score in rows]

    async def _idf(self, parts: list[_Part]) -> list[float]:
        """BM25's inverse document frequency of each part (its tokens' papers together)."""
        tokens = sorted({t for _, ts in parts for t in ts})
        known = await self.term_counts(tokens)
        n = await self.count_papers()
        idf = []
        for part, ts in parts:
            df = min(n, sum(known.get(t, 0) for t in ts))
            weight = math.log(1 + (n - df + 0.5) / (df + 0.5))
            if " | " in part:
                # ts_rank divides an OR's rank by its number of words: a word's spelling
                # corrections must not make the word count for less.
                weight *= part.count(" | ") + 1
            idf.append(weight)
        return idf


# One scored part of a query (a group, a phrase, a name) and the tokens it counts.
_Part = tuple[str, tuple[str, ...]]


def _term(token: str, weights: str, prefix: bool = False) -> str | None:
    if not indexable(token):
        return None
    return lexeme(token) + (":" if prefix or weights else "") + ("*" if prefix else "") + weights


def _any(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def _tsquery(q: TextQuery, titles_only: bool, scored: list[_Part]) -> str | None:
    """The tsquery of ``q``'s words, phrases, authors and exclusions ("" when it has
    none of the first three; None when it can match nothing). Each part that counts
    towards a paper's score is added to ``scored``."""
    weights = "".join(sorted({WEIGHTS[c] for c in q.columns}))
    groups: list[str] = []
    for i, group in enumerate(q.groups):
        last = q.prefix_last and i == len(q.groups) - 1
        alts = [_term(t, weights, last and j == 0) for j, t in enumerate(group)]
        kept = [a for a in alts if a]
        if kept:
            groups.append(_any(kept))
            scored.append((groups[-1], group))
        elif not q.match_any and not q.min_groups:
            return None
    phrases = []
    for phrase in q.phrases:
        terms = [_term(t, weights) for t in phrase]
        if phrase and not all(terms):
            return None
        if terms:
            phrases.append("(" + " <-> ".join(t for t in terms if t) + ")")
            scored.append((phrases[-1], phrase))
    if q.match_any and groups:
        words = ["(" + " | ".join(groups) + ")"]
    elif 0 < q.min_groups < len(groups):
        # "At least k of n": the OR of every k-word AND (n is small: a handful of words).
        combos = itertools.combinations(groups, q.min_groups)
        words = ["(" + " | ".join("(" + " & ".join(c) + ")" for c in combos) + ")"]
    elif q.min_groups > len(groups):
        return None
    else:
        words = groups
    parts = words + phrases
    for name in q.authors:
        terms = [_term(t, "B") for t in name]
        if name and not all(terms):
            return None
        if terms:
            parts.append("(" + " <-> ".join(t for t in terms if t) + ")")
            scored.append((parts[-1], name))
    if not parts:
        return "" if not (q.groups or q.phrases or q.authors) else None
    expr = " & ".join(parts)
    excluded = _excluded(q) if not titles_only else ""
    return f"({expr}) & !{excluded}" if excluded else expr


def _excluded(q: TextQuery) -> str:
    terms = [t for t in (_term(x, "") for x in q.excluded) if t]
    return "(" + " | ".join(terms) + ")" if terms else ""


def _filters(q: TextQuery) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if q.categories:
        # `cat:cs` matches every cs.* category, `cat:cs.CL` only that one.
        params += [list(q.categories), [_like(c) + ".%" for c in q.categories]]
        n = len(params)
        where.append(
            f"EXISTS (SELECT 1 FROM unnest(p.categories) c"
            f" WHERE c = ANY(${n - 1}::text[]) OR c LIKE ANY(${n}::text[]))"
        )
    if q.since:
        params.append(q.since)
        where.append(f"p.day >= ${len(params)}")
    if q.until:
        params.append(q.until)
        where.append(f"p.day <= ${len(params)}")
    if q.min_upvotes is not None:
        params.append(q.min_upvotes)
        where.append(f"coalesce(p.upvotes, 0) >= ${len(params)}")
    return where, params


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
