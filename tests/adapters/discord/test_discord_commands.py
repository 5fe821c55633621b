"""`/papers` over the real gateway: every command, autocomplete, buttons and rights."""

from __future__ import annotations

import datetime as dt

from bot.models import Paper
from tests.adapters.discord.conftest import Bot
from tests.adapters.discord.fake_gateway import CHANNEL, READER_PERMS

EPHEMERAL = 64


async def test_commands_are_synced_with_typed_options(bot: Bot) -> None:
    papers, channel = bot.gateway.synced
    assert (papers["name"], channel["name"]) == ("papers", "papers-channel")
    subs = {o["name"]: o for o in papers["options"]}
    assert set(subs) == {
        "trending",
        "trending-here",
        "search",
        "paper",
        "subscriptions",
        "preview",
        "digest",
        "similar",
        "save",
        "like",
        "dismiss",
        "unsave",
        "saved",
        "help",
    }
    period = {o["name"]: o for o in subs["trending"]["options"]}["period"]
    assert [c["value"] for c in period["choices"]] == ["day", "week", "month"]
    query = subs["search"]["options"][0]
    assert query["autocomplete"] is True and query["required"] is True
    changes = {o["name"]: o for o in channel["options"]}
    assert set(changes) == {"subscribe", "edit", "unsubscribe", "pause", "resume"}
    options = {o["name"]: o for o in changes["subscribe"]["options"]}
    assert (options["count"]["min_value"], options["count"]["max_value"]) == (1, 25)
    assert options["quiet"]["type"] == 5  # a boolean
    assert options["categories"]["type"] == 3 and options["timezone"]["autocomplete"]
    assert [c["value"] for c in options["source"]["choices"]] == ["hf", "arxiv", "both"]
    edit = [o["name"] for o in changes["edit"]["options"]]
    assert edit[0] == "subscription" and changes["edit"]["options"][0]["required"]
    assert {"topic", "time", "categories", "quiet"} <= set(edit)
    digest = {o["name"] for o in subs["digest"]["options"]}
    assert {"action", "topic", "time", "timezone", "weekdays", "categories", "quiet"} <= digest


async def test_only_the_channel_group_needs_manage_channels(bot: Bot) -> None:
    papers, channel = bot.gateway.synced
    # Discord wants a permission bit set as a string; discord.py sends the number.
    assert str(channel["default_member_permissions"]) == str(1 << 4)  # Manage Channels
    assert channel["contexts"] == [0] and channel["dm_permission"] is False  # servers only
    assert papers["default_member_permissions"] is None  # everyone
    assert sorted(papers["contexts"]) == [0, 1]  # servers and a DM with the bot


async def test_search_defers_then_follows_up_with_embeds(bot: Bot) -> None:
    token = await bot.command("search", query="attention is all you need")
    assert bot.gateway.callback_for(token)["type"] == 5
    [answer] = bot.gateway.answers(token)
    assert answer["embeds"] and answer["allowed_mentions"] == {"parse": []}


def text_of(answer: dict) -> str:
    return answer.get("content", "") + "".join(
        (e.get("title", "") + e.get("description", "")) for e in answer.get("embeds", [])
    )


async def test_trending_and_paper(bot: Bot) -> None:
    token = await bot.command("trending", period="month", topic="language models")
    [answer] = bot.gateway.answers(token)
    assert answer["embeds"] and "components" in answer
    paper_id = answer["components"][0]["components"][0]["custom_id"].split(":")[-1]
    token = await bot.command("paper", paper=paper_id)
    [answer] = bot.gateway.answers(token)
    assert paper_id in answer["embeds"][0]["url"]


async def test_search_autocomplete_offers_titles(bot: Bot) -> None:
    choices = await bot.autocomplete("search", "query", "attention is all")
    assert 1 <= len(choices) <= 25
    assert all(len(c["name"]) <= 100 and c["value"] for c in choices)
    assert await bot.autocomplete("subscribe", "timezone", "berl", group="papers-channel") == [
        {"name": "Europe/Berlin", "value": "Europe/Berlin"}
    ]


async def test_subscribe_list_pause_resume_unsubscribe(bot: Bot) -> None:
    token = await bot.channel_command(
        "subscribe",
        topic="diffusion",
        time="08:30",
        timezone="Europe/Berlin",
        weekdays="mon-fri",
        count=5,
        min_upvotes=3,
        source="hf",
    )
    [answer] = bot.gateway.answers(token)
    assert "08:30" in answer["content"] and "Europe/Berlin" in answer["content"]
    [sub] = await bot.store.subscriptions()
    assert sub.topic == "diffusion" and sub.count == 5 and sub.min_upvotes == 3
    token = await bot.command("subscriptions")
    [answer] = bot.gateway.answers(token)
    assert answer["flags"] & EPHEMERAL and "diffusion" in answer["content"]
    [choice] = await bot.autocomplete("unsubscribe", "subscription", "", group="papers-channel")
    assert choice["value"] == str(sub.id)
    await bot.channel_command("pause", subscription=str(sub.id))
    assert not (await bot.store.get_subscription(sub.id)).active
    await bot.channel_command("resume", subscription=str(sub.id))
    assert (await bot.store.get_subscription(sub.id)).active
    await bot.channel_command("unsubscribe", subscription=str(sub.id))
    assert await bot.store.subscriptions() == []


