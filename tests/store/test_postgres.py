"""What only PostgreSQL does: several processes (here, several stores: a pool each, as
replicas have) on one database, migrating and claiming at once; its own failures."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

import pytest

from bot.errors import ConfigError, StoreError
from bot.models import Signal
from bot.store import Store, open_store
from bot.store.postgres.migrations import MIGRATIONS
from tests.store.records import T0, digest, sub

LEASE = dt.timedelta(minutes=5)


async def intents(store: Store, n: int) -> list[int]:
    ids = []
    for i in range(n):
        s = await store.add_subscription(sub(topic=f"t{i}"))
        d = await store.record_intent(s, T0, digest(f"2601.{i:05d}"), now=T0)
        assert d is not None
        ids.append(d.id)
    return ids


async def test_two_replicas_claiming_at_once_get_disjoint_deliveries(postgres_url: str) -> None:
    async with open_store(postgres_url) as one, open_store(postgres_url) as two:
        ids = await intents(one, 60)

        async def drain(store: Store, owner: str) -> list[int]:
            got: list[int] = []
            while batch := await store.claim_deliveries(
                owner, due_by=T0, now=T0, lease=LEASE, limit=7
            ):
                got += [d.id for d in batch]
                for d in batch:  # sent: a batch of its own is claimable again until then
                    await store.mark_sent(d.id, now=T0)
            return got

        a, b, c = await asyncio.gather(drain(one, "a"), drain(two, "b"), drain(two, "c"))
        assert not set(a) & set(b) and not set(a) & set(c) and not set(b) & set(c)
        assert sorted(a + b + c) == ids


async def test_replicas_migrating_a_new_database_at_once_migrate_it_once(
    postgres_url: str,
) -> None:
    async def start() -> int:
        async with open_store(postgres_url) as store:
            await store.set_meta("up", "yes")
            return await store.count_papers()

    assert await asyncio.gather(*(start() for _ in range(4))) == [0] * 4
    async with open_store(postgres_url) as store:
        rows = await store._rows("SELECT version FROM schema_migrations ORDER BY version")  # type: ignore[attr-defined]
    assert [r[0] for r in rows] == sorted(MIGRATIONS)


async def test_a_dead_replicas_claims_end_when_the_next_starts(postgres_url: str) -> None:
    async with open_store(postgres_url) as live:
        [first, second] = await intents(live, 2)
        await live.reserve_scheduler("live")
        await live.claim_deliveries("live", due_by=T0, now=T0, lease=LEASE, limit=1)
        async with open_store(postgres_url) as dying:
            await dying.reserve_scheduler("dying")
            [taken] = await dying.claim_deliveries("dying", due_by=T0, now=T0, lease=LEASE, limit=1)
            assert taken.id == second
        # Its process gone (its connections closed), the next scheduler takes its claim
        # at once; the live one's stays its own until the lease runs out.
        async with open_store(postgres_url) as new:
            await new.reserve_scheduler("new")
            [again] = await new.claim_deliveries("new", due_by=T0, now=T0, lease=LEASE, limit=5)
            assert again.id == second and again.interrupted
            assert first != second


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        async with open_store("postgresql://bot:s3cret@127.0.0.1:1/papers"):
            pass
    message = str(caught.value)
    assert message.startswith("cannot reach the PostgreSQL server at 127.0.0.1:1/papers: ")
    assert "\n" not in message and "s3cret" not in message


async def test_without_asyncpg_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "asyncpg" or m.startswith("bot.store.postgres")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"pip install 'paperbot\[postgres\]'"):
        async with open_store("postgresql://127.0.0.1/papers"):
            pass


async def test_a_missing_schema_is_named(postgres_url: str) -> None:
    url = postgres_url.replace("search_path=", "search_path=no_such_schema_")
    url = url.removesuffix(",public")
    with pytest.raises(StoreError, match="no schema of search_path"):
        async with open_store(url):
            pass


async def admin(store: Store, sql: str) -> None:
    """Change the schema under the store, as a database administrator would."""
    async with store.transaction():
        await store._write(sql)  # type: ignore[attr-defined]


async def test_a_statement_the_database_refuses_is_a_store_error(postgres_url: str) -> None:
    async with open_store(postgres_url) as store:
        await admin(
            store,
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
        )
        await admin(
            store,
            "CREATE TRIGGER refuse BEFORE INSERT ON meta FOR EACH ROW EXECUTE FUNCTION refuse()",
        )
        await admin(store, "DROP TABLE signals")
        with pytest.raises(StoreError, match="disk full"):
            await store.set_meta("k", "v")
        with pytest.raises(StoreError, match="does not exist"):
            await store.add_signal("slack", "T1", "U1", "2601.00001", Signal.SAVE, now=T0)
        with pytest.raises(StoreError, match="does not exist"):
            await store.user_signals("slack", "U1")
        with pytest.raises(StoreError, match="could not record delivery intent"):
            await store.record_intent(sub(id=999), T0, digest("2601.00001"), now=T0)
        # Caught inside a transaction, a refused write undoes itself, not the rest.
        async with store.transaction():
            s = await store.add_subscription(sub())
            with pytest.raises(StoreError, match="disk full"):
                await store.set_meta("k", "v")
            d = await store.record_intent(s, T0, digest("2601.00001"), now=T0)
        assert d is not None and await store.get_delivery(s.id, T0) == d


async def test_a_commit_the_database_refuses_is_a_store_error(postgres_url: str) -> None:
    async with open_store(postgres_url) as store:
        await admin(
            store,
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$",
        )
        # Checked when the transaction commits, not when the row is written.
        await admin(
            store,
            "CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON meta DEFERRABLE"
            " INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse()",
        )
        with pytest.raises(StoreError, match="refused at commit"):
            async with store.transaction():
                await store.add_subscription(sub())
                await store.set_meta("k", "v")
        assert await store.subscriptions() == []
        await store.add_subscription(sub())  # the writer is free again
        assert len(await store.subscriptions()) == 1
