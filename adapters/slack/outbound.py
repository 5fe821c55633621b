"""Slack's outbound port: daily channel posts and DM digests through the Web API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import Message, escape, render_reply
from adapters.slack.syntax import SLACK
from bot.delivery.outbound import OutboundMessage, Outcome, PartLedger, SendResult
from bot.models import Destination, Subscription

__all__ = ["GONE_ERRORS", "ClientFor", "SlackOutbound", "classify"]

log = logging.getLogger(__name__)

# The workspace's client (its bot token), or None when the app is not installed there.
ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]

# Errors that will not pass by retrying: the scheduler pauses and tells the owner.
GONE_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "token_revoked",
        "user_not_found",
        "cannot_dm_bot",
    }
)
METADATA_EVENT = "paperbot_digest"


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else str(value)
    return None


def classify(exc: SlackApiError) -> SendResult:
    """A Slack error as the port's outcome: rate limited, gone, or transient."""
    response = exc.response
    error = str(response.get("error") or "")
    if response.status_code == 429 or error == "ratelimited":
        retry = _header(response.headers, "Retry-After")
        try:
            seconds = max(1.0, float(retry)) if retry else 1.0
        except ValueError:
            seconds = 1.0
        # Slack limits chat.postMessage per channel, not the whole app.
        return SendResult(Outcome.RATE_LIMITED, retry_after=seconds, detail="ratelimited")
    if error in GONE_ERRORS:
        return SendResult(Outcome.GONE, detail=f"Slack said {error}")
    return SendResult(Outcome.TRANSIENT, detail=f"Slack said {error or response.status_code}")


class SlackOutbound:
    """Posts digests with ``chat.postMessage``; DMs go to ``conversations.open``'s channel.

    Every message carries the delivery key, and which message of the post it is, as
    message metadata, so ``already_sent`` can find a post that went out just before a
    crash; a post found in part is finished, not repeated. A post that failed half-way
    (a long digest takes two messages) is finished the same way when retried.
    """

    syntax = SLACK

    def __init__(self, client_for: ClientFor) -> None:
        self._client_for = client_for
        self._parts = PartLedger()

    async def _channel(self, client: AsyncWebClient, where: Destination) -> str:
        if where.channel:
            return where.channel
        opened = await client.conversations_open(users=where.user)
        return str(opened["channel"]["id"])

    async def send(self, message: OutboundMessage) -> SendResult:
        where = message.subscription.destination
        try:
            client = await self._client_for(where.workspace)
            if client is None:
                result = SendResult(
                    Outcome.GONE, detail="the app is not installed in that workspace"
                )
            else:
                channel = await self._channel(client, where)
                parts = render_reply(message.reply, discuss=not where.is_dm)

                async def post(n: int, part: Message) -> None:
                    payload = {"key": message.key, "part": n, "parts": len(parts)}
                    metadata = {"event_type": METADATA_EVENT, "event_payload": payload}
                    await client.chat_postMessage(
                        channel=channel, metadata=metadata, **part.kwargs()
                    )

                await self._parts.post(message.key, parts, post)
                result = SendResult.delivered()
        except SlackApiError as exc:
            result = classify(exc)
            log.warning("delivery %s to %s: %s", message.key, where.key, result.detail)
        except Exception as exc:  # network and the unexpected: retry later
            log.warning("delivery %s to %s failed: %r", message.key, where.key, exc)
            result = SendResult(Outcome.TRANSIENT, detail=type(exc).__name__)
        return self._parts.settle(message.key, result)

    async def already_sent(self, message: OutboundMessage) -> bool:
        where = message.subscription.destination
        try:
            client = await self._client_for(where.workspace)
            if client is None:
                return False
            channel = await self._channel(client, where)
            history = await client.conversations_history(
                channel=channel,
                oldest=f"{message.delivery.slot.timestamp() - 60:.6f}",
                include_all_metadata=True,
                limit=200,
            )
        except Exception as exc:  # cannot tell: the port contract says answer False
            log.info("could not read %s's history: %r", where.key, exc)
            return False
        found: set[int] = set()
        parts = 1
        for post in history.get("messages") or []:
            payload = (post.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") != message.key:
                continue
            if "part" not in payload:  # posted before posts were numbered: all of it
                return True
            found.add(int(payload["part"]))
            parts = int(payload.get("parts") or 1)
        return self._parts.found(message.key, found, parts)

    async def notify_owner(self, subscription: Subscription, text: str) -> None:
        where = subscription.destination
        try:
            client = await self._client_for(where.workspace)
            if client is None:
                return
            opened = await client.conversations_open(users=subscription.owner)
            await client.chat_postMessage(
                channel=opened["channel"]["id"],
                text=escape(text),
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:  # the port MUST NOT raise here
            log.warning("could not tell %s about #%d: %r", subscription.owner, subscription.id, exc)
