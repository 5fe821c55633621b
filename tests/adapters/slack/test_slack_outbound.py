"""Daily posts and DM digests through the Slack port, and every Slack error it maps."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.delivery.outbound import OutboundMessage, Outcome
from bot.delivery.scheduler import Scheduler
from bot.models import Delivery, DeliveryStatus, Destination, Digest, Paper, Reply, Subscription
from bot.replies import card_for
from tests.adapters.slack.harness import Harness
from tests.fakes import FakeClock

NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
NEXT_MORNING = dt.datetime(2026, 7, 2, 9, 0, 30, tzinfo=dt.UTC)


async def command(slack: Harness, text: str, **kw: str) -> str:
    before = len(slack.fake.of("respond"))
    await slack.command(text, **kw)
    return str((await slack.fake.wait_for("respond", before + 1))[before]["text"])


def scheduler(slack: Harness, clock: FakeClock) -> Scheduler:
    return Scheduler(slack.store, slack.bot.outbound, clock=clock, sleep=clock.sleep)


def message_for(where: Destination, reply: Reply | None = None, sub_id: int = 7) -> OutboundMessage:
    sub = Subscription(id=sub_id, destination=where, owner="U1")
    delivery = Delivery(
        id=1,
        subscription_id=sub_id,
        slot=NOW,
        destination=where.key,
        status=DeliveryStatus.PENDING,
        digest=Digest("Today"),
    )
    return OutboundMessage(delivery, sub, reply or Reply(text="Today's papers", title="Today"))


async def test_daily_post_goes_to_the_channel_with_its_key(slack: Harness) -> None:
    await command(slack, "subscribe at 09:00 UTC on daily count 3")
    clock = FakeClock(NEXT_MORNING)
    report = await scheduler(slack, clock).tick()
    assert report.sent == 1
    [post] = slack.fake.of("chat.postMessage")
    assert post["channel"] == "C1" and post["unfurl_links"] is False
    assert post["metadata"]["event_payload"]["key"] == "1@2026-07-02T09:00Z"
    assert post["blocks"][0]["type"] == "header"
    assert sum(b.get("block_id", "").startswith("paper:") for b in post["blocks"]) == 3
    # After a crash the scheduler asks before posting again: the history says yes.
    [delivery] = await slack.store.open_deliveries(due_by=NEXT_MORNING) or [None]
    assert delivery is None  # sent, so not open
    sub = await slack.store.get_subscription(1)
    assert sub is not None
    posted = await slack.store.get_delivery(1, NEXT_MORNING.replace(second=0))
    assert posted is not None
    message = OutboundMessage(posted, sub, Reply(text="x"))
    assert await slack.bot.outbound.already_sent(message) is True


async def test_dm_digest_opens_the_dm_channel(slack: Harness) -> None:
    await command(slack, "digest on at 09:00 UTC on daily count 2")
    report = await scheduler(slack, FakeClock(NEXT_MORNING)).tick()
    assert report.sent == 1
    [opened] = slack.fake.of("conversations.open")
    assert opened["users"] == "U1"
    [post] = slack.fake.of("chat.postMessage")
    assert post["channel"] == "DU1" and post["text"]


async def test_a_long_digest_is_split_within_fifty_blocks(slack: Harness) -> None:
    papers = await slack.store.papers_between(dt.date(2026, 6, 1), dt.date(2026, 7, 1))
    cards = tuple(card_for(p, reason="because") for p in papers[:25])
    reply = Reply(text="25 papers", title="A big day", cards=cards)
    result = await slack.bot.outbound.send(message_for(Destination("slack", "T1", "C1"), reply))
    assert result.outcome is Outcome.DELIVERED
    posts = slack.fake.of("chat.postMessage")
    assert len(posts) == 2 and all(len(p["blocks"]) <= 50 for p in posts)
    shown = [b for p in posts for b in p["blocks"] if b.get("block_id", "").startswith("paper:")]
    assert len(shown) == 25


async def test_hostile_title_in_a_daily_post_is_escaped(slack: Harness) -> None:
    hostile = Paper(id="2607.99998", title="<!channel> <@U123> *bold* " + "y" * 5000)
    reply = Reply(text=hostile.title, title=hostile.title, cards=(card_for(hostile),))
    result = await slack.bot.outbound.send(message_for(Destination("slack", "T1", "C1"), reply))
    assert result.outcome is Outcome.DELIVERED
    [post] = slack.fake.of("chat.postMessage")
    assert "&lt;!channel&gt;" in post["text"] and len(post["blocks"][0]["text"]["text"]) <= 150


@pytest.mark.parametrize(
    "error",
    ["channel_not_found", "not_in_channel", "is_archived", "account_inactive", "invalid_auth"],
)
async def test_errors_that_will_not_pass_mean_gone(slack: Harness, error: str) -> None:
    slack.fake.fail("chat.postMessage", error)
    result = await slack.bot.outbound.send(message_for(Destination("slack", "T1", "C1")))
    assert result.outcome is Outcome.GONE and error in result.detail


async def test_ratelimited_honours_retry_after(slack: Harness) -> None:
    slack.fake.fail("chat.postMessage", "ratelimited", status=429, **{"Retry-After": "7"})
    result = await slack.bot.outbound.send(message_for(Destination("slack", "T1", "C1")))
    assert result.outcome is Outcome.RATE_LIMITED
    assert result.retry_after == 7.0 and result.global_limit is False


async def test_other_errors_are_transient(slack: Harness) -> None:
    slack.fake.fail("chat.postMessage", "internal_error", status=500)
    slack.fake.fail("chat.postMessage", "fatal_error")
    for _ in range(2):
        result = await slack.bot.outbound.send(message_for(Destination("slack", "T1", "C1")))
        assert result.outcome is Outcome.TRANSIENT


async def test_a_dm_that_cannot_be_opened_is_gone(slack: Harness) -> None:
    slack.fake.fail("conversations.open", "user_not_found")
    result = await slack.bot.outbound.send(message_for(Destination("slack", "T1", "", "U404")))
    assert result.outcome is Outcome.GONE


async def test_a_lost_channel_pauses_and_tells_the_creator_by_dm(slack: Harness) -> None:
    await command(slack, "subscribe at 09:00 UTC on daily", user="U5")
    slack.fake.fail("chat.postMessage", "channel_not_found")
    report = await scheduler(slack, FakeClock(NEXT_MORNING)).tick()
    assert report.paused == [1]
    sub = await slack.store.get_subscription(1)
    assert sub is not None and not sub.active and "channel_not_found" in sub.paused_reason
    assert slack.fake.of("conversations.open")[-1]["users"] == "U5"
    told = slack.fake.of("chat.postMessage")[-1]
    assert told["channel"] == "DU5" and "/papers resume 1" in told["text"]


async def test_ratelimited_post_is_retried_after_the_wait(slack: Harness) -> None:
    await command(slack, "subscribe at 09:00 UTC on daily count 1")
    slack.fake.fail("chat.postMessage", "ratelimited", status=429, **{"Retry-After": "3"})
    clock = FakeClock(NEXT_MORNING)
    sched = scheduler(slack, clock)
    await sched.tick()
    clock.advance(seconds=5)
    await sched.tick()
    channel_posts = [p for p in slack.fake.of("chat.postMessage") if p["channel"] == "C1"]
    assert len(channel_posts) == 2  # the refused one, then the one that went out
    assert slack.fake.history["C1"]


async def _two_part_reply(slack: Harness) -> Reply:
    papers = await slack.store.papers_between(dt.date(2026, 6, 1), dt.date(2026, 7, 1))
    cards = tuple(card_for(p, reason="because") for p in papers[:25])
    return Reply(text="25 papers", title="A big day", cards=cards)


def _parts_posted(slack: Harness, channel: str) -> list[int]:
    history = slack.fake.history.get(channel, [])
    return sorted(m["metadata"]["event_payload"]["part"] for m in history)


async def test_a_two_part_post_that_failed_half_way_is_finished_not_repeated(
    slack: Harness,
) -> None:
    message = message_for(Destination("slack", "T1", "C1"), await _two_part_reply(slack))
    slack.fake.fail("chat.postMessage", "internal_error", after=1)

    first = await slack.bot.outbound.send(message)
    again = await slack.bot.outbound.send(message)

    assert first.outcome is Outcome.TRANSIENT and again.outcome is Outcome.DELIVERED
    assert _parts_posted(slack, "C1") == [0, 1]  # each message once


async def test_after_a_crash_half_way_only_the_missing_part_is_posted(slack: Harness) -> None:
    message = message_for(Destination("slack", "T1", "C1"), await _two_part_reply(slack))
    slack.fake.fail("chat.postMessage", "internal_error", after=1)
    await slack.bot.outbound.send(message)
    # A new process: it knows nothing of the first, only what the channel shows.
    restarted = type(slack.bot.outbound)(slack.bot.outbound._client_for)

    assert await restarted.already_sent(message) is False  # one part of two
    assert (await restarted.send(message)).outcome is Outcome.DELIVERED
    assert _parts_posted(slack, "C1") == [0, 1]
    assert await restarted.already_sent(message) is True


async def test_a_retry_another_replica_claims_finishes_the_post_it_did_not_start(
    slack: Harness,
) -> None:
    """Replica A posts part 1 of 2 and fails; replica B, which knows nothing of it, takes
    the retry from the database and posts part 2 only."""
    await slack.store.add_subscription(
        Subscription(id=0, destination=Destination("slack", "T1", "C1"), owner="U1",
                     count=25, weekdays=frozenset(range(7)), created_at=NOW)
    )  # fmt: skip
    clock = FakeClock(NEXT_MORNING)
    papers = await slack.store.papers_between(dt.date(2026, 6, 25), dt.date(2026, 7, 1))
    assert len(papers) >= 20  # a post of two messages
    slack.fake.fail("chat.postMessage", "internal_error", after=1)
    replica_a = Scheduler(
        slack.store, slack.bot.outbound, clock=clock, sleep=clock.sleep, owner="a"
    )
    report = await replica_a.tick()
    assert report.retried == 1 and _parts_posted(slack, "C1") == [0]
    clock.advance(minutes=2)
    fresh_port = type(slack.bot.outbound)(slack.bot.outbound._client_for)
    replica_b = Scheduler(slack.store, fresh_port, clock=clock, sleep=clock.sleep, owner="b")
    report = await replica_b.tick()
    assert report.sent == 1 and _parts_posted(slack, "C1") == [0, 1]  # each message once
