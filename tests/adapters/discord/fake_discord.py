"""A loopback fake of Discord's REST API: what paperbot's outbound port calls.

It records every request, checks Discord's message limits (a message Discord would
refuse lands in ``rejected``), and can be told to fail a channel with 403/404/5xx or to
answer the next message with a 429 (with the ``Via`` header discord.py looks for).
Like Discord, it answers a message whose nonce it has seen (with ``enforce_nonce``)
with the message it already has, and returns no nonce in channel history.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["BOT_ID", "FakeDiscord", "snowflake"]

BOT_ID = 900000000000000001
APP_ID = 900000000000000002
GUILD_ID = "100000000000000100"  # the fake gateway's server
DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count(1)


def snowflake() -> str:
    """A real-looking id: discord.py reads the timestamp encoded in message ids."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return str((ms << 22) | (next(_counter) & 0x3FFFFF))


def json_response(data: Any, status: int = 200, **headers: str) -> web.Response:
    # discord.py reads a body as JSON only for exactly this content type.
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", **headers},
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return json_response({"code": code, "message": message}, status)


USER = {
    "id": str(BOT_ID),
    "username": "paperbot",
    "discriminator": "0",
    "avatar": None,
    "bot": True,
}


@dataclass
class FakeDiscord:
    url: str = ""
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    # channel id -> (status, code, message) to answer instead of posting
    failing: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    # users whose DMs are closed (403 50007 "Cannot send messages to this user")
    blocked_dms: set[str] = field(default_factory=set)
    # channels whose history the bot may not read (no Read Message History: 403 50001)
    unreadable: set[str] = field(default_factory=set)
    rate_limit_next: int = 0
    # how long Discord remembers an enforced nonce ("the past few minutes")
    nonce_window: float = 300.0
    dm_channels: dict[str, str] = field(default_factory=dict)
    threads: list[dict[str, Any]] = field(default_factory=list)
    posted: asyncio.Condition = field(default_factory=asyncio.Condition)
    gateway: Any = None  # the FakeGateway serving beside it, when a test runs the bot

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self.me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self.application)
        app.router.add_post("/api/v10/users/@me/channels", self.open_dm)
        app.router.add_post("/api/v10/channels/{channel}/messages", self.post_message)
        app.router.add_get("/api/v10/channels/{channel}/messages", self.history)
        app.router.add_post("/api/v10/channels/{channel}/threads", self.start_thread)
        return app

    async def start_thread(self, request: web.Request) -> web.Response:
        """A thread without a starter message, as Discord opens one in a text channel."""
        channel = request.match_info["channel"]
        body = await request.json()
        self.requests.append(("POST", request.path, body))
        if channel in self.failing:
            return _error(*self.failing[channel])
        if not 1 <= len(body.get("name", "")) <= 100 or body.get("type") != 11:
            self.rejected.append(f"thread: bad name or type {body!r}")
            return _error(400, 50035, "Invalid Form Body")
        thread = {
            "id": snowflake(),
            "type": 11,
            "guild_id": GUILD_ID,
            "parent_id": channel,
            "name": body["name"],
            "owner_id": str(BOT_ID),
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": "2026-07-01T00:00:00+00:00",
                "locked": False,
            },
        }
        self.threads.append(thread)
        return json_response(thread)

    def to(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["channel_id"] == channel]

    def check(self, body: dict[str, Any]) -> list[str]:
        problems = check_message(body)
        self.rejected += problems
        return problems

    def message_payload(
        self, channel: str, body: dict[str, Any], author: dict[str, Any] = USER
    ) -> dict[str, Any]:
        return {
            "id": snowflake(),
            "channel_id": channel,
            "type": 0,
            "content": body.get("content", ""),
            "embeds": body.get("embeds", []),
            "components": body.get("components", []),
            "author": author,
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-07-01T12:00:00+00:00",
            "edited_timestamp": None,
            "nonce": body.get("nonce"),
            "allowed_mentions": body.get("allowed_mentions"),
        }

    async def me(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", request.path, None))
        if request.headers.get("Authorization") != "Bot test-token":
            return _error(401, 0, "401: Unauthorized")
        return json_response(USER)

    async def application(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(APP_ID),
                "name": "paperbot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": USER,
                "verify_key": "0" * 64,
                "flags": 0,
                "interactions_endpoint_url": None,
            }
        )

    async def open_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(("POST", request.path, body))
        user = str(body["recipient_id"])
        channel = self.dm_channels.setdefault(user, snowflake())
        return json_response(
            {
                "id": channel,
                "type": 1,
                "last_message_id": None,
                "recipients": [{**USER, "id": user, "username": f"user{user}", "bot": False}],
            }
        )

    async def post_message(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        body = await request.json()
        self.requests.append(("POST", request.path, body))
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            data = {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
            return json_response(
                data,
                429,
                Via="1.1 google",
                **{"Retry-After": "0.05", "X-RateLimit-Scope": "user"},
            )
        if channel in self.failing:
            return _error(*self.failing[channel])
        user = next((u for u, c in self.dm_channels.items() if c == channel), None)
        if user in self.blocked_dms:
            return _error(403, 50007, "Cannot send messages to this user")
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            now_ms = time.time() * 1000 - DISCORD_EPOCH_MS
            seen = next(
                (
                    m
                    for m in self.messages
                    if m["nonce"] == nonce
                    and now_ms - (int(m["id"]) >> 22) <= self.nonce_window * 1000
                ),
                None,
            )
            if seen is not None:
                return json_response(seen)
        problems = self.check(body)
        if problems:
            return _error(400, 50035, "; ".join(problems))
        message = self.message_payload(channel, body)
        self.messages.append(message)
        async with self.posted:
            self.posted.notify_all()
        return json_response(message)

    def say(self, channel: str, content: str, user: str) -> None:
        """Someone else writes in ``channel`` (for history to wade through)."""
        author = {**USER, "id": user, "username": f"user{user}", "bot": False}
        self.messages.append(self.message_payload(channel, {"content": content}, author))

    async def history(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/messages``: newest first, as Discord answers."""
        channel = request.match_info["channel"]
        query = request.query
        self.requests.append(("GET", request.path, dict(query)))
        if channel in self.failing:
            return _error(*self.failing[channel])
        if channel in self.unreadable:
            return _error(403, 50001, "Missing Access")
        limit = min(int(query.get("limit", 50)), 100)
        found = sorted(self.to(channel), key=lambda m: int(m["id"]))
        if "after" in query:
            found = [m for m in found if int(m["id"]) > int(query["after"])][:limit]
        else:
            if "before" in query:
                found = [m for m in found if int(m["id"]) < int(query["before"])]
            found = found[-limit:]
        # Discord keeps a message's nonce only in the answer to its creation.
        return json_response([{**m, "nonce": None} for m in reversed(found)])


def _embed_chars(embed: dict[str, Any]) -> int:
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len((embed.get("footer") or {}).get("text", ""))
    total += len((embed.get("author") or {}).get("name", ""))
    for f in embed.get("fields", []):
        total += len(f.get("name", "")) + len(f.get("value", ""))
    return total


def check_message(body: dict[str, Any]) -> list[str]:
    """What Discord would refuse in a message body (and what paperbot must never send)."""
    problems = []
    if len(body.get("content") or "") > 2000:
        problems.append("content over 2000")
    embeds = body.get("embeds") or []
    if not body.get("content") and not embeds:
        problems.append("empty message")
    if len(embeds) > 10:
        problems.append("more than 10 embeds")
    if sum(_embed_chars(e) for e in embeds) > 6000:
        problems.append("embeds over 6000 characters")
    for e in embeds:
        if len(e.get("title", "")) > 256:
            problems.append("embed title over 256")
        if len(e.get("description", "")) > 4096:
            problems.append("embed description over 4096")
    rows = body.get("components") or []
    if len(rows) > 5 or any(len(r.get("components", [])) > 5 for r in rows):
        problems.append("more than 5 rows of 5 components")
    if (body.get("allowed_mentions") or {}).get("parse") != []:
        problems.append("allowed_mentions is not none")
    return problems
