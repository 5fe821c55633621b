"""Every `/papers` subcommand through the real Bolt app, over signed HTTP on loopback."""

from __future__ import annotations

from typing import Any

from bot.api import PaperService
from bot.store import Store
from tests.adapters.slack.fake_web_api import FakeSlack
from tests.adapters.slack.harness import Harness, harness_for


async def ask(slack: Harness, text: str, **kw: Any) -> dict[str, Any]:
    """Run one command; its one answer through response_url."""
    before = len(slack.fake.of("respond"))
    response = await slack.command(text, **kw)
    assert response.status_code == 200
    answers = await slack.fake.wait_for("respond", before + 1)
    return answers[before]


def paper_ids(answer: dict[str, Any]) -> list[str]:
    return [
        b["block_id"].removeprefix("paper:")
        for b in answer.get("blocks", [])
        if b.get("block_id", "").startswith("paper:")
    ]


def action_ids(answer: dict[str, Any]) -> list[str]:
    return [
        e["action_id"]
        for b in answer.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def test_help_is_acknowledged_then_answered_privately(slack: Harness) -> None:
    answer = await ask(slack, "help")
    assert answer["response_type"] == "ephemeral"
    assert "/papers search QUERY" in answer["text"]
    assert "at 08:30 Europe/Berlin" in answer["text"] and "share" in answer["text"]


async def test_the_ack_is_an_empty_200_before_any_answer(slack: Harness) -> None:
    response = await slack.command("trending")
    assert response.status_code == 200 and response.text == ""


async def test_trending_renders_cards_with_buttons_only_for_the_asker(slack: Harness) -> None:
    answer = await ask(slack, "trending week")
    assert answer["response_type"] == "ephemeral"
    assert answer["unfurl_links"] is False and answer["unfurl_media"] is False
    assert answer["blocks"][0]["type"] == "header"
    assert len(paper_ids(answer)) == 10
    # Only the asker sees it: no Discuss (an ephemeral message carries no thread).
    assert action_ids(answer)[:6] == [
        "paper_abstract",
        "paper_save",
        "paper_like",
        "paper_dismiss",
        "paper_similar",
        "paper_pdf",
    ]
    actions = next(b for b in answer["blocks"] if b["type"] == "actions")
    assert actions["elements"][5]["url"].startswith("https://arxiv.org/pdf/")
    assert answer["text"]  # the notification fallback


async def test_trending_share_posts_to_the_channel(slack: Harness) -> None:
    answer = await ask(slack, "trending day diffusion share")
    assert answer["response_type"] == "in_channel"
    assert "diffusion" in answer["blocks"][0]["text"]["text"].lower()


async def test_search_and_paper(slack: Harness) -> None:
    found = await ask(slack, "search attention is all you need")
    assert found["response_type"] == "ephemeral"
    first = paper_ids(found)[0]
    shown = await ask(slack, f"paper {first}")
    assert paper_ids(shown) == [first]
    shared = await ask(slack, f"search {first} share")
    assert shared["response_type"] == "in_channel"


async def test_subscribe_list_pause_resume_unsubscribe(slack: Harness) -> None:
    options = "diffusion at 08:30 Europe/Berlin on mon-fri count 5 min-upvotes 10 source hf"
    answer = await ask(slack, f"subscribe {options}")
    assert answer["text"].startswith("Subscribed this channel: #1 'diffusion'")
    [sub] = await slack.store.subscriptions()
    assert (sub.destination.workspace, sub.destination.channel, sub.owner) == ("T1", "C1", "U1")
    assert (sub.min_upvotes, sub.timezone, sub.count) == (10, "Europe/Berlin", 5)
    listed = await ask(slack, "subscriptions")
    assert "#1 'diffusion'" in listed["text"] and listed["response_type"] == "ephemeral"
    assert (await ask(slack, "pause 1"))["text"].startswith("Paused")
    assert (await ask(slack, "resume 1"))["text"].startswith("Resumed")
    assert (await ask(slack, "unsubscribe 1"))["text"] == "Removed subscription #1."
    assert await slack.store.subscriptions() == []


async def test_only_the_creator_or_an_admin_changes_a_subscription(slack: Harness) -> None:
    await ask(slack, "subscribe")
    refused = await ask(slack, "pause 1", user="U2")
    assert "Only the person who created #1 or an admin" in refused["text"]
    slack.fake.admins.add("U3")
    assert (await ask(slack, "pause 1", user="U3"))["text"].startswith("Paused")
    assert {"user": "U3"} in [{"user": c["user"]} for c in slack.fake.of("users.info")]


async def test_anyone_may_change_subscriptions_when_configured(
    fake_slack: FakeSlack, desk: PaperService, fresh_store: Store
) -> None:
    async for open_slack in harness_for(fake_slack, desk, fresh_store, anyone_manages=True):
        await ask(open_slack, "subscribe")
        assert (await ask(open_slack, "pause 1", user="U2"))["text"].startswith("Paused")
        assert fake_slack.of("users.info") == []  # no need to ask who is an admin


async def test_subscribe_in_a_dm_points_to_the_digest(slack: Harness) -> None:
    answer = await ask(slack, "subscribe", channel="D123")
    assert "digest on" in answer["text"] and answer["response_type"] == "ephemeral"


async def test_digest_on_status_off(slack: Harness) -> None:
    on = await ask(slack, "digest on transformers at 07:00 UTC on daily count 3")
    assert on["text"].startswith("Your DM digest is on")
    dm = await slack.store.dm_subscription("slack", "T1", "U1")
    assert dm is not None and dm.topic == "transformers" and dm.count == 3
    assert "Your DM digest" in (await ask(slack, "digest"))["text"]
    assert (await ask(slack, "digest pause"))["text"].startswith("Paused")
    assert (await ask(slack, "digest off"))["text"] == "Your DM digest is off."


async def test_save_like_dismiss_and_saved(slack: Harness) -> None:
    first = paper_ids(await ask(slack, "trending"))[0]
    assert (await ask(slack, f"save {first}"))["text"].startswith("Saved")
    assert (await ask(slack, f"like {first}"))["text"].startswith("Liked")
    saved = await ask(slack, "saved")
    assert paper_ids(saved) == [first]


async def test_user_mistakes_get_a_private_friendly_answer(slack: Harness) -> None:
    answer = await ask(slack, "frobnicate")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Unknown command 'frobnicate'")
    missing = await ask(slack, "unsubscribe 99")
    assert "No subscription #99" in missing["text"]
    bad = await ask(slack, "subscribe at 25:99")
    assert bad["response_type"] == "ephemeral"


async def test_a_paper_has_a_page_of_its_own(slack: Harness) -> None:
    page = await ask(slack, "paper 2405.15738")
    texts = [b["text"]["text"] for b in page["blocks"] if b["type"] == "section"]
    assert "*Authors:* Chunjiang Ge, Sijie Cheng" in texts[0] and "Bo Zheng" in texts[0]
    assert "*On arXiv:* 2024-05-24" in texts[0] and "*Upvotes:* 32" in texts[0]
    assert texts[1].startswith("High-resolution Large Multimodal Models")
    assert texts[1].endswith("https://github.com/alibaba/conv-llava.")  # the whole abstract
    links = next(b for b in page["blocks"] if b["type"] == "context")["elements"][0]["text"]
    assert "<https://arxiv.org/pdf/2405.15738|PDF>" in links


async def test_strict_options_answer_privately_naming_the_option(slack: Harness) -> None:
    answer = await ask(slack, "subscribe robotics at")
    assert answer["text"] == "at: a value is missing; e.g. at 08:30"
    typo = await ask(slack, "digest of")
    assert typo["text"].startswith("Did you mean `off` or `on`?")
    assert await slack.store.subscriptions() == []
