"""The subscription desk: subscribe, list, edit, pause, DM digests, signals and rights."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.api import PaperService
from bot.errors import InvalidInput, NotFound, UserError
from bot.models import Caller, Signal
from bot.store import Store

ALICE = Caller("test", "alice", "team", "C1")
BOB = Caller("test", "bob", "team", "C1")
ADMIN = Caller("test", "carol", "team", "C1", is_admin=True)
ELSEWHERE = Caller("test", "alice", "team", "C2")


async def test_subscribe_list_edit_pause_resume_remove(
    desk: PaperService, fresh_store: Store
) -> None:
    reply = await desk.run_text("/papers subscribe llm agents at 07:45 count 3", ALICE)
    assert "#1 'llm agents' · 07:45 UTC · Mon–Fri · 3 papers" in reply.text
    listed = await desk.run_text("/papers subscriptions", ALICE)
    assert "#1 'llm agents'" in listed.text
    assert "No subscriptions here" in (await desk.run_text("/papers subscriptions", ELSEWHERE)).text
    edited = await desk.run_text("/papers edit 1 at 10:00 Asia/Tokyo on daily", ALICE)
    assert "10:00 Asia/Tokyo · daily" in edited.text and "'llm agents'" in edited.text
    assert "paused" in (await desk.run_text("/papers pause 1", ALICE)).text.lower()
    assert "Resumed" in (await desk.run_text("/papers resume #1", ALICE)).text
    assert "Removed" in (await desk.run_text("/papers unsubscribe 1", ALICE)).text
    assert await fresh_store.subscriptions() == []


async def test_only_the_creator_or_an_admin_may_change_a_subscription(
    desk: PaperService,
) -> None:
    await desk.run_text("/papers subscribe robots", ALICE)
    with pytest.raises(UserError, match="Only the person who created #1 or an admin"):
        await desk.run_text("/papers unsubscribe 1", BOB)
    with pytest.raises(NotFound):
        await desk.run_text("/papers pause 1", ELSEWHERE)  # another channel
    assert "Paused" in (await desk.run_text("/papers pause 1", ADMIN)).text
    with pytest.raises(InvalidInput, match="not a subscription number"):
        await desk.run_text("/papers pause one", ALICE)
    with pytest.raises(InvalidInput, match="which subscription"):
        await desk.run_text("/papers unsubscribe", ALICE)


async def test_a_bad_option_changes_nothing(desk: PaperService, fresh_store: Store) -> None:
    with pytest.raises(InvalidInput):
        await desk.run_text("/papers subscribe robots at 25:00", ALICE)
    assert await fresh_store.subscriptions() == []
    await desk.run_text("/papers subscribe robots", ALICE)
    with pytest.raises(InvalidInput):
        await desk.run_text("/papers edit 1 count 0", ALICE)
    (sub,) = await fresh_store.subscriptions()
    assert sub.count == 5


async def test_dm_digest_lifecycle(desk: PaperService, fresh_store: Store) -> None:
    assert "no DM digest" in (await desk.run_text("/papers digest", ALICE)).text
    on = await desk.run_text("/papers digest on diffusion at 06:00 count 7", ALICE)
    assert "Your DM digest is on" in on.text and "7 papers" in on.text
    again = await desk.run_text("/papers digest on at 07:00", ELSEWHERE)  # same user
    assert "07:00" in again.text and "'diffusion'" in again.text
    subs = await fresh_store.subscriptions()
    assert len(subs) == 1 and subs[0].is_dm
    assert "off" in (await desk.run_text("/papers digest off", ALICE)).text
    assert await fresh_store.subscriptions() == []


async def test_signals_saved_and_trending_here(
    desk: PaperService, clock: list[dt.datetime], fresh_store: Store
) -> None:
    await desk.run_text("/papers save 2405.15738", ALICE)
    clock[0] += dt.timedelta(minutes=1)
    await desk.run_text("/papers like https://arxiv.org/abs/2501.06425v2", ALICE)
    await desk.run_text("/papers like 2501.06425", BOB)
    await desk.run_text("/papers dismiss 2606.19338", BOB)
    saved = await desk.run_text("/papers saved", ALICE)
    assert [c.paper_id for c in saved.cards] == ["2405.15738", "2501.06425"]  # saved, then liked
    here = await desk.run_text("/papers trending here", ALICE)
    assert [c.paper_id for c in here.cards] == ["2501.06425", "2405.15738"]
    assert here.cards[0].reason == "saved or liked by 2 people here"
    signals = await fresh_store.user_signals("test", "bob")
    assert signals[Signal.DISMISS] == ["2606.19338"]
    with pytest.raises(NotFound):
        await desk.run_text("/papers save 2607.99999", ALICE)
    with pytest.raises(InvalidInput, match="Which paper"):
        await desk.run_text("/papers like", ALICE)


async def test_channel_commands_need_a_chat(desk: PaperService) -> None:
    with pytest.raises(InvalidInput, match="works in a chat"):
        await desk.run_text("/papers subscribe robots")
    dm = Caller("test", "alice", "team", "")
    with pytest.raises(InvalidInput, match="digest on"):
        await desk.run_text("/papers subscribe robots", dm)


async def test_the_same_subscription_twice_is_refused_naming_the_first(
    desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("subscribe robots at 08:00 cat cs.RO", ALICE)
    with pytest.raises(UserError, match=r"already has that subscription: #1 'robots'"):
        await desk.run_text("subscribe robots at 08:00 cat cs.RO", BOB)
    await desk.run_text("subscribe robots at 09:00 cat cs.RO", ALICE)  # another time: fine
    with pytest.raises(UserError, match="already has that subscription: #1"):
        await desk.run_text("edit 2 at 08:00", ALICE)  # would become #1's twin
    assert len(await fresh_store.subscriptions()) == 2


async def test_edit_clears_a_topic_and_a_filter(desk: PaperService, fresh_store: Store) -> None:
    await desk.run_text("subscribe robots cat cs.RO min-upvotes 5", ALICE)
    reply = await desk.run_text("edit 1 clear topic,cat,min-upvotes", ALICE)
    assert reply.text.startswith("Updated: #1 trending")
    [sub] = await fresh_store.subscriptions()
    assert (sub.topic, sub.categories, sub.min_upvotes) == ("", (), None)


async def test_subscriptions_show_the_next_and_last_post(
    desk: PaperService, clock: list[dt.datetime]
) -> None:
    await desk.run_text("subscribe robots at 14:30 on daily", ALICE)  # clock: Wed 12:00 UTC
    listed = (await desk.run_text("subscriptions", ALICE)).text
    assert "next post Wed 01 Jul 14:30 (in 2 h 30 min) · not posted yet" in listed
    await desk.run_text("pause 1", ALICE)
    listed = (await desk.run_text("subscriptions", ALICE)).text
    assert "no posts while paused" in listed and "paused on 2026-07-01" in listed


async def test_preview_shows_what_would_be_posted_and_records_nothing(
    desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("subscribe diffusion count 3 on daily", ALICE)
    preview = await desk.run_text("preview 1", ALICE)
    assert preview.title.startswith("Preview of #1: Papers on 'diffusion'")
    assert 1 <= len(preview.cards) <= 3
    assert await fresh_store.last_slots() == {}  # no delivery, nothing reserved
    assert await fresh_store.delivered([c.paper_id for c in preview.cards]) == {}
    with pytest.raises(NotFound):
        await desk.run_text("preview 1", ELSEWHERE)


async def test_save_by_its_number_in_the_list_just_shown(
    desk: PaperService, fresh_store: Store
) -> None:
    with pytest.raises(InvalidInput, match="no paper #2 in the last list"):
        await desk.run_text("save 2", ALICE)
    found = await desk.run_text("search diffusion page:2", ALICE)  # numbered 6 to 10
    assert "7" in found.text.split("\n\n")[2][:2]
    await desk.run_text("save 7", ALICE)
    signals = await fresh_store.user_signals("test", "alice")
    assert signals[Signal.SAVE] == [found.cards[1].paper_id]
    # Another reader's list is theirs: BOB has been shown nothing.
    with pytest.raises(InvalidInput, match="no paper #7"):
        await desk.run_text("like 7", BOB)


async def test_changing_ones_mind_undoes_the_other_signal(
    desk: PaperService, fresh_store: Store
) -> None:
    await desk.run_text("save 2405.15738", ALICE)
    dismissed = await desk.run_text("dismiss 2405.15738", ALICE)
    assert dismissed.text.endswith("(no longer saved).")
    signals = await fresh_store.user_signals("test", "alice")
    assert signals[Signal.SAVE] == [] and signals[Signal.DISMISS] == ["2405.15738"]
    assert "Nothing saved yet" in (await desk.run_text("saved", ALICE)).text
    await desk.run_text("like 2405.15738", ALICE)
    signals = await fresh_store.user_signals("test", "alice")
    assert signals[Signal.LIKE] == ["2405.15738"] and signals[Signal.DISMISS] == []
    assert (await desk.run_text("unsave 2405.15738", ALICE)).text.startswith("Removed")
    assert "was not among" in (await desk.run_text("unsave 2405.15738", ALICE)).text


async def test_following_an_author(desk: PaperService, clock: list[dt.datetime]) -> None:
    clock[0] = dt.datetime(2025, 3, 14, 12, tzinfo=dt.UTC)  # the day of one of his papers
    reply = await desk.run_text('subscribe author:"Yann LeCun" on daily', ALICE)
    assert "'author:\"Yann LeCun\"'" in reply.text
    on = await desk.run_text('digest on author:"Yann LeCun"', ALICE)
    assert "'author:\"Yann LeCun\"'" in on.text
    for number in (1, 2):  # the channel's posts and the DM digest
        preview = await desk.run_text(f"preview {number}", ALICE)
        assert [c.paper_id for c in preview.cards] == ["2503.10622"]  # his, and only his
