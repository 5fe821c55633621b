"""PostgreSQL storage of chat-platform installations: installers and workspace bots."""

from __future__ import annotations

import datetime as dt
import json

from bot.store.postgres._connections import Connections, changed

__all__ = ["InstallationTables"]


class InstallationTables(Connections):
    """The installations part of ``PostgresStore``."""

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
        async with self.transaction():
            await self._write(
                "INSERT INTO installations"
                " (platform, enterprise, workspace, installer, data, installed_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)"
                " ON CONFLICT (platform, enterprise, workspace, installer) DO UPDATE SET"
                " data = excluded.data, installed_at = excluded.installed_at",
                (platform, enterprise, workspace, user, json.dumps(data), now),
            )
            if bot is not None:
                await self._write(
                    "INSERT INTO installation_bots"
                    " (platform, enterprise, workspace, data, installed_at)"
                    " VALUES ($1, $2, $3, $4, $5)"
                    " ON CONFLICT (platform, enterprise, workspace) DO UPDATE SET"
                    " data = excluded.data, installed_at = excluded.installed_at",
                    (platform, enterprise, workspace, json.dumps(bot), now),
                )

    async def find_installation(
        self, platform: str, enterprise: str, workspace: str, user: str | None = None
    ) -> dict[str, object] | None:
        sql = (
            "SELECT data FROM installations"
            " WHERE platform = $1 AND enterprise = $2 AND workspace = $3"
        )
        args: tuple[str, ...] = (platform, enterprise, workspace)
        if user is not None:
            sql += " AND installer = $4"
            args += (user,)
        sql += " ORDER BY installed_at DESC LIMIT 1"
        row = await self._row(sql, args)
        return json.loads(row[0]) if row else None

    async def find_bot(
        self, platform: str, enterprise: str, workspace: str
    ) -> dict[str, object] | None:
        row = await self._row(
            "SELECT data FROM installation_bots"
            " WHERE platform = $1 AND enterprise = $2 AND workspace = $3",
            (platform, enterprise, workspace),
        )
        return json.loads(row[0]) if row else None

    async def delete_installation(
        self, platform: str, enterprise: str, workspace: str, user: str | None = None
    ) -> None:
        sql = "DELETE FROM installations WHERE platform = $1 AND enterprise = $2 AND workspace = $3"
        args: tuple[str, ...] = (platform, enterprise, workspace)
        if user is not None:
            sql += " AND installer = $4"
            args += (user,)
        async with self.transaction():
            await self._write(sql, args)

    async def delete_bot(self, platform: str, enterprise: str, workspace: str) -> None:
        async with self.transaction():
            await self._write(
                "DELETE FROM installation_bots"
                " WHERE platform = $1 AND enterprise = $2 AND workspace = $3",
                (platform, enterprise, workspace),
            )

    async def issue_state(self, state: str, *, expires_at: dt.datetime) -> None:
        async with self.transaction():
            await self._write(
                "INSERT INTO oauth_states (state, expires_at) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING",
                (state, expires_at),
            )

    async def consume_state(self, state: str, *, now: dt.datetime) -> bool:
        async with self.transaction():
            # Expired ones go too: the table never grows with abandoned installs.
            await self._write("DELETE FROM oauth_states WHERE expires_at <= $1", (now,))
            gone = await self._write("DELETE FROM oauth_states WHERE state = $1", (state,))
        return changed(gone) > 0
