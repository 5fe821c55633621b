"""Trending: upvotes, growth inside the window, and age decay; one score for every list."""

from __future__ import annotations

import datetime as dt

from bot.delivery.digest import DigestBuilder, Due
from bot.models import Destination, Paper, Period, Subscription
from bot.ranking.topics import Topic, recommend
from bot.ranking.trending import (
    opening,
    period_range,
    read_trending_scores,
    trending,
    trending_score,
    trending_scores,
)
from bot.ranking.window import Window
from bot.store import Store

END = dt.date(2026, 6, 30)


def p(pid: str, upvotes: int | None, day: dt.date) -> Paper:
    return Paper(id=pid, title=pid, upvotes=upvotes, day=day)


def test_period_range_bounds() -> None:
    assert period_range(END, Period.DAY) == (END, END)
    assert period_range(END, Period.WEEK) == (dt.date(2026, 6, 24), END)
    assert period_range(END, Period.MONTH) == (dt.date(2026, 6, 1), END)
    assert opening(END) == dt.datetime(2026, 6, 30, tzinfo=dt.UTC)


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
    assert trending_scores([p("arxiv-only", None, END)], {}, end=END, period=Period.DAY) == {
        "arxiv-only": 0.0
    }


def test_a_window_without_scores_counts_every_upvote_as_growth() -> None:
    papers = [p("a", 10, END), p("b", 30, END - dt.timedelta(days=2)), p("c", None, END)]
    window = Window(papers)
    expected = trending_scores(papers, {}, end=END, period=Period.WEEK)
    assert window.trend.tolist() == [expected[x.id] for x in papers]
    assert expected["a"] == 20.0  # 10 upvotes + 10 of growth, today


# Papers of the week to END: (id, day, upvotes when the week opened or None if first
# seen inside it, upvotes now). Growth and age, not upvotes alone, decide.
HISTORY = [
    ("2606.00001", END, 28, 30),  # 32 today
    ("2606.00002", END - dt.timedelta(days=2), None, 40),  # 80 two days ago: 65.6
    ("2606.00003", END - dt.timedelta(days=1), 45, 50),  # 55 yesterday: 49.8
    ("2606.00004", END, None, 20),  # 40 today
    ("2606.00005", END - dt.timedelta(days=2), 58, 60),  # 62 two days ago: 50.8
]
EXPECTED = ["2606.00002", "2606.00005", "2606.00003", "2606.00004", "2606.00001"]


async def _with_history(store: Store) -> list[Paper]:
    """The papers of ``HISTORY``, observed a week before END and again on END."""
    now = [Paper(id=i, title=f"Paper {i}", day=d, upvotes=u, source="hf") for i, d, _, u in HISTORY]
    before = [Paper(id=i, day=d, upvotes=b, source="hf") for i, d, b, _ in HISTORY if b is not None]
    await store.upsert_papers(before, observed_at=opening(END - dt.timedelta(days=8)))
    await store.upsert_papers(now, observed_at=opening(END) + dt.timedelta(hours=6))
    return now


async def test_every_list_ranks_by_the_one_trending_score(store: Store) -> None:
    papers = await _with_history(store)
    start, _ = period_range(END, Period.WEEK)
    week = await store.papers_between(start, END)
    before = await store.upvotes_before([x.id for x in week], opening(start))
    by_command = [x.id for x, _ in trending(week, before, end=END, period=Period.WEEK)]
    topic_list = await recommend(store, Topic(""), start=start, end=END, limit=10)
    slot = dt.datetime.combine(END, dt.time(9), tzinfo=dt.UTC)
    channel = Subscription(id=1, destination=Destination("test", "t", "C1"), owner="U1", count=10)
    dm = Subscription(id=2, destination=Destination("test", "t", user="U2"), owner="U2", count=10)
    digests = await DigestBuilder(store).build([Due(channel, slot), Due(dm, slot)])

    assert by_command == EXPECTED
    assert [r.paper.id for r in topic_list] == EXPECTED
    assert [i.paper_id for i in digests[0].items] == EXPECTED
    # A reader who kept nothing yet gets trending alone: the DM digest's trending part.
    assert [i.paper_id for i in digests[1].items] == EXPECTED
    # Neither upvotes alone nor upvotes without growth give that order.
    assert [x.id for x in sorted(papers, key=lambda x: -(x.upvotes or 0))] != EXPECTED
    assert [
        x.id
        for x, _ in trending(
            week, {x.id: x.upvotes or 0 for x in week}, end=END, period=Period.WEEK
        )
    ] != EXPECTED
    scores = await read_trending_scores(store, papers, end=END, period=Period.WEEK)
    assert scores == trending_scores(papers, before, end=END, period=Period.WEEK)
