"""Trending: the one score for upvotes, their growth, and age, used by every ranking.

For a window of ``D`` days ending on day ``E`` (1, 7 or 30 days), each paper featured in
the window scores

    score = (upvotes + growth) × 0.5 ** (age / D)

- ``upvotes``: the newest count we know;
- ``growth``: upvotes gained since the window opened, from the upvote history (all of
  them for a paper first seen inside the window), so momentum counts twice;
- ``age``: days from the day the paper was featured to ``E``; a paper loses half its
  weight over one window length, so a week-old paper needs twice the votes of today's.

Papers no one can upvote (arXiv-only, ``upvotes`` unknown) do not trend.

``/papers trending`` (:func:`trending`), topic lists, channel digests and the trending
part of DM digests all rank by this score (the last three through the scores a
:class:`~bot.ranking.window.Window` carries, from :func:`trending_scores`); they may scale
it to 0..1 to mix it with relevance, never replace it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from bot.models import Paper, Period
from bot.store.port import PaperStore

__all__ = [
    "opening",
    "period_range",
    "read_trending_scores",
    "trending",
    "trending_score",
    "trending_scores",
]


def period_range(end: dt.date, period: Period) -> tuple[dt.date, dt.date]:
    """The first and last day (inclusive) of ``period`` ending on ``end``."""
    return end - dt.timedelta(days=period.days - 1), end


def opening(first_day: dt.date) -> dt.datetime:
    """When a window whose first day is ``first_day`` opens (midnight UTC): growth is
    counted from the upvotes observed by then."""
    return dt.datetime.combine(first_day, dt.time.min, tzinfo=dt.UTC)


def trending_score(paper: Paper, *, growth: int, end: dt.date, period: Period) -> float:
    """The score above for one paper; 0 for a paper without upvotes."""
    if paper.upvotes is None:
        return 0.0
    age = max((end - paper.day).days, 0) if paper.day else period.days
    return (paper.upvotes + max(growth, 0)) * 0.5 ** (age / period.days)


def trending_scores(
    papers: Iterable[Paper],
    upvotes_at_start: Mapping[str, int],
    *,
    end: dt.date,
    period: Period,
) -> dict[str, float]:
    """The score of each paper by id (0 for those without upvotes); ``upvotes_at_start``
    holds the counts observed when the window opened (a paper missing had none)."""
    return {
        p.id: trending_score(
            p, growth=(p.upvotes or 0) - upvotes_at_start.get(p.id, 0), end=end, period=period
        )
        for p in papers
    }


async def read_trending_scores(
    store: PaperStore, papers: Iterable[Paper], *, end: dt.date, period: Period
) -> dict[str, float]:
    """:func:`trending_scores` with the growth since ``period`` (ending on ``end``)
    opened, from the store's upvote history: one query."""
    papers = list(papers)
    voted = [p.id for p in papers if p.upvotes is not None]
    first, _ = period_range(end, period)
    before = await store.upvotes_before(voted, opening(first)) if voted else {}
    return trending_scores(papers, before, end=end, period=period)


def trending(
    papers: Iterable[Paper],
    upvotes_at_start: Mapping[str, int],
    *,
    end: dt.date,
    period: Period,
) -> list[tuple[Paper, float]]:
    """Rank ``papers`` (already limited to the window) that have upvotes, best first;
    ties go to more upvotes, then the smaller id."""
    voted = [p for p in papers if p.upvotes is not None]
    scores = trending_scores(voted, upvotes_at_start, end=end, period=period)
    scored = [(p, scores[p.id]) for p in voted]
    scored.sort(key=lambda ps: (-ps[1], -(ps[0].upvotes or 0), ps[0].id))
    return scored
