"""PostgreSQL storage of channel subscriptions and DM digests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import asyncpg

from bot.errors import StoreError
from bot.models import Destination, Source, Subscription
from bot.store.postgres._connections import Connections, changed

__all__ = ["SubscriptionTables"]

_COLUMNS = (
    "id, platform, workspace, channel, dm_user, owner, topic, categories, min_upvotes, count,"
    " source, at, timezone, weekdays, post_empty, active, paused_reason, created_at"
)
_FIELDS = (
    "platform, workspace, channel, dm_user, owner, topic, categories, min_upvotes, count,"
    " source, at, timezone, weekdays, post_empty, active, paused_reason"
)


def _row_to_subscription(row: Sequence[object]) -> Subscription:
    (sid, platform, workspace, channel, dm_user, owner, topic, categories, min_upvotes,
     count, source, at, timezone, weekdays, post_empty, active, paused, created) = row  # fmt: skip
    return Subscription(
        id=int(sid),  # type: ignore[call-overload]
        destination=Destination(str(platform), str(workspace), str(channel), str(dm_user)),
        owner=str(owner),
        topic=str(topic),
        categories=tuple(categories),  # type: ignore[arg-type]
        min_upvotes=min_upvotes,  # type: ignore[arg-type]
        count=int(count),  # type: ignore[call-overload]
        source=Source(str(source)),
        at=dt.time.fromisoformat(str(at)),
        timezone=str(timezone),
        weekdays=frozenset(weekdays),  # type: ignore[call-overload]
        post_empty=bool(post_empty),
        active=bool(active),
        paused_reason=str(paused),
        created_at=created,  # type: ignore[arg-type]
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
        list(sub.categories),
        sub.min_upvotes,
        sub.count,
        sub.source.value,
        sub.at.strftime("%H:%M"),
        sub.timezone,
        sorted(sub.weekdays),
        sub.post_empty,
        sub.active,
        sub.paused_reason,
    )


class SubscriptionTables(Connections):
    """The subscriptions part of ``PostgresStore``."""

    async def add_subscription(self, sub: Subscription) -> Subscription:
        created = sub.created_at.astimezone(dt.UTC)
        async with self.transaction():
            try:
                added = await self._write_rows(
                    f"INSERT INTO subscriptions ({_FIELDS}, created_at, updated_at)"
                    f" VALUES ({', '.join(f'${i}' for i in range(1, 19))}) RETURNING id",
                    (*_values(sub), created, created),
                )
            except asyncpg.IntegrityConstraintViolationError as exc:
                # A second DM digest for a reader, among others: the desk says so.
                raise StoreError(f"cannot add this subscription: {exc}") from exc
            stored = await self.get_subscription(int(added[0][0]))
        if stored is None:
            raise StoreError("a subscription just added cannot be read back")
        return stored

    async def get_subscription(self, sub_id: int) -> Subscription | None:
        sql = f"SELECT {_COLUMNS} FROM subscriptions WHERE id = $1"
        row = await self._row(sql, (sub_id,))
        return _row_to_subscription(row) if row else None

    async def subscriptions(
        self, *, destination: Destination | None = None, active: bool | None = None
    ) -> list[Subscription]:
        where: list[str] = []
        params: list[object] = []
        if destination is not None:
            where.append("platform = $1 AND workspace = $2 AND channel = $3 AND dm_user = $4")
            d = destination
            params += [d.platform, d.workspace, d.channel, d.user if d.is_dm else ""]
        if active is not None:
            params.append(active)
            where.append(f"active = ${len(params)}")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT {_COLUMNS} FROM subscriptions{clause} ORDER BY id"
        return [_row_to_subscription(row) for row in await self._rows(sql, params)]

    async def dm_subscription(
        self, platform: str, workspace: str, user: str
    ) -> Subscription | None:
        sql = (
            f"SELECT {_COLUMNS} FROM subscriptions "
            "WHERE platform = $1 AND workspace = $2 AND dm_user = $3 AND dm_user <> ''"
        )
        row = await self._row(sql, (platform, workspace, user))
        return _row_to_subscription(row) if row else None

    async def update_subscription(self, sub: Subscription) -> None:
        names = [c.strip() for c in _FIELDS.split(",")]
        sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(names, 1))
        async with self.transaction():
            await self._write(
                f"UPDATE subscriptions SET {sets}, updated_at = now() WHERE id = $17",
                (*_values(sub), sub.id),
            )

    async def remove_subscription(self, sub_id: int) -> bool:
        async with self.transaction():
            removed = await self._write("DELETE FROM subscriptions WHERE id = $1", (sub_id,))
        return changed(removed) > 0
