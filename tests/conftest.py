"""Shared fixtures: stores on real SQLite (and PostgreSQL when a test server is named),
the bundled snapshot, a fixed clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.api import PaperService
from bot.ingest import load_snapshot_if_empty
from bot.store import PaperStore, open_store

TESTS = Path(__file__).parent
DATA = TESTS / "data"
SHARED = TESTS.parent.parent / "shared" / "data"
# The bundled snapshot's newest day is 2026-07-01; "now" is a Wednesday soon after.
NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
# A PostgreSQL database the tests may create schemas in (.ci/run names one when a server
# answers); without it the PostgreSQL tests are skipped.
POSTGRES_URL = os.environ.get("PAPERBOT_TEST_POSTGRES_URL", "")
NO_POSTGRES = "PAPERBOT_TEST_POSTGRES_URL is not set (no PostgreSQL server to test)"


def with_search_path(url: str, schema: str) -> str:
    """``url`` with its connections' search_path set to ``schema`` (then public, where
    pg_trgm is)."""
    return f"{url}{'&' if '?' in url else '?'}search_path={schema},public"


async def create_schema(prefix: str) -> str:
    """A new, empty schema of the test database: its name."""
    import asyncpg  # the postgres extra, which the test extra brings

    schema = f"paperbot_{prefix}_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(POSTGRES_URL, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        # Named, the server must answer: a test that cannot reach it fails, never skips.
        pytest.fail(f"PAPERBOT_TEST_POSTGRES_URL={POSTGRES_URL} does not answer: {exc}")
    try:
        # In public, not in the schema: dropping one schema must not take the extension
        # (and every other schema's trigram index) with it.
        await admin.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await admin.close()
    return schema


async def drop_schema(schema: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await admin.close()


@asynccontextmanager
async def postgres_schema(prefix: str = "test") -> AsyncIterator[str]:
    """A new, empty schema of the test database, dropped afterwards: the URL of a store
    in it. Skips the test when no test server is named."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    schema = await create_schema(prefix)
    try:
        yield with_search_path(POSTGRES_URL, schema)
    finally:
        await drop_schema(schema)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """The URL of a fresh PostgreSQL schema for this test (skipped without a server)."""
    async with postgres_schema() as url:
        yield url


async def refusing_database(path: Path, paper_id: str) -> str:
    """A new database file at ``path`` whose SQLite refuses to store ``paper_id``, as a
    full disk would refuse a write; its URL. ``DROP TRIGGER refuse`` lifts it."""
    url = f"sqlite:///{path}"
    async with open_store(url):
        pass
    with sqlite3.connect(path) as db:
        db.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON papers WHEN NEW.id = '{paper_id}'"
            " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    return url


@pytest.fixture
async def store() -> AsyncIterator[PaperStore]:
    """An empty in-memory store."""
    async with open_store("sqlite://") as s:
        yield s


@pytest.fixture(scope="session")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database file holding the bundled snapshot, built once per test run."""
    path = tmp_path_factory.mktemp("snapshot") / "papers.sqlite3"
    url = f"sqlite:///{path}"

    async def build() -> None:
        async with open_store(url) as s:
            report = await load_snapshot_if_empty(s, now=NOW)
            assert report is not None and report.counts.new > 10_000

    asyncio.run(build())
    return url


@pytest.fixture(scope="session")
def postgres_snapshot() -> Iterator[str]:
    """A PostgreSQL schema holding the bundled snapshot, built once per test run (skipped
    without a test server); its URL."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    schema = asyncio.run(create_schema("snapshot"))
    url = with_search_path(POSTGRES_URL, schema)

    async def build() -> None:
        async with open_store(url) as s:
            report = await load_snapshot_if_empty(s, now=NOW)
            assert report is not None and report.counts.new > 10_000

    try:
        asyncio.run(build())
        yield url
    finally:
        asyncio.run(drop_schema(schema))


@pytest.fixture
async def real_store(snapshot_db: str) -> AsyncIterator[PaperStore]:
    """The ~14,000 real papers of the bundled snapshot (do not write to it)."""
    async with open_store(snapshot_db) as s:
        yield s


@pytest.fixture
async def fresh_store(snapshot_db: str, tmp_path: Path) -> AsyncIterator[PaperStore]:
    """A private copy of the snapshot database, for tests that write."""
    source = Path(snapshot_db.removeprefix("sqlite:///"))
    copy = tmp_path / "papers.sqlite3"
    shutil.copyfile(source, copy)
    async with open_store(f"sqlite:///{copy}") as s:
        yield s


@pytest.fixture
def clock() -> list[dt.datetime]:
    """A settable clock: tests assign ``clock[0]``."""
    return [NOW]


@pytest.fixture
def service(real_store: PaperStore, clock: list[dt.datetime]) -> PaperService:
    """The facade on the shared snapshot database: for tests that only read."""
    return PaperService(real_store, clock=lambda: clock[0])


@pytest.fixture
def desk(fresh_store: PaperStore, clock: list[dt.datetime]) -> PaperService:
    """The facade on a private copy of the snapshot: for tests that write."""
    return PaperService(fresh_store, clock=lambda: clock[0])


@pytest.fixture
async def silent_upstream() -> AsyncIterator[tuple[str, list[int]]]:
    """A TCP server that accepts every connection and never answers: its URL, and a
    list with one item per connection it accepted."""
    accepted: list[int] = []
    hold = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        await hold.wait()
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", accepted
    finally:
        hold.set()
        server.close()
        await server.wait_closed()
