"""Trending: upvotes, growth inside the window, and age decay."""

from __future__ import annotations

import datetime as dt

from bot.models import Paper, Period
from bot.ranking.trending import trending, trending_score, window

END = dt.date(2026, 6, 30)


def p(pid: str, upvotes: int | None, day: dt.date) -> Paper:
    return Paper(id=pid, title=pid, upvotes=upvotes, day=day)


def test_window_bounds() -> None:
    assert window(END, Period.DAY) == (END, END)
    assert window(END, Period.WEEK) == (dt.date(2026, 6, 24), END)
    assert window(END, Period.MONTH) == (dt.date(2026, 6, 1), END)


def test_same_day_ranks_by_upvotes() -> None:
    ranked = trending(
        [p("a", 5, END), p("b", 50, END), p("c", 20, END)], {}, end=END, period=Period.DAY
    )
    assert [x.id for x, _ in ranked] == ["b", "c", "a"]


def test_a_week_old_paper_needs_twice_the_votes() -> None:
    old = p("old", 40, END - dt.timedelta(days=7))
    new = p("new", 21, END)
    ranked = trending([old, new], {}, end=END, period=Period.WEEK)
    assert [x.id for x, _ in ranked] == ["new", "old"]
    assert trending_score(old, growth=0, end=END, period=Period.WEEK) == 20


def test_growth_inside_the_window_counts() -> None:
    steady = p("steady", 60, END - dt.timedelta(days=3))
    rising = p("rising", 50, END - dt.timedelta(days=3))
    # steady already had 55 before the window opened; rising had 5.
    ranked = trending([steady, rising], {"steady": 55, "rising": 5}, end=END, period=Period.WEEK)
    assert [x.id for x, _ in ranked] == ["rising", "steady"]


def test_papers_without_upvotes_do_not_trend() -> None:
    ranked = trending([p("arxiv-only", None, END), p("hf", 0, END)], {}, end=END, period=Period.DAY)
    assert [x.id for x, _ in ranked] == ["hf"]
