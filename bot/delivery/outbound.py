"""The outbound port: how the core hands finished digests to a chat platform, and the
bookkeeping of posts that take several messages, which every platform shares."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.models import Delivery, Reply, Subscription

if TYPE_CHECKING:  # each platform says how its commands are written
    from bot.commands import Syntax

__all__ = ["Outbound", "OutboundMessage", "Outcome", "PartLedger", "SendResult"]

log = logging.getLogger(__name__)

Part = TypeVar("Part")


class Outcome(StrEnum):
    """What became of a message; the scheduler acts on each class differently."""

    DELIVERED = "delivered"
    RATE_LIMITED = "rate_limited"  # try again after ``retry_after`` seconds
    GONE = "gone"  # the destination is gone or we lost access: pause, tell the owner
    TRANSIENT = "transient"  # anything else that may pass: retry with backoff, bounded


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    retry_after: float | None = None
    # True when the limit applies to everything we send (a platform-wide limit), False
    # when only this destination is limited (Slack's one message per second per channel).
    global_limit: bool = False
    detail: str = ""

    @classmethod
    def delivered(cls) -> SendResult:
        return cls(Outcome.DELIVERED)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One digest, rendered platform-neutrally, for one destination."""

    delivery: Delivery
    subscription: Subscription
    reply: Reply

    @property
    def key(self) -> str:
        return self.delivery.key


class Outbound(Protocol):
    """A platform's way out. Adapters implement it; the console prints.

    ``send`` MUST NOT raise for platform errors: it maps them to an ``Outcome``
    (unexpected exceptions are treated as transient). It SHOULD carry ``message.key``
    where the platform can keep it (message metadata, a nonce) so that
    ``already_sent`` can answer after a crash; a platform that cannot tell answers
    False, accepting a duplicate over a loss when the process died mid-send.
    ``notify_owner`` tells a subscription's owner, where possible, why it was paused;
    it MUST NOT raise. ``syntax`` is how the platform's users write commands, for the
    notices the core words (how to resume a paused subscription).
    """

    @property
    def syntax(self) -> Syntax: ...

    async def send(self, message: OutboundMessage) -> SendResult: ...

    async def already_sent(self, message: OutboundMessage) -> bool: ...

    async def notify_owner(self, subscription: Subscription, text: str) -> None: ...


class PartLedger:
    """Which messages of each multi-part post are known to be out.

    A long digest takes several messages. When a send fails (or the process dies)
    between two of them, the retry must post the rest, not the whole post again; when
    the platform's history shows some of a post after a crash, the send finishes it.
    The ledger remembers the parts per delivery key until the delivery is settled.
    """

    def __init__(self) -> None:
        self._posted: dict[str, set[int]] = {}

    async def post(
        self, key: str, parts: Sequence[Part], send: Callable[[int, Part], Awaitable[None]]
    ) -> None:
        """``send`` each part of ``key`` not yet known to be out, in order; a part is
        recorded as soon as its send returns, so an exception leaves the rest to do."""
        posted = self._posted.setdefault(key, set())
        for n, part in enumerate(parts):
            if n not in posted:
                await send(n, part)
                posted.add(n)

    def settle(self, key: str, result: SendResult) -> SendResult:
        """Forget ``key`` once nothing of it remains to finish: delivered, or the
        destination is gone. A transient failure or a rate limit keeps what is out."""
        if result.outcome in (Outcome.DELIVERED, Outcome.GONE):
            self._posted.pop(key, None)
        return result

    def found(self, key: str, parts: Collection[int], total: int) -> bool:
        """What the platform's history showed of ``key``: True when all ``total`` parts
        are out; a post found in part is remembered, so the next send finishes it."""
        if parts and len(set(parts)) >= total:
            return True
        if parts:
            log.warning("delivery %s: %d of %d messages found", key, len(set(parts)), total)
            self._posted[key] = set(parts)
        return False
