"""Topic recommendations: the best papers of a date window for a topic, with reasons."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from bot.models import Paper, Period, Recommendation
from bot.query import Query, parse_query
from bot.ranking import trending_score
from bot.store.base import PaperStore, TextQuery
from bot.text import STOPWORDS, tokenize
from bot.window import Match, Window, log_scale, passes, plural_forms

__all__ = ["Topic", "explain", "rank_topic", "recommend"]

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


def explain(paper: Paper, query: Query, *, window: Window | None = None) -> str:
    """One line saying why ``paper`` was picked for ``query``; a ``window`` holding the
    paper lends its tokens."""
    terms = [t for t in query.terms if t not in STOPWORDS] or list(query.terms)
    in_title: list[str] = []
    in_abstract: list[str] = []
    if terms:
        if window is not None and paper.id in window.papers:
            title, text = window.words(paper.id)
        else:
            title = frozenset(tokenize(paper.title))
            text = title | set(tokenize(paper.abstract))
        in_title = [t for t in terms if t in title]
        in_abstract = [t for t in terms if t in text and t not in title]
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


def rank_topic(
    window: Window,
    query: Query,
    *,
    end: dt.date,
    period: Period,
    limit: int,
    among: AbstractSet[str] | None = None,
    exclude: AbstractSet[str] = frozenset(),
) -> list[Recommendation]:
    """The best ``limit`` papers of ``window`` (``among`` those ids, not in ``exclude``)
    for ``query``, with reasons.

    With words or authors, relevance leads and popularity breaks near-ties
    (``0.7 × relevance + 0.3 × trending``, both scaled to 0..1); without, it is the
    window's trending list (filtered by categories and minimum upvotes), then the
    newest arXiv-only papers, which cannot trend.
    """
    if not (query.terms or query.phrases or query.authors or query.excluded):
        return _trending_only(
            window, query, end=end, period=period, limit=limit, among=among, exclude=exclude
        )
    # Many subscriptions share a topic: rank its matches once per window. Leaving papers
    # out keeps that order unless it removes the best match or the most trending one,
    # which set the scales both scores are measured on.
    key = ("topic", query, among, end, period)
    ranked = window.memo.get(key)
    if ranked is None:
        ranked = window.memo[key] = _ranked(
            window, window.match(query, among=among), query, end, period
        )
    scored, tops = ranked
    if exclude and not tops.isdisjoint(exclude):
        matches = window.match(query, among=among, exclude=exclude)
        scored, _ = _ranked(window, matches, query, end, period)
    best = (
        [(p, sc) for p, sc in scored if p.id not in exclude][:limit] if exclude else scored[:limit]
    )
    return [Recommendation(p, sc, explain(p, query, window=window)) for p, sc in best]


def _trending(window: Window, paper: Paper, end: dt.date, period: Period) -> float:
    """The paper's trending score, computed once per window."""
    scores = window.memo.setdefault(("trending score", end, period), {})
    score = scores.get(paper.id)
    if score is None:
        score = scores[paper.id] = trending_score(paper, growth=0, end=end, period=period)
    return score


def _ranked(
    window: Window, matches: list[Match], query: Query, end: dt.date, period: Period
) -> tuple[list[tuple[Paper, float]], frozenset[str]]:
    """Matches with their scores, best first, and the ids the scales depend on."""
    raw = {m.paper.id: _trending(window, m.paper, end, period) for m in matches}
    trend = log_scale(raw)
    top_trend = max(raw.values(), default=0.0)
    tops = {i for i, v in raw.items() if v == top_trend}
    if query.terms or query.phrases or query.authors:
        best = max((m.relevance for m in matches), default=0.0) or 1.0
        tops |= {m.paper.id for m in matches if m.relevance == best}
        # Plain tuples sort in C; ids are unique, so papers are never compared.
        order = sorted(
            (-(0.7 * m.relevance / best + 0.3 * trend[m.paper.id]), m.paper.id, m.paper)
            for m in matches
        )
        scored = [(p, -negated) for negated, _, p in order]
    else:
        # Trending papers by score; arXiv-only ones after them, newest first.
        scored = [
            (m.paper, trend[m.paper.id] + 1.0 if m.paper.upvotes is not None else 0.0)
            for m in matches
        ]
        scored.sort(key=lambda ps: (-ps[1], -_ordinal(ps[0]), ps[0].id))
    return scored, frozenset(tops)


def _trending_only(
    window: Window,
    query: Query,
    *,
    end: dt.date,
    period: Period,
    limit: int,
    among: AbstractSet[str] | None,
    exclude: AbstractSet[str],
) -> list[Recommendation]:
    # Many subscriptions have no words: the window's papers are put in trending order
    # once, and each takes the first few it may post.
    ranked = window.memo.get(("trending", end, period))
    if ranked is None:
        # Trending papers by score; arXiv-only ones (which cannot trend) after them,
        # newest first.
        scores = [
            (p, 0.0 if p.upvotes is None else trending_score(p, growth=0, end=end, period=period))
            for p in window.papers.values()
        ]
        scores.sort(key=lambda ps: (ps[0].upvotes is None, -ps[1], -_ordinal(ps[0]), ps[0].id))
        ranked = window.memo[("trending", end, period)] = scores
    best: list[tuple[Paper, float]] = []
    for paper, score in ranked:
        if len(best) == limit:
            break
        allowed = among is None or paper.id in among
        if allowed and paper.id not in exclude and passes(paper, query):
            best.append((paper, score))
    # Scores on a log scale, 1 for the best; arXiv-only papers 0 (they cannot trend).
    top = math.log1p(max((s for p, s in best if p.upvotes is not None), default=0.0))
    return [
        Recommendation(
            p,
            (math.log1p(s) / top if top > 0 else 0.0) + 1.0 if p.upvotes is not None else 0.0,
            explain(p, query, window=window),
        )
        for p, s in best
    ]


def _ordinal(paper: Paper) -> int:
    return (paper.day or dt.date.min).toordinal()


async def recommend(
    store: PaperStore,
    topic: Topic,
    *,
    start: dt.date,
    end: dt.date,
    limit: int = 5,
    exclude: Collection[str] = (),
) -> list[Recommendation]:
    """The best ``limit`` papers featured or listed in ``[start, end]`` for ``topic``."""
    query = topic.to_query(start, end)
    period = Period.MONTH if (end - start).days > 7 else Period.WEEK
    if query.terms or query.phrases or query.authors:
        # The full-text index narrows a month of papers to the few that can match;
        # the window then decides, exactly as it does for daily digests.
        prefilter = TextQuery(
            groups=tuple((t, *_plural_forms(t)) for t in query.terms),
            phrases=query.phrases,
            authors=query.authors,
            since=query.since,
            until=query.until,
            min_upvotes=query.min_upvotes,
            categories=query.categories,
        )
        found = await store.text_search(prefilter, limit=_PREFILTER)
        papers = list((await store.get_papers([pid for pid, _ in found])).values())
    else:
        papers = await store.papers_between(query.since or start, query.until or end)
    window = Window(p for p in papers if p.id not in exclude)
    return rank_topic(window, query, end=end, period=period, limit=limit)


_PREFILTER = 2000


def _plural_forms(term: str) -> tuple[str, ...]:
    return tuple(f for f in plural_forms(term) if f != term)
