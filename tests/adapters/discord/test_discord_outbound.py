"""Daily posts and DM digests through the Discord port, and every Discord error it maps."""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings

import pytest

from adapters.discord.outbound import DiscordOutbound
from bot.api import PaperService
from bot.delivery.outbound import OutboundMessage, Outcome
from bot.delivery.scheduler import Scheduler
from bot.models import (
    Caller,
    Delivery,
    DeliveryStatus,
    Destination,
    Digest,
    Paper,
    Reply,
    Subscription,
)
from bot.replies import card_for
from bot.store import Store
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.fakes import FakeClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord

NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
NEXT_MORNING = dt.datetime(2026, 7, 2, 9, 0, 30, tzinfo=dt.UTC)
GUILD, CHANNEL, USER = "100", "200", "300"
ADMIN = Caller("discord", USER, GUILD, CHANNEL, is_admin=True)
HOSTILE = "@everyone <@123> **bold** `code` [x](https://evil) " + "x" * 5000


def message_for(
    where: Destination, reply: Reply | None = None, *, slot: dt.datetime = NOW
) -> OutboundMessage:
    sub = Subscription(id=7, destination=where, owner=USER)
    delivery = Delivery(
        id=1,
        subscription_id=7,
        slot=slot,
        destination=where.key,
        status=DeliveryStatus.PENDING,
        digest=Digest("Today"),
    )
    return OutboundMessage(delivery, sub, reply or Reply(text="Today's papers", title="Today"))


def scheduler(store: Store, client: discord.Client) -> Scheduler:
    clock = FakeClock(NEXT_MORNING)
    return Scheduler(store, DiscordOutbound(client), clock=clock, sleep=clock.sleep)


def button_ids(post: dict[str, object]) -> list[str]:
    rows = post["components"]
    assert isinstance(rows, list)
    return [c["custom_id"] for row in rows for c in row["components"] if "custom_id" in c]


