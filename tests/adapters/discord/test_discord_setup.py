"""`paperbot run discord`: settings fail fast; the bot starts, syncs and logs its invite."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

import pytest

from adapters.cli import main
from adapters.discord.app import PaperBot, run_discord
from bot.api import PaperService
from bot.config import DiscordSettings
from bot.delivery.scheduler import Scheduler
from bot.models import Caller
from bot.store import Store
from tests.adapters.discord.conftest import Bot
from tests.adapters.discord.fake_discord import BOT_ID, FakeDiscord
from tests.adapters.discord.fake_gateway import GUILD, shard_of
from tests.fakes import FakeClock


def test_run_discord_without_a_token_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main(["run", "discord"]) == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err


@pytest.mark.parametrize("guild", [None, 4242])
async def test_run_discord_syncs_commands_and_logs_the_invite(
    fake_discord: FakeDiscord,
    desk: PaperService,
    caplog: pytest.LogCaptureFixture,
    guild: int | None,
) -> None:
    settings = DiscordSettings.model_validate(
        {
            "DISCORD_TOKEN": "test-token",
            "DISCORD_API_URL": f"{fake_discord.url}/api/v10/",
            "PAPERBOT_DISCORD_GUILD": guild,
        }
    )
    caplog.set_level(logging.INFO, logger="adapters.discord.app")
    task = asyncio.create_task(run_discord(desk, settings))
    gateway = fake_discord.gateway
    # Commands are synced in setup_hook, before the gateway connection.
    await asyncio.wait_for(gateway.ready.wait(), 10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert gateway.synced_to == (str(guild) if guild else "global")
    assert [c["name"] for c in gateway.synced] == ["papers", "papers-channel"]
    [invite] = [r.getMessage() for r in caplog.records if "invite" in r.getMessage()]
    assert "scope=bot+applications.commands" in invite
    # View Channels, Send Messages (+ in Threads), Embed Links, Read Message History.
    assert "permissions=309237730304" in invite


async def test_the_scheduler_runs_inside_the_bot_and_posts(
    fake_discord: FakeDiscord, desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("subscribe at 09:00 UTC on daily", Caller("discord", "300", "100", "200"))
    clock = FakeClock(dt.datetime(2026, 7, 2, 9, 0, 30, tzinfo=dt.UTC))
    parked = asyncio.Event()

    async def park(seconds: float) -> None:  # one tick is the test; then wait for close
        await parked.wait()

    bot = PaperBot(
        desk,
        guild_ready_timeout=0.1,
        scheduler_for=lambda port: Scheduler(fresh_store, port, clock=clock, sleep=park),
    )
    task = asyncio.create_task(bot.start("test-token"))
    try:
        async with fake_discord.posted:
            await asyncio.wait_for(fake_discord.posted.wait_for(lambda: fake_discord.to("200")), 10)
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
    [post] = fake_discord.to("200")
    assert post["embeds"] and post["content"].endswith("-# paperbot 1@2026-07-02T09:00Z")


async def test_two_shards_when_discord_asks_for_them_and_commands_still_work(
    fake_discord: FakeDiscord, desk: PaperService, fresh_store: Store
) -> None:
    gateway = fake_discord.gateway
    gateway.shards = 2  # GET /gateway/bot recommends two: no setting, no code change
    client = PaperBot(desk, guild_ready_timeout=0.1)

    async def no_spacing(shard_id: int | None, *, initial: bool = False) -> None:
        return None  # Discord wants IDENTIFYs 5 s apart; the fake does not

    client.before_identify_hook = no_spacing  # type: ignore[method-assign]
    task = asyncio.create_task(client.start("test-token"))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 10)
        assert client.shard_count == 2
        assert sorted(gateway.identified) == [[0, 2], [1, 2]]
        guild = client.get_guild(int(GUILD))
        assert guild is not None and guild.shard_id == shard_of(GUILD, 2)
        assert {r.name for r in guild.roles} == {"@everyone", "Moderators"}
        assert guild.me is not None and guild.me.id == BOT_ID
        bot = Bot(client, gateway, fake_discord, desk, fresh_store)
        await bot.channel_command("subscribe", topic="diffusion")
        token = await bot.command("digest", dm=True, user="100000000000000400", action="on")
        assert "DM digest is on" in gateway.answers(token)[0]["content"]
        token = await bot.command("search", query="attention is all you need")
        assert gateway.answers(token)[0]["embeds"]
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)
    channel_sub, dm_sub = sorted(await fresh_store.subscriptions(), key=lambda s: s.is_dm)
    assert channel_sub.topic == "diffusion" and dm_sub.is_dm
