"""Store tests run against the port, once per backend: SQLite (a private database and a
file) and PostgreSQL (a fresh schema of the test server; skipped without one)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.store import PaperStore, open_store
from tests.conftest import postgres_schema


@pytest.fixture(params=["memory", "file", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database of each backend."""
    if request.param == "postgres":
        async with postgres_schema() as url:
            yield url
    else:
        yield "sqlite://" if request.param == "memory" else f"sqlite:///{tmp_path}/store.sqlite3"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[PaperStore]:
    async with open_store(store_url) as s:
        yield s


@pytest.fixture
def break_upvote_history(store: PaperStore, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Make the store's paper writes fail from now on after their papers are written,
    at the upvote history (its table is missing); ``monkeypatch.undo()`` mends them."""
    backend = importlib.import_module(f"{type(store).__module__}._papers")
    param = "?" if "sqlite" in backend.__name__ else "$1"

    def breaking() -> None:
        monkeypatch.setattr(
            backend, "_HISTORY_UPSERT", f"INSERT INTO no_such_table VALUES ({param})"
        )

    return breaking


@pytest.fixture(params=["memory", "file"])
async def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[PaperStore]:
    """For what only SQLite has (its driver, its pragmas)."""
    url = "sqlite://" if request.param == "memory" else f"sqlite:///{tmp_path}/store.sqlite3"
    async with open_store(url) as s:
        yield s
