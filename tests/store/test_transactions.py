"""The store's transactions: atomic groups of writes, one writer at a time, StoreError."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import (
    DeliveryStatus,
    Destination,
    Paper,
    Signal,
)
from bot.store import Store, TextQuery, open_store
from tests.store.records import T0, digest, sub


class Boom(Exception):
    """What a caller's own code raises inside a transaction."""


def paper(pid: str, title: str = "Attention Is All You Need") -> Paper:
    return Paper(id=pid, title=title, abstract="On attention.", day=T0.date(), upvotes=3)


async def test_writes_grouped_in_one_transaction_land_together(store: Store) -> None:
    s = await store.add_subscription(sub())
    first = await store.record_intent(s, T0, digest("2601.00001"), now=T0)
    second = await store.record_intent(s, T0 + dt.timedelta(days=1), digest("2601.00002"), now=T0)
    assert first is not None and second is not None
    async with store.transaction():
        await store.mark_sent(first.id, now=T0)
        await store.mark_sent(second.id, now=T0)
        # Another task sees neither until both are committed.
        still_open = await asyncio.create_task(store.open_deliveries(due_by=T0))
        assert {d.id for d in still_open} == {first.id, second.id}
    assert await store.open_deliveries(due_by=T0) == []


async def test_an_exception_rolls_back_every_write_of_the_transaction(store: Store) -> None:
    await store.upsert_papers([paper("2601.00001")], observed_at=T0)
    # Loaded now, so a write that reached the caches would show in them.
    assert "zeppelin" not in await store.vocabulary()
    assert await store.count_papers() == 1
    with pytest.raises(Boom):
        async with store.transaction():
            await store.upsert_papers([paper("2601.00002", "Zeppelin flight")], observed_at=T0)
            await store.set_meta("imported", "yes")
            await store.add_subscription(sub())
            # Inside, this task reads its own writes.
            assert await store.count_papers() == 2
            assert "zeppelin" in await store.vocabulary()
            raise Boom
    assert await store.get_paper("2601.00002") is None
    assert await store.get_meta("imported") is None
    assert await store.subscriptions() == []
    assert await store.count_papers() == 1
    assert "zeppelin" not in await store.vocabulary()
    assert await store.text_search(TextQuery(groups=(("zeppelin",),)), limit=5) == []


async def test_a_failed_write_caught_inside_a_transaction_undoes_only_itself(
    store: Store, monkeypatch: pytest.MonkeyPatch, break_upvote_history: Callable[[], None]
) -> None:
    inbox = Destination("slack", "T1", "", "U7")
    await store.add_subscription(sub(destination=inbox, owner="U7"))
    vocabulary = await store.vocabulary()
    async with store.transaction():
        await store.set_meta("before", "1")
        with pytest.raises(StoreError):
            await store.add_subscription(sub(destination=inbox, owner="U7"))  # one DM each
        # The papers are written, then their upvote history fails: none of it stays.
        break_upvote_history()
        with pytest.raises(StoreError, match="could not save 1 papers"):
            await store.upsert_papers([paper("2601.00009", "Zeppelin flight")], observed_at=T0)
        monkeypatch.undo()
        with pytest.raises(Boom):
            async with store.transaction():
                await store.upsert_papers([paper("2601.00010", "Zeppelin flight")], observed_at=T0)
                raise Boom
        await store.set_meta("after", "2")
    assert (await store.get_meta("before"), await store.get_meta("after")) == ("1", "2")
    assert len(await store.subscriptions()) == 1
    assert await store.get_papers(["2601.00009", "2601.00010"]) == {}
    assert await store.count_papers() == 0
    assert await store.vocabulary() == vocabulary


async def test_two_tasks_writing_at_once_take_turns(store: Store) -> None:
    events: list[str] = []

    async def import_day(tag: str) -> None:
        async with store.transaction():
            events.append(f"{tag} begins")
            await store.set_meta("importing", tag)
            for k in range(3):
                await store.upsert_papers([paper(f"260{tag}.0000{k}")], observed_at=T0)
                await asyncio.sleep(0)  # every chance for the other task to cut in
                assert await store.get_meta("importing") == tag
            events.append(f"{tag} ends")

    await asyncio.gather(import_day("1"), import_day("2"))
    assert await store.count_papers() == 6
    assert events in (
        ["1 begins", "1 ends", "2 begins", "2 ends"],
        ["2 begins", "2 ends", "1 begins", "1 ends"],
    )


async def test_a_task_started_inside_a_transaction_writes_after_it(store: Store) -> None:
    async with store.transaction():
        child = asyncio.create_task(store.set_meta("k", "child"))
        await asyncio.sleep(0.05)
        assert not child.done()  # it waits for the transaction, it does not join it
        await store.set_meta("k", "parent")
    await child
    assert await store.get_meta("k") == "child"


async def test_a_cancelled_write_leaves_nothing_and_frees_the_writer(store: Store) -> None:
    started, never = asyncio.Event(), asyncio.Event()

    async def stuck() -> None:
        async with store.transaction():
            await store.upsert_papers([paper("2601.00001")], observed_at=T0)
            started.set()
            await never.wait()

    task = asyncio.create_task(stuck())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(store.set_meta("k", "v"), timeout=5)
    assert await store.get_paper("2601.00001") is None
    assert await store.count_papers() == 0


async def test_a_statement_the_database_refuses_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with open_store(f"sqlite:///{path}"):
        pass
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON meta"
            " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
        db.execute("DROP TABLE signals")
    async with open_store(f"sqlite:///{path}") as store:
        with pytest.raises(StoreError, match="disk full"):
            await store.set_meta("k", "v")
        with pytest.raises(StoreError, match="no such table"):
            await store.add_signal("slack", "T1", "U1", "2601.00001", Signal.SAVE, now=T0)
        with pytest.raises(StoreError, match="no such table"):
            await store.user_signals("slack", "U1")
        # A delivery of a subscription that does not exist breaks a foreign key.
        with pytest.raises(StoreError, match="could not record delivery intent"):
            await store.record_intent(sub(id=999), T0, digest("2601.00001"), now=T0)
        # The store still works after each of them.
        s = await store.add_subscription(sub())
        d = await store.record_intent(s, T0, digest("2601.00001"), now=T0)
        assert d is not None and d.status is DeliveryStatus.PENDING


async def test_a_commit_the_database_refuses_is_a_store_error(sqlite_store: Store) -> None:
    store = sqlite_store
    with pytest.raises(StoreError, match="FOREIGN KEY"):
        async with store.transaction():
            # Reaches the error path: the foreign key is checked at commit, not before.
            await store._write("PRAGMA defer_foreign_keys=ON")  # type: ignore[attr-defined]
            await store.record_intent(sub(id=999), T0, digest("2601.00001"), now=T0)
    assert await store.last_slots() == {}
    await store.set_meta("k", "v")  # the writer is free again
    assert await store.get_meta("k") == "v"
