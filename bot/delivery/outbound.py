"""The outbound port: how the core hands finished digests to a chat platform."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.models import Delivery, Reply, Subscription

__all__ = ["Outbound", "OutboundMessage", "Outcome", "SendResult"]


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
    it MUST NOT raise.
    """

    async def send(self, message: OutboundMessage) -> SendResult: ...

    async def already_sent(self, message: OutboundMessage) -> bool: ...

    async def notify_owner(self, subscription: Subscription, text: str) -> None: ...
