"""Render a ``Reply`` for a terminal: wrapped to its width, coloured when it is a tty."""

from __future__ import annotations

import textwrap

from bot.models import Card, Reply
from bot.replies import detail_lines, truncate

__all__ = ["Style", "render_error", "render_reply"]


class Style:
    """ANSI styles, or nothing at all when colour is off (pipes, NO_COLOR)."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def _sgr(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour and text else text

    def bold(self, text: str) -> str:
        return self._sgr("1", text)

    def dim(self, text: str) -> str:
        return self._sgr("2", text)

    def title(self, text: str) -> str:
        return self._sgr("1;36", text)

    def accent(self, text: str) -> str:
        return self._sgr("33", text)

    def error(self, text: str) -> str:
        return self._sgr("31", text)


def _safe(text: str) -> str:
    # Paper text must not move the cursor or recolour the terminal.
    return "".join(c if c.isprintable() or c == "\n" else " " for c in text)


def render_detail(card: Card, style: Style, width: int) -> list[str]:
    """One paper's own page: its title, then every author, dates, abstract and links."""
    lines = [style.bold(line) for line in textwrap.wrap(_safe(card.title), width=width)]
    for line in detail_lines(card):
        if not line:
            lines.append("")
        elif line.startswith(("arXiv: ", "PDF: ", "Hugging Face: ", "Code: ", "Project: ")):
            lines.append(style.dim(_safe(line)))  # a URL is never wrapped
        else:
            lines += textwrap.wrap(_safe(line), width=width) or [""]
    return lines


def render_card(card: Card, n: int, style: Style, width: int) -> list[str]:
    if card.detailed:
        return render_detail(card, style, width)
    indent = " " * (len(str(n)) + 2)
    wrap = textwrap.TextWrapper(width=width, initial_indent=indent, subsequent_indent=indent)
    head = textwrap.wrap(
        _safe(card.title), width=width, initial_indent=f"{n}. ", subsequent_indent=indent
    )
    lines = [style.bold(line) for line in head]
    votes = f"▲ {card.upvotes}" if card.upvotes is not None else ""
    # Wrap plain text first: escape codes would count towards the width.
    for line in wrap.wrap(_safe(" · ".join(card.meta))):
        lines.append(line.replace(votes, style.accent(votes)) if votes else line)
    if card.summary:
        lines += wrap.wrap(_safe(truncate(card.summary, 400)))
    if card.reason:
        lines += [style.dim(line) for line in wrap.wrap(f"why: {_safe(card.reason)}")]
    lines.append(indent + style.dim(card.url))
    return lines


def render_reply(reply: Reply, *, colour: bool = False, width: int = 88) -> str:
    """The terminal text for ``reply``; cards numbered from the page's first result."""
    style = Style(colour)
    width = max(40, width)
    if not reply.cards:
        text = _safe(reply.text or reply.title)
        if reply.title and text.startswith(reply.title):
            return style.bold(_safe(reply.title)) + text[len(reply.title) :]
        return text
    if len(reply.cards) == 1 and reply.cards[0].detailed:
        return "\n".join(render_detail(reply.cards[0], style, width))  # a page of its own
    out = [style.title(_safe(reply.title))] if reply.title else []
    out += [style.dim(f"({_safe(note)})") for note in reply.notes]
    for n, card in enumerate(reply.cards, int(reply.meta.get("first", "1"))):
        out.append("")
        out += render_card(card, n, style, width)
    if reply.footer:
        out += ["", style.dim(_safe(reply.footer))]
    return "\n".join(out)


def render_error(message: str, *, colour: bool = False) -> str:
    return Style(colour).error(_safe(message))
