"""SQLite storage of discussion threads: one per paper per channel, claimed first."""

from __future__ import annotations

import datetime as dt

from bot.models import Destination
from bot.store.sqlite._connections import Connections

__all__ = ["DiscussionTables"]


class DiscussionTables(Connections):
    """The discussions part of ``SqliteStore``."""

    async def claim_discussion(
        self, place: Destination, paper_id: str, *, now: dt.datetime
    ) -> str | None:
        key = (place.platform, place.workspace, place.channel, paper_id)
        async with self.transaction():
            claimed = await self._write(
                "INSERT INTO discussions (platform, workspace, channel, paper_id, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (*key, now.isoformat()),
            )
            if claimed.rows:
                return None
            row = await self._row(
                "SELECT thread FROM discussions WHERE platform = ? AND workspace = ?"
                " AND channel = ? AND paper_id = ?",
                key,
            )
        return str(row[0]) if row else ""

    async def set_discussion(self, place: Destination, paper_id: str, thread: str) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE discussions SET thread = ? WHERE platform = ? AND workspace = ?"
                " AND channel = ? AND paper_id = ?",
                (thread, place.platform, place.workspace, place.channel, paper_id),
            )

    async def release_discussion(self, place: Destination, paper_id: str) -> None:
        async with self.transaction():
            await self._write(
                "DELETE FROM discussions WHERE platform = ? AND workspace = ? AND channel = ?"
                " AND paper_id = ? AND thread = ''",
                (place.platform, place.workspace, place.channel, paper_id),
            )