async def test_a_member_without_manage_channels_cannot_change_subscriptions(bot: Bot) -> None:
    # Discord hides /papers-channel from them by default, but a server admin can open
    # it to everyone: the bot checks again.
    token = await bot.channel_command("subscribe", READER_PERMS, followups=0, topic="diffusion")
    callback = bot.gateway.callback_for(token)
    assert callback["data"]["flags"] & EPHEMERAL
    assert "Manage Channels" in callback["data"]["content"]
    assert await bot.store.subscriptions() == []
    # Reading is for everyone.
    token = await bot.command("search", READER_PERMS, query="diffusion")
    assert bot.gateway.answers(token)[0]["embeds"]


async def test_digest_works_for_anyone_and_in_dms(bot: Bot) -> None:
    token = await bot.command("digest", READER_PERMS, action="on", time="08:00", timezone="UTC")
    [answer] = bot.gateway.answers(token)
    assert answer["flags"] & EPHEMERAL
    [sub] = await bot.store.subscriptions()
    assert sub.is_dm and sub.owner == "100000000000000300"
    token = await bot.command("digest", dm=True, user="100000000000000400", action="settings")
    assert "no DM digest" in bot.gateway.answers(token)[0]["content"]
    await bot.command("digest", READER_PERMS, action="off")
    assert await bot.store.subscriptions() == []


async def test_the_whole_digest_works_in_a_dm_with_the_bot(bot: Bot) -> None:
    reader = "100000000000000400"
    token = await bot.command("digest", dm=True, user=reader, action="on", topic="diffusion")
    assert "DM digest is on" in bot.gateway.answers(token)[0]["content"]
    [sub] = await bot.store.subscriptions()
    assert sub.is_dm and sub.owner == reader and sub.destination.workspace == ""
    await bot.command("digest", dm=True, user=reader, action="pause")
    assert not (await bot.store.get_subscription(sub.id)).active
    await bot.command("digest", dm=True, user=reader, action="resume")
    assert (await bot.store.get_subscription(sub.id)).active
    token = await bot.command("subscriptions", dm=True, user=reader)
    assert "diffusion" in bot.gateway.answers(token)[0]["content"]
    # Changing a channel's posts means nothing in a DM.
    token = await bot.channel_command("pause", dm=True, followups=0, subscription=str(sub.id))
    assert "Manage Channels" in bot.gateway.callback_for(token)["data"]["content"]
    assert (await bot.store.get_subscription(sub.id)).active


async def test_help_is_ephemeral_and_names_discords_commands(bot: Bot) -> None:
    token = await bot.command("help")
    [answer] = bot.gateway.answers(token)
    assert answer["flags"] & EPHEMERAL
    text = answer["embeds"][0]["description"]
    assert "/papers search query:QUERY" in text and "/papers-channel subscribe" in text
    assert "/papers edit" not in text  # the terminal's commands are not Discord's
    assert "/papers-channel edit subscription:N" in text and "time:08:30" in text


async def test_each_button(bot: Bot) -> None:
    token = await bot.command("search", query="attention is all you need")
    [answer] = bot.gateway.answers(token)
    ids = [c["custom_id"] for c in answer["components"][0]["components"] if "custom_id" in c]
    abstract, save, dismiss, _similar, _discuss = ids  # five a row; Like is /papers like
    token = await bot.click(abstract, answer)
    [shown] = bot.gateway.answers(token)
    assert shown["flags"] & EPHEMERAL and len(shown["embeds"][0]["description"]) > 300
    for custom_id in (save, dismiss):
        token = await bot.click(custom_id, answer)
        [ack] = bot.gateway.answers(token)
        assert ack["flags"] & EPHEMERAL and ack["content"]


HOSTILE = "@everyone <@123> **bold** [x](https://evil) " + "q" * 5000


async def test_hostile_query_pings_nobody(bot: Bot) -> None:
    token = await bot.command("search", query=HOSTILE[:300])
    for answer in bot.gateway.answers(token):
        assert answer["allowed_mentions"] == {"parse": []}
        assert "@everyone" not in answer.get("content", "")
    assert bot.fake.rejected == []


async def test_a_mistake_is_shown_only_to_whoever_made_it(bot: Bot) -> None:
    token = await bot.channel_command("subscribe", time="25:99")
    assert token in bot.gateway.deleted  # the public "thinking…" message is gone
    [answer] = bot.gateway.answers(token)
    assert answer["flags"] & EPHEMERAL and "25:99" in answer["content"]
    assert await bot.store.subscriptions() == []


