"""A crash between posting a digest and recording it: on restart the Discord port finds
the post in the channel's history and it is not posted twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings

import pytest

from adapters.discord.outbound import DiscordOutbound, delivery_mark
from bot.api import PaperService
from bot.delivery.outbound import OutboundMessage, Outcome, SendResult
from bot.models import DeliveryStatus, Destination, Reply, Subscription
from bot.replies import card_for
from bot.store import Store
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.test_discord_outbound import (
    ADMIN,
    CHANNEL,
    GUILD,
    message_for,
    scheduler,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord

WHERE = Destination("discord", GUILD, CHANNEL)
# The fake's message ids carry the real time, so slots are recent.
RECENT = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=5)


class DiesAfterSending:
    """The real port, in a process that dies right after Discord took the post."""

    def __init__(self, port: DiscordOutbound) -> None:
        self.port = port

    async def send(self, message: OutboundMessage) -> SendResult:
        await self.port.send(message)
        raise asyncio.CancelledError  # killed before the scheduler records "sent"

    async def already_sent(self, message: OutboundMessage) -> bool:
        return await self.port.already_sent(message)

    async def notify_owner(self, subscription: Subscription, text: str) -> None:
        await self.port.notify_owner(subscription, text)


async def test_a_post_sent_before_a_crash_is_not_posted_again(
    fake_discord: FakeDiscord, client: discord.Client, desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("subscribe at 09:00 UTC on daily count 3", ADMIN)
    before = scheduler(fresh_store, client)
    before.port = DiesAfterSending(DiscordOutbound(client))
    with pytest.raises(asyncio.CancelledError):
        await before.tick()
    [delivery] = await fresh_store.open_deliveries(due_by=dt.datetime(2026, 7, 3, tzinfo=dt.UTC))
    assert delivery.status is DeliveryStatus.PENDING  # maybe sent: the restart must ask
    fake_discord.say(CHANNEL, "good morning", user="42")
    fake_discord.nonce_window = 0  # the restart came after Discord forgot the nonces
    report = await scheduler(fresh_store, client).tick()  # a new process, a new port
    assert (report.recovered, report.sent) == (1, 0)
    assert len([m for m in fake_discord.to(CHANNEL) if m["author"]["bot"]]) == 1


async def test_already_sent_reads_the_bots_own_marks_in_history(
    fake_discord: FakeDiscord, client: discord.Client
) -> None:
    sent = message_for(WHERE, slot=RECENT)
    assert (await DiscordOutbound(client).send(sent)).outcome is Outcome.DELIVERED
    for n in range(150):  # a busy channel: more than one page of history
        fake_discord.say(CHANNEL, f"chat {n}", user="42")
    never = message_for(WHERE, slot=RECENT + dt.timedelta(minutes=1))
    # Someone typing a mark by hand is not the bot posting it.
    fake_discord.say(CHANNEL, delivery_mark(never.key, 0, 1), user="42")
    restarted = DiscordOutbound(client)
    assert await restarted.already_sent(sent) is True
    assert await restarted.already_sent(never) is False
    reads = [r for r in fake_discord.requests if r[0] == "GET" and "/messages" in r[1]]
    assert all("after" in query for _, _, query in reads)


async def test_a_post_cut_short_by_a_crash_is_finished_not_repeated(
    fake_discord: FakeDiscord, client: discord.Client, desk: PaperService, fresh_store: Store
) -> None:
    papers = await fresh_store.papers_between(dt.date(2026, 6, 1), dt.date(2026, 7, 1))
    cards = tuple(card_for(p, reason="because") for p in papers[:23])
    message = message_for(
        WHERE, Reply(text="23 papers", title="A big day", cards=cards), slot=RECENT
    )
    await DiscordOutbound(client).send(message)
    posted = fake_discord.to(CHANNEL)
    assert len(posted) == 5 and posted[-1]["content"].endswith(" · 5/5")
    for lost in posted[2:]:  # the process died after the second of five messages
        fake_discord.messages.remove(lost)
    fake_discord.nonce_window = 0  # and came back after Discord forgot the nonces
    restarted = DiscordOutbound(client)
    assert await restarted.already_sent(message) is False
    assert (await restarted.send(message)).outcome is Outcome.DELIVERED
    marks = [m["content"].rpartition("\n")[2] for m in fake_discord.to(CHANNEL)]
    assert marks == [delivery_mark(message.key, n, 5) for n in range(5)]


@pytest.mark.parametrize(
    ("status", "code", "why"), [(403, 50001, "Missing Access"), (404, 10003, "Unknown Channel")]
)
async def test_a_channel_that_cannot_be_read_answers_not_sent(
    fake_discord: FakeDiscord, client: discord.Client, status: int, code: int, why: str
) -> None:
    fake_discord.failing[CHANNEL] = (status, code, why)
    port = DiscordOutbound(client)
    message = message_for(WHERE, slot=RECENT)
    assert await port.already_sent(message) is False
    assert (await port.send(message)).outcome is Outcome.GONE


async def test_without_read_message_history_discord_still_drops_a_quick_resend(
    fake_discord: FakeDiscord, client: discord.Client
) -> None:
    fake_discord.unreadable.add(CHANNEL)
    message = message_for(WHERE, slot=RECENT)
    assert (await DiscordOutbound(client).send(message)).outcome is Outcome.DELIVERED
    restarted = DiscordOutbound(client)
    assert await restarted.already_sent(message) is False  # 403 on history
    assert (await restarted.send(message)).outcome is Outcome.DELIVERED
    # The same nonce, enforced: Discord answers with the message it already has.
    assert len(fake_discord.to(CHANNEL)) == 1


async def test_a_paused_subscription_is_told_the_discord_command_to_resume(
    fake_discord: FakeDiscord, client: discord.Client, desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("subscribe at 09:00 UTC on daily", ADMIN)
    fake_discord.failing[CHANNEL] = (403, 50001, "Missing Access")
    await scheduler(fresh_store, client).tick()
    [note] = fake_discord.to(fake_discord.dm_channels[ADMIN.user])
    assert "/papers-channel resume subscription:1" in note["content"]
