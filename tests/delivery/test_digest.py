"""The digest builder: one build at a time, a worker that shares nothing, profiles kept
from one build to the next, and trending with growth."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from bot.delivery.digest import DigestBuilder, Due, _rank_all
from bot.models import Destination, Digest, Paper, Signal, Subscription
from bot.ranking.trending import opening
from bot.store import Store, open_store

DAY = dt.date(2026, 6, 10)
CHANNEL = Destination("test", "team", "C1")
READER = Destination("test", "team", user="U9")
FIELDS = [
    ("Diffusion", "denoising diffusion sampler image generation score matching"),
    ("Robot", "robot grasping manipulation policy control arm"),
    ("Language", "language model tokens pretraining instruction tuning text"),
]


def slot(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)


def papers_for(day: dt.date, n: int = 12) -> list[Paper]:
    """``n`` papers of ``day`` in three fields, a few upvotes apart."""
    out = []
    for k in range(n):
        field, words = FIELDS[k % 3]
        out.append(
            Paper(
                id=f"2606.{day.day:02d}{k:03d}",
                title=f"{field} study {k}",
                abstract=f"We study {words}. Variant {k} works.",
                day=day,
                upvotes=10 + k,
                source="hf",
            )
        )
    return out


@pytest.fixture
async def store() -> Any:
    async with open_store("sqlite://") as s:
        for back in range(6):
            day = DAY - dt.timedelta(days=back)
            await s.upsert_papers(papers_for(day), observed_at=slot(day))
        diffusion = [p for p in papers_for(DAY - dt.timedelta(days=5)) if "Diffusion" in p.title]
        for paper in diffusion:
            await s.add_signal("test", "team", "U9", paper.id, Signal.SAVE, now=slot(DAY))
        yield s


def subscriptions(reader: Destination = READER, count: int = 4) -> list[Subscription]:
    """Trending and a topic in one channel, and a reader's DM digest."""
    return [
        Subscription(id=1, destination=CHANNEL, owner="U1", count=4),
        Subscription(id=2, destination=CHANNEL, owner="U1", topic="robot", count=3),
        Subscription(id=3, destination=reader, owner=reader.user, count=count),
    ]


def due(day: dt.date = DAY, **kw: Any) -> list[Due]:
    return [Due(sub, slot(day)) for sub in subscriptions(**kw)]


def ids(digest: Digest) -> list[str]:
    return [i.paper_id for i in digest.items]


Watch = Callable[..., Awaitable[Any]]


def watch_workers(
    monkeypatch: pytest.MonkeyPatch, events: list[str], check: Watch | None = None
) -> None:
    """Note in ``events`` when a ranking worker thread starts and ends; ``check`` runs
    it. (Other work sent to a thread, such as weighing the vocabulary, just runs.)"""
    real = asyncio.to_thread

    async def to_thread(fn: Callable[..., Any], /, *args: Any) -> Any:
        if fn is not _rank_all:
            return await real(fn, *args)
        events.append("worker")
        try:
            return await (check(fn, *args) if check else real(fn, *args))
        finally:
            events.append("done")

    monkeypatch.setattr(asyncio, "to_thread", to_thread)


class Recording:
    """The store, noting each call in ``events``."""

    def __init__(self, store: Store, events: list[str]) -> None:
        self._store, self._events = store, events

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)

        async def call(*args: Any, **kw: Any) -> Any:
            self._events.append("read")
            return await method(*args, **kw)

        return call


