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
    with pytest.raises(InvalidInput, match="Which subscription"):
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
