"""Rendering replies as Discord messages: limits, escaping, buttons with stable ids."""

from __future__ import annotations

import pytest

from adapters.discord.render import MAX_EMBED_CHARS, card_embed, render_reply
from adapters.discord.views import PaperButton, custom_id
from bot.config import load_discord
from bot.errors import ConfigError
from bot.models import ActionKind, Paper, Reply
from bot.replies import card_for
from tests.adapters.discord.fake_discord import check_message

HOSTILE = "@everyone <@123> __under__ ~~strike~~ " + "y" * 5000


def paper(n: int, text: str = "A paper title") -> Paper:
    return Paper(
        id=f"2401.{n:05d}",
        title=text,
        abstract=text,
        authors=("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara"),
        upvotes=n,
        categories=("cs.CL", "cs.LG"),
        thumbnail="https://cdn-thumbnails.huggingface.co/x.png",
    )


def payload(message: object) -> dict[str, object]:
    """The JSON body discord.py would send for one rendered message."""
    kw = message.kwargs()  # type: ignore[attr-defined]
    body: dict[str, object] = {"allowed_mentions": kw["allowed_mentions"].to_dict()}
    if "content" in kw:
        body["content"] = kw["content"]
    if "embeds" in kw:
        body["embeds"] = [e.to_dict() for e in kw["embeds"]]
    if "view" in kw:
        body["components"] = kw["view"].to_components()
    return body


def test_one_embed_per_paper_with_everything_a_reader_needs() -> None:
    card = card_for(paper(7), reason="trending in cs.CL")
    embed = card_embed(card)
    assert embed.url == "https://arxiv.org/abs/2401.00007"
    assert embed.title == "A paper title"
    assert "Ada Lovelace, Alan Turing, Grace Hopper and 2 others" in (embed.description or "")
    assert "▲ 7" in (embed.description or "") and "cs.CL" in (embed.description or "")
    assert "trending in cs.CL" in (embed.description or "")
    assert embed.thumbnail.url == "https://cdn-thumbnails.huggingface.co/x.png"


def test_buttons_have_stable_ids_and_a_pdf_link() -> None:
    [message] = render_reply(Reply(text="t", title="T", cards=(card_for(paper(1)),)))
    assert message.view is not None and message.view.timeout is None
    rows = message.view.to_components()
    [row] = rows
    labels = [c["label"] for c in row["components"]]
    # Five a row, Discord's limit: Like is /papers like; the PDF is a link.
    assert labels == ["Abstract", "Save", "Not interested", "Similar", "PDF"]
    assert row["components"][0]["custom_id"] == custom_id(ActionKind.ABSTRACT, "2401.00001")
    assert row["components"][4]["url"] == "https://arxiv.org/pdf/2401.00001"
    # Where a thread can open (a post in a server's channel), Discuss takes the last place.
    [shared] = render_reply(Reply(text="t", cards=(card_for(paper(1)),)), discuss=True)
    assert shared.view is not None
    [row] = shared.view.to_components()
    assert [c["label"] for c in row["components"]][-1] == "Discuss"
    # The same id parses back after a restart, with no view kept in memory.
    assert PaperButton.__discord_ui_compiled_template__.fullmatch("paperbot:save:2401.00001")


@pytest.mark.parametrize("count", [1, 5, 6, 10, 23])
def test_many_papers_split_within_every_limit(count: int) -> None:
    long = "z" * 5000
    cards = tuple(card_for(paper(n, long), reason=long) for n in range(count))
    messages = render_reply(Reply(text="x", title=long, notes=(long,), cards=cards))
    assert sum(len(m.embeds) for m in messages) == count
    for message in messages:
        assert check_message(payload(message)) == []
        assert sum(len(e) for e in message.embeds) <= MAX_EMBED_CHARS


def test_hostile_text_is_escaped_and_pings_nobody() -> None:
    card = card_for(paper(1, HOSTILE), reason=HOSTILE)
    for message in render_reply(Reply(text=HOSTILE, title=HOSTILE, cards=(card,))):
        body = payload(message)
        assert check_message(body) == []
        assert body["allowed_mentions"] == {"parse": []}
    [embed] = render_reply(Reply(text="", cards=(card,)))[0].embeds
    assert embed.title is not None and "@\u200beveryone" in embed.title
    assert "\\_\\_under\\_\\_" in embed.title
    texts = render_reply(Reply(text=HOSTILE))
    assert len(texts) == 3 and all(len(m.content) <= 2000 for m in texts)
    assert all(check_message(payload(m)) == [] for m in texts)


def test_settings_fail_fast_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        load_discord()
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("PAPERBOT_DISCORD_GUILD", "not-a-number")
    with pytest.raises(ConfigError, match="PAPERBOT_DISCORD_GUILD"):
        load_discord()
    monkeypatch.setenv("PAPERBOT_DISCORD_GUILD", "123")
    monkeypatch.setenv("DISCORD_API_URL", "http://127.0.0.1:9/api/v10")
    settings = load_discord()
    assert settings.guild == 123 and settings.api_url == "http://127.0.0.1:9/api/v10"
    assert "abc" not in repr(settings)
