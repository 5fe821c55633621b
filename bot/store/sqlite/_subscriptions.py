"""SQLite storage of channel subscriptions and DM digests."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence

from bot.errors import StoreError
from bot.models import Destination, Source, Subscription
from bot.store.sqlite._connections import Connections

__all__ = ["SubscriptionTables"]

_COLUMNS = (
    "id, platform, workspace, channel, dm_user, owner, topic, categories, min_upvotes, count,"
    " source, at, timezone, weekdays, post_empty, active, paused_reason, created_at"
)


def _row_to_subscription(row: Sequence[object]) -> Subscription:
    (sid, platform, workspace, channel, dm_user, owner, topic, categories, min_upvotes,
     count, source, at, timezone, weekdays, post_empty, active, paused, created) = row  # fmt: skip
    return Subscription(
        id=int(sid),  # type: ignore[call-overload]
        destination=Destination(str(platform), str(workspace), str(channel), str(dm_user)),
        owner=str(owner),
        topic=str(topic),
        categories=tuple(json.loads(str(categories))),
        min_upvotes=min_upvotes,  # type: ignore[arg-type]
        count=int(count),  # type: ignore[call-overload]
        source=Source(str(source)),
        at=dt.time.fromisoformat(str(at)),
        timezone=str(timezone),
        weekdays=frozenset(int(d) for d in str(weekdays).split(",") if d),
        post_empty=bool(post_empty),
        active=bool(active),
        paused_reason=str(paused),
        created_at=dt.datetime.fromisoformat(str(created)),
    )


def _values(sub: Subscription) -> tuple[object, ...]:
    d = sub.destination
    return (
        d.platform,
        d.workspace,
        d.channel,
        d.user if d.is_dm else "",
        sub.owner,
        sub.topic,
        json.dumps(list(sub.categories)),
        sub.min_upvotes,
        sub.count,
        sub.source.value,
        sub.at.strftime("%H:%M"),
        sub.timezone,
        ",".join(str(day) for day in sorted(sub.weekdays)),
        int(sub.post_empty),
        int(sub.active),
        sub.paused_reason,
    )


class SubscriptionTables(Connections):
    """The subscriptions part of ``SqliteStore``."""

    async def add_subscription(self, sub: Subscription) -> Subscription:
        created = sub.created_at.astimezone(dt.UTC).isoformat()
        async with self.transaction():
            try:
                added = await self._write(
                    "INSERT INTO subscriptions (platform, workspace, channel, dm_user, owner,"
                    " topic, categories, min_upvotes, count, source, at, timezone, weekdays,"
                    " post_empty, active, paused_reason, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*_values(sub), created, created),
                )
            except sqlite3.IntegrityError as exc:
                # A second DM digest for a reader, among others: the desk says so.
                raise StoreError(f"cannot add this subscription: {exc}") from exc
            stored = await self.get_subscription(int(added.last_id or 0))
        if stored is None:
            raise StoreError("a subscription just added cannot be read back")
        return stored

    async def get_subscription(self, sub_id: int) -> Subscription | None:
        sql = f"SELECT {_COLUMNS} FROM subscriptions WHERE id = ?"
        row = await self._row(sql, (sub_id,))
        return _row_to_subscription(row) if row else None

    async def subscriptions(
        self, *, destination: Destination | None = None, active: bool | None = None
    ) -> list[Subscription]:
        where: list[str] = []
        params: list[object] = []
        if destination is not None:
            where.append("platform = ? AND workspace = ? AND channel = ? AND dm_user = ?")
            d = destination
            params += [d.platform, d.workspace, d.channel, d.user if d.is_dm else ""]
        if active is not None:
            where.append("active = ?")
            params.append(int(active))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT {_COLUMNS} FROM subscriptions{clause} ORDER BY id"
        return [_row_to_subscription(row) for row in await self._rows(sql, params)]

    async def dm_subscription(
        self, platform: str, workspace: str, user: str
    ) -> Subscription | None:
        sql = (
            f"SELECT {_COLUMNS} FROM subscriptions "
            "WHERE platform = ? AND workspace = ? AND dm_user = ? AND dm_user <> ''"
        )
        row = await self._row(sql, (platform, workspace, user))
        return _row_to_subscription(row) if row else None

    async def update_subscription(self, sub: Subscription) -> None:
        now = dt.datetime.now(dt.UTC).isoformat()
        async with self.transaction():
            await self._write(
                "UPDATE subscriptions SET platform = ?, workspace = ?, channel = ?,"
                " dm_user = ?, owner = ?, topic = ?, categories = ?, min_upvotes = ?,"
                " count = ?, source = ?, at = ?, timezone = ?, weekdays = ?, post_empty = ?,"
                " active = ?, paused_reason = ?, updated_at = ? WHERE id = ?",
                (*_values(sub), now, sub.id),
            )

    async def remove_subscription(self, sub_id: int) -> bool:
        async with self.transaction():
            removed = await self._write("DELETE FROM subscriptions WHERE id = ?", (sub_id,))
        return removed.rows > 0