async def test_daily_post_goes_to_the_channel_as_embeds_with_buttons(
    fake_discord: FakeDiscord, client: discord.Client, desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("subscribe at 09:00 UTC on daily count 3", ADMIN)
    report = await scheduler(fresh_store, client).tick()
    assert report.sent == 1
    [post] = fake_discord.to(CHANNEL)
    assert len(post["embeds"]) == 3
    # The delivery's mark, which history returns (a nonce it does not), and a nonce
    # Discord enforces, so a resend within minutes is not posted twice.
    assert post["content"].endswith("\n-# paperbot 1@2026-07-02T09:00Z")
    [(_, _, sent)] = [r for r in fake_discord.requests if r[0] == "POST" and "/channels/" in r[1]]
    assert len(sent["nonce"]) <= 25 and sent["enforce_nonce"] is True
    assert post["allowed_mentions"]["parse"] == []
    ids = button_ids(post)
    assert ids[0].startswith("paperbot:abstract:") and len(ids) == 15
    assert [i.split(":")[1] for i in ids[:5]] == [
        "abstract",
        "save",
        "dismiss",
        "similar",
        "discuss",
    ]


async def test_dm_digest_opens_the_dm_channel(
    fake_discord: FakeDiscord, client: discord.Client, desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("digest on at 09:00 UTC on daily count 2", Caller("discord", USER, GUILD))
    report = await scheduler(fresh_store, client).tick()
    assert report.sent == 1
    [opened] = [r for r in fake_discord.requests if r[1].endswith("/users/@me/channels")]
    assert str(opened[2]["recipient_id"]) == USER
    [post] = fake_discord.to(fake_discord.dm_channels[USER])
    assert len(post["embeds"]) == 2


async def test_missing_access_pauses_the_subscription_and_tells_its_creator(
    fake_discord: FakeDiscord, client: discord.Client, desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("subscribe at 09:00 UTC on daily count 3", ADMIN)
    fake_discord.failing[CHANNEL] = (403, 50001, "Missing Access")
    report = await scheduler(fresh_store, client).tick()
    assert report.paused == [1]
    sub = await fresh_store.get_subscription(1)
    assert sub is not None and not sub.active
    [note] = fake_discord.to(fake_discord.dm_channels[USER])
    assert "paused" in note["content"] and note["allowed_mentions"]["parse"] == []


async def test_unknown_channel_pauses_too(
    fake_discord: FakeDiscord, client: discord.Client, desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("subscribe at 09:00 UTC on daily count 3", ADMIN)
    fake_discord.failing[CHANNEL] = (404, 10003, "Unknown Channel")
    report = await scheduler(fresh_store, client).tick()
    assert report.paused == [1] and report.sent == 0


async def test_a_user_who_blocks_dms_is_paused_not_retried(
    fake_discord: FakeDiscord, client: discord.Client, desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("digest on at 09:00 UTC on daily", Caller("discord", USER, GUILD))
    fake_discord.blocked_dms.add(USER)
    report = await scheduler(fresh_store, client).tick()
    assert report.paused == [1] and report.retried == 0
    sub = await fresh_store.get_subscription(1)
    assert sub is not None and not sub.active


async def test_a_server_error_is_transient(
    fake_discord: FakeDiscord, client: discord.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_discord.failing[CHANNEL] = (502, 0, "Bad Gateway")
    # discord.py retries a 5xx itself with 1, 3, 5, 7 s pauses: no test waits for that.
    pause = asyncio.sleep

    async def no_wait(delay: float, *args: object) -> None:
        await pause(0)

    monkeypatch.setattr(discord.http.asyncio, "sleep", no_wait)
    result = await DiscordOutbound(client).send(message_for(Destination("discord", GUILD, CHANNEL)))
    assert result.outcome is Outcome.TRANSIENT
    posts = [r for r in fake_discord.requests if r[1].endswith(f"/channels/{CHANNEL}/messages")]
    assert len(posts) == 5  # discord.py's own retries, then the scheduler's backoff


async def test_a_429_is_waited_out_and_nothing_is_lost(
    fake_discord: FakeDiscord, client: discord.Client
) -> None:
    fake_discord.rate_limit_next = 2
    result = await DiscordOutbound(client).send(message_for(Destination("discord", GUILD, CHANNEL)))
    assert result.outcome is Outcome.DELIVERED
    assert len(fake_discord.to(CHANNEL)) == 1
    posts = [r for r in fake_discord.requests if r[1].endswith(f"/channels/{CHANNEL}/messages")]
    assert len(posts) == 3


async def test_a_big_digest_is_split_within_discords_limits(
    fake_discord: FakeDiscord, client: discord.Client, desk: PaperService, fresh_store: Store
) -> None:
    papers = await fresh_store.papers_between(dt.date(2026, 6, 1), dt.date(2026, 7, 1))
    cards = tuple(card_for(p, reason="because") for p in papers[:23])
    reply = Reply(text="23 papers", title="A big day", cards=cards)
    result = await DiscordOutbound(client).send(
        message_for(Destination("discord", GUILD, CHANNEL), reply)
    )
    assert result.outcome is Outcome.DELIVERED
    posts = fake_discord.to(CHANNEL)
    assert sum(len(p["embeds"]) for p in posts) == 23 and len(posts) == 5
    assert "A big day" in posts[0]["content"]


async def test_hostile_paper_text_pings_nobody(
    fake_discord: FakeDiscord, client: discord.Client
) -> None:
    paper = Paper(id="2401.00001", title=HOSTILE, abstract=HOSTILE, authors=("<@&5>",))
    reply = Reply(text=HOSTILE, title=HOSTILE, cards=(card_for(paper, reason=HOSTILE),))
    where = Destination("discord", GUILD, CHANNEL)
    assert (await DiscordOutbound(client).send(message_for(where, reply))).outcome is (
        Outcome.DELIVERED
    )
    # Another day's post: the same delivery would be answered with the message it has.
    text_only = message_for(where, Reply(text=HOSTILE), slot=NOW + dt.timedelta(days=1))
    assert (await DiscordOutbound(client).send(text_only)).outcome is Outcome.DELIVERED
    posts = fake_discord.to(CHANNEL)
    [embed] = posts[0]["embeds"]
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
    assert "@\u200beveryone" in embed["title"] and "\\*\\*bold" in embed["title"]
    # The 5,000-character plain text went out in several messages, escaped.
    assert len(posts) >= 4
    assert all(p["allowed_mentions"]["parse"] == [] for p in posts)
    assert "".join(p["content"] for p in posts[1:]).count("x") == 5001  # and one in [x]
