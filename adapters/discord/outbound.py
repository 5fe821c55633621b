"""Discord's outbound port: daily channel posts and DM digests over the REST API."""

from __future__ import annotations

import logging

import discord

from adapters.discord.render import NO_MENTIONS, escape, render_reply
from bot.models import Destination, Subscription
from bot.outbound import OutboundMessage, Outcome, SendResult

__all__ = ["DiscordOutbound", "classify"]

log = logging.getLogger(__name__)


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

    The delivery key is sent as each message's nonce, for tracing in the gateway's
    MESSAGE_CREATE. Discord does not return nonces in channel history, so
    ``already_sent`` cannot tell and answers False (the port allows it: a duplicate
    over a loss when the process died mid-send).
    """

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def _target(self, where: Destination) -> discord.abc.Messageable:
        if where.channel:
            return self._client.get_partial_messageable(int(where.channel))
        return await self._client.create_dm(discord.Object(int(where.user)))

    async def send(self, message: OutboundMessage) -> SendResult:
        where = message.subscription.destination
        try:
            target = await self._target(where)
            for n, part in enumerate(render_reply(message.reply)):
                # A nonce is at most 25 characters; one per message of the post.
                nonce = f"{message.key}#{n}"[-25:]
                await target.send(nonce=nonce, **part.kwargs())
        except discord.HTTPException as exc:
            result = classify(exc)
            log.warning("delivery %s to %s: %s", message.key, where.key, result.detail)
            return result
        except Exception as exc:  # network and the unexpected: retry later
            log.warning("delivery %s to %s failed: %r", message.key, where.key, exc)
            return SendResult(Outcome.TRANSIENT, detail=type(exc).__name__)
        return SendResult.delivered()

    async def already_sent(self, message: OutboundMessage) -> bool:
        return False

    async def notify_owner(self, subscription: Subscription, text: str) -> None:
        try:
            dm = await self._client.create_dm(discord.Object(int(subscription.owner)))
            await dm.send(content=escape(text)[:2000], allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # the port MUST NOT raise here
            log.warning("could not tell %s about #%d: %r", subscription.owner, subscription.id, exc)
