"""The PostgreSQL (asyncpg) backend of the storage port: a pool of connections, shared
by any number of processes.

The URL is one asyncpg takes (``postgresql://user:password@host:5432/database``); its
query may set server settings, ``?search_path=myschema`` for one schema of a database
(it must exist, with pg_trgm reachable on the path).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bot.errors import StoreError
from bot.store.postgres._connections import DB_ERRORS
from bot.store.postgres._copy import CopyTables
from bot.store.postgres._deliveries import DeliveryTables
from bot.store.postgres._discussions import DiscussionTables
from bot.store.postgres._installations import InstallationTables
from bot.store.postgres._papers import PaperTables
from bot.store.postgres._signals import SignalTables
from bot.store.postgres._spelling import TRIGRAM_THRESHOLD, Spelling
from bot.store.postgres._subscriptions import SubscriptionTables
from bot.store.postgres._text_search import TextSearch
from bot.store.postgres.migrations import apply_migrations

__all__ = ["PostgresStore"]

log = logging.getLogger(__name__)

# Seconds to wait for the server to answer a connection: a host that is down says so
# soon, not after asyncpg's minute.
CONNECT_TIMEOUT = 10
DEFAULT_POOL_SIZE = 10
_SERVER_SETTINGS = {
    "application_name": "paperbot",
    # Ranking a few thousand matches is not worth compiling a query for (JIT costs more).
    "jit": "off",
    "pg_trgm.similarity_threshold": str(TRIGRAM_THRESHOLD),
}


class PostgresStore(
    TextSearch,  # before PaperTables, whose vocabulary it reads
    PaperTables,
    Spelling,
    SubscriptionTables,
    DeliveryTables,
    SignalTables,
    InstallationTables,
    DiscussionTables,
    CopyTables,
):
    """The whole ``Store``: writes in ``transaction()`` on a connection of the pool that
    its task holds until the end, reads on any other."""

    @classmethod
    @asynccontextmanager
    async def open(
        cls, url: str, *, pool_size: int = DEFAULT_POOL_SIZE
    ) -> AsyncIterator[PostgresStore]:
        """Connect to the database ``url`` names, migrate it, and keep a pool of up to
        ``pool_size`` connections (at least two: a transaction holds one while other
        tasks read)."""
        where = _describe(url)

        def connect() -> Any:
            return asyncpg.connect(url, timeout=CONNECT_TIMEOUT, server_settings=_SERVER_SETTINGS)

        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=max(2, pool_size),
                timeout=CONNECT_TIMEOUT,
                server_settings=_SERVER_SETTINGS,
            )
        except (*DB_ERRORS, TimeoutError, ValueError) as exc:
            reason = str(exc) or type(exc).__name__
            raise StoreError(f"cannot reach the PostgreSQL server at {where}: {reason}") from exc
        try:
            async with pool.acquire() as conn:
                if await conn.fetchval("SELECT current_schema()") is None:
                    path = await conn.fetchval("SHOW search_path")
                    raise StoreError(f"no schema of search_path {path!r} exists at {where}")
                await apply_migrations(conn)
        except DB_ERRORS as exc:
            await pool.close()
            raise StoreError(f"cannot use the database at {where}: {exc}") from exc
        except BaseException:
            await pool.close()
            raise
        store = cls(pool, connect)
        try:
            yield store
        finally:
            await store.close()

    async def close(self) -> None:
        """Close every connection, the pool's and the scheduler's; closing twice is
        harmless."""
        failed: BaseException | None = None
        if self._lock_conn is not None:
            try:
                # At once, not when the server notices the connection gone: the next
                # scheduler to start may take this one's claims.
                await self._lock_conn.execute("SELECT pg_advisory_unlock_all()")
                await self._lock_conn.close()
            except DB_ERRORS as exc:  # still close the pool
                self._lock_conn.terminate()
                failed = exc
            self._lock_conn = None
        try:
            await self._pool.close()
        except DB_ERRORS as exc:
            failed = exc
        if failed is not None:
            raise StoreError(f"could not close the database: {failed}") from failed


def _describe(url: str) -> str:
    """``host:port/database`` of ``url``, never its password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
    except ValueError:
        return "the URL given"
    return f"{host}:{port}{parts.path or ''}"
