"""Topic recommendations: the best papers of a date window for a topic, with reasons."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from dataclasses import dataclass, replace

from bot.models import Paper, Period, Recommendation
from bot.query import Query, parse_query
from bot.ranking import trending, trending_score
from bot.search import Hit, run_search
from bot.store.base import PaperStore
from bot.text import STOPWORDS, tokenize

__all__ = ["Topic", "explain", "recommend"]

# Upvotes at which "trending" is worth saying out loud.
_NOTABLE_UPVOTES = 10


@dataclass(frozen=True, slots=True)
class Topic:
    """What a reader wants: search-grammar text plus optional extra constraints."""

    query: str = ""
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    min_upvotes: int | None = None

    def to_query(self, start: dt.date, end: dt.date) -> Query:
        q = parse_query(self.query)
        return replace(
            q,
            arxiv_id=None,
            open_ended=False,
            categories=q.categories + tuple(c for c in self.categories if c),
            authors=q.authors + tuple(tuple(tokenize(a)) for a in self.authors if tokenize(a)),
            min_upvotes=self.min_upvotes if self.min_upvotes is not None else q.min_upvotes,
            since=max(filter(None, (q.since, start))),
            until=min(filter(None, (q.until, end))),
        )


def explain(paper: Paper, query: Query) -> str:
    """One line saying why ``paper`` was picked for ``query``."""
    title = set(tokenize(paper.title))
    abstract = set(tokenize(paper.abstract))
    terms = [t for t in query.terms if t not in STOPWORDS] or list(query.terms)
    in_title = [t for t in terms if t in title]
    in_abstract = [t for t in terms if t in abstract and t not in title]
    phrase_words = [" ".join(p) for p in query.phrases]
    reasons = []
    if in_title or phrase_words:
        shown = ", ".join(f"'{w}'" for w in (phrase_words + in_title)[:3])
        reasons.append(f"matches {shown} in the title" if in_title else f"matches {shown}")
    elif in_abstract:
        shown = ", ".join(f"'{w}'" for w in in_abstract[:3])
        reasons.append(f"matches {shown} in the abstract")
    for wanted in query.authors:
        name = next((a for a in paper.authors if _contains(tuple(tokenize(a)), wanted)), None)
        if name:
            reasons.append(f"by {name}")
            break
    if query.categories:
        cats = [c for c in paper.categories if any(_in_category(c, w) for w in query.categories)]
        if cats:
            reasons.append(f"in {cats[0]}")
    if (paper.upvotes or 0) >= _NOTABLE_UPVOTES or not reasons:
        if paper.upvotes is not None:
            reasons.append(f"trending: {paper.upvotes} upvotes")
        else:
            reasons.append("new on arXiv")
    return "; ".join(reasons)


def _contains(name: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    n = len(wanted)
    return any(name[i : i + n] == wanted for i in range(len(name) - n + 1))


def _in_category(category: str, wanted: str) -> bool:
    return category == wanted or category.startswith(wanted + ".")


async def recommend(
    store: PaperStore,
    topic: Topic,
    *,
    start: dt.date,
    end: dt.date,
    limit: int = 5,
    exclude: Collection[str] = (),
) -> list[Recommendation]:
    """The best ``limit`` papers featured or listed in ``[start, end]`` for ``topic``.

    With words or authors, relevance leads and popularity breaks near-ties
    (``0.7 × relevance + 0.3 × trending``, both scaled to 0..1); without, it is the
    window's trending list, filtered by categories and minimum upvotes.
    """
    query = topic.to_query(start, end)
    period = Period.MONTH if (end - start).days > 7 else Period.WEEK
    if query.terms or query.phrases or query.authors:
        hits = await run_search(store, query, limit=max(limit * 6, 60))
    else:
        papers = await store.papers_between(query.since or start, query.until or end)
        papers = [p for p in papers if _passes(p, query)]
        by_trend = trending(papers, {}, end=end, period=period)
        ranked = {p.id for p, _ in by_trend}
        # arXiv-only papers cannot trend; newest after the trending ones.
        rest = sorted((p for p in papers if p.id not in ranked), key=_newest_first)
        hits = [Hit(p, 0.0) for p, _ in by_trend] + [Hit(p, 0.0) for p in rest]
    hits = [h for h in hits if h.paper.id not in exclude]
    if query.terms or query.phrases or query.authors:
        hits = _blend(hits, end=end, period=period)
    return [Recommendation(h.paper, h.score, explain(h.paper, query)) for h in hits[:limit]]


def _passes(paper: Paper, query: Query) -> bool:
    if query.min_upvotes is not None and (paper.upvotes or 0) < query.min_upvotes:
        return False
    return not query.categories or any(
        _in_category(c, w) for c in paper.categories for w in query.categories
    )


def _newest_first(paper: Paper) -> tuple[int, str]:
    return -(paper.day or dt.date.min).toordinal(), paper.id


def _blend(hits: list[Hit], *, end: dt.date, period: Period) -> list[Hit]:
    if not hits:
        return hits
    top = max(h.score for h in hits) or 1.0
    trend = {
        h.paper.id: math.log1p(trending_score(h.paper, growth=0, end=end, period=period))
        for h in hits
    }
    best_trend = max(trend.values()) or 1.0
    blended = [
        replace(h, score=0.7 * h.score / top + 0.3 * trend[h.paper.id] / best_trend) for h in hits
    ]
    blended.sort(key=lambda h: (-h.score, h.paper.id))
    return blended
