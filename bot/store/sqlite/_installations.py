"""SQLite storage of chat-platform installations: installers and workspace bots."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import aiosqlite

__all__ = ["InstallationTables"]


class InstallationTables:
    """The installations part of ``SqliteStore``."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

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
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute(
                    "INSERT INTO installations"
                    " (platform, enterprise, workspace, user, data, installed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                    " data = excluded.data, installed_at = excluded.installed_at",
                    (platform, enterprise, workspace, user, json.dumps(data), when),
                )
                if bot is not None:
                    await self._db.execute(
                        "INSERT INTO installation_bots"
                        " (platform, enterprise, workspace, data, installed_at)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                        " data = excluded.data, installed_at = excluded.installed_at",
                        (platform, enterprise, workspace, json.dumps(bot), when),
                    )
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise

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
        async with self._db.execute(sql, args) as cur:
            row = await cur.fetchone()
        return json.loads(row[0]) if row else None

    async def find_bot(
        self, platform: str, enterprise: str, workspace: str
    ) -> dict[str, object] | None:
        async with self._db.execute(
            "SELECT data FROM installation_bots"
            " WHERE platform = ? AND enterprise = ? AND workspace = ?",
            (platform, enterprise, workspace),
        ) as cur:
            row = await cur.fetchone()
        return json.loads(row[0]) if row else None

    async def delete_installation(
        self, platform: str, enterprise: str, workspace: str, user: str | None = None
    ) -> None:
        sql = "DELETE FROM installations WHERE platform = ? AND enterprise = ? AND workspace = ?"
        args: tuple[str, ...] = (platform, enterprise, workspace)
        if user is not None:
            sql += " AND user = ?"
            args += (user,)
        async with self._write_lock:
            await self._db.execute(sql, args)

    async def delete_bot(self, platform: str, enterprise: str, workspace: str) -> None:
        async with self._write_lock:
            await self._db.execute(
                "DELETE FROM installation_bots"
                " WHERE platform = ? AND enterprise = ? AND workspace = ?",
                (platform, enterprise, workspace),
            )
