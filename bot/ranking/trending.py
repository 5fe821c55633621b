"""Trending: rank a window of papers by upvotes, their growth, and age.

For a window of ``D`` days ending on day ``E`` (1, 7 or 30 days), each paper featured in
the window scores

    score = (upvotes + growth) × 0.5 ** (age / D)

- ``upvotes``: the newest count we know;
- ``growth``: upvotes gained since the window opened, from the upvote history (all of
  them for a paper first seen inside the window), so momentum counts twice;
- ``age``: days from the day the paper was featured to ``E``; a paper loses half its
  weight over one window length, so a week-old paper needs twice the votes of today's.

Papers no one can upvote (arXiv-only, ``upvotes`` unknown) do not trend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from bot.models import Paper, Period

__all__ = ["trending", "trending_score", "window"]


def window(end: dt.date, period: Period) -> tuple[dt.date, dt.date]:
    """The first and last day (inclusive) of ``period`` ending on ``end``."""
    return end - dt.timedelta(days=period.days - 1), end


def trending_score(paper: Paper, *, growth: int, end: dt.date, period: Period) -> float:
    """The score above for one paper; 0 for a paper without upvotes."""
    if paper.upvotes is None:
        return 0.0
    age = max((end - paper.day).days, 0) if paper.day else period.days
    return (paper.upvotes + max(growth, 0)) * 0.5 ** (age / period.days)


def trending(
    papers: Iterable[Paper],
    upvotes_at_start: Mapping[str, int],
    *,
    end: dt.date,
    period: Period,
) -> list[tuple[Paper, float]]:
    """Rank ``papers`` (already limited to the window), best first, ties by upvotes."""
    scored = []
    for p in papers:
        if p.upvotes is None:
            continue
        growth = p.upvotes - upvotes_at_start.get(p.id, 0)
        scored.append((p, trending_score(p, growth=growth, end=end, period=period)))
    scored.sort(key=lambda ps: (-ps[1], -(ps[0].upvotes or 0), ps[0].id))
    return scored
