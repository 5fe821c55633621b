"""Subscription options as typed, and the commands that manage subscriptions."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.api import PaperService
from bot.commands import run_command
from bot.errors import InvalidInput, NotFound, UserError
from bot.models import Caller, Signal, Source
from bot.subscriptions.options import parse_days, parse_options, parse_time, parse_timezone

ALICE = Caller("test", "alice", "team", "C1")
BOB = Caller("test", "bob", "team", "C1")
ADMIN = Caller("test", "carol", "team", "C1", is_admin=True)
ELSEWHERE = Caller("test", "alice", "team", "C2")


def test_the_documented_example() -> None:
    o = parse_options(
        "diffusion at 08:30 Europe/Berlin on mon-fri count 5 min-upvotes 10 source hf"
    )
    assert o.topic == "diffusion"
    assert o.at == dt.time(8, 30) and o.timezone == "Europe/Berlin"
    assert o.weekdays == frozenset(range(5))
    assert (o.count, o.min_upvotes, o.source) == (5, 10, Source.HF)


def test_topic_keeps_search_syntax_and_words_like_on() -> None:
    assert (
        parse_options('"flow matching" author:lecun -survey').topic
        == '"flow matching" author:lecun -survey'
    )
    assert parse_options("attention on graphs").topic == "attention on graphs"
    assert parse_options("robots daily quiet cat cs.RO,cs.AI").weekdays == frozenset(range(7))
    o = parse_options("robots at 9pm tz asia/kolkata on sat,sun source both")
    assert (o.at, o.timezone, o.weekdays, o.source) == (
        dt.time(21),
        "Asia/Kolkata",
        frozenset({5, 6}),
        Source.BOTH,
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("x at 25:00", "at: '25:00' is not a time of day"),
        ("x at 12:75", "at:"),
        ("x at 13pm", "at:"),
        ("x tz Mars/Olympus", "tz: unknown timezone"),
        ("x tz Europe/Berln", "did you mean Europe/Berlin"),
        ("x count 0", "count: must be a whole number from 1 to 25"),
        ("x count 500", "count:"),
        ("x count five", "count:"),
        ("x min-upvotes -3", "min-upvotes:"),
        ("x on mon-funday", "on: unknown weekday 'funday'"),
        ("x on thrusday", "on: unknown weekday 'thrusday'"),
        ("x source rss", "source: use hf"),
        ("x cat 'cs CL'", "cat:"),
        ("x count", "count: a value is missing"),
    ],
)
def test_bad_values_name_the_field(text: str, field: str) -> None:
    with pytest.raises(InvalidInput, match=field.replace("(", r"\(")):
        parse_options(text)


def test_small_parsers() -> None:
    assert parse_time("8") == dt.time(8) and parse_time("12am") == dt.time(0)
    assert parse_time("12pm") == dt.time(12) and parse_time("20h") == dt.time(20)
    assert parse_timezone("utc") == "UTC"
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_days("Monday, Wednesday") == frozenset({0, 2})


async def test_subscribe_list_edit_pause_resume_remove(desk: PaperService) -> None:
    reply = await run_command(desk, "/papers subscribe llm agents at 07:45 count 3", ALICE)
    assert "#1 'llm agents' · 07:45 UTC · Mon–Fri · 3 papers" in reply.text
    listed = await run_command(desk, "/papers subscriptions", ALICE)
    assert "#1 'llm agents'" in listed.text
    assert (
        "No subscriptions here"
        in (await run_command(desk, "/papers subscriptions", ELSEWHERE)).text
    )
    edited = await run_command(desk, "/papers edit 1 at 10:00 Asia/Tokyo on daily", ALICE)
    assert "10:00 Asia/Tokyo · daily" in edited.text and "'llm agents'" in edited.text
    assert "paused" in (await run_command(desk, "/papers pause 1", ALICE)).text.lower()
    assert "Resumed" in (await run_command(desk, "/papers resume #1", ALICE)).text
    assert "Removed" in (await run_command(desk, "/papers unsubscribe 1", ALICE)).text
    assert await desk.store.subscriptions() == []


async def test_only_the_creator_or_an_admin_may_change_a_subscription(
    desk: PaperService,
) -> None:
    await run_command(desk, "/papers subscribe robots", ALICE)
    with pytest.raises(UserError, match="Only the person who created #1 or an admin"):
        await run_command(desk, "/papers unsubscribe 1", BOB)
    with pytest.raises(NotFound):
        await run_command(desk, "/papers pause 1", ELSEWHERE)  # another channel
    assert "Paused" in (await run_command(desk, "/papers pause 1", ADMIN)).text
    with pytest.raises(InvalidInput, match="not a subscription number"):
        await run_command(desk, "/papers pause one", ALICE)
    with pytest.raises(InvalidInput, match="Which subscription"):
        await run_command(desk, "/papers unsubscribe", ALICE)


async def test_a_bad_option_changes_nothing(desk: PaperService) -> None:
    with pytest.raises(InvalidInput):
        await run_command(desk, "/papers subscribe robots at 25:00", ALICE)
    assert await desk.store.subscriptions() == []
    await run_command(desk, "/papers subscribe robots", ALICE)
    with pytest.raises(InvalidInput):
        await run_command(desk, "/papers edit 1 count 0", ALICE)
    (sub,) = await desk.store.subscriptions()
    assert sub.count == 5


async def test_dm_digest_lifecycle(desk: PaperService) -> None:
    assert "no DM digest" in (await run_command(desk, "/papers digest", ALICE)).text
    on = await run_command(desk, "/papers digest on diffusion at 06:00 count 7", ALICE)
    assert "Your DM digest is on" in on.text and "7 papers" in on.text
    again = await run_command(desk, "/papers digest on at 07:00", ELSEWHERE)  # same user
    assert "07:00" in again.text and "'diffusion'" in again.text
    subs = await desk.store.subscriptions()
    assert len(subs) == 1 and subs[0].is_dm
    assert "off" in (await run_command(desk, "/papers digest off", ALICE)).text
    assert await desk.store.subscriptions() == []


async def test_signals_saved_and_trending_here(
    desk: PaperService, clock: list[dt.datetime]
) -> None:
    await run_command(desk, "/papers save 2405.15738", ALICE)
    clock[0] += dt.timedelta(minutes=1)
    await run_command(desk, "/papers like https://arxiv.org/abs/2501.06425v2", ALICE)
    await run_command(desk, "/papers like 2501.06425", BOB)
    await run_command(desk, "/papers dismiss 2606.19338", BOB)
    saved = await run_command(desk, "/papers saved", ALICE)
    assert [c.paper_id for c in saved.cards] == ["2405.15738", "2501.06425"]  # saved, then liked
    here = await run_command(desk, "/papers trending here", ALICE)
    assert [c.paper_id for c in here.cards] == ["2501.06425", "2405.15738"]
    assert here.cards[0].reason == "saved or liked by 2 people here"
    signals = await desk.store.user_signals("test", "bob")
    assert signals[Signal.DISMISS] == ["2606.19338"]
    with pytest.raises(NotFound):
        await run_command(desk, "/papers save 2607.99999", ALICE)
    with pytest.raises(InvalidInput, match="Which paper"):
        await run_command(desk, "/papers like", ALICE)


async def test_channel_commands_need_a_chat(desk: PaperService) -> None:
    with pytest.raises(InvalidInput, match="works in a chat"):
        await run_command(desk, "/papers subscribe robots")
    dm = Caller("test", "alice", "team", "")
    with pytest.raises(InvalidInput, match="digest on"):
        await run_command(desk, "/papers subscribe robots", dm)
