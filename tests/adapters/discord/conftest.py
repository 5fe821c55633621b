"""Fixtures: the fake Discord REST API on loopback, and a real discord.py client
logged in against it.

A test that made paperbot send Discord something it would refuse fails at teardown.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

with warnings.catch_warnings():
    # discord.py imports the stdlib's deprecated audioop for voice, which paperbot
    # never uses; the suite treats warnings as errors.
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord

from adapters.discord.app import PaperBot
from bot.api import PaperService
from bot.store import Store
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.fake_gateway import ADMIN_PERMS, FakeGateway


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    app = fake.app()
    fake.gateway = FakeGateway(fake)
    fake.gateway.install(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    # discord.py has no per-client REST base: Route.BASE is how DISCORD_API_URL works.
    monkeypatch.setattr(discord.http.Route, "BASE", f"{fake.url}/api/v10")
    try:
        yield fake
    finally:
        await runner.cleanup()
    assert fake.rejected == [], "paperbot sent Discord something it would refuse"


@pytest.fixture
async def client(fake_discord: FakeDiscord) -> AsyncIterator[discord.Client]:
    """The real client, logged in over REST (no gateway: posts need none)."""
    bot = discord.Client(intents=discord.Intents.none())
    await bot.login("test-token")
    try:
        yield bot
    finally:
        await bot.close()


def _option_type(value: Any) -> int:
    """Discord's type of an option value: boolean 5, integer 4, string 3."""
    if isinstance(value, bool):
        return 5
    return 4 if isinstance(value, int) else 3


@dataclass
class Bot:
    """The real auto-sharded bot connected to the fake gateway, and ways to poke it."""

    client: PaperBot
    gateway: FakeGateway
    fake: FakeDiscord
    service: PaperService
    store: Store

    async def command(
        self,
        sub: str,
        perms: str = ADMIN_PERMS,
        *,
        followups: int = 1,
        dm: bool = False,
        user: str | None = None,
        group: str = "papers",
        **options: Any,
    ) -> str:
        """``/papers sub option=value ...`` (or ``/{group} sub ...``); returns the
        interaction token once the bot has answered (its callback and ``followups``
        follow-up messages)."""
        opts = [{"name": k, "type": _option_type(v), "value": v} for k, v in options.items()]
        data = {
            "id": "1",
            "name": group,
            "type": 1,
            "options": [{"name": sub, "type": 1, "options": opts}],
        }
        return await self._send(2, data, perms, followups, dm=dm, user=user)

    async def channel_command(self, sub: str, perms: str = ADMIN_PERMS, **kw: Any) -> str:
        """``/papers-channel sub ...``: the commands that change this channel's posts."""
        return await self.command(sub, perms, group="papers-channel", **kw)

    async def autocomplete(
        self, sub: str, focused: str, value: str, *, group: str = "papers", **options: Any
    ) -> list:
        opts = [{"name": k, "type": 3, "value": v} for k, v in options.items()]
        opts.append({"name": focused, "type": 3, "value": value, "focused": True})
        data = {
            "id": "1",
            "name": group,
            "type": 1,
            "options": [{"name": sub, "type": 1, "options": opts}],
        }
        token = await self._send(4, data, ADMIN_PERMS, 0)
        return self.gateway.callback_for(token)["data"]["choices"]

    async def click(self, custom_id: str, message: dict[str, Any], perms: str = ADMIN_PERMS) -> str:
        """A click on a button of ``message`` (as the fake stored it)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._send(3, data, perms, 1, message=message)

    async def _send(
        self,
        kind: int,
        data: dict[str, Any],
        perms: str,
        followups: int,
        *,
        dm: bool = False,
        user: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> str:
        kw = {"user": user} if user else {}
        payload = self.gateway.interaction(kind, data, perms=perms, dm=dm, **kw)
        if message is not None:
            payload["message"] = self.fake.message_payload(payload["channel_id"], message)
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        await self.gateway.wait(payload["token"], followups=followups)
        return str(payload["token"])


@pytest.fixture
async def bot(
    fake_discord: FakeDiscord, desk: PaperService, fresh_store: Store
) -> AsyncIterator[Bot]:
    client = PaperBot(desk, guild_ready_timeout=0.1)
    task = asyncio.create_task(client.start("test-token"))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 10)
        yield Bot(client, fake_discord.gateway, fake_discord, desk, fresh_store)
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)
