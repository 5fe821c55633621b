"""Render a ``Reply`` as Slack messages: Block Kit within Slack's limits, escaped text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.models import Action, ActionKind, Card, Reply
from bot.replies import fit as fit_for

__all__ = [
    "ACTION_PREFIX",
    "MAX_BLOCKS",
    "Message",
    "abstract_section",
    "action_id",
    "card_blocks",
    "escape",
    "fit",
    "render_reply",
    "render_text",
]

# Slack's limits (docs.slack.dev/reference/block-kit): blocks per message, characters
# per section text, header text and button label; plus the fallback text we keep short
# enough for a notification.
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON = 75
MAX_CONTEXT = 2000
MAX_FALLBACK = 3000

Block = dict[str, Any]
ACTION_PREFIX = "paper_"


@dataclass(frozen=True, slots=True)
class Message:
    """One Slack message: the notification text and its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``chat.postMessage`` or ``respond``."""
        out: dict[str, Any] = {"text": self.text, "unfurl_links": False, "unfurl_media": False}
        if self.blocks:
            out["blocks"] = self.blocks
        return out


def escape(text: str) -> str:
    """Slack's three control characters, so ``<!channel>`` stays text, not a ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """``text`` escaped and cut to ``limit`` characters, never through an escape."""
    return fit_for(text, limit, escape)


def _mrkdwn(text: str, limit: int = MAX_SECTION) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text[:limit]}


def _plain(text: str, limit: int) -> dict[str, Any]:
    # Slack reads its three control characters as entities in plain text too.
    return {"type": "plain_text", "text": fit(text, limit) or " ", "emoji": False}


def _safe_url(url: str) -> str:
    # A URL cannot carry '|' or '>' inside <url|label>; paper URLs are ours, but be safe.
    return url[:300].replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def render_text(text: str) -> str:
    """A plain-text reply as a mrkdwn body: escaped and cut to one section."""
    return fit(text, MAX_SECTION)


def _card_text(card: Card, *, expanded: bool = False) -> str:
    title = f"<{_safe_url(card.url)}|{fit(card.title, 250)}>"
    line = fit(" · ".join(card.meta), 300)
    body = card.abstract if expanded else (card.summary or card.abstract)
    # Two lines of abstract when folded: about 220 characters. The parts add up to
    # less than a section holds (300 + 250 + 300 + 2,100), so nothing is cut through a
    # link or an entity.
    body = fit(body, 2100 if expanded else 220)
    return f"*{title}*\n{line}\n{body}"


def abstract_section(card: Card) -> Block:
    """The card's section with the whole abstract, for the "Abstract" button."""
    return {
        "type": "section",
        "block_id": f"paper:{card.paper_id}",
        "text": _mrkdwn(_card_text(card, expanded=True)),
    }


def _detail_blocks(card: Card) -> list[Block]:
    """One paper's own page: meta, every author and date, the whole abstract, links."""
    facts = [f"*Authors:* {fit(', '.join(card.all_authors) or 'unknown', 1500)}"]
    if card.published:
        facts.append(f"*On arXiv:* {card.published}")
    if card.date and card.date != card.published:
        facts.append(f"*Featured or listed:* {card.date}")
    if card.upvotes is not None:
        facts.append(f"*Upvotes:* {card.upvotes}")
    if card.categories:
        facts.append(f"*Categories:* {fit(', '.join(card.categories), 300)}")
    links = " · ".join(f"<{_safe_url(link.url)}|{fit(link.label, 40)}>" for link in card.links)
    return [
        {
            "type": "section",
            "block_id": f"paper:{card.paper_id}",
            "text": _mrkdwn("\n".join(facts)),
        },
        {"type": "section", "text": _mrkdwn(fit(card.abstract or "(no abstract)", MAX_SECTION))},
        {"type": "context", "elements": [_mrkdwn(links, MAX_CONTEXT)]},
    ]


def card_blocks(card: Card, *, buttons: bool = True, discuss: bool = False) -> list[Block]:
    """A section, the reason as context, and the buttons of one paper (Discuss only on a
    message the channel sees: an ephemeral one cannot carry a thread)."""
    blocks: list[Block] = (
        _detail_blocks(card)
        if card.detailed
        else [
            {
                "type": "section",
                "block_id": f"paper:{card.paper_id}",
                "text": _mrkdwn(_card_text(card)),
            }
        ]
    )
    if card.reason:
        why = fit(card.reason, MAX_CONTEXT - 10)
        blocks.append({"type": "context", "elements": [_mrkdwn(f"_why:_ {why}", MAX_CONTEXT)]})
    shown = [a for a in card.actions if discuss or a.kind is not ActionKind.DISCUSS]
    if buttons and shown:
        elements = [_action(action) for action in shown]
        blocks.append(
            {"type": "actions", "block_id": f"actions:{card.paper_id}", "elements": elements}
        )
    return blocks


def action_id(kind: ActionKind) -> str:
    """The ``action_id`` of a paper's button: ``paper_save`` and so on."""
    return f"{ACTION_PREFIX}{kind.value}"


def _action(action: Action) -> Block:
    button = _button(action.kind.label, action_id(action.kind), action.paper_id)
    return {**button, "url": action.url} if action.url else button


def _button(label: str, ident: str, value: str) -> Block:
    return {
        "type": "button",
        "text": _plain(label, MAX_BUTTON),
        "action_id": ident,
        "value": value[:2000],
    }


def _fallback(reply: Reply) -> str:
    return fit(reply.text or reply.title, MAX_FALLBACK)


def render_reply(reply: Reply, *, buttons: bool = True, discuss: bool = False) -> list[Message]:
    """``reply`` as one or more messages, each within ``MAX_BLOCKS``.

    Without cards it is one section of text. With cards: a header, notes as context,
    one group of blocks per card, the footer; a card's blocks never span two messages.
    """
    if not reply.cards:
        return [
            Message(
                _fallback(reply),
                [{"type": "section", "text": _mrkdwn(render_text(reply.text or reply.title))}],
            )
        ]
    head: list[Block] = []
    if reply.title:
        head.append({"type": "header", "text": _plain(reply.title, MAX_HEADER)})
    if reply.notes:
        notes = fit(" · ".join(reply.notes), MAX_CONTEXT - 2)
        head.append({"type": "context", "elements": [_mrkdwn(f"({notes})", MAX_CONTEXT)]})
    groups = [card_blocks(card, buttons=buttons, discuss=discuss) for card in reply.cards]
    tail: list[Block] = []
    if reply.footer:
        tail.append(
            {"type": "context", "elements": [_mrkdwn(render_text(reply.footer)[:MAX_CONTEXT])]}
        )

    pages: list[list[Block]] = [list(head)]
    for group in groups:
        if len(pages[-1]) + len(group) > MAX_BLOCKS:
            pages.append([])
        pages[-1].extend(group)
    if tail:
        if len(pages[-1]) + len(tail) > MAX_BLOCKS:
            pages.append([])
        pages[-1].extend(tail)
    text = _fallback(reply)
    out = [Message(text, pages[0])]
    for n, page in enumerate(pages[1:], 2):
        label = fit(reply.title or "Papers", 200)
        out.append(Message(f"{label} (part {n} of {len(pages)})", page))
    return out
