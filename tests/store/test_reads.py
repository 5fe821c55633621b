"""Reads: committed rows only for other tasks, caches that stay true, private databases."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.models import Paper
from bot.store import Store, TextQuery, open_store

T0 = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
QUASAR = TextQuery(groups=(("quasar",),))
PULSAR = TextQuery(groups=(("pulsar",),))


def paper(pid: str, title: str = "Attention Is All You Need") -> Paper:
    return Paper(id=pid, title=title, abstract="On attention.", day=T0.date(), upvotes=3)


async def elsewhere(read: Callable[[], Any]) -> Any:
    """``read()`` run by another task, as another command of the bot would run it."""
    return await asyncio.create_task(read())


async def test_another_task_sees_rows_only_once_committed(store: Store) -> None:
    async with store.transaction():
        await store.upsert_papers([paper("2601.00001", "Quasar survey")], observed_at=T0)
        await store.set_meta("k", "v")
        assert await store.get_paper("2601.00001") is not None  # its own writes
        assert await elsewhere(lambda: store.get_paper("2601.00001")) is None
        assert await elsewhere(store.count_papers) == 0
        assert await elsewhere(lambda: store.text_search(QUASAR, limit=5)) == []
        assert await elsewhere(lambda: store.get_meta("k")) is None
        assert "quasar" not in await elsewhere(store.vocabulary)
    assert await elsewhere(lambda: store.get_paper("2601.00001")) is not None
    assert await elsewhere(store.count_papers) == 1
    assert [pid for pid, _ in await store.text_search(QUASAR, limit=5)] == ["2601.00001"]
    assert await store.get_meta("k") == "v"


async def test_a_big_import_half_way_through_is_invisible(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = sqlite_store
    await store.upsert_papers([paper("2501.00001", "Pulsar timing")], observed_at=T0)
    halfway, resume = asyncio.Event(), asyncio.Event()
    executemany = aiosqlite.Connection.executemany

    async def pausing(self: aiosqlite.Connection, sql: str, rows: Iterable[Any]) -> Any:
        if "upvote_history" in sql and not resume.is_set():
            halfway.set()
            await resume.wait()
        return await executemany(self, sql, rows)

    # Stop the import after its papers are written, with the full-text triggers dropped.
    monkeypatch.setattr(aiosqlite.Connection, "executemany", pausing)
    many = [paper(f"2601.{k:05d}", f"Quasar survey {k}") for k in range(1200)]
    importing = asyncio.create_task(store.upsert_papers(many, observed_at=T0))
    await halfway.wait()
    assert await store.get_paper("2601.00007") is None
    assert await store.text_search(QUASAR, limit=5) == []
    assert len(await store.text_search(PULSAR, limit=5)) == 1
    assert await store.count_papers() == 1
    resume.set()
    await importing
    assert len(await store.text_search(QUASAR, limit=5000)) == 1200
    assert await store.count_papers() == 1201


def _held_back(monkeypatch: pytest.MonkeyPatch, store: Store, sql_part: str) -> asyncio.Event:
    """Make the store's next read whose SQL holds ``sql_part`` return only once the event
    is set: its rows are read first, so a commit meanwhile is not in them."""
    release = asyncio.Event()
    rows = store._rows  # type: ignore[attr-defined]

    async def held(sql: str, *args: Any, **kwargs: Any) -> Any:
        found = await rows(sql, *args, **kwargs)
        if sql_part in sql and not release.is_set():
            await release.wait()
        return found

    monkeypatch.setattr(store, "_rows", held)
    return release


async def test_a_vocabulary_loaded_across_a_commit_is_not_kept_stale(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.upsert_papers([paper("2601.00001")], observed_at=T0)
    release = _held_back(monkeypatch, store, "SELECT term, doc")
    loading = asyncio.create_task(store.vocabulary())
    await asyncio.sleep(0.05)  # it has read the vocabulary without the next paper
    await store.upsert_papers([paper("2601.00002", "Zeppelin flight")], observed_at=T0)
    release.set()
    await loading
    vocabulary = await store.vocabulary()
    assert vocabulary.get("zeppelin") == 1
    assert vocabulary.get("attention") == 2 and vocabulary.get("need") == 1


async def test_a_count_taken_across_a_commit_is_not_kept_stale(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = _held_back(monkeypatch, store, "count(*)")
    counting = asyncio.create_task(store.count_papers())
    await asyncio.sleep(0.05)
    await store.upsert_papers([paper("2601.00001")], observed_at=T0)
    release.set()
    assert await counting in (0, 1)
    assert await store.count_papers() == 1


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
async def test_private_databases_are_apart_and_gone_once_closed(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    async with open_store(url) as one, open_store(url) as two:
        await one.upsert_papers([paper("2601.00001")], observed_at=T0)
        await two.set_meta("k", "v")
        assert await one.count_papers() == 1 and await two.count_papers() == 0
        assert await one.get_meta("k") is None and await two.get_meta("k") == "v"
        files = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
        assert len([f for f in files if f.endswith(".sqlite3")]) == 2
    assert list(tmp_path.iterdir()) == []
