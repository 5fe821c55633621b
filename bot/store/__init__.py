"""Storage: the port (``PaperStore``) and the database behind a ``PAPERBOT_DATABASE_URL``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.errors import ConfigError
from bot.store.port import PaperStore, Store, TextQuery
from bot.store.sqlite import SqliteStore

__all__ = ["PaperStore", "SqliteStore", "Store", "TextQuery", "open_store"]


@asynccontextmanager
async def open_store(url: str) -> AsyncIterator[Store]:
    """Open the store a database URL names.

    As in SQLAlchemy: ``sqlite:///relative/file``, ``sqlite:////absolute/file``, and
    ``sqlite://`` (or ``sqlite:///:memory:``) for a private database, gone once closed.
    """
    if url == "sqlite://" or url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite://").removeprefix("/")
        async with SqliteStore.open(path or ":memory:") as store:
            yield store
        return
    scheme = url.partition(":")[0] or url
    raise ConfigError(
        f"PAPERBOT_DATABASE_URL: unsupported database {scheme!r}; use sqlite:///path/to/file"
    )
