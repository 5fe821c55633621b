"""SQLite's side of copying a database: rows in key order, added when new."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.store.copy import Row, Table
from bot.store.sqlite._connections import Connections
from bot.store.sqlite._papers import count_words
from bot.text import tokenize

__all__ = ["CopyTables"]


class CopyTables(Connections):
    """The copy part of ``SqliteStore``; the neutral row form is SQLite's own columns."""

    async def rows(self, table: Table, *, after: Row | None, limit: int) -> list[Row]:
        keys = ", ".join(table.key_columns)
        where = ""
        params: list[object] = []
        if after is not None:
            # Row values compare in key order; text compares byte by byte (BINARY).
            where = f" WHERE ({keys}) > ({', '.join('?' * table.key)})"
            params = list(after)
        sql = f"SELECT {', '.join(table.columns)} FROM {table.name}{where} ORDER BY {keys} LIMIT ?"
        return [tuple(row) for row in await self._rows(sql, (*params, limit))]

    async def put_rows(self, table: Table, rows: Sequence[Row]) -> int:
        sql = (
            f"INSERT INTO {table.name} ({', '.join(table.columns)})"
            f" VALUES ({', '.join('?' * len(table.columns))}) ON CONFLICT DO NOTHING"
        )
        async with self.transaction():
            held = await self._held(table, rows)
            new = [r for r in rows if tuple(r[: table.key]) not in held]
            # Inserting a paper runs the triggers that keep the full-text indexes; the
            # stored vocabulary counts its words here.
            await self._write_many(sql, new)
            if table.name == "papers" and new:
                text = [table.columns.index(c) for c in ("title", "abstract", "authors_text")]
                change: Counter[str] = Counter()
                for row in new:
                    change.update(set(tokenize(" ".join(str(row[i] or "") for i in text))))
                await count_words(self, change)
            self._after_commit(self._forget_caches)
        return len(rows) - len(held)

    async def _held(self, table: Table, rows: Sequence[Row]) -> set[Row]:
        """The keys of ``rows`` the table holds already."""
        keys = ", ".join(table.key_columns)
        held: set[Row] = set()
        step = max(1, 900 // table.key)  # below SQLite's limit on bound parameters
        for i in range(0, len(rows), step):
            chunk = [tuple(r[: table.key]) for r in rows[i : i + step]]
            values = ", ".join(["(" + ", ".join("?" * table.key) + ")"] * len(chunk))
            sql = f"SELECT {keys} FROM {table.name} WHERE ({keys}) IN (VALUES {values})"
            held.update(tuple(r) for r in await self._rows(sql, [v for k in chunk for v in k]))
        return held

    async def last_key(self, table: Table) -> Row | None:
        keys = ", ".join(table.key_columns)
        order = ", ".join(f"{k} DESC" for k in table.key_columns)
        row = await self._row(f"SELECT {keys} FROM {table.name} ORDER BY {order} LIMIT 1")
        return tuple(row) if row else None

    async def count_rows(self, table: Table) -> int:
        row = await self._row(f"SELECT count(*) FROM {table.name}")
        return int(row[0]) if row else 0

    async def finish_copy(self) -> None:
        self._forget_caches()
