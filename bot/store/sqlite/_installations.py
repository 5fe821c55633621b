"""SQLite storage of chat-platform installations: installers and workspace bots."""

from __future__ import annotations

import datetime as dt
import json

from bot.store.sqlite._connections import Connections

__all__ = ["InstallationTables"]


class InstallationTables(Connections):
    """The installations part of ``SqliteStore``."""

    async def save_installation(
        self,
        platform: str,
        enterprise: str,
        workspace: str,
        user: str,
        data: dict[str, object],
        *,
        bot: dict[str, object] | None,
        now: dt.datetime,
    ) -> None:
        when = now.isoformat()
        async with self.transaction():
            await self._write(
                "INSERT INTO installations"
                " (platform, enterprise, workspace, user, data, installed_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                " data = excluded.data, installed_at = excluded.installed_at",
                (platform, enterprise, workspace, user, json.dumps(data), when),
            )
            if bot is not None:
                await self._write(
                    "INSERT INTO installation_bots"
                    " (platform, enterprise, workspace, data, installed_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                    " data = excluded.data, installed_at = excluded.installed_at",
                    (platform, enterprise, workspace, json.dumps(bot), when),
                )

    async def find_installation(
        self, platform: str, enterprise: str, workspace: str, user: str | None = None
    ) -> dict[str, object] | None:
        sql = (
            "SELECT data FROM installations WHERE platform = ? AND enterprise = ? AND workspace = ?"
        )
        args: tuple[str, ...] = (platform, enterprise, workspace)
        if user is not None:
            sql += " AND user = ?"
            args += (user,)
        sql += " ORDER BY installed_at DESC LIMIT 1"
        row = await self._row(sql, args)
        return json.loads(row[0]) if row else None

    async def find_bot(
        self, platform: str, enterprise: str, workspace: str
    ) -> dict[str, object] | None:
        row = await self._row(
            "SELECT data FROM installation_bots"
            " WHERE platform = ? AND enterprise = ? AND workspace = ?",
            (platform, enterprise, workspace),
        )
        return json.loads(row[0]) if row else None

    async def delete_installation(
        self, platform: str, enterprise: str, workspace: str, user: str | None = None
    ) -> None:
        sql = "DELETE FROM installations WHERE platform = ? AND enterprise = ? AND workspace = ?"
        args: tuple[str, ...] = (platform, enterprise, workspace)
        if user is not None:
            sql += " AND user = ?"
            args += (user,)
        async with self.transaction():
            await self._write(sql, args)

    async def delete_bot(self, platform: str, enterprise: str, workspace: str) -> None:
        async with self.transaction():
            await self._write(
                "DELETE FROM installation_bots"
                " WHERE platform = ? AND enterprise = ? AND workspace = ?",
                (platform, enterprise, workspace),
            )

    async def issue_state(self, state: str, *, expires_at: dt.datetime) -> None:
        async with self.transaction():
            await self._write(
                "INSERT INTO oauth_states (state, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (state, expires_at.astimezone(dt.UTC).isoformat()),
            )

    async def consume_state(self, state: str, *, now: dt.datetime) -> bool:
        stamp = now.astimezone(dt.UTC).isoformat()
        async with self.transaction():
            # Expired ones go too: the table never grows with abandoned installs.
            await self._write("DELETE FROM oauth_states WHERE expires_at <= ?", (stamp,))
            gone = await self._write("DELETE FROM oauth_states WHERE state = ?", (state,))
        return gone.rows > 0
