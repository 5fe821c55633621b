"""The console's outbound port: scheduled digests are printed into the terminal chat."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from adapters.console.app import PROMPT
from adapters.console.render import render_reply
from bot.commands import TEXT, Syntax
from bot.delivery.outbound import OutboundMessage, SendResult
from bot.models import Subscription

__all__ = ["ConsoleOutbound"]

log = logging.getLogger(__name__)


class ConsoleOutbound:
    """Prints each digest with the subscription it came from; a terminal never refuses."""

    syntax: Syntax = TEXT

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        colour: bool = False,
        width: int = 88,
        prompt: str | None = None,
    ) -> None:
        self._out = out or sys.stdout
        self._colour = colour
        self._width = width
        self._sent: set[str] = set()
        # A post lands while the chat waits at its prompt: draw the prompt again after
        # it, so the terminal still shows where to type (on a terminal only).
        isatty = getattr(self._out, "isatty", lambda: False)
        self._prompt = prompt if prompt is not None else (PROMPT if isatty() else "")

    async def send(self, message: OutboundMessage) -> SendResult:
        sub = message.subscription
        where = "your DM digest" if sub.is_dm else f"subscription #{sub.id}"
        body = render_reply(message.reply, colour=self._colour, width=self._width)
        print(f"\n── {where} ──\n{body}\n", file=self._out, flush=True)
        if self._prompt:
            print(self._prompt, end="", file=self._out, flush=True)
        self._sent.add(message.key)
        return SendResult.delivered()

    async def already_sent(self, message: OutboundMessage) -> bool:
        # Only this process's own output can be checked; after a restart the terminal
        # scrollback is gone, so an interrupted digest is printed again.
        return message.key in self._sent

    async def notify_owner(self, subscription: Subscription, text: str) -> None:
        print(f"\n{text}\n", file=self._out, flush=True)
