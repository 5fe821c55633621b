"""Storage: the port (``PaperStore``) and the database behind a ``PAPERBOT_DATABASE_URL``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.errors import ConfigError
from bot.store.port import PaperStore, Store, TextQuery
from bot.store.sqlite import DEFAULT_CACHE_MB, SqliteStore

__all__ = [
    "DEFAULT_CACHE_MB",
    "DEFAULT_POOL_SIZE",
    "PaperStore",
    "SqliteStore",
    "Store",
    "TextQuery",
    "open_store",
]

# Connections a PostgreSQL store keeps at most (PAPERBOT_DB_POOL_SIZE); SQLite has two.
DEFAULT_POOL_SIZE = 10


@asynccontextmanager
async def open_store(
    url: str, *, pool_size: int = DEFAULT_POOL_SIZE, cache_mb: int = DEFAULT_CACHE_MB
) -> AsyncIterator[Store]:
    """Open the store a database URL names.

    As in SQLAlchemy: ``sqlite:///relative/file``, ``sqlite:////absolute/file``, and
    ``sqlite://`` (or ``sqlite:///:memory:``) for a private database, gone once closed;
    ``postgresql://user:password@host:port/database`` (or ``postgres://``) for PostgreSQL,
    with a pool of up to ``pool_size`` connections. ``cache_mb`` bounds the pages each
    SQLite connection keeps in memory (PostgreSQL keeps its cache in the server).
    """
    if url == "sqlite://" or url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite://").removeprefix("/")
        async with SqliteStore.open(path or ":memory:", cache_mb=cache_mb) as store:
            yield store
        return
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from bot.store.postgres import PostgresStore
        except ModuleNotFoundError as exc:
            if exc.name != "asyncpg":
                raise
            raise ConfigError(
                "PAPERBOT_DATABASE_URL names PostgreSQL, and its driver (asyncpg) is not "
                "installed: pip install 'paperbot[postgres]'"
            ) from None
        async with PostgresStore.open(url, pool_size=pool_size) as pg:
            yield pg
        return
    scheme = url.partition(":")[0] or url
    raise ConfigError(
        f"PAPERBOT_DATABASE_URL: unsupported database {scheme!r}; use sqlite:///path/to/file"
        " or postgresql://host/database"
    )
