"""Copying a whole database to another (SQLite <-> PostgreSQL): every table, resumable,
checked by counts, and the copy works as the original did."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Destination, Paper, Signal
from bot.store import Store, TextQuery, open_store
from bot.store.copy import TABLES, CopyableStore, Row, Table, copy_store
from tests.conftest import postgres_schema
from tests.store.records import ROOM, T0, digest, sub


async def fill(store: Store) -> None:
    """Something in every table."""
    papers = [
        Paper(id=f"2601.{n:05d}", title=f"Diffusion study {n}", abstract="We diffuse.",
              authors=("Ada Lovelace",), day=T0.date(), upvotes=n, source="hf")
        for n in range(50)
    ]  # fmt: skip
    await store.upsert_papers(papers, observed_at=T0)
    await store.upsert_papers(papers[:5], observed_at=T0 + dt.timedelta(hours=1))
    first = await store.add_subscription(sub(topic="diffusion"))
    await store.add_subscription(sub(destination=Destination("slack", "T1", "", "U2")))
    delivery = await store.record_intent(first, T0, digest("2601.00001"), now=T0)
    assert delivery is not None
    await store.mark_sent(delivery.id, now=T0)
    await store.add_signal("slack", "T1", "U1", "2601.00002", Signal.SAVE, now=T0)
    await store.set_meta("last_fetch_at", T0.isoformat())
    await store.save_installation("slack", "", "T1", "U1", {"a": 1}, bot={"b": 2}, now=T0)
    await store.claim_discussion(ROOM, "2601.00003", now=T0)
    await store.hold("slack:*", until=T0 + dt.timedelta(days=1))
    await store.issue_state("state", expires_at=T0 + dt.timedelta(days=1))


@pytest.fixture(params=["sqlite", "postgres"])
async def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each backend to copy into."""
    if request.param == "postgres":
        async with postgres_schema("copy") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path}/copy.sqlite3"


async def contents(store: CopyableStore) -> dict[str, list[Row]]:
    return {t.name: await store.rows(t, after=None, limit=10_000) for t in TABLES}


async def test_every_table_is_copied_and_the_copy_works(
    store: Store, target_url: str, tmp_path: Path
) -> None:
    await fill(store)
    async with open_store(target_url) as target:
        report = await copy_store(store, target, batch=7)
        assert report.complete and all(report.source[t.name] > 0 for t in TABLES)
        assert await contents(target) == await contents(store)
        # And back: the copy copied again to a new SQLite file is the original.
        async with open_store(f"sqlite:///{tmp_path}/back.sqlite3") as back:
            assert (await copy_store(target, back, batch=5)).complete
            assert await contents(back) == await contents(store)
        # Again: nothing more to copy.
        again = await copy_store(store, target)
        assert sum(again.copied.values()) == 0 and again.complete
        # It works as the original: search finds, ids go on after the copied ones.
        found = await target.text_search(TextQuery(groups=(("diffusion",),)), limit=100)
        assert len(found) == 50
        assert (await target.vocabulary())["diffusion"] == 50
        new = await target.add_subscription(sub(topic="robots"))
        assert new.id == 3


class Failing:
    """A target that fails after some batches, as a lost connection would."""

    def __init__(self, store: Store, batches: int) -> None:
        self.store, self.left = store, batches

    async def put_rows(self, table: Table, rows: list[Row]) -> int:
        if self.left == 0:
            raise StoreError("the connection was lost")
        self.left -= 1
        return await self.store.put_rows(table, rows)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


async def test_an_interrupted_copy_goes_on_from_where_it_stopped(
    store: Store, tmp_path: Path
) -> None:
    await fill(store)
    async with open_store(f"sqlite:///{tmp_path}/copy.sqlite3") as target:
        with pytest.raises(StoreError, match="connection was lost"):
            await copy_store(store, Failing(target, 4), batch=10)  # type: ignore[arg-type]
        partial = await target.count_rows(TABLES[0])
        assert 0 < partial < 50
        report = await copy_store(store, target, batch=10)
        assert report.copied["papers"] == 50 - partial and report.complete
        assert await contents(target) == await contents(store)


async def test_counts_that_differ_are_an_error(store: Store, tmp_path: Path) -> None:
    await fill(store)
    async with open_store(f"sqlite:///{tmp_path}/copy.sqlite3") as target:
        await target.set_meta("extra", "a row the source does not have")
        with pytest.raises(StoreError, match="does not match the source: meta 1 -> 2"):
            await copy_store(store, target)
