"""Search tests run on the bundled snapshot in each backend's own full-text index:
SQLite's FTS5 and, given a test server, PostgreSQL's tsvector and pg_trgm."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.store import PaperStore, open_store


@pytest.fixture(params=["sqlite", "postgres"])
def snapshot_url(request: pytest.FixtureRequest, snapshot_db: str) -> str:
    """The bundled snapshot's database on each backend (built once per run)."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_snapshot"))
    return snapshot_db


@pytest.fixture
async def real_store(snapshot_url: str) -> AsyncIterator[PaperStore]:
    """The ~14,000 real papers of the bundled snapshot (do not write to it)."""
    async with open_store(snapshot_url) as s:
        yield s
