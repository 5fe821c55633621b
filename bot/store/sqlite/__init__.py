"""The SQLite (aiosqlite) backend of the storage port: one owned connection, WAL mode."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.errors import StoreError
from bot.store.sqlite._deliveries import DeliveryTables
from bot.store.sqlite._installations import InstallationTables
from bot.store.sqlite._papers import PaperTables
from bot.store.sqlite._signals import SignalTables
from bot.store.sqlite._subscriptions import SubscriptionTables
from bot.store.sqlite.migrations import apply_migrations

__all__ = ["SqliteStore"]

log = logging.getLogger(__name__)


class SqliteStore(
    PaperTables, SubscriptionTables, DeliveryTables, SignalTables, InstallationTables
):
    """The whole ``Store`` on one aiosqlite connection; writes go through one lock."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._write_lock = asyncio.Lock()
        # Both change only when we write, so they are cached until the next write.
        self._vocabulary: dict[str, int] | None = None
        self._count: int | None = None

    @classmethod
    @asynccontextmanager
    async def open(cls, path: str | Path) -> AsyncIterator[SqliteStore]:
        """Open (creating if needed) the database at ``path`` and migrate it."""
        try:
            if str(path) != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(str(path), isolation_level=None)
        except (OSError, sqlite3.Error) as exc:  # bad path, permissions, not a database
            raise StoreError(f"cannot open the database at {path}: {exc}") from exc
        try:
            try:
                await db.execute("PRAGMA busy_timeout=5000")
                await db.execute("PRAGMA journal_mode=WAL")
                await db.execute("PRAGMA foreign_keys=ON")
                await db.execute("PRAGMA synchronous=NORMAL")
                await apply_migrations(db)
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot use the database at {path}: {exc}") from exc
            yield cls(db)
        finally:
            await db.close()

    async def close(self) -> None:
        await self._db.close()
