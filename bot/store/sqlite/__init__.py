"""The SQLite (aiosqlite) backend of the storage port: a writer and a reader, WAL mode."""

from __future__ import annotations

import fcntl
import logging
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

import aiosqlite

from bot.errors import StoreError
from bot.store.sqlite._copy import CopyTables
from bot.store.sqlite._deliveries import DeliveryTables
from bot.store.sqlite._discussions import DiscussionTables
from bot.store.sqlite._installations import InstallationTables
from bot.store.sqlite._papers import PaperTables
from bot.store.sqlite._signals import SignalTables
from bot.store.sqlite._spelling import Spelling
from bot.store.sqlite._subscriptions import SubscriptionTables
from bot.store.sqlite._text_search import TextSearch
from bot.store.sqlite.migrations import add_functions, apply_migrations

__all__ = ["DEFAULT_CACHE_MB", "SqliteStore"]

log = logging.getLogger(__name__)

_BUSY_MS = 5000
# Pages each connection keeps in memory (PAPERBOT_DB_CACHE_MB); SQLite's own default is
# 2 MB. The operating system caches the file besides.
DEFAULT_CACHE_MB = 16


class SqliteStore(
    Spelling,  # before PaperTables, whose vocabulary it reads
    TextSearch,  # before PaperTables too, whose word counts it reads
    PaperTables,
    SubscriptionTables,
    DeliveryTables,
    SignalTables,
    InstallationTables,
    DiscussionTables,
    CopyTables,
):
    """The whole ``Store``: writes in ``transaction()`` on one connection, reads on another."""

    def __init__(
        self,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        *,
        private_dir: Path | None = None,
        path: str | Path | None = None,
    ) -> None:
        super().__init__(writer, reader)
        self._private_dir = private_dir
        self._path = Path(path) if path is not None else None
        self._scheduler_lock: IO[bytes] | None = None

    @classmethod
    @asynccontextmanager
    async def open(
        cls, path: str | Path, *, cache_mb: int = DEFAULT_CACHE_MB
    ) -> AsyncIterator[SqliteStore]:
        """Open (creating if needed) the database at ``path`` and migrate it; each of its
        two connections keeps at most ``cache_mb`` MB of pages in memory.

        ``:memory:`` is a private database that is gone once closed. It lives in a
        temporary file: two connections cannot share an in-memory database in WAL mode.
        """
        private_dir = None
        if str(path) == ":memory:":
            try:
                private_dir = Path(tempfile.mkdtemp(prefix="paperbot-"))
            except OSError as exc:
                raise StoreError(f"cannot open a private database: {exc}") from exc
            path = private_dir / "store.sqlite3"
        writer = reader = None
        try:
            writer = await _connect(path)
            try:
                await writer.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
                # Negative: a size in KiB, however big the pages.
                await writer.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
                await writer.execute("PRAGMA journal_mode=WAL")
                await writer.execute("PRAGMA foreign_keys=ON")
                # A private database does not outlive the process: no need to sync it.
                sync = "OFF" if private_dir else "NORMAL"
                await writer.execute(f"PRAGMA synchronous={sync}")
                await apply_migrations(writer)
                reader = await _connect(path)
                await reader.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
                await reader.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
                # Reads only: a write that strays here fails instead of bypassing the lock.
                await reader.execute("PRAGMA query_only=1")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot use the database at {path}: {exc}") from exc
        except BaseException:
            for db in (reader, writer):
                if db is not None:
                    await db.close()
            if private_dir:
                shutil.rmtree(private_dir, ignore_errors=True)
            raise
        store = cls(writer, reader, private_dir=private_dir, path=path)
        try:
            yield store
        finally:
            await store.close()

    async def reserve_scheduler(self, owner: str) -> None:
        """SQLite serves one process: the first to run the scheduler takes a lock on a
        file beside the database (the kernel drops it when that process ends, even killed),
        and any other one is refused. Every other scheduler of this database being gone,
        their claims end now (their deliveries stay "maybe sent", checked before sending)."""
        if self._private_dir is None and self._path is not None and not self._scheduler_lock:
            self._scheduler_lock = _lock_beside(self._path)
        async with self.transaction():
            await self._write(
                "UPDATE deliveries SET claimed_until = NULL WHERE status = 'pending'"
                " AND claimed_by <> '' AND claimed_by <> ?",
                (owner,),
            )

    async def close(self) -> None:
        """Close both connections and delete a private database; closing twice is harmless."""
        if self._scheduler_lock is not None:
            self._scheduler_lock.close()  # and with it the lock
            self._scheduler_lock = None
        failed: sqlite3.Error | None = None
        for db in (self._reader, self._writer):
            try:
                await db.close()
            except sqlite3.Error as exc:  # still close the other one
                failed = exc
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None
        if failed is not None:
            raise StoreError(f"could not close the database: {failed}") from failed


def _lock_beside(path: Path) -> IO[bytes]:
    """An exclusive lock on ``<database>.scheduler.lock``, held while the file stays open."""
    lock_path = path.with_name(path.name + ".scheduler.lock")
    try:
        handle = lock_path.open("ab")
    except OSError as exc:
        raise StoreError(f"cannot open {lock_path}: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreError(
            f"SQLite serves one process, and another paperbot already runs the daily posts "
            f"on {path}; use PostgreSQL (PAPERBOT_DATABASE_URL=postgresql://...) for replicas"
        ) from None
    return handle


async def _connect(path: str | Path) -> aiosqlite.Connection:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: sqlite3 never begins a transaction behind our back, so
        # every one begins in transaction().
        db = await aiosqlite.connect(str(path), isolation_level=None)
    except (OSError, sqlite3.Error) as exc:  # bad path, permissions, not a database
        raise StoreError(f"cannot open the database at {path}: {exc}") from exc
    try:
        await add_functions(db)
    except sqlite3.Error as exc:
        await db.close()
        raise StoreError(f"cannot use the database at {path}: {exc}") from exc
    return db
