"""The delivery loop, driven by a fake clock: exactly one post per slot, never a paper
twice, and every platform answer handled."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.delivery.outbound import OutboundMessage, Outcome, SendResult
from bot.delivery.scheduler import INCOMPLETE, Scheduler
from bot.errors import SourceUnavailable
from bot.ingest import FetchReport
from bot.models import Destination, Paper, Signal, Source, Subscription
from bot.store import Store, open_store
from tests.conftest import postgres_schema
from tests.fakes import FakeClock, FakeOutbound

MONDAY = dt.date(2026, 6, 1)
UTC = dt.UTC
CHANNEL = Destination("test", "team", "C1")
OTHER = Destination("test", "team", "C2")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


def papers_for(day: dt.date, n: int = 6) -> list[Paper]:
    stem = f"26{day.month:02d}.{day.day:02d}"
    return [
        Paper(
            id=f"{stem}{k:03d}",
            version=1,
            title=f"{'Diffusion' if k % 2 else 'Robot'} study {k} of {day}",
            abstract="We study things. It works.",
            authors=("A. Author",),
            day=day,
            upvotes=10 + k,
            source="hf",
        )
        for k in range(n)
    ]


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """Three weeks of papers, on each backend (PostgreSQL given a test server)."""
    async with AsyncExitStack() as stack:
        url = "sqlite://"
        if request.param == "postgres":
            url = await stack.enter_async_context(postgres_schema("scheduler"))
        s = await stack.enter_async_context(open_store(url))
        for offset in range(-7, 14):
            day = MONDAY + dt.timedelta(days=offset)
            await s.upsert_papers(papers_for(day), observed_at=at(day, 23))
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(MONDAY, 8))


@pytest.fixture
def port(clock: FakeClock) -> FakeOutbound:
    return FakeOutbound(clock=clock)


def scheduler(store: Store, port: FakeOutbound, clock: FakeClock, **kw: object) -> Scheduler:
    return Scheduler(store, port, clock=clock, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


async def subscribe(store: Store, clock: FakeClock, **kw: object) -> Subscription:
    fields: dict[str, object] = {"destination": CHANNEL, "owner": "U1", "created_at": clock()}
    fields.update(kw)
    return await store.add_subscription(Subscription(id=0, **fields))  # type: ignore[arg-type]


async def test_one_post_per_slot_and_new_papers_each_day(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    await subscribe(store, clock, count=3, weekdays=frozenset(range(7)))
    s = scheduler(store, port, clock)
    clock.set(at(MONDAY, 8, 59))
    await s.tick()
    assert port.sent == []
    clock.set(at(MONDAY, 9))
    report = await s.tick()
    assert report.sent == 1
    first = [i.paper_id for i in port.sent[0].delivery.digest.items]
    assert len(first) == 3
    assert port.sent[0].reply.cards[0].reason
    clock.set(at(MONDAY, 9, 30))
    await s.tick()
    assert len(port.sent) == 1
    clock.set(at(MONDAY + dt.timedelta(days=1), 9))
    await s.tick()
    second = [i.paper_id for i in port.sent[1].delivery.digest.items]
    assert len(second) == 3 and not set(first) & set(second)


async def test_two_posts_in_one_channel_the_same_morning_share_no_paper(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    await subscribe(store, clock, count=5, weekdays=frozenset(range(7)))
    await subscribe(store, clock, topic="diffusion", count=5, weekdays=frozenset(range(7)))
    clock.set(at(MONDAY, 9))
    await scheduler(store, port, clock).tick()
    trending, diffusion = ([i.paper_id for i in m.delivery.digest.items] for m in port.sent)
    # Trending took the most upvoted papers, diffusion ones among them; the diffusion post
    # has only the diffusion papers trending did not take, not the same ones again.
    assert trending and diffusion
    assert not set(trending) & set(diffusion)


async def test_created_after_todays_slot_waits_for_the_next(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    clock.set(at(MONDAY, 10))
    await subscribe(store, clock, weekdays=frozenset(range(7)))
    s = scheduler(store, port, clock)
    await s.tick()
    clock.set(at(MONDAY, 23, 59))
    await s.tick()
    assert port.sent == []
    clock.set(at(MONDAY + dt.timedelta(days=1), 9, 0))
    await s.tick()
    assert len(port.sent) == 1


async def test_weekday_filter(store: Store, port: FakeOutbound, clock: FakeClock) -> None:
    await subscribe(store, clock)  # Monday to Friday
    s = scheduler(store, port, clock)
    saturday = MONDAY + dt.timedelta(days=5)
    for day in range(7):
        clock.set(at(MONDAY + dt.timedelta(days=day), 9, 1))
        await s.tick()
    days = [m.delivery.slot.date() for m in port.sent]
    assert len(days) == 5 and saturday not in days


async def test_timezone_and_daylight_saving(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    clock.set(dt.datetime(2026, 3, 27, 12, tzinfo=UTC))
    await subscribe(
        store, clock, at=dt.time(9), timezone="Europe/Berlin", weekdays=frozenset(range(7))
    )
    s = scheduler(store, port, clock)
    for day in (28, 29, 30):  # clocks go forward on the 29th
        for hour in range(5, 10):
            clock.set(dt.datetime(2026, 3, day, hour, tzinfo=UTC))
            await s.tick()
    slots = [m.delivery.slot for m in port.sent]
    assert slots == [
        dt.datetime(2026, 3, 28, 8, tzinfo=UTC),  # 09:00 CET
        dt.datetime(2026, 3, 29, 7, tzinfo=UTC),  # 09:00 CEST
        dt.datetime(2026, 3, 30, 7, tzinfo=UTC),
    ]


@pytest.mark.parametrize(("down_until", "posted"), [(11, True), (14, True), (16, False)])
async def test_missed_slot_inside_grace_is_posted_once_outside_skipped(
    store: Store,
    port: FakeOutbound,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    down_until: int,
    posted: bool,
) -> None:
    await subscribe(store, clock)
    clock.set(at(MONDAY, down_until))  # the bot was down at 09:00
    with caplog.at_level(logging.WARNING):
        report = await scheduler(store, port, clock, grace=dt.timedelta(hours=6)).tick()
    assert len(port.sent) == int(posted)
    assert report.skipped == int(not posted)
    assert ("skipped the" in caplog.text) is not posted
    await scheduler(store, port, clock).tick()
    assert len(port.sent) == int(posted)


async def test_days_missed_while_down_are_skipped_not_flooded(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    await subscribe(store, clock, weekdays=frozenset(range(7)))
    clock.set(at(MONDAY + dt.timedelta(days=5), 9, 30))
    report = await scheduler(store, port, clock).tick()
    assert report.skipped == 5 and len(port.sent) == 1


async def test_a_dm_digest_ranks_papers_that_arrived_after_the_last_one(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    reader = Destination("test", "team", "", "U9")
    await subscribe(store, clock, destination=reader, owner="U9", count=2)
    week_ago = MONDAY - dt.timedelta(days=7)
    saved = Paper(
        id="2605.99000",
        title="Quokka sampling for diffusion",
        abstract="Quokka sampling makes diffusion fast.",
        day=week_ago,
        upvotes=3,
        source="hf",
    )
    await store.upsert_papers([saved], observed_at=at(week_ago, 23))
    await store.add_signal("test", "team", "U9", saved.id, Signal.SAVE, now=clock())
    s = scheduler(store, port, clock)
    clock.set(at(MONDAY, 9))
    await s.tick()
    assert len(port.sent) == 1
    # Overnight, two papers close to the saved one arrive (a few papers: the builder
    # keeps the IDF the reader was weighed with, and the papers' new words are rare).
    tuesday = MONDAY + dt.timedelta(days=1)
    close = [
        replace(saved, id=f"2606.9900{k}", title=f"Quokka sampling, wombat part {k}", day=tuesday)
        for k in (1, 2)
    ]
    await store.upsert_papers(close, observed_at=at(tuesday, 7))
    clock.set(at(tuesday, 9))
    await s.tick()
    items = port.sent[1].delivery.digest.items
    assert sorted(i.paper_id for i in items) == [p.id for p in close]
    assert all(i.reason.startswith("because you saved 'Quokka") for i in items)


async def test_a_revised_paper_is_not_posted_again(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    await subscribe(store, clock, count=25, weekdays=frozenset(range(7)))
    s = scheduler(store, port, clock)
    clock.set(at(MONDAY, 9))
    await s.tick()
    sent = {i.paper_id for i in port.sent[0].delivery.digest.items}
    first = next(iter(sorted(sent)))
    tuesday = MONDAY + dt.timedelta(days=1)
    revised = replace(papers_for(MONDAY)[0], id=first, version=2, day=tuesday, upvotes=99)
    await store.upsert_papers([revised], observed_at=at(tuesday, 8))
    clock.set(at(tuesday, 9))
    await s.tick()
    assert first not in {i.paper_id for i in port.sent[1].delivery.digest.items}


async def test_nothing_new_says_so_unless_quiet(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    await subscribe(store, clock, topic="quantum gravity")
    await subscribe(store, clock, topic="quantum gravity", post_empty=False, destination=OTHER)
    clock.set(at(MONDAY, 9))
    await scheduler(store, port, clock).tick()
    assert [m.reply.text for m in port.sent] == ["No new papers on 'quantum gravity' today."]


async def test_destination_gone_pauses_and_tells_the_owner(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    sub = await subscribe(store, clock)
    port.answers[CHANNEL.key] = [SendResult(Outcome.GONE, detail="channel_not_found")]
    clock.set(at(MONDAY, 9))
    report = await scheduler(store, port, clock).tick()
    assert report.paused == [sub.id] and port.sent == []
    stored = await store.get_subscription(sub.id)
    assert stored is not None and not stored.active and "channel_not_found" in stored.paused_reason
    assert port.notified and "/papers resume" in port.notified[0][1]
    clock.set(at(MONDAY + dt.timedelta(days=1), 9))
    await scheduler(store, port, clock).tick()
    assert port.sent == []  # paused: no more attempts


async def test_transient_failures_retry_with_backoff_then_give_up(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    await subscribe(store, clock)
    port.answers[CHANNEL.key] = [SendResult(Outcome.TRANSIENT, detail="500")] * 2
    s = scheduler(store, port, clock, max_attempts=3)
    clock.set(at(MONDAY, 9))
    await s.tick()
    clock.advance(seconds=59)
    await s.tick()  # the first retry waits a minute
    assert port.sent == []
    clock.advance(seconds=1)
    await s.tick()
    clock.advance(minutes=2)
    await s.tick()
    assert len(port.sent) == 1  # third attempt succeeded
    port.answers[CHANNEL.key] = [SendResult(Outcome.TRANSIENT, detail="500")] * 9
    clock.set(at(MONDAY + dt.timedelta(days=1), 9))
    for _ in range(10):
        await s.tick()
        clock.advance(minutes=10)
    tuesday = [k for k in port.attempts if "T09:00" in k and k.startswith("1@2026-06-02")]
    assert port.attempts[tuesday[0]] == 3  # bounded


async def test_rate_limits_are_waited_out_and_others_are_not_delayed(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    await subscribe(store, clock)
    await subscribe(store, clock, destination=OTHER)
    port.answers[CHANNEL.key] = [SendResult(Outcome.RATE_LIMITED, retry_after=30)]
    clock.set(at(MONDAY, 9))
    report = await scheduler(store, port, clock).tick()
    assert report.rate_limited == 1 and len(port.sent) == 2
    by_place = {m.delivery.destination: t for m, t in zip(port.sent, port.times, strict=True)}
    assert by_place[OTHER.key] == at(MONDAY, 9)  # not held up by C1's limit
    assert by_place[CHANNEL.key] >= at(MONDAY, 9) + dt.timedelta(seconds=30)


async def test_a_long_rate_limit_becomes_a_later_retry(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    await subscribe(store, clock)
    port.answers[CHANNEL.key] = [SendResult(Outcome.RATE_LIMITED, retry_after=600)]
    s = scheduler(store, port, clock)
    clock.set(at(MONDAY, 9))
    await s.tick()
    assert port.sent == [] and clock() == at(MONDAY, 9)  # did not sit for 10 minutes
    clock.advance(minutes=10)
    await s.tick()
    assert len(port.sent) == 1


class Crash(BaseException):
    """The process dying mid-fan-out."""


@pytest.mark.parametrize("when", ["before send", "after send"])
async def test_a_crash_mid_send_neither_loses_nor_repeats(
    store: Store, port: FakeOutbound, clock: FakeClock, when: str
) -> None:
    await subscribe(store, clock)
    clock.set(at(MONDAY, 9))
    real_send = port.send

    async def dying_send(message: OutboundMessage) -> SendResult:
        if when == "after send":
            await real_send(message)
        raise Crash

    port.send = dying_send  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await scheduler(store, port, clock).tick()
    port.send = real_send  # type: ignore[method-assign]
    # Past the lease: here the dead sender's store is still open, so PostgreSQL, which
    # serves live replicas too, cannot know it died (SQLite ends its claims at once).
    clock.advance(minutes=6)
    report = await scheduler(store, port, clock).tick()  # a new process
    assert len(port.sent) == 1
    assert report.recovered == int(when == "after send")


@pytest.mark.parametrize("when", ["while recording the intents", "between intents and sends"])
async def test_a_crash_around_the_batch_of_intents_posts_each_digest_once(
    store: Store,
    port: FakeOutbound,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
) -> None:
    places = [Destination("test", "team", f"C{n}") for n in range(5)]
    for place in places:
        await subscribe(store, clock, destination=place)
    clock.set(at(MONDAY, 9))
    s = scheduler(store, port, clock)
    if when == "while recording the intents":
        real_record = store.record_intent
        recorded = 0

        async def dying_record(*args: object, **kw: object) -> object:
            nonlocal recorded
            recorded += 1
            if recorded == 3:
                raise Crash
            return await real_record(*args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(store, "record_intent", dying_record)
    else:

        async def dying_send_open(*_: object) -> None:
            raise Crash

        monkeypatch.setattr(s, "_send_open", dying_send_open)
    with pytest.raises(Crash):
        await s.tick()
    monkeypatch.undo()
    assert port.sent == []
    # All of the batch or none of it was recorded: the next process posts each once.
    recorded = await store.open_deliveries(due_by=clock() + dt.timedelta(days=1))
    assert len(recorded) == (0 if when == "while recording the intents" else 5)
    clock.advance(minutes=6)
    report = await scheduler(store, port, clock).tick()
    assert report.sent == 5
    assert sorted(m.delivery.destination for m in port.sent) == sorted(p.key for p in places)


async def test_a_crash_before_the_sent_posts_are_recorded_repeats_none(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    # Sent posts are recorded a few at a time: a process that dies between its sends and
    # their record leaves them for the next one to find in the channel's history.
    for n in range(5):
        await subscribe(store, clock, destination=Destination("test", "team", f"C{n}"))
    clock.set(at(MONDAY, 9))
    real_send = port.send

    async def dying_send(message: OutboundMessage) -> SendResult:
        if len(port.sent) == 3:
            raise Crash
        return await real_send(message)

    port.send = dying_send  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await scheduler(store, port, clock, concurrency=1).tick()
    port.send = real_send  # type: ignore[method-assign]
    clock.advance(minutes=6)
    report = await scheduler(store, port, clock).tick()
    assert (report.recovered, report.sent) == (3, 2)
    assert len(port.sent) == len({m.delivery.destination for m in port.sent}) == 5


async def test_fetches_before_the_slot_and_survives_an_upstream_outage(
    store: Store, port: FakeOutbound, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await subscribe(store, clock)
    calls: list[dt.datetime] = []

    async def refresh() -> None:
        calls.append(clock())
        raise SourceUnavailable("cannot reach huggingface.co", source="hf")

    s = scheduler(store, port, clock, refresh=refresh)
    clock.set(at(MONDAY, 8, 30))
    await s.tick()
    assert calls == []  # no slot soon
    clock.set(at(MONDAY, 8, 52))
    with caplog.at_level(logging.WARNING):
        await s.tick()
    assert calls == [at(MONDAY, 8, 52)]
    assert "using what the database has" in caplog.text
    clock.set(at(MONDAY, 9))
    with caplog.at_level(logging.WARNING):
        await s.tick()
    assert len(port.sent) == 1  # posted from what the database had
    # The outage lasts: it was said once, not at every tick.
    warned = [r for r in caplog.records if "could not fetch" in r.getMessage()]
    assert len(calls) == 2 and len(warned) == 1
    assert port.sent[0].reply.title == "Papers for Monday 01 June"  # the day it is posted


async def test_wakes_for_the_next_slot(store: Store, port: FakeOutbound, clock: FakeClock) -> None:
    await subscribe(store, clock, at=dt.time(8, 30))
    clock.set(at(MONDAY, 8, 25))
    assert await scheduler(store, port, clock).next_wakeup() == at(MONDAY, 8, 26)
    clock.set(at(MONDAY, 8, 29) + dt.timedelta(seconds=30))
    assert await scheduler(store, port, clock).next_wakeup() == at(MONDAY, 8, 30)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    hours=st.lists(st.integers(0, 23), min_size=1, max_size=3),
    zones=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    days=st.frozensets(st.integers(0, 6), min_size=1),
    steps=st.lists(st.integers(1, 300), min_size=5, max_size=40),
)
async def test_any_schedule_gets_exactly_one_post_per_slot(
    hours: list[int], zones: str, days: frozenset[int], steps: list[int]
) -> None:
    from bot.subscriptions.schedule import slots_between

    start = at(MONDAY, 0)
    clock = FakeClock(start)
    port = FakeOutbound()
    async with open_store("sqlite://") as s:
        await s.upsert_papers(papers_for(MONDAY, 30), observed_at=start)
        subs = []
        for i, hour in enumerate(hours):
            sub = Subscription(
                id=0,
                destination=Destination("test", "team", f"C{i}"),
                owner="U",
                at=dt.time(hour, 15),
                timezone=zones,
                weekdays=days,
                count=1,
                source=Source.HF,
                created_at=start,
            )
            subs.append(await s.add_subscription(sub))
        sched = Scheduler(s, port, clock=clock, sleep=clock.sleep, grace=dt.timedelta(days=30))
        ticks = []
        for minutes in steps:
            clock.advance(minutes=minutes * 7)
            ticks.append(clock())
            await sched.tick()
        for sub in subs:
            slots = slots_between(start, clock(), sub.at, sub.timezone, sub.weekdays)
            got = [m.delivery.slot for m in port.sent if m.subscription.id == sub.id]
            # A slot is posted when a tick saw it as the latest one; a slot that a later
            # slot overtook before any tick (the bot was away) is recorded as skipped.
            ends = [*slots[1:], dt.datetime.max.replace(tzinfo=UTC)]
            posted = [
                a for a, b in zip(slots, ends, strict=False) if any(a <= t < b for t in ticks)
            ]
            assert got == posted
            for slot in slots:
                record = await s.get_delivery(sub.id, slot)
                assert record is not None
                assert record.status.value == ("sent" if slot in posted else "skipped")
        assert len(port.keys()) == len(set(port.keys()))


async def test_a_rate_limit_another_process_met_is_honoured(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    await subscribe(store, clock)
    await subscribe(store, clock, destination=OTHER)
    clock.set(at(MONDAY, 9))
    # Another replica was told to wait 30 s for C1 (and recorded it).
    await store.hold(CHANNEL.key, until=at(MONDAY, 9) + dt.timedelta(seconds=30))
    await scheduler(store, port, clock).tick()
    sent = {m.delivery.destination: when for m, when in zip(port.sent, port.times, strict=True)}
    assert sent[CHANNEL.key] >= at(MONDAY, 9) + dt.timedelta(seconds=30)  # waited it out
    assert set(sent) == {CHANNEL.key, OTHER.key}


async def test_a_rate_limit_met_here_binds_the_other_processes(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    await subscribe(store, clock)
    port.answers[CHANNEL.key] = [SendResult(Outcome.RATE_LIMITED, retry_after=600)]
    clock.set(at(MONDAY, 9))
    report = await scheduler(store, port, clock).tick()
    assert report.retried == 1 and port.sent == []
    held = await store.holds([CHANNEL.key], now=clock())
    assert held == {CHANNEL.key: at(MONDAY, 9) + dt.timedelta(seconds=600)}


async def test_two_schedulers_on_one_database_send_each_post_once(
    store: Store, clock: FakeClock
) -> None:
    # Two senders sharing the database (as replicas do): each delivery is claimed once.
    for n in range(30):
        await subscribe(store, clock, destination=Destination("test", "team", f"C{n}"))
    clock.set(at(MONDAY, 9))
    a, b = FakeOutbound(clock=clock), FakeOutbound(clock=clock)
    first = scheduler(store, a, clock, owner="a", batch=7)
    second = scheduler(store, b, clock, owner="b", batch=7)
    await asyncio.gather(first.tick(), second.tick())
    keys = a.keys() + b.keys()
    assert len(keys) == 30 == len(set(keys))


async def test_posts_say_the_list_may_be_incomplete_while_fetching_fails(
    store: Store, port: FakeOutbound, clock: FakeClock
) -> None:
    # A channel's list and a place with nothing new, while the upstream is down, then
    # once it answers again.
    await subscribe(store, clock)
    await subscribe(store, clock, destination=Destination("test", "team", "C2"), topic="zzyzx")
    failing, missed = True, []

    async def refresh() -> FetchReport:
        if failing:
            raise SourceUnavailable("cannot reach huggingface.co", source="hf")
        return FetchReport(failures=missed)

    s = scheduler(store, port, clock, refresh=refresh, refresh_every=dt.timedelta(minutes=1))
    clock.set(at(MONDAY, 9))
    await s.tick()
    listed, empty = sorted(port.sent, key=lambda m: m.delivery.destination)
    assert listed.reply.cards and INCOMPLETE in listed.reply.notes
    assert INCOMPLETE in listed.reply.text
    assert "No new papers on 'zzyzx' today." in empty.reply.text
    assert INCOMPLETE in empty.reply.text
    failing = False
    clock.set(at(MONDAY + dt.timedelta(days=1), 9))
    await s.tick()
    assert len(port.sent) == 4
    assert all(INCOMPLETE not in m.reply.text for m in port.sent[2:])
    # Part of a fetch failed (one arXiv category, say): the list may be incomplete too.
    missed = ["arxiv cs.CL: HTTP 503"]
    clock.set(at(MONDAY + dt.timedelta(days=2), 9))
    await s.tick()
    assert len(port.sent) == 6
    assert all(INCOMPLETE in m.reply.text for m in port.sent[4:])
