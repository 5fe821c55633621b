"""PostgreSQL's side of copying a database: rows in the neutral form (SQLite's columns
and values), in key order, added when new, the full-text vectors and vocabulary in step."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from bot.errors import StoreError
from bot.models import Paper
from bot.store.copy import Row, Table
from bot.store.postgres._connections import DB_ERRORS, Connections
from bot.store.postgres._papers import PAPERS_LOCK, apply_vocabulary_change
from bot.store.postgres._vectors import indexed_tokens, search_vectors

__all__ = ["CopyTables"]


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _from_iso(value: Any) -> Any:
    return dt.datetime.fromisoformat(value) if value is not None else None


def _from_day(value: Any) -> Any:
    return dt.date.fromisoformat(value) if value is not None else None


def _list(value: Any) -> Any:
    return json.dumps(list(value), ensure_ascii=False)


def _ascii_list(value: Any) -> Any:
    return json.dumps(list(value))


def _from_list(value: Any) -> Any:
    return list(json.loads(value))


def _flag(value: Any) -> Any:
    return int(value)


def _weekdays(value: Any) -> Any:
    return ",".join(str(d) for d in sorted(value))


def _from_weekdays(value: Any) -> Any:
    return [int(d) for d in str(value).split(",") if d]


def _same(value: Any) -> Any:
    return value


# How a neutral column is kept here: the column (or an expression to read), its SQL type,
# and the conversions to and from the neutral value.
_Kind = tuple[str, Callable[[Any], Any], Callable[[Any], Any]]
_TEXT: _Kind = ("text", _same, _same)
_INT: _Kind = ("bigint", _same, _same)
_TIME: _Kind = ("timestamptz", _iso, _from_iso)
_DAY: _Kind = ("date", _iso, _from_day)
_NAMES: _Kind = ("text[]", _list, _from_list)
_CODES: _Kind = ("text[]", _ascii_list, _from_list)
_FLAG: _Kind = ("boolean", _flag, bool)
_DAYS: _Kind = ("smallint[]", _weekdays, _from_weekdays)
_JSON: _Kind = ("json", _same, _same)

_RENAMED = {("signals", "user"): "reader", ("installations", "user"): "installer"}
_KINDS: dict[str, _Kind] = {
    "version": _INT, "upvotes": _INT, "comments": _INT, "github_stars": _INT,
    "min_upvotes": _INT, "count": _INT, "attempts": _INT, "id": _INT,
    "subscription_id": _INT, "delivery_id": _INT,
    "published_at": _TIME, "first_seen": _TIME, "updated_at": _TIME, "observed_at": _TIME,
    "created_at": _TIME, "slot": _TIME, "next_attempt_at": _TIME, "sent_at": _TIME,
    "claimed_until": _TIME, "delivered_at": _TIME, "installed_at": _TIME, "until": _TIME,
    "expires_at": _TIME,
    "day": _DAY, "authors": _NAMES, "ai_keywords": _NAMES, "categories": _CODES,
    "post_empty": _FLAG, "active": _FLAG, "weekdays": _DAYS, "data": _JSON,
}  # fmt: skip


def _kind(table: Table, column: str) -> _Kind:
    if table.name == "papers" and column == "id":
        return _TEXT
    return _KINDS.get(column, _TEXT)


def _column(table: Table, column: str) -> str:
    if table.name == "papers" and column == "authors_text":
        return "array_to_string(authors, ', ')"  # derived: not kept here
    return _RENAMED.get((table.name, column), column)


def _key_order(table: Table) -> list[str]:
    """The key's columns, text in byte order (as SQLite's BINARY compares)."""
    return [
        f'{_column(table, c)} COLLATE "C"' if _kind(table, c)[0] == "text" else _column(table, c)
        for c in table.key_columns
    ]


class CopyTables(Connections):
    """The copy part of ``PostgresStore``."""

    async def rows(self, table: Table, *, after: Row | None, limit: int) -> list[Row]:
        keys = _key_order(table)
        where = ""
        params: list[object] = []
        if after is not None:
            params = [_kind(table, c)[2](v) for c, v in zip(table.key_columns, after, strict=True)]
            casts = ", ".join(
                f"${i}::{_kind(table, c)[0]}" for i, c in enumerate(table.key_columns, 1)
            )
            where = f" WHERE ({', '.join(keys)}) > ({casts})"
        params.append(limit)
        sql = (
            f"SELECT {', '.join(_column(table, c) for c in table.columns)} FROM {table.name}"
            f"{where} ORDER BY {', '.join(keys)} LIMIT ${len(params)}"
        )
        out = [_kind(table, c)[1] for c in table.columns]
        return [
            tuple(v if v is None else f(v) for f, v in zip(out, row, strict=True))
            for row in await self._rows(sql, params)
        ]

    async def put_rows(self, table: Table, rows: Sequence[Row]) -> int:
        columns = [c for c in table.columns if not (table.name == "papers" and c == "authors_text")]
        index = [table.columns.index(c) for c in columns]
        into = [_column(table, c) for c in columns]
        converted = [
            [
                None if r[i] is None else _kind(table, c)[2](r[i])
                for i, c in zip(index, columns, strict=True)
            ]
            for r in rows
        ]
        async with self.transaction():
            try:
                if table.name == "papers":
                    await self._write(PAPERS_LOCK)
                held = await self._held(table, rows)
                new = [
                    row
                    for row, original in zip(converted, rows, strict=True)
                    if tuple(original[: table.key]) not in held
                ]
                if table.name == "papers":
                    new = await self._with_vectors(new, into)
                    into = [*into, "doc", "titles"]
                values = ", ".join(f"${i}" for i in range(1, len(into) + 1))
                await self._write_many(
                    f"INSERT INTO {table.name} ({', '.join(into)}) VALUES ({values})"
                    " ON CONFLICT DO NOTHING",
                    new,
                )
            except DB_ERRORS as exc:
                raise StoreError(f"could not copy {len(rows)} rows of {table.name}: {exc}") from exc
            self._after_commit(self._forget_caches)
        return len(new)

    async def _with_vectors(self, rows: list[list[Any]], into: list[str]) -> list[list[Any]]:
        """Papers with their search vectors, and the vocabulary counting them."""
        change: Counter[str] = Counter()
        out = []
        for row in rows:
            v = dict(zip(into, row, strict=True))
            paper = Paper(
                id=v["id"], title=v["title"] or "", abstract=v["abstract"] or "",
                authors=tuple(v["authors"] or ()),
            )  # fmt: skip
            change.update(indexed_tokens(paper))
            out.append([*row, *search_vectors(paper)])
        await apply_vocabulary_change(self, change)
        return out

    async def _held(self, table: Table, rows: Sequence[Row]) -> set[Row]:
        """The keys of ``rows`` (neutral) the table holds already."""
        if not rows:
            return set()
        kinds = [_kind(table, c) for c in table.key_columns]
        arrays = [[kind[2](r[i]) for r in rows] for i, kind in enumerate(kinds)]
        cols = [_column(table, c) for c in table.key_columns]
        unnest = ", ".join(f"${i}::{k[0]}[]" for i, k in enumerate(kinds, 1))
        names = ", ".join(f"k{i}" for i in range(len(cols)))
        on = " AND ".join(f"t.{c} = u.k{i}" for i, c in enumerate(cols))
        sql = (
            f"SELECT {', '.join('t.' + c for c in cols)} FROM {table.name} t"
            f" JOIN unnest({unnest}) AS u({names}) ON {on}"
        )
        return {
            tuple(k[1](v) for k, v in zip(kinds, row, strict=True))
            for row in await self._rows(sql, arrays)
        }

    async def last_key(self, table: Table) -> Row | None:
        order = ", ".join(f"{k} DESC" for k in _key_order(table))
        cols = ", ".join(_column(table, c) for c in table.key_columns)
        row = await self._row(f"SELECT {cols} FROM {table.name} ORDER BY {order} LIMIT 1")
        if row is None:
            return None
        kinds = [_kind(table, c) for c in table.key_columns]
        return tuple(k[1](v) for k, v in zip(kinds, row, strict=True))

    async def count_rows(self, table: Table) -> int:
        row = await self._row(f"SELECT count(*) FROM {table.name}")
        return int(row[0]) if row else 0

    async def finish_copy(self) -> None:
        async with self.transaction():
            for name in ("subscriptions", "deliveries"):
                # New ids go on after the copied ones, as the source's would have.
                await self._write(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
                    f" coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
                )
        self._forget_caches()
