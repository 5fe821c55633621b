"""SQLite storage of readers' signals (save, like, dismiss) and small settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.models import Signal
from bot.store.sqlite._connections import Connections

__all__ = ["SignalTables"]


class SignalTables(Connections):
    """The signals and meta part of ``SqliteStore``."""

    async def add_signal(
        self,
        platform: str,
        workspace: str,
        user: str,
        paper_id: str,
        signal: Signal,
        *,
        now: dt.datetime,
    ) -> bool:
        async with self.transaction():
            added = await self._write(
                "INSERT INTO signals (platform, workspace, user, paper_id, signal, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (platform, workspace, user, paper_id, signal.value, now.isoformat()),
            )
        return added.rows > 0

    async def remove_signal(self, platform: str, user: str, paper_id: str, signal: Signal) -> bool:
        async with self.transaction():
            removed = await self._write(
                "DELETE FROM signals WHERE platform = ? AND user = ? AND paper_id = ?"
                " AND signal = ?",
                (platform, user, paper_id, signal.value),
            )
        return removed.rows > 0

    async def user_signals(self, platform: str, user: str) -> dict[Signal, list[str]]:
        return (await self.readers_signals([(platform, user)]))[(platform, user)]

    async def readers_signals(
        self, readers: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[Signal, list[str]]]:
        pairs = list(dict.fromkeys(readers))
        result: dict[tuple[str, str], dict[Signal, list[str]]] = {
            pair: {s: [] for s in Signal} for pair in pairs
        }
        # Well below SQLite's limit on bound parameters, two per reader.
        for i in range(0, len(pairs), 250):
            chunk = pairs[i : i + 250]
            sql = (
                "SELECT platform, user, signal, paper_id FROM signals"
                f" WHERE (platform, user) IN (VALUES {', '.join(['(?, ?)'] * len(chunk))})"
                " GROUP BY platform, user, signal, paper_id ORDER BY max(created_at) DESC"
            )
            rows = await self._rows(sql, [v for pair in chunk for v in pair])
            for platform, user, signal, paper_id in rows:
                result[(platform, user)][Signal(signal)].append(paper_id)
        return result

    async def workspace_signals(
        self, platform: str, workspace: str, *, since: dt.datetime
    ) -> list[tuple[str, int]]:
        sql = (
            "SELECT paper_id, count(DISTINCT user) AS readers FROM signals"
            " WHERE platform = ? AND workspace = ? AND signal IN ('save', 'like')"
            " AND created_at >= ? GROUP BY paper_id ORDER BY readers DESC, max(created_at) DESC"
        )
        rows = await self._rows(sql, (platform, workspace, since.isoformat()))
        return [(pid, n) for pid, n in rows]

    async def get_meta(self, key: str) -> str | None:
        row = await self._row("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction():
            await self._write(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
