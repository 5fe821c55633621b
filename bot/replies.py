"""Turn papers into platform-neutral cards and replies with plain text (no markup, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.models import Action, ActionKind, Card, Link, LinkKind, Paper, Reply
from bot.text import detex

__all__ = [
    "card_for",
    "cards_reply",
    "detail_lines",
    "first_sentences",
    "fit",
    "plain_text",
    "shorten_authors",
    "text_reply",
    "truncate",
]

# The buttons every card carries, in this order, before its PDF link.
_BUTTONS = (
    ActionKind.ABSTRACT,
    ActionKind.SAVE,
    ActionKind.LIKE,
    ActionKind.DISMISS,
    ActionKind.SIMILAR,
    ActionKind.DISCUSS,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut ``text`` to at most ``limit`` characters, at a word boundary when one is near."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return text[:limit]
    cut = text[: limit - len(ellipsis)]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + ellipsis


def fit(text: str, limit: int, escape: Callable[[str], str]) -> str:
    """``text`` escaped for a platform and cut to ``limit`` characters (escapes counted),
    never cutting through an escape sequence."""
    cut = limit
    while True:
        out = escape(truncate(text, cut))
        if len(out) <= limit:
            return out
        cut -= len(out) - limit


def shorten_authors(authors: Sequence[str], *, keep: int = 3) -> str:
    """``A, B, C et al.`` style author line."""
    names = [a for a in authors if a]
    if not names:
        return "Unknown authors"
    if len(names) <= keep + 1:
        return ", ".join(names)
    return f"{', '.join(names[:keep])} and {len(names) - keep} others"


def first_sentences(text: str, *, limit: int = 300) -> str:
    """The opening sentences of ``text`` that fit in ``limit`` characters."""
    if len(text) <= limit:
        return text
    out = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    return out or truncate(text, limit)


def card_for(paper: Paper, *, reason: str = "", detailed: bool = False) -> Card:
    """The card every adapter shows for ``paper``; ``detailed`` for its own page."""
    # LaTeX is for typesetting: every front end shows the text it stands for.
    abstract = detex(paper.abstract)
    summary = detex(paper.ai_summary) if paper.ai_summary else first_sentences(abstract)
    links = [Link(LinkKind.ARXIV, "arXiv", paper.abs_url), Link(LinkKind.PDF, "PDF", paper.pdf_url)]
    if paper.upvotes is not None or "hf" in paper.source.split(","):
        links.append(Link(LinkKind.HUGGING_FACE, "Hugging Face", paper.hf_url))
    if paper.github_repo:
        links.append(Link(LinkKind.CODE, "Code", paper.github_repo))
    if paper.project_page and paper.project_page != paper.abs_url:
        links.append(Link(LinkKind.PROJECT, "Project", paper.project_page))
    actions = [Action(kind, paper.id) for kind in _BUTTONS]
    actions.append(Action(ActionKind.PDF, paper.id, paper.pdf_url))
    date = paper.day or (paper.published_at.date() if paper.published_at else None)
    return Card(
        paper_id=paper.id,
        title=detex(paper.title) or paper.id,
        url=paper.abs_url,
        authors=shorten_authors(paper.authors),
        date=date.isoformat() if date else "",
        upvotes=paper.upvotes,
        categories=paper.categories,
        summary=summary,
        abstract=abstract,
        reason=reason,
        links=tuple(links),
        thumbnail=paper.thumbnail,
        actions=tuple(actions),
        detailed=detailed,
        all_authors=paper.authors,
        published=paper.published_at.date().isoformat() if paper.published_at else "",
    )


def plain_text(
    title: str,
    cards: Sequence[Card],
    *,
    notes: Sequence[str] = (),
    footer: str = "",
    start: int = 1,
) -> str:
    """A complete plain-text rendering of a reply, for notifications and terminals."""
    lines = [title] if title else []
    lines += [f"({note})" for note in notes]
    for n, card in enumerate(cards, start):
        if card.detailed:
            lines += ["", *([card.title] if card.title != title else []), *detail_lines(card)]
            continue
        lines.append("")
        lines.append(f"{n}. {card.title}")
        lines.append(f"   {' · '.join(card.meta)}")
        if card.summary:
            lines.append(f"   {card.summary}")
        if card.reason:
            lines.append(f"   Why: {card.reason}")
        lines.append(f"   {card.url}")
    if footer:
        lines += ["", footer]
    return "\n".join(lines)


def detail_lines(card: Card) -> list[str]:
    """One paper's own page as plain lines below its title: every author, dates,
    upvotes, categories, the whole abstract, and every link."""
    lines = ["Authors: " + (", ".join(card.all_authors) or "unknown")]
    dates = []
    if card.published:
        dates.append(f"on arXiv {card.published}")
    if card.date and card.date != card.published:
        dates.append(f"featured or listed {card.date}")
    if dates:
        lines.append("Dates: " + "; ".join(dates))
    if card.upvotes is not None:
        lines.append(f"Upvotes: {card.upvotes}")
    if card.categories:
        lines.append("Categories: " + ", ".join(card.categories))
    if card.abstract:
        lines += ["", card.abstract]
    if card.reason:
        lines += ["", f"Why: {card.reason}"]
    lines += ["", *(f"{link.label}: {link.url}" for link in card.links)]
    return lines


def cards_reply(
    title: str,
    cards: Sequence[Card],
    *,
    notes: Sequence[str] = (),
    footer: str = "",
    start: int = 1,
    page: int = 1,
) -> Reply:
    """A reply listing ``cards`` (numbered from ``start``) with its plain-text fallback."""
    return Reply(
        text=plain_text(title, cards, notes=notes, footer=footer, start=start),
        title=title,
        cards=tuple(cards),
        notes=tuple(notes),
        footer=footer,
        meta={"page": str(page), "first": str(start)},
    )


def text_reply(text: str) -> Reply:
    """A reply of text alone, titled by its first line."""
    return Reply(text=text, title=text.split("\n", 1)[0])