async def test_two_builds_at_once_run_one_after_the_other(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    tomorrow = DAY + dt.timedelta(days=1)
    await store.upsert_papers(papers_for(tomorrow, 3), observed_at=slot(tomorrow))
    alone = [await DigestBuilder(store).build(due(d)) for d in (DAY, tomorrow)]
    events: list[str] = []
    watch_workers(monkeypatch, events)
    builder = DigestBuilder(Recording(store, events))

    together = await asyncio.gather(builder.build(due()), builder.build(due(tomorrow)))

    assert list(together) == alone
    assert all(ids(d) for digests in together for d in digests)
    # The second build read nothing until the first was done: one build at a time.
    first_done = events.index("done")
    assert events.count("worker") == 2 and events[first_done - 1] == "worker"
    assert "worker" not in events[: events.index("worker")]
    assert events[first_done + 1] == "read"


async def test_a_profile_is_kept_and_ranks_after_the_column_space_grew(store: Store) -> None:
    builder = DigestBuilder(store)
    first = await builder.build(due())
    (reader,) = builder._readers.values()
    columns = builder._columns
    assert ids(first[2])[0] in {p.id for p in papers_for(DAY) if "Diffusion" in p.title}
    # A new day brings new words; the store grows by less than the IDF allows.
    tomorrow = DAY + dt.timedelta(days=1)
    new = Paper(
        id="2606.11999",
        title="Zorblat diffusion sampler",
        abstract="A zorblat denoising diffusion sampler for image generation.",
        day=tomorrow,
        upvotes=1,
        source="hf",
    )
    await store.upsert_papers([new], observed_at=slot(tomorrow))

    second = await builder.build(due(tomorrow, count=40))

    assert builder._readers[("test", "U9")] is reader  # signals unchanged: not rebuilt
    assert "zorblat" in builder._columns and "zorblat" not in columns
    assert builder._columns.shares_lineage(columns)
    # The old profile still compares: the new diffusion paper before any other field's.
    titles = {
        p.id: p.title for p in await store.papers_between(DAY - dt.timedelta(days=5), tomorrow)
    }
    ranked = [(i.paper_id, i.reason) for i in second[2].items]
    rank = [i for i, _ in ranked].index(new.id)
    assert ranked[rank][1].startswith("because you saved 'Diffusion study")
    others = [n for n, (i, _) in enumerate(ranked) if "iffusion" not in titles[i]]
    assert others and rank < min(others)
    # A new signal rebuilds that reader's profile, in the grown space.
    await store.add_signal("test", "team", "U9", new.id, Signal.LIKE, now=slot(tomorrow))
    await builder.build(due(tomorrow))
    rebuilt = builder._readers[("test", "U9")]
    assert rebuilt is not reader and new.id in rebuilt.profile.seen


async def test_the_worker_changes_none_of_the_builders_state(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder = DigestBuilder(store)
    await builder.build(due())
    real = asyncio.to_thread

    async def check(fn: Callable[..., Any], *args: Any) -> Any:
        # What the builder holds while its worker runs, compared after the worker is done.
        columns, tokens = builder._columns, dict(builder._columns)
        readers, profiles = builder._readers, dict(builder._readers)
        result = await real(fn, *args)
        assert builder._columns is columns and dict(columns) == tokens
        assert builder._readers is readers and readers == profiles
        assert result.columns is not columns  # the worker extended its own fork
        return result

    events: list[str] = []
    watch_workers(monkeypatch, events, check)
    held = builder._columns
    tomorrow = DAY + dt.timedelta(days=1)
    extra = Paper(id="2606.11998", title="Quuxian robots", day=tomorrow, upvotes=3, source="hf")
    await store.upsert_papers([extra], observed_at=slot(tomorrow))

    await builder.build(due(tomorrow))

    assert events == ["worker", "done"]
    assert "quuxian" not in held and "quuxian" in builder._columns
    assert builder._columns is not held
    assert all(builder._columns[t] == c for t, c in held.items())  # append-only


async def test_growth_counts_in_digests(store: Store) -> None:
    tomorrow = DAY + dt.timedelta(days=1)
    # Both are new tomorrow; "steady" already had most of its upvotes last week.
    steady = Paper(id="2606.11001", title="Steady", day=tomorrow, upvotes=60, source="hf")
    rising = Paper(id="2606.11002", title="Rising", day=tomorrow, upvotes=45, source="hf")
    await store.upsert_papers(
        [Paper(id=steady.id, upvotes=58)], observed_at=opening(DAY - dt.timedelta(days=9))
    )
    await store.upsert_papers([steady, rising], observed_at=slot(tomorrow))

    newcomer = Destination("test", "team", user="U8")
    channel, _, dm = await DigestBuilder(store).build(due(tomorrow, reader=newcomer))

    assert ids(channel)[:2] == [rising.id, steady.id]
    # A reader who kept nothing yet: trending alone orders their digest, the same way.
    assert [i for i in ids(dm) if i in (rising.id, steady.id)] == [rising.id, steady.id]


async def test_the_next_build_sees_papers_and_upvotes_that_came_between_builds(
    store: Store,
) -> None:
    # A running builder keeps its index of the window's papers from one tick to the
    # next; a paper fetched in between, or a paper's new upvotes, must still count.
    builder = DigestBuilder(store)
    first = await builder.build(due())
    assert await builder.build(due()) == first == await DigestBuilder(store).build(due())
    robot = Paper(
        id="2606.10999",
        title="Robot arm grasping policy",
        abstract="A robot grasping manipulation policy for control of an arm.",
        day=DAY,
        upvotes=500,
        source="hf",
    )
    await store.upsert_papers([robot], observed_at=slot(DAY))
    fetched = await builder.build(due())
    assert fetched == await DigestBuilder(store).build(due())
    # It tops the channel's trending list (so its robot topic, in the same channel,
    # does not post it again).
    assert ids(fetched[0])[0] == robot.id and robot.id not in ids(fetched[1])
    # Upvotes move: the trending list follows at the next build.
    last = ids(fetched[0])[-1]
    days = [DAY - dt.timedelta(days=back) for back in range(6)]
    moved = next(p for day in days for p in papers_for(day) if p.id == last)
    await store.upsert_papers([replace(moved, upvotes=900)], observed_at=slot(moved.day))
    voted = await builder.build(due())
    assert voted == await DigestBuilder(store).build(due())
    assert ids(voted[0])[:2] == [last, robot.id]


async def test_readers_weighed_a_few_at_a_time_get_the_digests_of_all_at_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Readers in each field, sharing saved papers: a new builder weighs their papers a
    # few readers at a time (the event loop runs between), which must change nothing.
    old = DAY - dt.timedelta(days=5)
    fields = [[p for p in papers_for(old) if field in p.title] for field, _ in FIELDS]
    readers = []
    for n in range(6):
        reader = Destination("test", "team", user=f"R{n}")
        for paper in fields[n % 3][: 2 + n // 3] + fields[(n + 1) % 3][:1]:
            await store.add_signal(
                "test", "team", reader.user, paper.id, Signal.SAVE, now=slot(DAY)
            )
        readers.append(reader)
    subs = [
        Subscription(id=10 + n, destination=r, owner=r.user, count=5) for n, r in enumerate(readers)
    ]
    work = [Due(sub, slot(DAY)) for sub in subs]
    monkeypatch.setattr("bot.delivery.digest._PROFILE_PAPERS", 10_000)
    together = await DigestBuilder(store).build(work)
    monkeypatch.setattr("bot.delivery.digest._PROFILE_PAPERS", 1)
    apart = await DigestBuilder(store).build(work)

    assert apart == together
    # Each reader's digest follows their own saves: the field they saved most of first.
    for n, digest in enumerate(together):
        first = await store.get_paper(ids(digest)[0])
        assert first is not None and FIELDS[n % 3][0] in first.title
