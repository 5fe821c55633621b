"""PostgreSQL storage of scheduled posts: intent before sending, outcome after, claims
that hold across processes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import replace

from bot.errors import StoreError
from bot.models import Delivery, DeliveryStatus, Digest, DigestItem, Subscription
from bot.store.postgres._connections import DB_ERRORS, Connections, changed

__all__ = ["DeliveryTables"]

_COLUMNS = (
    "id, subscription_id, slot, destination, status, digest, attempts, next_attempt_at, error"
)


def _slot(when: dt.datetime) -> dt.datetime:
    # Slots fall on whole minutes; one form keeps (subscription, slot) unique.
    return when.astimezone(dt.UTC).replace(second=0, microsecond=0)


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
    did, sid, slot, destination, status, digest, attempts, next_at, error = row[:9]
    data = json.loads(str(digest))
    return Delivery(
        id=int(did),  # type: ignore[call-overload]
        subscription_id=int(sid),  # type: ignore[call-overload]
        slot=slot,  # type: ignore[arg-type]
        destination=str(destination),
        status=DeliveryStatus(str(status)),
        digest=Digest(
            title=data.get("title", ""),
            items=tuple(DigestItem(pid, reason) for pid, reason in data.get("items", [])),
            note=data.get("note", ""),
        ),
        attempts=int(attempts),  # type: ignore[call-overload]
        next_attempt_at=next_at,  # type: ignore[arg-type]
        error=str(error),
    )


# The advisory locks (this key, hashtext(owner)) schedulers hold while they run.
_OWNERS = 7422

# Claimable: pending or a due retry, and never claimed, claimed by this owner (a batch it
# left unfinished), or a claim whose lease ended. Rows another process is claiming this
# very moment are skipped, not waited for; each row's status and claimant before the
# claim come back with it, to tell an interrupted send.
_CLAIM = f"""
WITH picked AS (
    SELECT id, status AS was, claimed_by AS was_by FROM deliveries
    WHERE (status = 'pending' OR (status = 'retry' AND next_attempt_at <= $1))
      AND (claimed_by = '' OR claimed_by = $2 OR claimed_until IS NULL
           OR claimed_until <= $3)
    ORDER BY slot, id LIMIT $4
    FOR UPDATE SKIP LOCKED
)
UPDATE deliveries d SET status = 'pending', claimed_by = $2, claimed_until = $5
FROM picked WHERE d.id = picked.id
RETURNING {", ".join("d." + c.strip() for c in _COLUMNS.split(","))}, picked.was, picked.was_by
"""


class DeliveryTables(Connections):
    """The deliveries part of ``PostgresStore``."""

    async def record_intent(
        self,
        sub: Subscription,
        slot: dt.datetime,
        digest: Digest,
        *,
        now: dt.datetime,
    ) -> Delivery | None:
        destination = sub.destination.key
        async with self.transaction():
            try:
                added = await self._write_rows(
                    "INSERT INTO deliveries (subscription_id, slot, destination, status, digest,"
                    " created_at) VALUES ($1, $2, $3, 'pending', $4, $5)"
                    " ON CONFLICT (subscription_id, slot) DO NOTHING RETURNING id",
                    (sub.id, _slot(slot), destination, _digest_json(digest), now),
                )
                if not added:
                    return None  # the slot has its delivery; nothing was written
                await self._write(
                    "INSERT INTO delivered_papers (destination, paper_id, delivery_id,"
                    " delivered_at) SELECT $1, paper_id, $2, $3 FROM unnest($4::text[]) paper_id"
                    " ON CONFLICT DO NOTHING",
                    (destination, added[0][0], now, [i.paper_id for i in digest.items]),
                )
            except DB_ERRORS as exc:
                raise StoreError(f"could not record delivery intent: {exc}") from exc
            return await self.get_delivery(sub.id, slot)

    async def record_skip(
        self, sub: Subscription, slot: dt.datetime, reason: str, *, now: dt.datetime
    ) -> bool:
        async with self.transaction():
            added = await self._write(
                "INSERT INTO deliveries (subscription_id, slot, destination, status, error,"
                " created_at) VALUES ($1, $2, $3, 'skipped', $4, $5)"
                " ON CONFLICT (subscription_id, slot) DO NOTHING",
                (sub.id, _slot(slot), sub.destination.key, reason, now),
            )
        return changed(added) > 0

    async def get_delivery(self, sub_id: int, slot: dt.datetime) -> Delivery | None:
        sql = f"SELECT {_COLUMNS} FROM deliveries WHERE subscription_id = $1 AND slot = $2"
        row = await self._row(sql, (sub_id, _slot(slot)))
        return _row_to_delivery(row) if row else None

    async def last_slots(self) -> dict[int, dt.datetime]:
        sql = "SELECT subscription_id, max(slot) FROM deliveries GROUP BY subscription_id"
        return {int(sid): slot for sid, slot in await self._rows(sql)}

    async def last_sent(self, sub_ids: Sequence[int]) -> dict[int, dt.datetime]:
        ids = list(dict.fromkeys(sub_ids))
        if not ids:
            return {}
        sql = (
            "SELECT subscription_id, max(sent_at) FROM deliveries WHERE status = 'sent'"
            " AND subscription_id = ANY($1::bigint[]) GROUP BY subscription_id"
        )
        return {int(sid): sent for sid, sent in await self._rows(sql, (ids,))}

    async def open_deliveries(self, *, due_by: dt.datetime) -> list[Delivery]:
        sql = (
            f"SELECT {_COLUMNS} FROM deliveries WHERE status = 'pending'"
            " OR (status = 'retry' AND next_attempt_at <= $1) ORDER BY slot, id"
        )
        return [_row_to_delivery(row) for row in await self._rows(sql, (due_by,))]

    async def claim_deliveries(
        self,
        owner: str,
        *,
        due_by: dt.datetime,
        now: dt.datetime,
        lease: dt.timedelta,
        limit: int,
    ) -> list[Delivery]:
        async with self.transaction():
            try:
                rows = await self._write_rows(_CLAIM, (due_by, owner, now, limit, now + lease))
            except DB_ERRORS as exc:
                raise StoreError(f"could not claim deliveries: {exc}") from exc
        claimed = []
        for row in sorted(rows, key=lambda r: (r[2], r[0])):  # oldest slot first
            before = _row_to_delivery(row)
            interrupted = row[-2] == DeliveryStatus.PENDING.value and bool(row[-1])
            claimed.append(replace(before, status=DeliveryStatus.PENDING, interrupted=interrupted))
        return claimed

    async def hold(self, key: str, *, until: dt.datetime) -> None:
        async with self.transaction():
            await self._write(
                "INSERT INTO holds AS h (key, until) VALUES ($1, $2) ON CONFLICT (key)"
                " DO UPDATE SET until = greatest(h.until, excluded.until)",
                (key, until),
            )

    async def holds(self, keys: Sequence[str], *, now: dt.datetime) -> dict[str, dt.datetime]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        sql = "SELECT key, until FROM holds WHERE key = ANY($1::text[]) AND until > $2"
        return {key: until for key, until in await self._rows(sql, (wanted, now))}

    async def reserve_scheduler(self, owner: str) -> None:
        """Any number of processes may run the scheduler here: claims keep them apart.

        Each scheduler holds a lock named after it for as long as its store is open, on a
        connection of its own, which PostgreSQL drops when that process dies. The claims
        of an owner whose lock nobody holds end now, not when their lease runs out: its
        process died (or the owner never ran a scheduler, and no lease protects it).
        """
        try:
            await self._session_lock(f"SELECT pg_try_advisory_lock({_OWNERS}, hashtext($1))", owner)
        except DB_ERRORS as exc:
            raise StoreError(f"cannot run the scheduler on this database: {exc}") from exc
        async with self.transaction():
            await self._write(
                "UPDATE deliveries SET claimed_until = NULL WHERE status = 'pending'"
                " AND claimed_by <> '' AND claimed_by <> $1 AND claimed_until IS NOT NULL"
                " AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory'"
                f" AND l.granted AND l.classid = {_OWNERS} AND l.objsubid = 2"
                " AND l.objid::bigint = (hashtext(claimed_by)::bigint & 4294967295)"
                " AND l.database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database()))",
                (owner,),
            )

    async def mark_sent(self, delivery_id: int, *, now: dt.datetime) -> None:
        await self.mark_sent_many([(delivery_id, now)])

    async def mark_sent_many(self, sent: Sequence[tuple[int, dt.datetime]]) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE deliveries AS d SET status = 'sent', sent_at = v.at, error = '',"
                " attempts = d.attempts + 1, next_attempt_at = NULL, claimed_by = '',"
                " claimed_until = NULL"
                " FROM unnest($1::bigint[], $2::timestamptz[]) AS v(id, at) WHERE d.id = v.id",
                ([i for i, _ in sent], [at for _, at in sent]),
            )

    async def mark_pending(self, delivery_id: int) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE deliveries SET status = 'pending' WHERE id = $1 AND status = 'retry'",
                (delivery_id,),
            )

    async def mark_retry(self, delivery_id: int, *, at: dt.datetime, error: str) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE deliveries SET status = 'retry', attempts = attempts + 1,"
                " next_attempt_at = $1, error = $2, claimed_by = '', claimed_until = NULL"
                " WHERE id = $3 AND status <> 'sent'",
                (at, error[:500], delivery_id),
            )

    async def mark_failed(self, delivery_id: int, *, error: str) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE deliveries SET status = 'failed', attempts = attempts + 1,"
                " next_attempt_at = NULL, error = $1, claimed_by = '', claimed_until = NULL"
                " WHERE id = $2 AND status <> 'sent'",
                (error[:500], delivery_id),
            )
            await self._write("DELETE FROM delivered_papers WHERE delivery_id = $1", (delivery_id,))

    async def delivered(self, paper_ids: Sequence[str]) -> dict[str, set[str]]:
        ids = list(dict.fromkeys(paper_ids))
        if not ids:
            return {}
        found: dict[str, set[str]] = {}
        sql = "SELECT destination, paper_id FROM delivered_papers WHERE paper_id = ANY($1::text[])"
        for destination, paper_id in await self._rows(sql, (ids,)):
            found.setdefault(destination, set()).add(paper_id)
        return found
