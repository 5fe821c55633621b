"""The delivery loop: due slots -> digests -> intent -> send -> outcome, exactly once.

Each tick:

1. every active subscription whose latest slot has come and has no delivery record
   gets one: a digest is built and its intent recorded (with its papers reserved for
   the destination) before anything is sent; a slot missed by more than the grace
   window is recorded as skipped and logged instead;
2. open deliveries (pending, or retries that are due) are claimed in batches, each by
   exactly one process for a lease, and sent: any number of processes can run this on
   one database (PostgreSQL; SQLite serves one). A pending delivery claimed before and
   left without an outcome was interrupted (its sender died): the port is asked whether
   it went out before it is sent again, so a crash neither loses nor repeats it;
3. outcomes: delivered -> sent; rate limited -> waited out (for the whole fan-out
   when the limit is global, else for that destination only), and recorded as a hold
   that every process honours; destination gone ->
   failed, the subscription paused and its owner told; transient -> retried with
   backoff, at most ``max_attempts`` times.

Time comes from an injected clock and sleep, so tests never wait for a schedule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from bot.delivery.digest import DigestBuilder, Due, render_digest
from bot.delivery.outbound import Outbound, OutboundMessage, Outcome, SendResult
from bot.errors import SourceError
from bot.models import Delivery, Digest, Subscription
from bot.store.port import Store
from bot.subscriptions.schedule import next_run, slots_between

__all__ = ["Clock", "Scheduler", "Sleep", "TickReport"]

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]


class Fetched(Protocol):
    """What a refresh reports (``bot.ingest.FetchReport``): the days or categories that
    failed while the rest came in."""

    @property
    def failures(self) -> Sequence[str]: ...


Refresh = Callable[[], Awaitable[Fetched | None]]

LAST_FETCH = "last_fetch_at"
# How long before a slot new papers are fetched.
REFRESH_LEAD = dt.timedelta(minutes=10)
# Delivery intents recorded per transaction: few commits, and the write lock is never
# held long enough to keep a slash command waiting.
INTENT_BATCH = 500
# Sent deliveries recorded per transaction (see _Marks).
MARK_BATCH = 50
# Waits longer than this are not held inside a tick: the delivery is retried later.
_MAX_INLINE_WAIT = 60.0
_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


def _platform_key(delivery: Delivery) -> str:
    """The hold of a platform-wide rate limit: ``slack:*``."""
    return delivery.destination.split(":", 1)[0] + ":*"


@dataclass
class TickReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    recovered: int = 0  # interrupted sends found to have gone out already
    rate_limited: int = 0
    paused: list[int] = field(default_factory=list)


class _Gate:
    """Spacing for a rate-limited fan-out: after a platform-wide 429, sends are spaced
    by the delay it asked for, so the rest of the fan-out runs at the allowed rate
    instead of bursting into more 429s."""

    def __init__(self, clock: Clock, sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._next = dt.datetime.min.replace(tzinfo=dt.UTC)
        self._spacing = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            delay = (self._next - self._clock()).total_seconds()
            if delay > 0:
                await self._sleep(delay)
            self._next = self._clock() + dt.timedelta(seconds=self._spacing)

    def limited(self, retry_after: float) -> None:
        self._spacing = max(self._spacing, retry_after)
        self._next = max(self._next, self._clock() + dt.timedelta(seconds=retry_after))


class _Marks:
    """Sent deliveries recorded ``MARK_BATCH`` to a transaction instead of one each. A
    crash before a flush leaves them claimed and pending: the next sender finds them in
    the platform's history, as after any crash between a send and its record."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._sent: list[tuple[int, dt.datetime]] = []

    async def add(self, delivery_id: int, when: dt.datetime) -> None:
        self._sent.append((delivery_id, when))
        if len(self._sent) >= MARK_BATCH:
            await self.flush()

    async def flush(self) -> None:
        sent, self._sent = self._sent, []
        if sent:
            await self._store.mark_sent_many(sent)


INCOMPLETE = "Fetching new papers failed, so this list may be incomplete."


