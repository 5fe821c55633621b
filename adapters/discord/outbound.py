"""Discord's outbound port: daily channel posts and DM digests over the REST API."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

import discord

from adapters.discord.render import NO_MENTIONS, Message, escape, render_reply
from adapters.discord.syntax import DISCORD
from bot.delivery.outbound import OutboundMessage, Outcome, PartLedger, SendResult
from bot.models import Destination, Subscription

__all__ = ["DiscordOutbound", "classify", "delivery_mark"]

log = logging.getLogger(__name__)

# How far back and how deep ``already_sent`` looks for a post: from a little before its
# slot (clocks differ), through at most this many messages (three history pages).
_CLOCK_SLACK = dt.timedelta(minutes=10)
HISTORY_SCAN = 300
# The mark is Discord's "-# " subtext: one small grey line under the post.
_MARK = "-# paperbot "


def delivery_mark(key: str, part: int, parts: int) -> str:
    """The line that names a delivery (and which message of it) in each message posted.

    Discord returns no nonce or other metadata in channel history, so this line is what
    ``already_sent`` reads back. Nothing from a paper or user can forge it: their text
    is escaped, which turns a leading ``-#`` into ``\\-#``.
    """
    return f"{_MARK}{key}" + (f" · {part + 1}/{parts}" if parts > 1 else "")


def _nonce(key: str, part: int) -> str:
    """A fixed nonce per message of a delivery. discord.py sends it with
    ``enforce_nonce``, so Discord answers a resend within a few minutes with the message
    it already has instead of posting it twice. Hashed: a nonce is at most 25
    characters and a cut key could name another subscription's post."""
    return hashlib.blake2b(f"{key}#{part}".encode(), digest_size=12).hexdigest()


def classify(exc: discord.HTTPException) -> SendResult:
    """A Discord error as the port's outcome. discord.py waits out 429s itself, so
    what reaches us is 403 (Missing Access, or a user who blocks DMs: code 50007) and
    404 (Unknown Channel/User), which pause the subscription, or anything else, which
    may pass."""
    detail = f"Discord said {exc.status} {exc.code}: {exc.text}"[:200]
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return SendResult(Outcome.GONE, detail=detail)
    return SendResult(Outcome.TRANSIENT, detail=detail)


class DiscordOutbound:
    """Posts digests as embeds (with their buttons); DMs go to the user's DM channel.

    Each message of a post ends with its delivery mark and carries a fixed nonce.
    ``already_sent`` reads the destination's history since the slot for messages by
    the bot with the post's marks; a post found in part is finished, not repeated.
    Reading history needs Read Message History; without it (403) or when the channel
    is gone (404) the answer is False, and ``send`` then reports what Discord says.
    """

    syntax = DISCORD

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._ledger = PartLedger()

    async def _target(self, where: Destination) -> discord.abc.Messageable:
        if where.channel:
            return self._client.get_partial_messageable(int(where.channel))
        return await self._client.create_dm(discord.Object(int(where.user)))

    @staticmethod
    def _parts(message: OutboundMessage) -> list[tuple[str, Message]]:
        """The messages of a post, each with its mark as the last line of its content."""
        widest = delivery_mark(message.key, 99, 99)
        # A post in a server's channel can open discussion threads; a DM cannot.
        in_channel = not message.subscription.destination.is_dm
        parts = render_reply(message.reply, reserve=len(widest) + 1, discuss=in_channel)
        out = []
        for n, part in enumerate(parts):
            mark = delivery_mark(message.key, n, len(parts))
            part.content = f"{part.content}\n{mark}" if part.content else mark
            out.append((mark, part))
        return out

    async def send(self, message: OutboundMessage) -> SendResult:
        where = message.subscription.destination
        try:
            target = await self._target(where)

            async def post(n: int, part: Message) -> None:
                await target.send(nonce=_nonce(message.key, n), **part.kwargs())

            parts = [part for _, part in self._parts(message)]
            await self._ledger.post(message.key, parts, post)
        except discord.HTTPException as exc:
            result = classify(exc)
            log.warning("delivery %s to %s: %s", message.key, where.key, result.detail)
        except Exception as exc:  # network and the unexpected: retry later
            log.warning("delivery %s to %s failed: %r", message.key, where.key, exc)
            result = SendResult(Outcome.TRANSIENT, detail=type(exc).__name__)
        else:
            result = SendResult.delivered()
        return self._ledger.settle(message.key, result)

    async def already_sent(self, message: OutboundMessage) -> bool:
        wanted = {mark: n for n, (mark, _) in enumerate(self._parts(message))}
        me = self._client.user
        if me is None:  # not logged in: nothing to compare authors with
            return False
        found: set[int] = set()
        since = message.delivery.slot - _CLOCK_SLACK
        try:
            target = await self._target(message.subscription.destination)
            async for posted in target.history(limit=HISTORY_SCAN, after=since):
                mark = posted.content.rpartition("\n")[2]
                if posted.author.id == me.id and mark in wanted:
                    found.add(wanted[mark])
                    if len(found) == len(wanted):
                        break
        except discord.HTTPException as exc:
            log.warning("delivery %s: cannot read history: %s", message.key, classify(exc).detail)
            return False
        return self._ledger.found(message.key, found, len(wanted))

    async def notify_owner(self, subscription: Subscription, text: str) -> None:
        try:
            dm = await self._client.create_dm(discord.Object(int(subscription.owner)))
            await dm.send(content=escape(text)[:2000], allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # the port MUST NOT raise here
            log.warning("could not tell %s about #%d: %r", subscription.owner, subscription.id, exc)
