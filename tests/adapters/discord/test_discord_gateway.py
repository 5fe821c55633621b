"""A dropped gateway connection: discord.py RESUMEs the session (no new IDENTIFY), the
commands sent while it was down are replayed and answered once, and the daily post,
which goes over REST, goes out once whether the gateway is up or not."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pytest

from bot.delivery.scheduler import Scheduler
from bot.models import Caller
from tests.adapters.discord.conftest import Bot
from tests.adapters.discord.fake_gateway import CHANNEL, GUILD, MEMBER
from tests.fakes import FakeClock

NEXT_MORNING = dt.datetime(2026, 7, 2, 9, 0, 30, tzinfo=dt.UTC)
ADMIN = Caller("discord", MEMBER, GUILD, CHANNEL, is_admin=True)


@pytest.mark.parametrize("how", ["close", "reconnect", "reset"])
async def test_a_dropped_gateway_resumes_and_answers_what_came_meanwhile(
    bot: Bot, how: Literal["close", "reconnect", "reset"]
) -> None:
    await bot.gateway.drop(0, how)
    token = await bot.command("help")  # sent while the shard is down: replayed on RESUME
    [resumed] = bot.gateway.resumed
    assert resumed["session_id"] == "s0"
    assert bot.gateway.identified == [[0, 1]]  # resumed, not identified afresh
    assert len([c for c in bot.gateway.callbacks if c["token"] == token]) == 1
    [answer] = bot.gateway.answers(token)
    assert "/papers search" in str(answer)
    # And the shard keeps answering on the resumed connection.
    later = await bot.command("help")
    assert len(bot.gateway.answers(later)) == 1 and len(bot.gateway.resumed) == 1


async def test_the_daily_post_goes_out_once_across_a_dropped_gateway(bot: Bot) -> None:
    await bot.service.run_text("subscribe at 09:00 UTC on daily count 3", ADMIN)
    clock = FakeClock(NEXT_MORNING)
    scheduler = Scheduler(bot.store, bot.client.outbound, clock=clock, sleep=clock.sleep)
    await bot.gateway.drop(0, "reset")
    report = await scheduler.tick()  # while the gateway is down: REST still posts
    assert report.sent == 1
    await bot.command("help")  # the shard is back
    again = await scheduler.tick()
    assert again.sent == 0
    [post] = bot.fake.to(CHANNEL)
    assert len(post["embeds"]) == 3
