"""SQLite storage of scheduled posts: intent before sending, outcome after."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from bot.errors import StoreError
from bot.models import Delivery, DeliveryStatus, Digest, DigestItem, Subscription
from bot.store.sqlite._connections import Connections

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


class DeliveryTables(Connections):
    """The deliveries part of ``SqliteStore``."""

    async def record_intent(
        self,
        sub: Subscription,
        slot: dt.datetime,
        digest: Digest,
        *,
        now: dt.datetime,
    ) -> Delivery | None:
        destination, when = sub.destination.key, now.isoformat()
        async with self.transaction():
            try:
                added = await self._write(
                    "INSERT INTO deliveries (subscription_id, slot, destination, status, digest,"
                    " created_at) VALUES (?, ?, ?, 'pending', ?, ?)"
                    " ON CONFLICT (subscription_id, slot) DO NOTHING",
                    (sub.id, _slot(slot), destination, _digest_json(digest), when),
                )
                if added.rows == 0:
                    return None  # the slot has its delivery; nothing was written
                await self._write_many(
                    "INSERT INTO delivered_papers (destination, paper_id, delivery_id,"
                    " delivered_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [
                        (destination, i.paper_id, added.last_id, now.isoformat())
                        for i in digest.items
                    ],
                )
            except sqlite3.Error as exc:
                raise StoreError(f"could not record delivery intent: {exc}") from exc
            return await self.get_delivery(sub.id, slot)

    async def record_skip(
        self, sub: Subscription, slot: dt.datetime, reason: str, *, now: dt.datetime
    ) -> bool:
        async with self.transaction():
            added = await self._write(
                "INSERT INTO deliveries (subscription_id, slot, destination, status, error,"
                " created_at) VALUES (?, ?, ?, 'skipped', ?, ?)"
                " ON CONFLICT (subscription_id, slot) DO NOTHING",
                (sub.id, _slot(slot), sub.destination.key, reason, now.isoformat()),
            )
        return added.rows > 0

    async def get_delivery(self, sub_id: int, slot: dt.datetime) -> Delivery | None:
        sql = f"SELECT {_COLUMNS} FROM deliveries WHERE subscription_id = ? AND slot = ?"
        row = await self._row(sql, (sub_id, _slot(slot)))
        return _row_to_delivery(row) if row else None

    async def last_slots(self) -> dict[int, dt.datetime]:
        sql = "SELECT subscription_id, max(slot) FROM deliveries GROUP BY subscription_id"
        return {sid: dt.datetime.fromisoformat(slot) for sid, slot in await self._rows(sql)}

    async def last_sent(self, sub_ids: Sequence[int]) -> dict[int, dt.datetime]:
        found: dict[int, dt.datetime] = {}
        ids = list(dict.fromkeys(sub_ids))
        for i in range(0, len(ids), 500):  # well below SQLite's limit on parameters
            chunk = ids[i : i + 500]
            sql = (
                "SELECT subscription_id, max(sent_at) FROM deliveries WHERE status = 'sent'"
                f" AND subscription_id IN ({', '.join('?' * len(chunk))}) GROUP BY subscription_id"
            )
            for sid, sent in await self._rows(sql, chunk):
                found[int(sid)] = dt.datetime.fromisoformat(sent)
        return found

    async def open_deliveries(self, *, due_by: dt.datetime) -> list[Delivery]:
        sql = (
            f"SELECT {_COLUMNS} FROM deliveries WHERE status = 'pending'"
            " OR (status = 'retry' AND next_attempt_at <= ?) ORDER BY slot, id"
        )
        rows = await self._rows(sql, (due_by.astimezone(dt.UTC).isoformat(),))
        return [_row_to_delivery(row) for row in rows]

    async def claim_deliveries(
        self,
        owner: str,
        *,
        due_by: dt.datetime,
        now: dt.datetime,
        lease: dt.timedelta,
        limit: int,
    ) -> list[Delivery]:
        # Claimable: never claimed, claimed by this owner (a batch it left unfinished),
        # or a claim whose lease ended. reserve_scheduler ends a dead process's claims.
        stamp = now.astimezone(dt.UTC).isoformat()
        until = (now + lease).astimezone(dt.UTC).isoformat()
        sql = (
            f"SELECT {_COLUMNS}, claimed_by FROM deliveries WHERE (status = 'pending'"
            " OR (status = 'retry' AND next_attempt_at <= ?)) AND (claimed_by = ''"
            " OR claimed_by = ? OR claimed_until IS NULL OR claimed_until <= ?)"
            " ORDER BY slot, id LIMIT ?"
        )
        due = due_by.astimezone(dt.UTC).isoformat()
        async with self.transaction():
            rows = await self._rows(sql, (due, owner, stamp, limit))
            await self._write_many(
                "UPDATE deliveries SET status = 'pending', claimed_by = ?, claimed_until = ?"
                " WHERE id = ?",
                [(owner, until, row[0]) for row in rows],
            )
        claimed = []
        for row in rows:
            before = _row_to_delivery(row[:-1])
            interrupted = before.status is DeliveryStatus.PENDING and bool(row[-1])
            claimed.append(replace(before, status=DeliveryStatus.PENDING, interrupted=interrupted))
        return claimed

    async def hold(self, key: str, *, until: dt.datetime) -> None:
        async with self.transaction():
            await self._write(
                "INSERT INTO holds (key, until) VALUES (?, ?) ON CONFLICT (key)"
                " DO UPDATE SET until = max(until, excluded.until)",
                (key, until.astimezone(dt.UTC).isoformat()),
            )

    async def holds(self, keys: Sequence[str], *, now: dt.datetime) -> dict[str, dt.datetime]:
        found: dict[str, dt.datetime] = {}
        wanted = list(dict.fromkeys(keys))
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            sql = (
                f"SELECT key, until FROM holds WHERE key IN ({', '.join('?' * len(chunk))})"
                " AND until > ?"
            )
            for key, until in await self._rows(sql, (*chunk, now.astimezone(dt.UTC).isoformat())):
                found[key] = dt.datetime.fromisoformat(until)
        return found

    async def mark_sent(self, delivery_id: int, *, now: dt.datetime) -> None:
        await self.mark_sent_many([(delivery_id, now)])

    async def mark_sent_many(self, sent: Sequence[tuple[int, dt.datetime]]) -> None:
        async with self.transaction():
            await self._write_many(
                "UPDATE deliveries SET status = 'sent', sent_at = ?, error = '',"
                " attempts = attempts + 1, next_attempt_at = NULL, claimed_by = '',"
                " claimed_until = NULL WHERE id = ?",
                [(at.isoformat(), i) for i, at in sent],
            )

    async def mark_pending(self, delivery_id: int) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE deliveries SET status = 'pending' WHERE id = ? AND status = 'retry'",
                (delivery_id,),
            )

    async def mark_retry(self, delivery_id: int, *, at: dt.datetime, error: str) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE deliveries SET status = 'retry', attempts = attempts + 1,"
                " next_attempt_at = ?, error = ?, claimed_by = '', claimed_until = NULL"
                " WHERE id = ? AND status <> 'sent'",
                (at.astimezone(dt.UTC).isoformat(), error[:500], delivery_id),
            )

    async def mark_failed(self, delivery_id: int, *, error: str) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE deliveries SET status = 'failed', attempts = attempts + 1,"
                " next_attempt_at = NULL, error = ?, claimed_by = '', claimed_until = NULL"
                " WHERE id = ? AND status <> 'sent'",
                (error[:500], delivery_id),
            )
            await self._write("DELETE FROM delivered_papers WHERE delivery_id = ?", (delivery_id,))

    async def delivered(self, paper_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        ids = list(dict.fromkeys(paper_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = (
                "SELECT destination, paper_id FROM delivered_papers"
                f" WHERE paper_id IN ({', '.join('?' * len(chunk))})"
            )
            for destination, paper_id in await self._rows(sql, chunk):
                found.setdefault(destination, set()).add(paper_id)
        return found
