"""Several senders, one delivery: claims under a lease, holds every sender honours, OAuth
states any replica can consume, and SQLite refusing a second scheduler."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from bot.models import DeliveryStatus
from bot.store import Store, open_store
from tests.store.records import T0, digest, sub

LEASE = dt.timedelta(minutes=5)


async def intents(store: Store, n: int) -> list[int]:
    ids = []
    for i in range(n):
        s = await store.add_subscription(sub(topic=f"t{i}"))
        d = await store.record_intent(s, T0, digest(f"2601.0000{i}"), now=T0)
        assert d is not None
        ids.append(d.id)
    return ids


async def test_a_claim_is_one_senders_until_its_outcome(store: Store) -> None:
    ids = await intents(store, 3)
    first = await store.claim_deliveries("a", due_by=T0, now=T0, lease=LEASE, limit=2)
    assert [d.id for d in first] == ids[:2] and not any(d.interrupted for d in first)
    # Another sender gets only what is left.
    second = await store.claim_deliveries("b", due_by=T0, now=T0, lease=LEASE, limit=10)
    assert [d.id for d in second] == ids[2:]
    await store.mark_sent(ids[0], now=T0)
    await store.mark_retry(ids[1], at=T0 + dt.timedelta(minutes=1), error="later")
    assert await store.claim_deliveries("a", due_by=T0, now=T0, lease=LEASE, limit=10) == []
    # A due retry is claimed again, pending from here, and it was not "maybe sent".
    later = T0 + dt.timedelta(minutes=2)
    [retry] = await store.claim_deliveries("a", due_by=later, now=later, lease=LEASE, limit=10)
    assert retry.id == ids[1] and retry.status is DeliveryStatus.PENDING
    assert not retry.interrupted


async def test_a_claim_left_without_an_outcome_is_interrupted(store: Store) -> None:
    [only] = await intents(store, 1)
    await store.claim_deliveries("dead", due_by=T0, now=T0, lease=LEASE, limit=10)
    # Under its lease, nobody else may take it.
    assert await store.claim_deliveries("new", due_by=T0, now=T0, lease=LEASE, limit=10) == []
    # Once the lease has run out, it is another sender's, flagged as maybe sent.
    later = T0 + LEASE + dt.timedelta(seconds=1)
    [again] = await store.claim_deliveries("new", due_by=later, now=later, lease=LEASE, limit=10)
    assert again.id == only and again.interrupted


async def test_a_restart_ends_a_dead_schedulers_claims_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/restart.sqlite3"
    async with open_store(url) as store:
        [only] = await intents(store, 1)
        await store.claim_deliveries("dead", due_by=T0, now=T0, lease=LEASE, limit=10)
    async with open_store(url) as store:  # the next process
        await store.reserve_scheduler("new")
        [again] = await store.claim_deliveries("new", due_by=T0, now=T0, lease=LEASE, limit=10)
        assert again.id == only and again.interrupted


async def test_holds_last_their_time_and_only_grow(store: Store) -> None:
    await store.hold("slack:T1:C1", until=T0 + dt.timedelta(seconds=30))
    await store.hold("slack:T1:C1", until=T0 + dt.timedelta(seconds=10))  # earlier: no change
    await store.hold("slack:*", until=T0 - dt.timedelta(seconds=1))  # over already
    held = await store.holds(["slack:T1:C1", "slack:*", "discord:*"], now=T0)
    assert held == {"slack:T1:C1": T0 + dt.timedelta(seconds=30)}
    assert await store.holds(["slack:T1:C1"], now=T0 + dt.timedelta(minutes=1)) == {}


async def test_an_oauth_state_is_good_once_until_it_expires(store: Store) -> None:
    await store.issue_state("s1", expires_at=T0 + dt.timedelta(minutes=10))
    await store.issue_state("s2", expires_at=T0 + dt.timedelta(minutes=10))
    assert await store.consume_state("s1", now=T0)
    assert not await store.consume_state("s1", now=T0)  # used
    assert not await store.consume_state("s2", now=T0 + dt.timedelta(minutes=11))  # expired
    assert not await store.consume_state("never", now=T0)


async def test_sqlite_refuses_a_second_process_running_the_scheduler(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.sqlite3"
    async with open_store(url) as store:
        await store.reserve_scheduler("me")
        await store.reserve_scheduler("me")  # again: fine
        code = (
            "import asyncio, sys\n"
            "from bot.store import open_store\n"
            "async def main():\n"
            f"    async with open_store({url!r}) as s:\n"
            "        await s.reserve_scheduler('other')\n"
            "asyncio.run(main())\n"
        )
        other = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
            cwd=Path(__file__).parents[2],
        )  # fmt: skip
        assert other.returncode != 0
        assert "SQLite serves one process" in other.stderr and "PostgreSQL" in other.stderr
    # Once this process has closed it, another may.
    async with open_store(url) as store:
        await store.reserve_scheduler("next")


async def test_a_private_database_never_refuses(store: Store) -> None:
    await store.reserve_scheduler("a")
    await store.reserve_scheduler("b")


@pytest.mark.parametrize("owner", ["", "x" * 200])
async def test_claim_takes_any_owner_name(store: Store, owner: str) -> None:
    await intents(store, 1)
    assert (
        len(await store.claim_deliveries(owner or "-", due_by=T0, now=T0, lease=LEASE, limit=5))
        == 1
    )
