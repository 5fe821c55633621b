"""PostgreSQL storage of readers' signals (save, like, dismiss) and small settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.models import Signal
from bot.store.postgres._connections import Connections, changed

__all__ = ["SignalTables"]


class SignalTables(Connections):
    """The signals and meta part of ``PostgresStore``."""

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
                "INSERT INTO signals (platform, workspace, reader, paper_id, signal, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                (platform, workspace, user, paper_id, signal.value, now),
            )
        return changed(added) > 0

    async def remove_signal(self, platform: str, user: str, paper_id: str, signal: Signal) -> bool:
        async with self.transaction():
            removed = await self._write(
                "DELETE FROM signals WHERE platform = $1 AND reader = $2 AND paper_id = $3"
                " AND signal = $4",
                (platform, user, paper_id, signal.value),
            )
        return changed(removed) > 0

    async def user_signals(self, platform: str, user: str) -> dict[Signal, list[str]]:
        return (await self.readers_signals([(platform, user)]))[(platform, user)]

    async def readers_signals(
        self, readers: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[Signal, list[str]]]:
        pairs = list(dict.fromkeys(readers))
        result: dict[tuple[str, str], dict[Signal, list[str]]] = {
            pair: {s: [] for s in Signal} for pair in pairs
        }
        if not pairs:
            return result
        sql = (
            "SELECT s.platform, s.reader, s.signal, s.paper_id FROM signals s"
            " JOIN unnest($1::text[], $2::text[]) AS r(platform, reader)"
            " ON s.platform = r.platform AND s.reader = r.reader"
            " GROUP BY s.platform, s.reader, s.signal, s.paper_id"
            " ORDER BY max(s.created_at) DESC, s.paper_id"
        )
        rows = await self._rows(sql, ([p for p, _ in pairs], [u for _, u in pairs]))
        for platform, user, signal, paper_id in rows:
            result[(platform, user)][Signal(signal)].append(paper_id)
        return result

    async def workspace_signals(
        self, platform: str, workspace: str, *, since: dt.datetime
    ) -> list[tuple[str, int]]:
        sql = (
            "SELECT paper_id, count(DISTINCT reader) AS readers FROM signals"
            " WHERE platform = $1 AND workspace = $2 AND signal IN ('save', 'like')"
            " AND created_at >= $3 GROUP BY paper_id"
            " ORDER BY readers DESC, max(created_at) DESC, paper_id"
        )
        rows = await self._rows(sql, (platform, workspace, since))
        return [(pid, n) for pid, n in rows]

    async def get_meta(self, key: str) -> str | None:
        row = await self._row("SELECT value FROM meta WHERE key = $1", (key,))
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction():
            await self._write(
                "INSERT INTO meta (key, value) VALUES ($1, $2)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
