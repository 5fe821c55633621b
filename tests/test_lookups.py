"""Papers looked up on arXiv for people asking for one the database lacks."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import Lookups
from bot.errors import SourceUnavailable
from bot.models import Paper


class Upstream:
    """``ArxivClient.by_ids`` as the lookups call it, counting requests."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.release = asyncio.Event()
        self.fail = False

    async def by_ids(self, ids: list[str]) -> list[Paper]:
        self.asked += ids
        await self.release.wait()
        if self.fail:
            raise SourceUnavailable("arXiv is busy right now", source="arXiv")
        return [Paper(id=i, title=f"Paper {i}") for i in ids if i != "2401.00000"]


async def test_a_crowd_asking_for_one_paper_makes_one_request() -> None:
    upstream, now = Upstream(), [0.0]
    lookups = Lookups(upstream.by_ids, clock=lambda: now[0])
    crowd = [asyncio.create_task(lookups("2406.12345")) for _ in range(20)]
    await asyncio.sleep(0)
    upstream.release.set()
    found = await asyncio.gather(*crowd)
    assert upstream.asked == ["2406.12345"]
    assert {p.title for p in found if p} == {"Paper 2406.12345"}
    # Asked again soon: the kept answer, found or not.
    assert (await lookups("2406.12345")).title == "Paper 2406.12345"
    assert await lookups("2401.00000") is None
    assert await lookups("2401.00000") is None
    assert upstream.asked == ["2406.12345", "2401.00000"]
    now[0] += Lookups.FOUND_FOR + 1
    await lookups("2406.12345")
    assert upstream.asked[-1] == "2406.12345" and len(upstream.asked) == 3


async def test_a_failure_is_kept_for_a_minute_and_one_leaving_cancels_nobody() -> None:
    upstream, now = Upstream(), [0.0]
    upstream.fail = True
    lookups = Lookups(upstream.by_ids, clock=lambda: now[0])
    leaving = asyncio.create_task(lookups("2406.12345"))
    staying = asyncio.create_task(lookups("2406.12345"))
    await asyncio.sleep(0)
    leaving.cancel()
    upstream.release.set()
    with pytest.raises(SourceUnavailable):
        await staying
    with pytest.raises(SourceUnavailable):
        await lookups("2406.12345")  # kept: not asked again
    assert upstream.asked == ["2406.12345"]
    now[0] += Lookups.FAILED_FOR + 1
    upstream.fail = False
    assert (await lookups("2406.12345")).title == "Paper 2406.12345"
    assert len(upstream.asked) == 2


async def test_only_the_newest_answers_are_kept() -> None:
    upstream = Upstream()
    upstream.release.set()
    lookups = Lookups(upstream.by_ids, clock=lambda: 0.0)
    for n in range(Lookups.KEPT + 5):
        await lookups(f"2401.{n:05d}")
    assert len(lookups._answers) == Lookups.KEPT
