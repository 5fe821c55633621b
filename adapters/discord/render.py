"""Render a ``Reply`` as Discord messages: Embeds and buttons within Discord's limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import discord

from adapters.discord.views import paper_view
from bot.models import Card, Reply
from bot.replies import fit as fit_for

__all__ = [
    "MAX_CONTENT",
    "MAX_EMBEDS",
    "MAX_EMBED_CHARS",
    "NO_MENTIONS",
    "Message",
    "card_embed",
    "escape",
    "render_reply",
]

# Discord's limits (DESIGN.md): message content, embeds per message, characters across
# a message's embeds, and an embed's title, description, footer and author name.
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_CHARS = 6000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FOOTER = 2048
MAX_FIELD = 1024
# Buttons per message: five rows of five, one row per paper.
MAX_VIEWS_ROWS = 5

# Everything we send is built from paper or user text: nobody is ever pinged.
NO_MENTIONS = discord.AllowedMentions.none()


def escape(text: str) -> str:
    """Markdown and mentions shown as typed (``@everyone`` stays text even without
    ``allowed_mentions``, which is set on every message anyway)."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def fit(text: str, limit: int) -> str:
    """``text`` escaped and cut to ``limit`` characters, never through an escape."""
    return fit_for(text, limit, escape)


@dataclass(slots=True)
class Message:
    """One Discord message: content, embeds and, for paper cards, buttons."""

    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Messageable.send`` or ``followup.send``."""
        out: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if self.content:
            out["content"] = self.content
        if self.embeds:
            out["embeds"] = self.embeds
        if self.view is not None:
            out["view"] = self.view
        return out


def card_embed(card: Card, *, expanded: bool = False) -> discord.Embed:
    """One paper: linked title, authors, date, upvotes, categories, abstract, reason."""
    line = fit(" · ".join(card.meta), 400)
    expanded = expanded or card.detailed
    body = card.abstract if expanded else (card.summary or card.abstract)
    # Folded: a short abstract, so ten cards stay under 6,000 characters together.
    body = fit(body, 3000 if expanded else 300)
    parts = [line, body]
    if card.reason:
        parts.append(f"*Why:* {fit(card.reason, 200)}")
    embed = discord.Embed(
        title=fit(card.title, MAX_TITLE),
        url=card.url,
        description="\n".join(p for p in parts if p)[:MAX_DESCRIPTION],
        colour=discord.Colour.orange(),
    )
    if card.detailed:
        _detail_fields(embed, card)
    if card.thumbnail and card.thumbnail.startswith("https://"):
        embed.set_thumbnail(url=card.thumbnail)
    return embed


def _detail_fields(embed: discord.Embed, card: Card) -> None:
    """One paper's own page: every author, the dates, and every link, as fields."""
    embed.add_field(
        name="Authors", value=fit(", ".join(card.all_authors) or "unknown", MAX_FIELD), inline=False
    )
    dates = [f"on arXiv {card.published}"] if card.published else []
    if card.date and card.date != card.published:
        dates.append(f"featured or listed {card.date}")
    if dates:
        embed.add_field(name="Dates", value="; ".join(dates), inline=False)
    if card.categories:
        embed.add_field(name="Categories", value=fit(", ".join(card.categories), 300))
    links = " · ".join(f"[{fit(link.label, 40)}]({link.url})" for link in card.links)
    embed.add_field(name="Links", value=links[:MAX_FIELD], inline=False)


def _content(reply: Reply, limit: int) -> str:
    head = [f"**{fit(reply.title, 250)}**"] if reply.title else []
    head += [f"*{fit(note, 300)}*" for note in reply.notes]
    if reply.footer:
        head.append(fit(reply.footer, 300))
    return "\n".join(head)[:limit]


def _text_messages(text: str, limit: int) -> list[Message]:
    """A plain-text reply in as many messages of ``limit`` characters as it takes."""
    out: list[Message] = []
    rest = escape(text)
    while rest:
        cut = len(rest) if len(rest) <= limit else rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
            # Never split an escape from the character it escapes.
            while cut > 1 and rest[cut - 1] == "\\":
                cut -= 1
        out.append(Message(content=rest[:cut]))
        rest = rest[cut:].lstrip("\n")
    return out or [Message(content="…")]


def render_reply(
    reply: Reply, *, buttons: bool = True, reserve: int = 0, discuss: bool = False
) -> list[Message]:
    """A reply as Discord messages: the heading as content, then one embed per card,
    split so no message breaks Discord's embed limits; text only without cards.

    ``reserve`` characters of every message's content are left free for the caller
    (the outbound port adds a line naming the delivery)."""
    limit = MAX_CONTENT - reserve
    if not reply.cards:
        return _text_messages(reply.text, limit)
    messages: list[Message] = []
    groups: list[list[Card]] = []
    # A paper's own page is titled by its embed: no heading above it.
    own_page = len(reply.cards) == 1 and reply.cards[0].detailed
    current, group = Message(content="" if own_page else _content(reply, limit)), list[Card]()
    size = 0
    for card in reply.cards:
        embed = card_embed(card)
        full = (
            len(current.embeds) >= min(MAX_EMBEDS, MAX_VIEWS_ROWS if buttons else MAX_EMBEDS)
            or size + len(embed) > MAX_EMBED_CHARS
        )
        if full:
            messages.append(current)
            groups.append(group)
            current, group, size = Message(), [], 0
        current.embeds.append(embed)
        group.append(card)
        size += len(embed)
    messages.append(current)
    groups.append(group)
    if buttons:
        for message, cards in zip(messages, groups, strict=True):
            message.view = paper_view(cards, discuss=discuss)
    return messages
