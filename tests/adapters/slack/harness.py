"""The real Bolt app served on loopback, and signed requests to it."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from adapters.slack.app import SlackBot, build_slack, serve_http
from bot.api import PaperService
from bot.config import SlackSettings
from bot.store import Store
from tests.adapters.slack.fake_web_api import (
    CHANNEL,
    SECRET,
    TEAM,
    FakeSlack,
    signed_headers,
    slash_command,
)

__all__ = ["Harness", "harness_for", "settings_for"]


@dataclass
class Harness:
    """The real Bolt app served on loopback, and signed requests to it."""

    bot: SlackBot
    fake: FakeSlack
    http: httpx.AsyncClient
    service: PaperService
    store: Store
    secret: str = SECRET

    async def post(
        self, body: str, content_type: str, *, timestamp: int | None = None, signature: str = ""
    ) -> httpx.Response:
        headers = signed_headers(
            self.secret, body, content_type, timestamp=timestamp, signature=signature
        )
        return await self.http.post("/slack/events", content=body, headers=headers)

    async def command(
        self, text: str, *, user: str = "U1", channel: str = CHANNEL, team: str = TEAM, **kw: Any
    ) -> httpx.Response:
        body = slash_command(self.fake.response_url(), text, user=user, channel=channel, team=team)
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        message: dict[str, Any] | None = None,
        user: str = "U1",
        view: bool = False,
    ) -> httpx.Response:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "team_id": TEAM},
            "team": {"id": TEAM, "domain": "test"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "1.2.3",
            "actions": [
                {"action_id": action_id, "block_id": "b", "value": value, "type": "button"}
            ],
        }
        if view:
            payload["container"] = {"type": "view", "view_id": "V1"}
            payload["view"] = {"id": "V1", "type": "home"}
        else:
            payload["container"] = {"type": "message", "channel_id": CHANNEL}
            if message is not None and "ts" in message:
                payload["container"]["message_ts"] = message["ts"]
            payload["channel"] = {"id": CHANNEL}
            payload["response_url"] = self.fake.response_url()
            if message is not None:
                payload["message"] = message
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(self, event: dict[str, Any]) -> httpx.Response:
        body = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": "Ev1",
            "event_time": int(time.time()),
            "event": event,
        }
        return await self.post(json.dumps(body), "application/json")


def settings_for(fake: FakeSlack, **kw: Any) -> SlackSettings:
    values: dict[str, Any] = {
        "bot_token": "xoxb-test",
        "signing_secret": SECRET,
        "api_url": fake.api_url,
    }
    values.update(kw)
    return SlackSettings(**values)


async def harness_for(
    fake: FakeSlack, service: PaperService, store: Store, **kw: Any
) -> AsyncIterator[Harness]:
    bot = build_slack(service, store, settings_for(fake, **kw))
    async with (
        serve_http(bot.bolt, "127.0.0.1", 0) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        yield Harness(bot, fake, http, service, store)