def incomplete(digest: Digest) -> Digest:
    """``digest`` saying that the last fetch failed (its papers are what the database
    had); a digest with nothing new says there may be papers it could not see."""
    if not digest.items:
        return replace(digest, note=f"{digest.note} {INCOMPLETE}".strip())
    return replace(digest, note=INCOMPLETE)


async def _breathe(n: int, every: int = 100) -> None:
    """Let the event loop run other tasks (a chat gateway's) every ``every`` items of a
    long loop: 10,000 subscriptions take seconds to go through."""
    if n and not n % every:
        await asyncio.sleep(0)


class Scheduler:
    """Runs subscriptions' digests through an ``Outbound`` port."""

    def __init__(
        self,
        store: Store,
        port: Outbound,
        *,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        grace: dt.timedelta = dt.timedelta(hours=6),
        refresh: Refresh | None = None,
        refresh_every: dt.timedelta = dt.timedelta(hours=1),
        max_attempts: int = 5,
        concurrency: int = 8,
        owner: str = "",
        lease: dt.timedelta = dt.timedelta(minutes=5),
        batch: int = 500,
    ) -> None:
        self.store = store
        self.port = port
        self.builder = DigestBuilder(store)
        self._clock = clock
        self._sleep = sleep
        self.grace = grace
        self._refresh = refresh
        self._refresh_every = refresh_every
        self.max_attempts = max_attempts
        self._concurrency = concurrency
        # Who this process is when it claims deliveries, and for how long a claim holds:
        # long enough to send a batch, short enough that a dead sender's batch is soon
        # another's.
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease = lease
        self.batch = batch
        self._fetch_failing = False
        # Whether the last fetch missed something: the posts built meanwhile say so.
        self._incomplete = False
        self._reserved = False

    async def tick(self) -> TickReport:
        """One pass over due slots and open deliveries."""
        if not self._reserved:
            await self.reserve()
        report = TickReport()
        now = self._clock()
        due = await self._due(now, report)
        if due or await self._slot_within(now, REFRESH_LEAD):
            # Fetch ahead of a slot, so posting does not wait for the network.
            await self._maybe_refresh(now)
        if due:
            digests = await self.builder.build(due)
            if self._incomplete:
                digests = [incomplete(d) for d in digests]
            pairs = list(zip(due, digests, strict=True))
            # The intents in a few transactions, not one per delivery; each commits before
            # anything of it is sent, and a crash before its commit leaves the slots due.
            for i in range(0, len(pairs), INTENT_BATCH):
                async with self.store.transaction():
                    for item, digest in pairs[i : i + INTENT_BATCH]:
                        await self._record(item, digest, now)
                await _breathe(i + INTENT_BATCH)
        await self._send_open(now, report)
        return report

    async def _record(self, item: Due, digest: Digest, now: dt.datetime) -> None:
        sub = item.subscription
        if not digest.items and not sub.post_empty:
            await self.store.record_skip(sub, item.slot, "nothing new", now=now)
        else:
            # Another process may have recorded this slot first: then this does nothing.
            await self.store.record_intent(sub, item.slot, digest, now=now)

    async def _due(self, now: dt.datetime, report: TickReport) -> list[Due]:
        due = []
        last = await self.store.last_slots()
        for n, sub in enumerate(await self.store.subscriptions(active=True)):
            await _breathe(n)
            since = max(last.get(sub.id, sub.created_at), sub.created_at)
            slots = slots_between(since, now, sub.at, sub.timezone, sub.weekdays)
            for slot in slots[:-1]:
                await self._skip(sub, slot, now, report)
            if not slots:
                continue
            latest = slots[-1]
            if now - latest > self.grace:
                await self._skip(sub, latest, now, report)
            else:
                due.append(Due(sub, latest))
        return due

    async def _skip(
        self, sub: Subscription, slot: dt.datetime, now: dt.datetime, report: TickReport
    ) -> None:
        late = now - slot
        if await self.store.record_skip(sub, slot, f"missed by {late}", now=now):
            report.skipped += 1
            log.warning(
                "subscription %d: skipped the %s slot, missed by %s (grace %s)",
                sub.id, slot.isoformat(), late, self.grace,
            )  # fmt: skip

    async def _slot_within(self, now: dt.datetime, ahead: dt.timedelta) -> bool:
        for n, s in enumerate(await self.store.subscriptions(active=True)):
            await _breathe(n)
            if next_run(now, s.at, s.timezone, s.weekdays) - now <= ahead:
                return True
        return False

    async def _maybe_refresh(self, now: dt.datetime) -> None:
        if self._refresh is None:
            return
        last = await self.store.get_meta(LAST_FETCH)
        if last and now - dt.datetime.fromisoformat(last) < self._refresh_every:
            return
        try:
            report = await self._refresh()
        except SourceError as exc:
            # Said once per outage, not at every tick it lasts.
            level = logging.INFO if self._fetch_failing else logging.WARNING
            log.log(level, "could not fetch new papers (%s); using what the database has", exc)
            self._fetch_failing = self._incomplete = True
            return
        # Some days or categories failed while the rest came in.
        self._incomplete = bool(report and report.failures)
        if self._fetch_failing:
            log.warning("fetching new papers works again")
            self._fetch_failing = False
        self._reserved = False
        await self.store.set_meta(LAST_FETCH, now.isoformat())

    async def _send_open(self, now: dt.datetime, report: TickReport) -> None:
        """Claim open deliveries in batches and send them; any number of processes may do
        this at once, each delivery going to exactly one of them."""
        while True:
            claimed = await self.store.claim_deliveries(
                self.owner,
                due_by=now,
                now=self._clock(),
                lease=self.lease,
                limit=self.batch,
            )
            if not claimed:
                return
            await self._send_batch(claimed, report)
            if len(claimed) < self.batch:
                return

    async def _send_batch(self, claimed: list[Delivery], report: TickReport) -> None:
        subs = {s.id: s for s in await self.store.subscriptions()}
        ids = {i.paper_id for d in claimed for i in d.digest.items}
        papers = await self.store.get_papers(list(ids))
        queue: asyncio.Queue[OutboundMessage] = asyncio.Queue()
        for n, d in enumerate(claimed):
            await _breathe(n)
            sub = subs.get(d.subscription_id)
            if sub is None:  # removed meanwhile: its delivery goes with it
                continue
            queue.put_nowait(OutboundMessage(d, sub, render_digest(d.digest, papers)))
        gate = _Gate(self._clock, self._sleep)
        marks = _Marks(self.store)
        # Rate limits any process met: a destination's, or its platform's as a whole.
        keys = {d.destination for d in claimed} | {_platform_key(d) for d in claimed}
        held = await self.store.holds(sorted(keys), now=self._clock())

        async def worker() -> None:
            while not queue.empty():
                message = queue.get_nowait()
                d = message.delivery
                until = max(held.get(d.destination, _EPOCH), held.get(_platform_key(d), _EPOCH))
                wait = (until - self._clock()).total_seconds()
                if wait > _MAX_INLINE_WAIT:
                    await self.store.mark_retry(d.id, at=until, error="rate limited")
                    report.retried += 1
                    continue
                if wait > 0:
                    await self._sleep(wait)
                await gate.wait()
                again = await self._deliver(message, report, gate, held, marks)
                if again:
                    queue.put_nowait(message)

        workers = min(self._concurrency, queue.qsize()) or 1
        try:
            await asyncio.gather(*(worker() for _ in range(workers)))
        except Exception:
            await marks.flush()  # what was sent is recorded before the error goes on
            raise
        # (A process that dies records nothing more: a restart finds those posts in the
        # platform's history.)
        await marks.flush()

    async def _deliver(
        self,
        message: OutboundMessage,
        report: TickReport,
        gate: _Gate,
        held: dict[str, dt.datetime],
        marks: _Marks,
    ) -> bool:
        """Send one message and record the outcome; True to send it again in this tick."""
        d = message.delivery
        # Interrupted, it may have gone out; tried before, part of it may have (a long
        # post takes several messages), perhaps from another process that no longer
        # remembers it: the platform's history says, and the port finishes the rest.
        if (d.interrupted or d.attempts) and await self._already_sent(message):
            await self.store.mark_sent(d.id, now=self._clock())
            report.recovered += 1
            return False
        try:
            result = await self.port.send(message)
        except Exception as exc:  # a port must not raise; if it does, it may pass
            log.exception("delivery %s: the port raised", d.key)
            result = SendResult(Outcome.TRANSIENT, detail=f"{type(exc).__name__}: {exc}")
        now = self._clock()
        if result.outcome is Outcome.DELIVERED:
            await marks.add(d.id, now)
            report.sent += 1
            return False
        if result.outcome is Outcome.RATE_LIMITED:
            report.rate_limited += 1
            delay = max(result.retry_after or 1.0, 0.0)
            until = now + dt.timedelta(seconds=delay)
            key = _platform_key(d) if result.global_limit else d.destination
            # The other processes sending to it honour the limit too.
            await self.store.hold(key, until=until)
            held[key] = max(held.get(key, _EPOCH), until)
            if delay <= _MAX_INLINE_WAIT:
                if result.global_limit:
                    gate.limited(delay)
                return True
            await self.store.mark_retry(d.id, at=until, error="rate limited")
            report.retried += 1
            return False
        if result.outcome is Outcome.GONE:
            await self.store.mark_failed(d.id, error=result.detail or "destination gone")
            await self._pause(message.subscription, result.detail, report)
            report.failed += 1
            return False
        attempts = d.attempts + 1
        if attempts >= self.max_attempts:
            await self.store.mark_failed(d.id, error=result.detail or "failed")
            log.error(
                "delivery %s: giving up after %d attempts: %s", d.key, attempts, result.detail
            )
            report.failed += 1
        else:
            backoff = dt.timedelta(minutes=2 ** (attempts - 1))  # 1, 2, 4, 8 minutes
            await self.store.mark_retry(d.id, at=now + backoff, error=result.detail or "failed")
            log.info(
                "delivery %s: attempt %d failed (%s); retry in %s",
                d.key,
                attempts,
                result.detail,
                backoff,
            )
            report.retried += 1
        return False

    async def _already_sent(self, message: OutboundMessage) -> bool:
        try:
            return await self.port.already_sent(message)
        except Exception:
            log.exception("delivery %s: could not ask whether it was sent", message.key)
            return False

    async def _pause(self, sub: Subscription, why: str, report: TickReport) -> None:
        reason = why or "the destination is gone or the bot lost access"
        current = await self.store.get_subscription(sub.id)
        if current is None or not current.active:
            return
        await self.store.update_subscription(replace(current, active=False, paused_reason=reason))
        report.paused.append(sub.id)
        log.warning("subscription %d paused: %s", sub.id, reason)
        syntax = self.port.syntax
        resume = (
            syntax.example("digest", "resume") if sub.is_dm else syntax.example("resume", sub.id)
        )
        text = (
            f"Your paperbot subscription #{sub.id} was paused: {reason}. "
            f"Fix access and resume it with {resume}."
        )
        try:
            await self.port.notify_owner(current, text)
        except Exception:
            log.exception("could not tell the owner of subscription %d", sub.id)

    async def next_wakeup(self) -> dt.datetime:
        """When the next slot or retry is due (at most a minute away, to notice changes)."""
        now = self._clock()
        soonest = now + dt.timedelta(minutes=1)
        for sub in await self.store.subscriptions(active=True):
            slot = next_run(now, sub.at, sub.timezone, sub.weekdays)
            lead = slot - REFRESH_LEAD
            soonest = min(soonest, lead if lead > now else slot)
        for d in await self.store.open_deliveries(due_by=soonest):
            soonest = min(soonest, d.next_attempt_at or now)
        return soonest

    async def reserve(self) -> None:
        """Tell the store this process runs the scheduler; ``StoreError`` when the
        backend serves one process (SQLite) and another already runs it."""
        await self.store.reserve_scheduler(self.owner)
        self._reserved = True

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Tick until ``stop`` is set; errors in one tick are logged, never fatal."""
        await self.reserve()
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.tick()
                wake = await self.next_wakeup()
            except Exception:
                log.exception("scheduler tick failed; trying again in a minute")
                wake = self._clock() + dt.timedelta(minutes=1)
            delay = max((wake - self._clock()).total_seconds(), 0.5)
            sleeper = asyncio.ensure_future(self._sleep(delay))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in (sleeper, stopper):
                task.cancel()
