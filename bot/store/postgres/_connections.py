"""The pool of the PostgreSQL store: writes in ``transaction()``, reads from the pool."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import asyncpg

from bot.errors import StoreError

__all__ = ["DB_ERRORS", "Connections", "changed"]

log = logging.getLogger(__name__)

Params = Sequence[Any]
# A connection the pool lends.
Conn: TypeAlias = "asyncpg.pool.PoolConnectionProxy[Any]"

# What the driver and the network raise: the server's refusals, a connection that broke
# or was closed, and the operating system's errors on the socket.
DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


def changed(tag: str) -> int:
    """The rows a command tag says a statement changed (``INSERT 0 1``, ``UPDATE 3``)."""
    tail = tag.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


@dataclass(slots=True, eq=False)
class _Transaction:
    """The open transaction: its task and connection, how deep it is nested, whether a
    statement failed outside any savepoint that was rolled back, what follows its commit."""

    owner: asyncio.Task[Any] | None
    conn: Conn
    depth: int = 0
    failed: bool = False
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class Connections:
    """Writes on a connection the writing task takes from the pool for its transaction;
    every other read on any connection of the pool.

    PostgreSQL serves many writers, but within one store they take turns, as on SQLite
    (the port says other tasks' writes wait for a transaction to end); other processes
    write meanwhile, and the writes that must not interleave with theirs lock for it.
    A read by another task sees only committed rows: each is its own statement on a
    connection outside the transaction.
    """

    def __init__(
        self, pool: asyncpg.Pool[Any], connect: Callable[[], Awaitable[asyncpg.Connection[Any]]]
    ) -> None:
        self._pool = pool
        self._connect = connect
        # Apart from the pool, held while the store is open: the scheduler's lock.
        self._lock_conn: asyncpg.Connection[Any] | None = None
        self._session_lock_turn = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._tx: _Transaction | None = None
        # Moved on entering and on leaving each commit that updates a cache, so odd during
        # one: a cache load that began then, or saw it move, may or may not hold that
        # commit's rows, and is not kept (see ``_cacheable``).
        self._generation = 0

    def _owns_transaction(self) -> bool:
        # Not a contextvar: a task started inside a transaction would inherit it and
        # write into it unserialised; a transaction is its opening task's alone.
        return self._tx is not None and self._tx.owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Begin a write: commit when the block ends, roll back if it raises.

        Used again by the same task it joins the open transaction as a savepoint: a
        nested block that raises undoes its own writes and passes the exception on.
        """
        if self._tx is not None and self._owns_transaction():
            async with self._savepoint(self._tx):
                yield
            return
        async with self._write_lock:
            try:
                conn = await self._pool.acquire()
            except DB_ERRORS as exc:
                raise StoreError(f"cannot begin a write: {exc}") from exc
            try:
                tx = self._tx = _Transaction(owner=asyncio.current_task(), conn=conn)
                await self._control("BEGIN", "cannot begin a write")
                try:
                    yield
                    await self._commit(tx)
                except DB_ERRORS as exc:
                    await self._rollback(tx)
                    raise StoreError(f"the database refused a write: {exc}") from exc
                except BaseException:
                    await self._rollback(tx)
                    raise
                finally:
                    self._tx = None
            finally:
                await self._release(conn)
            # Caches follow only what was committed (no await: no read can come between).
            for callback in tx.after_commit:
                callback()

    async def _commit(self, tx: _Transaction) -> None:
        if tx.failed:
            # PostgreSQL would answer COMMIT with a rollback; a caller that caught the
            # error must not take what followed for a commit.
            raise StoreError("the database rolled this write back after a failure")
        if not tx.after_commit:
            await tx.conn.execute("COMMIT")
            return
        self._generation += 1
        try:
            await tx.conn.execute("COMMIT")
        except BaseException:
            # Cancelled while waiting, the commit may still land: trust no cache.
            self._forget_caches()
            raise
        finally:
            self._generation += 1

    async def _rollback(self, tx: _Transaction) -> None:
        try:
            if tx.conn.is_in_transaction():
                await tx.conn.execute("ROLLBACK")
        except (*DB_ERRORS, asyncio.CancelledError):
            # The error that led here is the one to report; the connection is dropped
            # rather than handed back half-way through a transaction (see _release).
            log.warning("rollback failed; closing its connection", exc_info=True)

    async def _release(self, conn: Conn) -> None:
        try:
            if conn.is_in_transaction():
                # Left open by a rollback that failed or was itself cancelled.
                conn.terminate()
            await self._pool.release(conn)
        except DB_ERRORS:
            log.warning("could not hand a connection back to the pool", exc_info=True)

    async def _control(self, sql: str, failure: str = "the database refused a write") -> None:
        """BEGIN, SAVEPOINT and the like; a failure is a ``StoreError``."""
        assert self._tx is not None
        try:
            await self._tx.conn.execute(sql)
        except DB_ERRORS as exc:
            raise StoreError(f"{failure}: {exc}") from exc

    @asynccontextmanager
    async def _savepoint(self, tx: _Transaction) -> AsyncIterator[None]:
        name = f"nested_{tx.depth}"
        mark = len(tx.after_commit)
        failed = tx.failed
        if failed:
            raise StoreError("the database rolled this write back after a failure")
        await self._control(f"SAVEPOINT {name}")
        tx.depth += 1
        try:
            yield
        except DB_ERRORS as exc:
            await self._undo(tx, name, mark, failed)
            raise StoreError(f"the database refused a write: {exc}") from exc
        except BaseException:
            await self._undo(tx, name, mark, failed)
            raise
        else:
            if tx.failed and not failed:
                # A statement failed inside and its error was caught there: PostgreSQL
                # keeps nothing after it, so neither does the caller.
                await self._undo(tx, name, mark, failed)
                raise StoreError("the database rolled this write back after a failure")
            await self._control(f"RELEASE SAVEPOINT {name}")
        finally:
            tx.depth -= 1

    async def _undo(self, tx: _Transaction, name: str, mark: int, failed: bool) -> None:
        # Undone writes must not reach the caches at the outer commit.
        del tx.after_commit[mark:]
        await self._control(f"ROLLBACK TO SAVEPOINT {name}")
        await self._control(f"RELEASE SAVEPOINT {name}")
        # The statement that failed is undone with the savepoint: the rest stands.
        tx.failed = failed

    async def _session_lock(self, sql: str, *params: Any) -> None:
        """Run ``sql`` (taking a session lock) on a connection of the store's own, outside
        the pool, kept while the store is open: the lock lasts as long."""
        async with self._session_lock_turn:  # one statement at a time on it
            if self._lock_conn is None or self._lock_conn.is_closed():
                self._lock_conn = await self._connect()
            await self._lock_conn.execute(sql, *params)

    def _forget_caches(self) -> None:
        """Drop what is cached from the database (a backend's tables say what)."""

    def _after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the outermost commit of the current transaction (never
        after a rollback): how caches follow writes."""
        assert self._tx is not None and self._owns_transaction(), "not in transaction()"
        self._tx.after_commit.append(callback)

    def _writer(self) -> _Transaction:
        if self._tx is None or not self._owns_transaction():
            raise RuntimeError("a store write outside transaction()")  # a bug of ours
        if self._tx.failed:
            # Else it would fail again, with "current transaction is aborted".
            raise StoreError("the database rolled this write back after a failure")
        return self._tx

    async def _write(self, sql: str, params: Params = ()) -> str:
        """One statement inside the caller's transaction (errors propagate to it); the
        command tag (``UPDATE 3``)."""
        tx = self._writer()
        try:
            return str(await tx.conn.execute(sql, *params))
        except DB_ERRORS:
            tx.failed = True
            raise

    async def _write_rows(self, sql: str, params: Params = ()) -> list[Any]:
        """A writing statement whose rows (``RETURNING``) are wanted."""
        tx = self._writer()
        try:
            return list(await tx.conn.fetch(sql, *params))
        except DB_ERRORS:
            tx.failed = True
            raise

    async def _write_many(self, sql: str, rows: Iterable[Params]) -> None:
        tx = self._writer()
        try:
            await tx.conn.executemany(sql, rows)
        except DB_ERRORS:
            tx.failed = True
            raise

    async def _rows(self, sql: str, params: Params = (), *, failure: str = "") -> list[Any]:
        """Every row of one query: on the transaction's connection for the task that holds
        it, else on any of the pool's. A failure is a ``StoreError``, ``failure`` its
        message."""
        try:
            if self._tx is not None and self._owns_transaction():
                tx = self._tx
                if tx.failed:
                    raise StoreError("the database rolled this write back after a failure")
                try:
                    return list(await tx.conn.fetch(sql, *params))
                except DB_ERRORS:
                    tx.failed = True
                    raise
            return list(await self._pool.fetch(sql, *params))
        except DB_ERRORS as exc:
            raise StoreError(failure or f"the database could not be read: {exc}") from exc

    async def _row(self, sql: str, params: Params = ()) -> Any | None:
        rows = await self._rows(sql, params)
        return rows[0] if rows else None

    def _cacheable(self, generation: int) -> bool:
        """Whether a load from the pool begun at ``generation`` may be cached: no commit
        that moves a cache was under way, or began or ended, meanwhile."""
        return generation == self._generation and generation % 2 == 0