async def test_a_member_without_manage_channels_cannot_pause(bot: Bot) -> None:
    await bot.channel_command("subscribe", topic="diffusion")
    [sub] = await bot.store.subscriptions()
    for change in ("pause", "unsubscribe"):
        token = await bot.channel_command(
            change, READER_PERMS, followups=0, subscription=str(sub.id)
        )
        assert "Manage Channels" in bot.gateway.callback_for(token)["data"]["content"]
    assert (await bot.store.get_subscription(sub.id)).active


async def test_hostile_paper_title_pings_nobody_and_fits(bot: Bot) -> None:
    evil = Paper(
        id="2607.99999",
        title=HOSTILE,
        abstract=HOSTILE,
        authors=("<@&1>",),
        day=dt.date(2026, 6, 30),
        upvotes=1,
        source="hf",
    )
    await bot.store.upsert_papers([evil], observed_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    token = await bot.command("paper", paper="2607.99999")
    [answer] = bot.gateway.answers(token)
    [embed] = answer["embeds"]
    assert len(embed["title"]) <= 256 and "@\u200beveryone" in embed["title"]
    assert "\\*\\*bold" in embed["title"] and answer["allowed_mentions"] == {"parse": []}
    token = await bot.click(answer["components"][0]["components"][0]["custom_id"], answer)
    [shown] = bot.gateway.answers(token)
    assert len(shown["embeds"][0]["description"]) <= 4096
    assert shown["allowed_mentions"] == {"parse": []}


async def test_a_paper_has_a_page_of_its_own(bot: Bot) -> None:
    token = await bot.command("paper", paper="2405.15738")
    [answer] = bot.gateway.answers(token)
    [embed] = answer["embeds"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert (
        fields["Authors"].startswith("Chunjiang Ge, Sijie Cheng")
        and "Bo Zheng" in fields["Authors"]
    )
    assert fields["Dates"] == "on arXiv 2024-05-24; featured or listed 2024-05-27"
    assert "[PDF](https://arxiv.org/pdf/2405.15738)" in fields["Links"]
    assert embed["description"].endswith("github.com/alibaba/conv-llava.")  # the whole abstract
    assert "content" not in answer or not answer["content"]  # titled by its embed alone


async def test_a_typed_option_with_a_wrong_value_is_named_as_discord_names_it(bot: Bot) -> None:
    token = await bot.channel_command("subscribe", topic="robots", categories="cs.XX")
    [answer] = bot.gateway.answers(token)
    assert answer["content"].startswith("categories: 'cs.XX' is not an arXiv category")
    assert await bot.store.subscriptions() == []


async def test_similar_lists_the_closest_papers_only_to_the_clicker(bot: Bot) -> None:
    token = await bot.command("similar", paper="2405.15738", count=3)
    [answer] = bot.gateway.answers(token)
    assert answer["content"].startswith("**Papers like 'ConvLLaVA")
    assert len(answer["embeds"]) == 3 and "2405.15738" not in str(answer["embeds"])
    ids = [c["custom_id"] for c in answer["components"][0]["components"] if "custom_id" in c]
    similar = next(i for i in ids if ":similar:" in i)
    token = await bot.click(similar, answer)
    [shown] = bot.gateway.answers(token)
    assert shown["flags"] & EPHEMERAL and shown["embeds"]


async def test_discuss_opens_one_thread_per_paper_per_channel(bot: Bot) -> None:
    token = await bot.command("search", query="attention is all you need")
    [answer] = bot.gateway.answers(token)
    ids = [c["custom_id"] for c in answer["components"][0]["components"] if "custom_id" in c]
    discuss = next(i for i in ids if ":discuss:" in i)
    paper = discuss.rsplit(":", 1)[1]
    token = await bot.click(discuss, answer)
    [thread] = bot.fake.threads
    [ack] = bot.gateway.answers(token)
    assert ack["flags"] & EPHEMERAL and f"<#{thread['id']}>" in ack["content"]
    [seed] = bot.fake.to(thread["id"])  # seeded with the paper's page
    assert paper in seed["embeds"][0]["url"] and seed["embeds"][0]["fields"]
    # A second click (the same post or another) goes to the same thread.
    token = await bot.click(discuss, answer)
    [again] = bot.gateway.answers(token)
    assert "is here" in again["content"] and f"<#{thread['id']}>" in again["content"]
    assert len(bot.fake.threads) == 1


async def test_a_thread_that_cannot_open_lets_the_next_click_try(bot: Bot) -> None:
    token = await bot.command("search", query="attention is all you need")
    [answer] = bot.gateway.answers(token)
    ids = [c["custom_id"] for c in answer["components"][0]["components"] if "custom_id" in c]
    discuss = next(i for i in ids if ":discuss:" in i)
    bot.fake.failing[CHANNEL] = (403, 50001, "Missing Access")
    token = await bot.click(discuss, answer)
    [sorry] = bot.gateway.answers(token)
    assert sorry["content"].startswith("Sorry") and bot.fake.threads == []
    del bot.fake.failing[CHANNEL]
    token = await bot.click(discuss, answer)
    assert len(bot.fake.threads) == 1
