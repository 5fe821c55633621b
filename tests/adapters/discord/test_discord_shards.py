"""Shards per process (`PAPERBOT_DISCORD_SHARDS`): each process IDENTIFYs only its own
shards and answers the servers they hold, while daily posts, claimed from the shared
queue, go out from whichever process claims them."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from adapters.discord.app import PaperBot, shard_label, shard_options
from bot.api import PaperService
from bot.config import Shards, load_discord
from bot.delivery.scheduler import Scheduler
from bot.errors import ConfigError
from bot.models import Caller
from bot.store import Store
from tests.adapters.cli.conftest import PROCESS_TIMEOUT, filled_db, paperbot, start_paperbot
from tests.adapters.discord.conftest import Bot
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.fake_gateway import CHANNEL, GUILD, shard_of
from tests.fakes import FakeClock

__all__ = ["filled_db"]  # a fixture of the CLI's tests, used here too

# The shard of two that holds the fake's one server, and the other one.
HOLDER, OTHER = shard_of(GUILD, 2), 1 - shard_of(GUILD, 2)


@pytest.fixture(autouse=True)
def gateway_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client given its shards moves discord.py's one gateway address; put it back."""
    from discord.gateway import DiscordWebSocket

    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)


@pytest.mark.parametrize(
    ("value", "shards"),
    [
        ("0-3/8", Shards((0, 1, 2, 3), 8)),
        ("5/8", Shards((5,), 8)),
        (" 0, 2-3 / 8 ", Shards((0, 2, 3), 8)),
        ("", None),
    ],
)
def test_shards_are_read_as_ids_of_a_count(
    monkeypatch: pytest.MonkeyPatch, value: str, shards: Shards | None
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "t")
    monkeypatch.setenv("PAPERBOT_DISCORD_SHARDS", value)
    assert load_discord().shards == shards


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("8/8", "'8/8': there is no shard 8 of 8 (they are numbered 0 to 7)"),
        ("3-1/4", "'3-1/4': 3-1 runs backwards; write 1-3"),
        ("0/0", "'0/0': the shard count must be from 1 to 100,000"),
        ("1-2,2/4", "'1-2,2/4': a shard is named twice"),
        ("all", "'all' is not IDS/COUNT; use e.g. 0-3/8 (shards 0 to 3 of 8) or 5/8"),
    ],
)
def test_a_wrong_shards_value_is_named_with_what_it_takes(
    monkeypatch: pytest.MonkeyPatch, value: str, said: str
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "t")
    monkeypatch.setenv("PAPERBOT_DISCORD_SHARDS", value)
    with pytest.raises(ConfigError) as info:
        load_discord()
    assert str(info.value) == f"PAPERBOT_DISCORD_SHARDS: {said}"


def test_run_discord_with_wrong_shards_exits_2_naming_the_variable(filled_db: str) -> None:
    env = {"PAPERBOT_DATABASE_URL": filled_db, "DISCORD_TOKEN": "x"}
    result = paperbot("run", "discord", env=env | {"PAPERBOT_DISCORD_SHARDS": "2/2"})
    assert result.returncode == 2
    assert result.stderr == (
        "paperbot: configuration: PAPERBOT_DISCORD_SHARDS: '2/2': there is no shard 2 of 2 "
        "(they are numbered 0 to 1)\n"
    )


def test_the_shards_a_process_runs_are_said_plainly() -> None:
    assert shard_label([5], 8) == "shard 5 of 8"
    assert shard_label([3, 0, 1, 2], 8) == "shards 0-3 of 8"
    assert shard_label([0, 2, 3, 7], 8) == "shards 0, 2-3, 7 of 8"


@asynccontextmanager
async def process(service: PaperService, shards: str) -> AsyncIterator[PaperBot]:
    """One process's worth of bot: a real client running the shards ``shards`` names."""
    ids, _, total = shards.partition("/")
    options = shard_options(Shards(tuple(int(i) for i in ids.split(",")), int(total)))
    client = PaperBot(service, guild_ready_timeout=0.1, **options)
    task = asyncio.create_task(client.start("test-token"))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 10)
        yield client
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)


async def test_two_processes_each_identify_only_their_shard(
    fake_discord: FakeDiscord, desk: PaperService, fresh_store: Store
) -> None:
    gateway = fake_discord.gateway
    async with process(desk, f"{HOLDER}/2") as holder:
        assert gateway.identified == [[HOLDER, 2]]
        async with process(desk, f"{OTHER}/2") as other:
            assert gateway.identified == [[HOLDER, 2], [OTHER, 2]]
            assert list(holder.shards) == [HOLDER] and list(other.shards) == [OTHER]
            # The server is the holder's alone; a command there reaches and is answered
            # by that process.
            assert [g.id for g in holder.guilds] == [int(GUILD)] and not other.guilds
            bot = Bot(holder, gateway, fake_discord, desk, fresh_store)
            token = await bot.command("search", query="attention is all you need")
            assert gateway.answers(token)[0]["embeds"]


async def test_a_process_posts_to_a_server_another_process_holds(
    fake_discord: FakeDiscord, desk: PaperService, fresh_store: Store
) -> None:
    # A daily post is claimed from the shared queue by whichever process gets it: one
    # whose shards do not hold the server posts there over REST all the same.
    await desk.run_text("subscribe at 09:00 UTC on daily", Caller("discord", "300", GUILD, CHANNEL))
    clock = FakeClock(dt.datetime(2026, 7, 2, 9, 0, 30, tzinfo=dt.UTC))
    parked = asyncio.Event()

    async def park(seconds: float) -> None:  # one tick is the test
        await parked.wait()

    async with process(desk, f"{OTHER}/2") as other:
        assert not other.guilds
        scheduler = Scheduler(fresh_store, other.outbound, clock=clock, sleep=park)
        sending = asyncio.create_task(scheduler.run())
        try:
            async with fake_discord.posted:
                await asyncio.wait_for(
                    fake_discord.posted.wait_for(lambda: fake_discord.to(CHANNEL)), 10
                )
        finally:
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)
    [post] = fake_discord.to(CHANNEL)
    assert post["embeds"] and post["content"].endswith("-# paperbot 1@2026-07-02T09:00Z")


async def test_run_discord_runs_only_the_shards_it_is_given(
    filled_db: str, fake_discord: FakeDiscord
) -> None:
    env = {
        "PAPERBOT_DATABASE_URL": filled_db,
        "DISCORD_API_URL": f"{fake_discord.url}/api/v10",
        "DISCORD_TOKEN": "test-token",
        "PAPERBOT_DISCORD_SHARDS": f"{OTHER}/2",
    }
    started = await start_paperbot("run", "discord", env=env)
    assert started.stdout is not None
    try:
        line = await asyncio.wait_for(started.stdout.readline(), PROCESS_TIMEOUT)
    finally:
        started.terminate()
        await asyncio.wait_for(started.communicate(), PROCESS_TIMEOUT)
    assert line.decode().startswith(
        f"paperbot: Discord bot paperbot is up on shard {OTHER} of 2, in 0 servers; invite it"
    )
    assert fake_discord.gateway.identified == [[OTHER, 2]]
