"""PostgreSQL storage of discussion threads: one per paper per channel, claimed first."""

from __future__ import annotations

import datetime as dt

from bot.models import Destination
from bot.store.postgres._connections import Connections

__all__ = ["DiscussionTables"]


class DiscussionTables(Connections):
    """The discussions part of ``PostgresStore``."""

    async def claim_discussion(
        self, place: Destination, paper_id: str, *, now: dt.datetime
    ) -> str | None:
        key = (place.platform, place.workspace, place.channel, paper_id)
        async with self.transaction():
            # Another process's claim of the same row, not yet committed, makes this
            # insert wait for it; then it does nothing and the select sees that claim.
            claimed = await self._write_rows(
                "INSERT INTO discussions (platform, workspace, channel, paper_id, created_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING thread",
                (*key, now),
            )
            if claimed:
                return None
            row = await self._row(
                "SELECT thread FROM discussions WHERE platform = $1 AND workspace = $2"
                " AND channel = $3 AND paper_id = $4",
                key,
            )
        return str(row[0]) if row else ""

    async def set_discussion(self, place: Destination, paper_id: str, thread: str) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE discussions SET thread = $1 WHERE platform = $2 AND workspace = $3"
                " AND channel = $4 AND paper_id = $5",
                (thread, place.platform, place.workspace, place.channel, paper_id),
            )

    async def release_discussion(self, place: Destination, paper_id: str) -> None:
        async with self.transaction():
            await self._write(
                "DELETE FROM discussions WHERE platform = $1 AND workspace = $2 AND channel = $3"
                " AND paper_id = $4 AND thread = ''",
                (place.platform, place.workspace, place.channel, paper_id),
            )
