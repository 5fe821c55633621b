"""The storage port's contract for subscriptions, deliveries and signals."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.errors import StoreError
from bot.models import DeliveryStatus, Destination, Signal, Source
from bot.store import Store
from tests.store.records import ROOM, T0, digest, sub


async def test_subscription_round_trip_and_listing(store: Store) -> None:
    full = sub(
        topic='"flow matching" -survey',
        categories=("cs.CV", "cs.LG"),
        min_upvotes=10,
        count=12,
        source=Source.BOTH,
        at=dt.time(8, 30),
        timezone="Europe/Berlin",
        weekdays=frozenset({0, 2, 4}),
        post_empty=False,
    )
    stored = await store.add_subscription(full)
    assert stored.id > 0
    assert stored == replace(full, id=stored.id)
    assert await store.get_subscription(stored.id) == stored
    other = await store.add_subscription(sub(destination=Destination("slack", "T1", "C2")))
    assert [s.id for s in await store.subscriptions(destination=ROOM)] == [stored.id]
    assert [s.id for s in await store.subscriptions()] == [stored.id, other.id]
    await store.update_subscription(replace(stored, active=False, paused_reason="gone"))
    assert [s.id for s in await store.subscriptions(active=True)] == [other.id]
    assert await store.remove_subscription(stored.id)
    assert not await store.remove_subscription(stored.id)
    assert await store.get_subscription(stored.id) is None


async def test_one_dm_digest_per_reader(store: Store) -> None:
    inbox = Destination("slack", "T1", "", "U7")
    first = await store.add_subscription(sub(destination=inbox, owner="U7"))
    assert first.is_dm
    assert await store.dm_subscription("slack", "T1", "U7") == first
    with pytest.raises(StoreError):
        await store.add_subscription(sub(destination=inbox, owner="U7"))
    assert await store.dm_subscription("slack", "T1", "U8") is None


async def test_intent_reserves_papers_once_per_destination(store: Store) -> None:
    s = await store.add_subscription(sub())
    d = await store.record_intent(s, T0, digest("2601.00001", "2601.00002"), now=T0)
    assert d is not None and d.status is DeliveryStatus.PENDING
    assert d.key == f"{s.id}@2026-06-01T09:00Z"
    assert await store.record_intent(s, T0, digest("2601.00003"), now=T0) is None  # same slot
    assert await store.delivered(["2601.00001", "2601.00003"]) == {ROOM.key: {"2601.00001"}}
    assert [x.id for x in await store.open_deliveries(due_by=T0)] == [d.id]
    await store.mark_sent(d.id, now=T0)
    assert await store.open_deliveries(due_by=T0) == []
    assert await store.last_slots() == {s.id: T0}


async def test_retry_failure_releases_papers(store: Store) -> None:
    s = await store.add_subscription(sub())
    d = await store.record_intent(s, T0, digest("2601.00001"), now=T0)
    assert d is not None
    later = T0 + dt.timedelta(minutes=5)
    await store.mark_retry(d.id, at=later, error="500")
    assert await store.open_deliveries(due_by=T0) == []
    (due,) = await store.open_deliveries(due_by=later)
    assert due.status is DeliveryStatus.RETRY and due.attempts == 1 and due.error == "500"
    await store.mark_pending(d.id)
    assert (await store.get_delivery(s.id, T0)).status is DeliveryStatus.PENDING  # type: ignore[union-attr]
    await store.mark_failed(d.id, error="gone")
    assert await store.delivered(["2601.00001"]) == {}
    assert await store.get_delivery(s.id, T0 + dt.timedelta(days=1)) is None


async def test_skips_are_recorded_once(store: Store) -> None:
    s = await store.add_subscription(sub())
    assert await store.record_skip(s, T0, "missed", now=T0)
    assert not await store.record_skip(s, T0, "missed", now=T0)
    assert (await store.get_delivery(s.id, T0)).status is DeliveryStatus.SKIPPED  # type: ignore[union-attr]


async def test_removing_a_subscription_keeps_what_was_delivered(store: Store) -> None:
    s = await store.add_subscription(sub())
    d = await store.record_intent(s, T0, digest("2601.00001"), now=T0)
    assert d is not None
    await store.remove_subscription(s.id)
    assert await store.delivered(["2601.00001"]) == {ROOM.key: {"2601.00001"}}


async def test_signals(store: Store) -> None:
    assert await store.add_signal("slack", "T1", "U1", "2601.00001", Signal.SAVE, now=T0)
    assert not await store.add_signal("slack", "T1", "U1", "2601.00001", Signal.SAVE, now=T0)
    later = T0 + dt.timedelta(hours=1)
    await store.add_signal("slack", "T1", "U1", "2601.00002", Signal.SAVE, now=later)
    await store.add_signal("slack", "T1", "U2", "2601.00002", Signal.LIKE, now=later)
    await store.add_signal("slack", "T2", "U3", "2601.00003", Signal.LIKE, now=later)
    await store.add_signal("slack", "T1", "U2", "2601.00004", Signal.DISMISS, now=later)
    mine = await store.user_signals("slack", "U1")
    assert mine[Signal.SAVE] == ["2601.00002", "2601.00001"]
    here = await store.workspace_signals("slack", "T1", since=T0)
    assert here == [("2601.00002", 2), ("2601.00001", 1)]
    assert await store.remove_signal("slack", "U1", "2601.00001", Signal.SAVE)
    assert (await store.user_signals("slack", "U1"))[Signal.SAVE] == ["2601.00002"]
    await store.set_meta("k", "v1")
    await store.set_meta("k", "v2")
    assert await store.get_meta("k") == "v2" and await store.get_meta("missing") is None
