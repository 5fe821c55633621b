"""SQLite storage of scheduled posts: intent before sending, outcome after."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence

import aiosqlite

from bot.errors import StoreError
from bot.models import Delivery, DeliveryStatus, Digest, DigestItem, Subscription

__all__ = ["DeliveryTables"]

_COLUMNS = (
    "id, subscription_id, slot, destination, status, digest, attempts, next_attempt_at, error"
)


def _slot(when: dt.datetime) -> str:
    # Slots fall on whole minutes; one text form keeps (subscription, slot) unique.
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:00+00:00")


def _digest_json(digest: Digest) -> str:
    return json.dumps(
        {
            "title": digest.title,
            "note": digest.note,
            "items": [[i.paper_id, i.reason] for i in digest.items],
        },
        ensure_ascii=False,
    )


def _row_to_delivery(row: Sequence[object]) -> Delivery:
    did, sid, slot, destination, status, digest, attempts, next_at, error = row
    data = json.loads(str(digest))
    return Delivery(
        id=int(did),  # type: ignore[call-overload]
        subscription_id=int(sid),  # type: ignore[call-overload]
        slot=dt.datetime.fromisoformat(str(slot)),
        destination=str(destination),
        status=DeliveryStatus(str(status)),
        digest=Digest(
            title=data.get("title", ""),
            items=tuple(DigestItem(pid, reason) for pid, reason in data.get("items", [])),
            note=data.get("note", ""),
        ),
        attempts=int(attempts),  # type: ignore[call-overload]
        next_attempt_at=dt.datetime.fromisoformat(str(next_at)) if next_at else None,
        error=str(error),
    )


class DeliveryTables:
    """The deliveries part of ``SqliteStore``."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    async def record_intent(
        self,
        sub: Subscription,
        slot: dt.datetime,
        digest: Digest,
        *,
        now: dt.datetime,
    ) -> Delivery | None:
        destination = sub.destination.key
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = await self._db.execute(
                    "INSERT INTO deliveries (subscription_id, slot, destination, status, digest,"
                    " created_at) VALUES (?, ?, ?, 'pending', ?, ?)"
                    " ON CONFLICT (subscription_id, slot) DO NOTHING",
                    (sub.id, _slot(slot), destination, _digest_json(digest), now.isoformat()),
                )
                if cur.rowcount == 0:
                    await self._db.rollback()
                    return None
                delivery_id = cur.lastrowid
                await self._db.executemany(
                    "INSERT INTO delivered_papers (destination, paper_id, delivery_id,"
                    " delivered_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [(destination, i.paper_id, delivery_id, now.isoformat()) for i in digest.items],
                )
                await self._db.commit()
            except Exception as exc:
                await self._db.rollback()
                raise StoreError(f"could not record delivery intent: {exc}") from exc
        return await self.get_delivery(sub.id, slot)

    async def record_skip(
        self, sub: Subscription, slot: dt.datetime, reason: str, *, now: dt.datetime
    ) -> bool:
        async with self._write_lock:
            cur = await self._db.execute(
                "INSERT INTO deliveries (subscription_id, slot, destination, status, error,"
                " created_at) VALUES (?, ?, ?, 'skipped', ?, ?)"
                " ON CONFLICT (subscription_id, slot) DO NOTHING",
                (sub.id, _slot(slot), sub.destination.key, reason, now.isoformat()),
            )
        return cur.rowcount > 0

    async def get_delivery(self, sub_id: int, slot: dt.datetime) -> Delivery | None:
        sql = f"SELECT {_COLUMNS} FROM deliveries WHERE subscription_id = ? AND slot = ?"
        async with self._db.execute(sql, (sub_id, _slot(slot))) as cur:
            row = await cur.fetchone()
        return _row_to_delivery(row) if row else None

    async def last_slots(self) -> dict[int, dt.datetime]:
        sql = "SELECT subscription_id, max(slot) FROM deliveries GROUP BY subscription_id"
        async with self._db.execute(sql) as cur:
            return {sid: dt.datetime.fromisoformat(slot) async for sid, slot in cur}

    async def open_deliveries(self, *, due_by: dt.datetime) -> list[Delivery]:
        sql = (
            f"SELECT {_COLUMNS} FROM deliveries WHERE status = 'pending'"
            " OR (status = 'retry' AND next_attempt_at <= ?) ORDER BY slot, id"
        )
        async with self._db.execute(sql, (due_by.astimezone(dt.UTC).isoformat(),)) as cur:
            return [_row_to_delivery(row) async for row in cur]

    async def mark_sent(self, delivery_id: int, *, now: dt.datetime) -> None:
        async with self._write_lock:
            await self._db.execute(
                "UPDATE deliveries SET status = 'sent', sent_at = ?, error = '',"
                " attempts = attempts + 1, next_attempt_at = NULL WHERE id = ?",
                (now.isoformat(), delivery_id),
            )

    async def mark_pending(self, delivery_id: int) -> None:
        async with self._write_lock:
            await self._db.execute(
                "UPDATE deliveries SET status = 'pending' WHERE id = ? AND status = 'retry'",
                (delivery_id,),
            )

    async def mark_retry(self, delivery_id: int, *, at: dt.datetime, error: str) -> None:
        async with self._write_lock:
            await self._db.execute(
                "UPDATE deliveries SET status = 'retry', attempts = attempts + 1,"
                " next_attempt_at = ?, error = ? WHERE id = ? AND status <> 'sent'",
                (at.astimezone(dt.UTC).isoformat(), error[:500], delivery_id),
            )

    async def mark_failed(self, delivery_id: int, *, error: str) -> None:
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute(
                    "UPDATE deliveries SET status = 'failed', attempts = attempts + 1,"
                    " next_attempt_at = NULL, error = ? WHERE id = ? AND status <> 'sent'",
                    (error[:500], delivery_id),
                )
                await self._db.execute(
                    "DELETE FROM delivered_papers WHERE delivery_id = ?", (delivery_id,)
                )
                await self._db.commit()
            except Exception:
                await self._db.rollback()
                raise

    async def delivered(self, paper_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        ids = list(dict.fromkeys(paper_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = (
                "SELECT destination, paper_id FROM delivered_papers"
                f" WHERE paper_id IN ({', '.join('?' * len(chunk))})"
            )
            async with self._db.execute(sql, chunk) as cur:
                async for destination, paper_id in cur:
                    found.setdefault(destination, set()).add(paper_id)
        return found
