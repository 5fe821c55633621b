"""The gateway half of the fake Discord, plus the REST routes app commands use:
command sync, interaction callbacks and webhook follow-ups.

Tests drive it with ``command`` / ``autocomplete`` / ``click``, which send an
INTERACTION_CREATE down the websocket and wait for the bot's answer.

``drop`` cuts a shard's connection as Discord's gateway does (a close with a
resumable code, an op 7 RECONNECT, or the TCP connection reset); events dispatched
while it is down are kept, and a RESUME with the session's id gets them replayed, then
RESUMED, as the gateway does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import WSMsgType, web

from tests.adapters.discord.fake_discord import APP_ID, USER, FakeDiscord, json_response, snowflake

__all__ = [
    "ADMIN_PERMS",
    "CHANNEL",
    "GUILD",
    "MEMBER",
    "MODERATORS",
    "READER_PERMS",
    "FakeGateway",
    "shard_of",
]

GUILD, CHANNEL, MEMBER = "100000000000000100", "100000000000000200", "100000000000000300"
MODERATORS = "100000000000000500"  # a role with Manage Channels, which MEMBER has
READER_PERMS = str(1 << 10 | 1 << 11)  # view channel, send messages
ADMIN_PERMS = str(int(READER_PERMS) | 1 << 4)  # + manage channels


def shard_of(guild: str, shards: int) -> int:
    """Discord's rule for which shard hears a guild's events."""
    return (int(guild) >> 22) % shards


def _role(role_id: str, name: str, permissions: str, position: int) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "permissions": permissions,
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _member(user: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    return {
        "user": user,
        "roles": roles,
        "nick": None,
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


def _channel() -> dict[str, Any]:
    return {
        "id": CHANNEL,
        "type": 0,
        "guild_id": GUILD,
        "name": "papers",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


def _guild() -> dict[str, Any]:
    return {
        "id": GUILD,
        "name": "Readers",
        "icon": None,
        "owner_id": MEMBER,
        "unavailable": False,
        "roles": [
            _role(GUILD, "@everyone", READER_PERMS, 0),
            _role(MODERATORS, "Moderators", ADMIN_PERMS, 1),
        ],
        "channels": [_channel()],
        "members": [
            _member(USER, []),
            _member({**USER, "id": MEMBER, "username": "reader", "bot": False}, [MODERATORS]),
        ],
        "member_count": 2,
        "emojis": [],
        "features": [],
        "stickers": [],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "large": False,
        "joined_at": "2026-01-01T00:00:00+00:00",
        "mfa_level": 0,
        "verification_level": 0,
        "explicit_content_filter": 0,
        "default_message_notifications": 0,
        "system_channel_flags": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
    }


@dataclass
class FakeGateway:
    rest: FakeDiscord
    shards: int = 1  # what GET /gateway/bot recommends; discord.py opens that many
    sockets: dict[int, web.WebSocketResponse] = field(default_factory=dict)  # by shard
    total: int = 1  # the shard count the clients IDENTIFY with (several processes' shards)
    identified: list[list[int]] = field(default_factory=list)  # each IDENTIFY's shard
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # every shard is READY
    synced: list[dict[str, Any]] = field(default_factory=list)
    synced_to: str = ""
    deleted: list[str] = field(default_factory=list)  # tokens whose original was deleted
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    resumed: list[dict[str, Any]] = field(default_factory=list)  # each RESUME's data
    # Interaction token -> when its callback, and its first answer, came (perf_counter):
    # the answer is the first follow-up, or a callback that is a message itself.
    acked: dict[str, float] = field(default_factory=dict)
    answered: dict[str, float] = field(default_factory=dict)
    down: set[int] = field(default_factory=set)  # shards whose connection was dropped
    sent: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by shard
    _requests: dict[int, web.Request] = field(default_factory=dict)  # by shard
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def install(self, app: web.Application) -> None:
        app.router.add_get("/api/v10/gateway/bot", self.gateway_bot)
        app.router.add_get("/gateway", self.socket)
        app.router.add_put("/api/v10/applications/{app}/commands", self.sync)
        app.router.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self.sync)
        app.router.add_post("/api/v10/interactions/{id}/{token}/callback", self.callback)
        app.router.add_post("/api/v10/webhooks/{app}/{token}", self.followup)
        app.router.add_delete(
            "/api/v10/webhooks/{app}/{token}/messages/@original", self.delete_original
        )

    async def gateway_bot(self, request: web.Request) -> web.Response:
        url = self.rest.url.replace("http://", "ws://") + "/gateway"
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": url, "shards": self.shards, "session_start_limit": limit})

    async def sync(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.synced = body
        self.synced_to = request.match_info.get("guild", "global")
        out = [
            {**c, "id": snowflake(), "application_id": str(APP_ID), "version": "1"} for c in body
        ]
        return json_response(out)

    async def _note(self, bucket: list[dict[str, Any]], item: dict[str, Any]) -> None:
        bucket.append(item)
        async with self.changed:
            self.changed.notify_all()

    async def callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        token = request.match_info["token"]
        self.acked.setdefault(token, time.perf_counter())
        if body.get("type") in (4, 7):  # a message, or an edit of the clicked one
            self.answered.setdefault(token, time.perf_counter())
        await self._note(self.callbacks, {"token": token, **body})
        data = body.get("data") or {}
        ephemeral = bool((data.get("flags") or 0) & 64)
        interaction = {
            "id": request.match_info["id"],
            "type": 2,
            "response_message_id": snowflake(),
            "response_message_loading": body["type"] == 5,
            "response_message_ephemeral": ephemeral,
        }
        return json_response({"interaction": interaction})

    async def followup(self, request: web.Request) -> web.Response:
        self.answered.setdefault(request.match_info["token"], time.perf_counter())
        body = await request.json()
        problems = self.rest.check(body)
        await self._note(self.followups, {"token": request.match_info["token"], **body})
        if problems:
            return json_response({"code": 50035, "message": "; ".join(problems)}, 400)
        return json_response(self.rest.message_payload(CHANNEL, body))

    async def delete_original(self, request: web.Request) -> web.Response:
        self.deleted.append(request.match_info["token"])
        return web.Response(status=204)

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            if frame["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif frame["op"] == 2:
                shard = frame["d"].get("shard") or [0, 1]
                self._requests[shard[0]] = request
                await self._identify(ws, shard)
            elif frame["op"] == 6:
                await self._resume(ws, request, frame["d"])
        return ws

    async def _resume(self, ws: web.WebSocketResponse, request: web.Request, data: Any) -> None:
        """Replay what the session missed since ``seq``, then RESUMED; an unknown session
        is told to IDENTIFY afresh (op 9, not resumable)."""
        session = str(data.get("session_id", ""))
        shard = int(session[1:]) if session[1:].isdigit() else -1
        if shard not in self.sent:
            await ws.send_str(json.dumps({"op": 9, "d": False}))
            return
        self.sockets[shard], self._requests[shard] = ws, request
        self.down.discard(shard)
        for frame in self.sent[shard]:
            if frame["s"] > (data.get("seq") or 0):
                await ws.send_str(json.dumps(frame))
        await self.dispatch("RESUMED", {}, shard=shard)
        await self._note(self.resumed, data)

    async def drop(
        self, shard: int = 0, how: Literal["close", "reconnect", "reset"] = "close"
    ) -> None:
        """Cut ``shard``'s connection: closed with 4000 (an unknown error, which a client
        resumes from), told op 7 RECONNECT then closed, or its TCP connection reset."""
        self.down.add(shard)
        ws = self.sockets[shard]
        if how == "reset":
            transport = self._requests[shard].transport
            assert transport is not None
            transport.abort()
            return
        if how == "reconnect":
            await ws.send_str(json.dumps({"op": 7, "d": None}))
        await ws.close(code=4000 if how == "close" else 1012)

    async def _identify(self, ws: web.WebSocketResponse, shard: list[int]) -> None:
        """READY for one shard, then GUILD_CREATE for the guild if this shard has it."""
        shard_id, count = shard
        self.identified.append(shard)
        self.total = count
        self.sockets[shard_id] = ws
        mine = shard_of(GUILD, count) == shard_id
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": USER,
                "session_id": f"s{shard_id}",
                "guilds": [{"id": GUILD, "unavailable": True}] if mine else [],
                "resume_gateway_url": self.rest.url.replace("http://", "ws://") + "/gateway",
                "application": {"id": str(APP_ID), "flags": 0},
                "shard": shard,
            },
            shard=shard_id,
        )
        if mine:
            await self.dispatch("GUILD_CREATE", _guild(), shard=shard_id)
        if len(self.sockets) == count:
            self.ready.set()

    async def dispatch(self, event: str, data: dict[str, Any], *, shard: int | None = None) -> None:
        """Send an event down the socket of ``shard``; by default the one Discord would
        use: the shard of the event's guild, shard 0 for DMs."""
        if shard is None:
            guild = data.get("guild_id")
            shard = shard_of(guild, self.total) if guild else 0
        frame = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        self.sent.setdefault(shard, []).append(frame)
        if shard not in self.down:  # else it waits for the client's RESUME
            await self.sockets[shard].send_str(json.dumps(frame))

    def interaction(
        self, kind: int, data: dict[str, Any], *, perms: str, user: str = MEMBER, dm: bool = False
    ) -> dict[str, Any]:
        who = {**USER, "id": user, "username": f"user{user}", "bot": False}
        payload: dict[str, Any] = {
            "id": snowflake(),
            "application_id": str(APP_ID),
            "type": kind,
            "data": data,
            "token": f"tok{snowflake()}",
            "version": 1,
            "locale": "en-US",
            "app_permissions": ADMIN_PERMS,
            "entitlements": [],
            "authorizing_integration_owners": {},
            "attachment_size_limit": 10_000_000,
        }
        if dm:
            payload |= {
                "channel_id": "555",
                "user": who,
                "context": 1,
                "channel": {"id": "555", "type": 1, "recipients": [who]},
            }
        else:
            payload |= {
                "guild_id": GUILD,
                "channel_id": CHANNEL,
                "channel": _channel(),
                "context": 0,
                "guild_locale": "en-US",
                "guild": {"id": GUILD, "locale": "en-US", "features": []},
                "member": {
                    "user": who,
                    "roles": [],
                    "permissions": perms,
                    "nick": None,
                    "joined_at": "2026-01-01T00:00:00+00:00",
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                },
            }
        return payload

    async def wait(self, token: str, *, followups: int = 0, timeout: float = 10) -> None:
        def done() -> bool:
            calls = [c for c in self.callbacks if c["token"] == token]
            sent = [f for f in self.followups if f["token"] == token]
            return bool(calls) and len(sent) >= followups

        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(done), timeout)

    def answers(self, token: str) -> list[dict[str, Any]]:
        return [f for f in self.followups if f["token"] == token]

    def callback_for(self, token: str) -> dict[str, Any]:
        return next(c for c in self.callbacks if c["token"] == token)
