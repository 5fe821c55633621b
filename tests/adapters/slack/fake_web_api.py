"""A loopback fake of Slack's Web API, response URLs and Socket Mode endpoint.

``FakeSlack`` is an aiohttp app that records every call, answers like Slack, can be
told to fail a method, and refuses (and remembers in ``rejected``) any message that
breaks Block Kit's limits or carries an unescaped mention.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from aiohttp import web

__all__ = [
    "CHANNEL",
    "SECRET",
    "TEAM",
    "Call",
    "FakeSlack",
    "serving",
    "sign",
    "signed_headers",
    "slash_command",
    "violations",
]

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T1"
CHANNEL = "C1"
MENTION_STARTS = ("<!", "<@", "<#")
JSON_FIELDS = ("blocks", "view", "metadata", "attachments")


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: str, content_type: str, *, timestamp: int | None = None, signature: str = ""
) -> dict[str, str]:
    """The headers of a request Slack sends: its type, timestamp (now by default) and
    signature (``signature`` instead, to send a wrong one)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or sign(secret, ts, body),
    }


def slash_command(
    response_url: str, text: str, *, user: str = "U1", channel: str = CHANNEL, team: str = TEAM
) -> str:
    """The form body of a ``/papers TEXT`` slash command, as Slack posts it."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "papers",
            "user_id": user,
            "user_name": "reader",
            "command": "/papers",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [t for v in node.values() if not isinstance(v, str) for t in _texts(v)]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def _text_of(obj: dict[str, Any] | None) -> str:
    return str((obj or {}).get("text", ""))


def violations(payload: dict[str, Any], *, max_blocks: int = 50) -> list[str]:
    """What Slack would refuse in ``payload``, plus mentions paperbot must never send."""
    found = []
    blocks = payload.get("blocks") or []
    if len(blocks) > max_blocks:
        found.append(f"{len(blocks)} blocks")
    for block in blocks:
        kind = block.get("type")
        if kind == "header" and len(_text_of(block.get("text"))) > 150:
            found.append("header over 150")
        if kind == "section" and len(_text_of(block.get("text"))) > 3000:
            found.append("section over 3000")
        if len(str(block.get("block_id", ""))) > 255:
            found.append("block_id over 255")
        for element in block.get("elements") or [block.get("accessory") or {}]:
            if element.get("type") == "button":
                if len(_text_of(element.get("text"))) > 75:
                    found.append("button over 75")
                if len(str(element.get("value", ""))) > 2000:
                    found.append("button value over 2000")
            elif kind == "context" and len(_text_of(element)) > 3000:
                found.append("context over 3000")
    for text in [*_texts(blocks), str(payload.get("text", ""))]:
        if any(start in text for start in MENTION_STARTS):
            found.append(f"unescaped mention in {text[:60]!r}")
    return found


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str = ""


@dataclass
class FakeSlack:
    """Slack's Web API (``/api/METHOD``) and response URLs (``/respond/N``)."""

    calls: list[Call] = field(default_factory=list)
    rejected: list[tuple[str, list[str]]] = field(default_factory=list)
    failures: dict[str, list[tuple[str, int, dict[str, str]]]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    passes: dict[str, int] = field(default_factory=dict)
    # parent ts -> the replies posted in its thread
    threads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    admins: set[str] = field(default_factory=set)
    url: str = ""
    # Envelopes the Socket Mode endpoint sends after its "hello" (each once).
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    # The Socket Mode connections, oldest first, each with the request that opened it.
    sockets: list[tuple[web.WebSocketResponse, web.Request]] = field(default_factory=list)
    # Response URL number -> when it was answered (perf_counter), for latency figures.
    answered: dict[str, float] = field(default_factory=dict)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self) -> str:
        return f"{self.url}/respond/{next(self._ts)}"

    def fail(
        self, method: str, error: str, *, after: int = 0, status: int = 200, **headers: str
    ) -> None:
        """The next call of ``method`` (after ``after`` that pass) answers ``error``
        (HTTP ``status``, ``headers``)."""
        self.passes[method] = after
        self.failures.setdefault(method, []).append((error, status, headers))

    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """The calls of ``method`` once there are ``count``; Bolt answers in the background."""

        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.of(method)) >= count)

        await asyncio.wait_for(enough(), timeout)
        return self.of(method)

    async def _record(self, method: str, params: dict[str, Any], token: str) -> None:
        async with self._changed:
            self.calls.append(Call(method, params, token))
            self._changed.notify_all()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        for key in JSON_FIELDS:
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        await self._record(method, params, token)
        queued = self.failures.get(method)
        if queued and self.passes.get(method):
            self.passes[method] -= 1
        elif queued:
            error, status, headers = queued.pop(0)
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        if method == "chat.postMessage" or method == "views.publish":
            payload = params.get("view", params)
            problems = violations(payload, max_blocks=100 if "view" in params else 50)
            if method == "chat.postMessage":
                if not params.get("text"):
                    problems.append("no text fallback")
                if params.get("unfurl_links") not in (False, "false", "0"):
                    problems.append("links unfurl")
            if problems:
                self.rejected.append((method, problems))
                return web.json_response({"ok": False, "error": "invalid_blocks"})
        return web.json_response(self._answer(method, params))

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return ok | {"team_id": TEAM, "user_id": "UBOT", "bot_id": "B1", "team": "Test"}
        if method == "users.info":
            user = params["user"]
            return ok | {"user": {"id": user, "is_admin": user in self.admins, "is_owner": False}}
        if method == "conversations.open":
            return ok | {"channel": {"id": "D" + params["users"]}}
        if method == "chat.postMessage":
            ts = f"{time.time():.0f}.{next(self._ts):06d}"
            message = {"ts": ts, "text": params["text"], "metadata": params.get("metadata")}
            if params.get("thread_ts"):
                # A thread reply: kept with its parent's replies, not in channel history.
                message["thread_ts"] = params["thread_ts"]
                self.threads.setdefault(params["thread_ts"], []).append(message)
                return ok | {"channel": params["channel"], "ts": ts, "message": message}
            self.history.setdefault(params["channel"], []).insert(0, message)
            return ok | {"channel": params["channel"], "ts": ts, "message": message}
        if method == "chat.getPermalink":
            ts = params["message_ts"].replace(".", "")
            return ok | {"permalink": f"https://test.slack.com/archives/{params['channel']}/p{ts}"}
        if method == "conversations.history":
            return ok | {"messages": self.history.get(params["channel"], [])}
        if method == "apps.connections.open":
            return ok | {"url": self.url.replace("http://", "ws://") + "/socket"}
        if method == "oauth.v2.access":
            return ok | {
                "access_token": "xoxb-installed",
                "token_type": "bot",
                "scope": "commands,chat:write",
                "bot_user_id": "UBOT9",
                "app_id": "A1",
                "team": {"id": "T9", "name": "Nine"},
                "enterprise": None,
                "is_enterprise_install": False,
                "authed_user": {"id": "U9"},
            }
        return ok

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: hello, the queued envelopes, then record what the app answers
        (a ``socket_open`` call marks each connection)."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append((ws, request))
        await ws.send_json({"type": "hello", "num_connections": 1})
        await self._record("socket_open", {"n": len(self.sockets)}, "")
        while self.envelopes:
            await ws.send_json(self.envelopes.pop(0))
        async for frame in ws:
            if frame.type == web.WSMsgType.TEXT:
                await self._record("socket_ack", json.loads(frame.data), "")
        return ws

    async def envelope(self, envelope: dict[str, Any]) -> None:
        """Send ``envelope`` down the newest Socket Mode connection."""
        await self.sockets[-1][0].send_json(envelope)

    async def drop_socket(self, how: Literal["disconnect", "close", "reset"]) -> None:
        """End the newest Socket Mode connection as Slack does: a ``disconnect`` message
        (it refreshes connections every few hours), a close frame, or a reset."""
        ws, request = self.sockets[-1]
        if how == "disconnect":
            await ws.send_json({"type": "disconnect", "reason": "refresh_requested"})
        elif how == "close":
            await ws.close(code=1001)
        else:
            assert request.transport is not None
            request.transport.abort()

    async def respond(self, request: web.Request) -> web.Response:
        self.answered[request.match_info["n"]] = time.perf_counter()
        payload = await request.json()
        await self._record("respond", payload, "")
        problems = violations(payload)
        if problems:
            self.rejected.append(("respond", problems))
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")


@asynccontextmanager
async def serving(fake: FakeSlack) -> AsyncIterator[FakeSlack]:
    """``fake`` served on a free loopback port (its ``url`` set) until exit."""
    server = web.Application()
    server.router.add_route("*", "/api/{method}", fake.api)
    server.router.add_post("/respond/{n}", fake.respond)
    server.router.add_get("/socket", fake.socket)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield fake
    finally:
        await runner.cleanup()
