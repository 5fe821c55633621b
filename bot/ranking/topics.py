"""Topic recommendations: the best papers of a date window for a topic, with reasons."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

import numpy as np

from bot.models import Paper, Period, Recommendation
from bot.ranking.trending import read_trending_scores
from bot.ranking.window import Window
from bot.search.query import Query, parse_query
from bot.search.spelling import spelling_forms
from bot.store.port import PaperStore, TextQuery
from bot.text import STOPWORDS, plural_forms, tokenize

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
            # Both minimums hold: the subscription's and the query's own min-upvotes:N.
            min_upvotes=max(filter(None, (self.min_upvotes, q.min_upvotes)), default=None),
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
    limit: int,
    among: AbstractSet[str] | None = None,
    exclude: AbstractSet[str] = frozenset(),
) -> list[Recommendation]:
    """The best ``limit`` papers of ``window`` (``among`` those ids, not in ``exclude``)
    for ``query``, with reasons.

    With words or authors, relevance leads and popularity breaks near-ties
    (``0.7 × relevance + 0.3 × trending``, both scaled to 0..1); without, it is the
    window's trending list (filtered by categories and minimum upvotes: the order of
    :func:`~bot.ranking.trending.trending`), then the newest arXiv-only papers, which
    cannot trend. Trending is the score the window carries for each paper.
    """
    if not (query.terms or query.phrases or query.authors or query.excluded):
        return _trending_only(window, query, limit=limit, among=among, exclude=exclude)
    # Many subscriptions share a topic: rank its matches once per window. Leaving papers
    # out keeps that order unless it removes the best match or the most trending one,
    # which set the scales both scores are measured on.
    key = ("topic", query, among)
    ranked = window.memo.get(key)
    if ranked is None:
        ranked = window.memo[key] = _ranked(window, query, among, frozenset())
    rows, scores, scales = ranked
    if exclude and any(_all_left_out(window, top, exclude) for top in scales):
        rows, scores, _ = _ranked(window, query, among, exclude)
    best: list[tuple[Paper, float]] = []
    for row, score in zip(rows.tolist(), scores.tolist(), strict=True):
        if len(best) == limit:
            break
        paper = window.papers[window.ids[row]]
        if paper.id not in exclude:
            best.append((paper, score))
    return [Recommendation(p, sc, _explained(window, p, query)) for p, sc in best]


def _explained(window: Window, paper: Paper, query: Query) -> str:
    """``explain``, once per paper and query in a window: subscriptions share both."""
    reasons = window.memo.setdefault("reasons", {})
    reason = reasons.get((paper.id, query))
    if reason is None:
        reason = reasons[(paper.id, query)] = explain(paper, query, window=window)
    return reason


def _window_arrays(window: Window) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of the window, computed once: whether it has upvotes, the tie-break after
    the score (more upvotes first for those that have them, newer first for the rest),
    and rank by id."""
    found = window.memo.get("arrays")
    if found is None:
        papers = list(window.papers.values())
        voted = np.array([p.upvotes is not None for p in papers], bool)
        after = np.array(
            [-(p.upvotes or 0) if p.upvotes is not None else -_ordinal(p) for p in papers],
            np.int64,
        )
        by_id = np.empty(len(papers), np.int64)
        by_id[np.argsort(np.array(window.ids, dtype=object))] = np.arange(len(papers))
        found = window.memo["arrays"] = (voted, after, by_id)
    return found


def _ranked(
    window: Window,
    query: Query,
    among: AbstractSet[str] | None,
    exclude: AbstractSet[str],
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The matching rows best first, their scores, and for each scale the rows that
    set it."""
    rows, relevance = window.select(query, among=among, exclude=exclude)
    voted_all, after_all, by_id_all = _window_arrays(window)
    raw = window.trend[rows]
    top_trend = float(raw.max()) if len(raw) else 0.0
    trend = np.log1p(np.maximum(raw, 0.0)) / math.log1p(top_trend) if top_trend > 0 else raw * 0
    # The rows that set each scale: leaving some of them out changes nothing while one
    # is left. A scale of zero (nothing trending) is no scale.
    scales = [rows[raw == top_trend]] if top_trend > 0 else []
    if query.terms or query.phrases or query.authors:
        best = float(relevance.max()) if len(relevance) else 0.0
        best = best or 1.0
        scales.append(rows[relevance == best])
        scores = 0.7 * relevance / best + 0.3 * trend
        order = np.lexsort((by_id_all[rows], -scores))
    else:
        # Trending papers by score; arXiv-only ones after them, newest first.
        voted = voted_all[rows]
        scores = np.where(voted, trend + 1.0, 0.0)
        order = np.lexsort((by_id_all[rows], after_all[rows], -scores))
    return rows[order], scores[order], scales


def _all_left_out(window: Window, rows: np.ndarray, exclude: AbstractSet[str]) -> bool:
    return len(rows) <= len(exclude) and all(window.ids[r] in exclude for r in rows.tolist())


def _trending_only(
    window: Window,
    query: Query,
    *,
    limit: int,
    among: AbstractSet[str] | None,
    exclude: AbstractSet[str],
) -> list[Recommendation]:
    # Many subscriptions have no words: the window's papers are put in trending order
    # once, and each takes the first few it may post.
    raw = window.trend
    voted, after, by_id = _window_arrays(window)
    order = window.memo.get("trending order")
    if order is None:
        # Trending papers by score, as trending() orders them; arXiv-only ones (which
        # cannot trend) after them, newest first.
        voted_raw = np.where(voted, raw, 0.0)
        order = window.memo["trending order"] = np.lexsort((by_id, after, -voted_raw, ~voted))
    rows = window.allowed(order, query, among=among, exclude=exclude)[: max(limit, 0)]
    # Scores on a log scale, 1 for the best; arXiv-only papers 0 (they cannot trend).
    top = math.log1p(max((float(raw[r]) for r in rows if voted[r]), default=0.0))
    out = []
    for r in rows.tolist():
        paper = window.papers[window.ids[r]]
        score = 0.0
        if voted[r]:
            score = (math.log1p(float(raw[r])) / top if top > 0 else 0.0) + 1.0
        out.append(Recommendation(paper, score, _explained(window, paper, query)))
    return out


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
    """The best ``limit`` papers featured or listed in ``[start, end]`` for ``topic``,
    trending over the shortest period that spans those days."""
    query = topic.to_query(start, end)
    days = (end - start).days + 1
    period = next((p for p in Period if p.days >= days), Period.MONTH)
    if query.terms or query.phrases or query.authors:
        # The full-text index narrows a month of papers to the few that can match;
        # the window then decides, exactly as it does for daily digests.
        prefilter = TextQuery(
            groups=tuple((t, *_other_forms(t)) for t in query.terms),
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
    papers = [p for p in papers if p.id not in exclude]
    trend = await read_trending_scores(store, papers, end=end, period=period)
    return rank_topic(Window(papers, trend=trend), query, limit=limit)


_PREFILTER = 2000


def _other_forms(term: str) -> tuple[str, ...]:
    """The word's other spellings the window matches: singular or plural, UK or US."""
    return tuple(
        f for f in dict.fromkeys((*plural_forms(term), *spelling_forms(term))) if f != term
    )
