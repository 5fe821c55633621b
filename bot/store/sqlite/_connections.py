"""The two connections of the SQLite store: writes in ``transaction()``, reads apart."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiosqlite

from bot.errors import StoreError

__all__ = ["Changed", "Connections"]

log = logging.getLogger(__name__)

Params = Sequence[Any]


class Changed(NamedTuple):
    """What one write statement did: rows changed, and the rowid of the last insert."""

    rows: int
    last_id: int | None


@dataclass(slots=True, eq=False)
class _Transaction:
    """The open transaction: its task, how deep it is nested, what follows its commit."""

    owner: asyncio.Task[Any] | None
    depth: int = 0
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class Connections:
    """Writes on one connection, only inside ``transaction()``; reads on another.

    In WAL mode the reader sees the last committed state, never the writer's open
    transaction. The task that holds the transaction reads through the writer instead,
    so it sees its own writes.
    """

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
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
            if self._writer.in_transaction:
                # Left open by a rollback that was itself cancelled.
                await self._rollback()
            await self._control("BEGIN IMMEDIATE", "cannot begin a write")
            tx = self._tx = _Transaction(owner=asyncio.current_task())
            try:
                yield
                await self._commit(tx)
            except sqlite3.Error as exc:
                await self._rollback()
                raise StoreError(f"the database refused a write: {exc}") from exc
            except BaseException:
                await self._rollback()
                raise
            finally:
                self._tx = None
            # Caches follow only what was committed (no await: no read can come between).
            for callback in tx.after_commit:
                callback()

    async def _commit(self, tx: _Transaction) -> None:
        if not self._writer.in_transaction:
            # SQLite ends a transaction itself on some failures (a full disk); a caller
            # that caught the error must not take what followed for a commit.
            raise StoreError("the database rolled this write back after a failure")
        if not tx.after_commit:
            await self._writer.commit()
            return
        self._generation += 1
        try:
            await self._writer.commit()
        except BaseException:
            # Cancelled while waiting, the commit may still land: trust no cache.
            self._forget_caches()
            raise
        finally:
            self._generation += 1

    async def _rollback(self) -> None:
        try:
            if self._writer.in_transaction:
                await self._writer.rollback()
        except sqlite3.Error:
            # The error that led here is the one to report; the next transaction
            # rolls back whatever this left open before it begins.
            log.exception("rollback failed")

    async def _control(self, sql: str, failure: str = "the database refused a write") -> None:
        """BEGIN, SAVEPOINT and the like; a failure is a ``StoreError``."""
        try:
            await self._writer.execute(sql)
        except sqlite3.Error as exc:
            raise StoreError(f"{failure}: {exc}") from exc

    @asynccontextmanager
    async def _savepoint(self, tx: _Transaction) -> AsyncIterator[None]:
        name = f"nested_{tx.depth}"
        mark = len(tx.after_commit)
        await self._control(f"SAVEPOINT {name}")
        tx.depth += 1
        try:
            yield
        except sqlite3.Error as exc:
            await self._undo(tx, name, mark)
            raise StoreError(f"the database refused a write: {exc}") from exc
        except BaseException:
            await self._undo(tx, name, mark)
            raise
        else:
            await self._control(f"RELEASE {name}")
        finally:
            tx.depth -= 1

    async def _undo(self, tx: _Transaction, name: str, mark: int) -> None:
        # Undone writes must not reach the caches at the outer commit.
        del tx.after_commit[mark:]
        # When SQLite has rolled the whole transaction back, no savepoint is left.
        if self._writer.in_transaction:
            await self._control(f"ROLLBACK TO {name}")
            await self._control(f"RELEASE {name}")

    def _forget_caches(self) -> None:
        """Drop what is cached from the database (a backend's tables say what)."""

    def _after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the outermost commit of the current transaction (never
        after a rollback): how caches follow writes."""
        assert self._tx is not None and self._owns_transaction(), "not in transaction()"
        self._tx.after_commit.append(callback)

    def _check_writing(self) -> None:
        if not self._owns_transaction():
            raise RuntimeError("a store write outside transaction()")  # a bug of ours
        if not self._writer.in_transaction:
            # Else it would run on its own, in autocommit, outside the caller's transaction.
            raise StoreError("the database rolled this write back after a failure")

    async def _write(self, sql: str, params: Params = ()) -> Changed:
        """One statement inside the caller's transaction (errors propagate to it)."""
        self._check_writing()
        async with self._writer.execute(sql, params) as cur:
            return Changed(cur.rowcount, cur.lastrowid)

    async def _write_many(self, sql: str, rows: Iterable[Params]) -> None:
        self._check_writing()
        await self._writer.executemany(sql, rows)

    async def _rows(self, sql: str, params: Params = (), *, failure: str = "") -> list[Any]:
        """Every row of one query: through the writer for the task in a transaction,
        else through the reader. A failure is a ``StoreError``, ``failure`` its message."""
        db = self._writer if self._owns_transaction() else self._reader
        try:
            # One call fetches all, so no read stays open to pin an old snapshot.
            return list(await db.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StoreError(failure or f"the database could not be read: {exc}") from exc

    async def _row(self, sql: str, params: Params = ()) -> Any | None:
        rows = await self._rows(sql, params)
        return rows[0] if rows else None

    def _cacheable(self, generation: int) -> bool:
        """Whether a load from the reader begun at ``generation`` may be cached: no
        commit that moves a cache was under way, or began or ended, meanwhile."""
        return generation == self._generation and generation % 2 == 0
