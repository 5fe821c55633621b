"""Fakes kept in the repo: a settable clock and an outbound port that records sends.

``FakeClock`` is the scheduler's clock and sleep at once: sleeping advances it, so a
test drives days of schedule in microseconds. ``FakeOutbound`` is a chat platform that
keeps every message it accepted and can be told to answer otherwise per destination.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.commands import TEXT, Syntax
from bot.delivery.outbound import OutboundMessage, Outcome, SendResult
from bot.models import Subscription


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)

    def set(self, now: dt.datetime) -> None:
        self.now = now


Answer = Callable[[OutboundMessage], SendResult | None]


@dataclass
class FakeOutbound:
    """Accepts everything unless ``answers`` says otherwise for a destination key."""

    sent: list[OutboundMessage] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    answers: dict[str, list[SendResult]] = field(default_factory=dict)
    notified: list[tuple[int, str]] = field(default_factory=list)
    clock: FakeClock | None = None
    times: list[dt.datetime] = field(default_factory=list)
    syntax: Syntax = TEXT

    async def send(self, message: OutboundMessage) -> SendResult:
        self.attempts[message.key] += 1
        queued = self.answers.get(message.delivery.destination)
        if queued:
            answer = queued.pop(0)
            if answer.outcome is not Outcome.DELIVERED:
                return answer
        self.sent.append(message)
        if self.clock is not None:
            self.times.append(self.clock())
        return SendResult.delivered()

    async def already_sent(self, message: OutboundMessage) -> bool:
        return any(m.key == message.key for m in self.sent)

    async def notify_owner(self, subscription: Subscription, text: str) -> None:
        self.notified.append((subscription.id, text))

    def keys(self) -> list[str]:
        return [m.key for m in self.sent]

    def to(self, destination: str) -> list[OutboundMessage]:
        return [m for m in self.sent if m.delivery.destination == destination]
