"""`paperbot run discord`: settings fail fast; the bot starts, syncs and logs its invite."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

import pytest

from adapters.discord.app import PaperBot, run_discord
from bot.__main__ import main
from bot.config import DiscordSettings
from bot.models import Caller
from bot.scheduler import Scheduler
from bot.service import PaperService
from tests.adapters.discord.fake_discord import FakeDiscord
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
    assert [c["name"] for c in gateway.synced] == ["papers"]
    [invite] = [r.getMessage() for r in caplog.records if "invite" in r.getMessage()]
    assert "scope=bot+applications.commands" in invite
    assert "permissions=274877926400" in invite


async def test_the_scheduler_runs_inside_the_bot_and_posts(
    fake_discord: FakeDiscord, desk: PaperService
) -> None:
    await desk.desk.subscribe(Caller("discord", "300", "100", "200"), "at 09:00 UTC on daily")
    clock = FakeClock(dt.datetime(2026, 7, 2, 9, 0, 30, tzinfo=dt.UTC))
    parked = asyncio.Event()

    async def park(seconds: float) -> None:  # one tick is the test; then wait for close
        await parked.wait()

    bot = PaperBot(
        desk,
        guild_ready_timeout=0.1,
        scheduler_for=lambda port: Scheduler(desk.store, port, clock=clock, sleep=park),
    )
    task = asyncio.create_task(bot.start("test-token"))
    try:
        async with fake_discord.posted:
            await asyncio.wait_for(fake_discord.posted.wait_for(lambda: fake_discord.to("200")), 10)
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
    [post] = fake_discord.to("200")
    assert post["embeds"] and post["nonce"].startswith("1@2026-07-02T09:00Z")
