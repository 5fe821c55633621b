"""Turn papers into platform-neutral cards and plain text (no markup, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.models import Card, Link, Paper

__all__ = [
    "card_for",
    "first_sentences",
    "fit",
    "plain_text",
    "shorten_authors",
    "truncate",
]

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


def card_for(paper: Paper, *, reason: str = "") -> Card:
    """The card every adapter shows for ``paper``."""
    summary = paper.ai_summary or first_sentences(paper.abstract)
    links = [Link("arXiv", paper.abs_url), Link("PDF", paper.pdf_url)]
    if paper.upvotes is not None or "hf" in paper.source.split(","):
        links.append(Link("Hugging Face", paper.hf_url))
    if paper.github_repo:
        links.append(Link("Code", paper.github_repo))
    if paper.project_page and paper.project_page != paper.abs_url:
        links.append(Link("Project", paper.project_page))
    date = paper.day or (paper.published_at.date() if paper.published_at else None)
    return Card(
        paper_id=paper.id,
        title=paper.title or paper.id,
        url=paper.abs_url,
        authors=shorten_authors(paper.authors),
        date=date.isoformat() if date else "",
        upvotes=paper.upvotes,
        categories=paper.categories,
        summary=summary,
        abstract=paper.abstract,
        reason=reason,
        links=tuple(links),
        thumbnail=paper.thumbnail,
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
        meta = [card.authors]
        if card.date:
            meta.append(card.date)
        if card.upvotes is not None:
            meta.append(f"▲ {card.upvotes}")
        if card.categories:
            meta.append(", ".join(card.categories[:3]))
        lines.append("")
        lines.append(f"{n}. {card.title}")
        lines.append(f"   {' · '.join(meta)}")
        if card.summary:
            lines.append(f"   {card.summary}")
        if card.reason:
            lines.append(f"   Why: {card.reason}")
        lines.append(f"   {card.url}")
    if footer:
        lines += ["", footer]
    return "\n".join(lines)
