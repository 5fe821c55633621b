"""Topic rankings over a window of real papers: what many subscriptions share must not
change what each one gets."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from bot.models import Paper
from bot.ranking.topics import Topic, rank_topic
from bot.ranking.window import Window
from bot.store import PaperStore

END = dt.date(2026, 6, 30)
START = END - dt.timedelta(days=6)
TOPICS = [
    "diffusion",
    "language models",
    "reinforcement learning",
    '"large language"',
    "video -diffusion",
    "agents cat:cs.CL",
    "vision min-upvotes:10",
    "",
    "cat:cs.CV",
    "author:wang agents",
]


@pytest.fixture
async def papers(real_store: PaperStore) -> list[Paper]:
    found = await real_store.papers_between(START, END)
    assert len(found) > 500
    return found


@pytest.mark.parametrize("topic", TOPICS)
async def test_shared_rankings_equal_fresh_ones_whatever_a_place_was_sent(
    papers: list[Paper], topic: str
) -> None:
    query = Topic(topic).to_query(START, END)
    rng = random.Random(topic)
    shared = Window(papers)
    among = frozenset(p.id for p in papers if p.upvotes is not None or rng.random() < 0.5)
    best = rank_topic(shared, query, limit=25, among=among)
    top = [r.paper.id for r in best]
    # What places were sent: nothing, the very best papers (which set the scales), a
    # random few, and everything the topic matches but one.
    sent_sets = [set(), set(top[:1]), set(top[:3]), set(rng.sample(sorted(among), 40))]
    sent_sets.append(set(top[1:]))
    for sent in sent_sets:
        got = rank_topic(shared, query, limit=10, among=among, exclude=sent)
        fresh = rank_topic(Window(papers), query, limit=10, among=among - sent)
        assert [(r.paper.id, r.reason) for r in got] == [(r.paper.id, r.reason) for r in fresh]
        assert [r.score for r in got] == pytest.approx([r.score for r in fresh])
        assert not {r.paper.id for r in got} & sent
