"""Three real replica processes, one database, 1,000 digests due at once, one replica
killed with SIGKILL mid-run: every digest is delivered exactly once (PostgreSQL). On
SQLite the same start refuses the second and third replica clearly, and the first
delivers everything once."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiohttp import web

from bot.models import Destination, Paper, Subscription
from bot.store import open_store

ROOT = Path(__file__).parents[2]
SUBSCRIPTIONS = 1000
POSTGRES = os.environ.get("PAPERBOT_TEST_POSTGRES_URL", "")


@dataclass
class Sink:
    """A fake chat platform: posts by delivery key, and who posted them."""

    url: str = ""
    posts: Counter[str] = field(default_factory=Counter)
    by: Counter[str] = field(default_factory=Counter)
    lookups: int = 0  # history reads: a sender checking an interrupted post

    async def post(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.posts[body["key"]] += 1
        self.by[body["owner"]] += 1
        await asyncio.sleep(0.002)  # a platform takes a moment: replicas overlap
        return web.json_response({"ok": True})

    async def history(self, request: web.Request) -> web.Response:
        self.lookups += 1
        return web.json_response({"found": request.query["key"] in self.posts})


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    fake = Sink()
    app = web.Application()
    app.router.add_post("/messages", fake.post)
    app.router.add_get("/messages", fake.history)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield fake
    finally:
        await runner.cleanup()


async def seed(url: str) -> None:
    """1,000 channel subscriptions whose slot passed two minutes ago, and papers to post."""
    now = dt.datetime.now(dt.UTC)
    slot = (now - dt.timedelta(minutes=2)).replace(second=0, microsecond=0)
    papers = [
        Paper(id=f"2607.{n:05d}", title=f"Paper {n}", abstract="On things.", day=slot.date(),
              upvotes=n + 1, source="hf")
        for n in range(20)
    ]  # fmt: skip
    async with open_store(url) as store:
        await store.upsert_papers(papers, observed_at=now)
        async with store.transaction():
            for n in range(SUBSCRIPTIONS):
                await store.add_subscription(
                    Subscription(
                        id=0,
                        destination=Destination("test", "team", f"C{n}"),
                        owner="U1",
                        count=2,
                        at=slot.time(),
                        weekdays=frozenset(range(7)),
                        created_at=now - dt.timedelta(minutes=10),
                    )
                )


async def start(url: str, sink: Sink, owner: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.delivery.replica_driver", url, sink.url, owner,
        "--lease", "2",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    if not POSTGRES:
        pytest.skip("PAPERBOT_TEST_POSTGRES_URL is not set (no PostgreSQL server to test)")
    import asyncpg  # the postgres extra; installed with the test extra

    name = f"paperbot_replicas_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(POSTGRES)
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_three_replicas_one_killed_every_digest_exactly_once(
    postgres_url: str, sink: Sink
) -> None:
    await seed(postgres_url)
    replicas = [await start(postgres_url, sink, f"replica-{n}") for n in range(3)]
    victim = replicas[0]
    # Kill the first replica once it is well into its share of the fan-out.
    for _ in range(600):
        if sink.by["replica-0"] >= 40:
            break
        await asyncio.sleep(0.05)
    assert sink.by["replica-0"] >= 40, "replica-0 never got going"
    victim.send_signal(signal.SIGKILL)
    codes = await asyncio.wait_for(asyncio.gather(*(r.wait() for r in replicas)), 180)
    assert codes[0] == -signal.SIGKILL and codes[1:] == [0, 0]
    # What a person reproducing it sees with pytest -s: who posted how many.
    twice = sum(n > 1 for n in sink.posts.values())
    print(
        f"delivered {len(sink.posts)}/{SUBSCRIPTIONS}, twice {twice}, by {dict(sink.by)}, "
        f"interrupted posts checked {sink.lookups}"
    )
    assert len(sink.posts) == SUBSCRIPTIONS  # none missing
    assert max(sink.posts.values()) == 1  # none twice
    async with open_store(postgres_url) as store:
        far = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
        assert await store.open_deliveries(due_by=far) == []


async def test_on_sqlite_a_second_replica_refuses_and_none_posts_twice(
    tmp_path: Path, sink: Sink
) -> None:
    url = f"sqlite:///{tmp_path}/shared.sqlite3"
    await seed(url)
    first = await start(url, sink, "first")
    assert (await asyncio.wait_for(first.stdout.readline(), 60)).strip() == b"ready"  # type: ignore[union-attr]
    others = [await start(url, sink, f"other-{n}") for n in range(2)]
    for other in others:
        _, err = await asyncio.wait_for(other.communicate(), 60)
        assert other.returncode == 3
        assert b"SQLite serves one process" in err and b"use PostgreSQL" in err
    assert await asyncio.wait_for(first.wait(), 120) == 0
    assert len(sink.posts) == SUBSCRIPTIONS and max(sink.posts.values()) == 1
    assert set(sink.by) == {"first"}
