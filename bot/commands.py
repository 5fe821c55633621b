"""The `/papers` command line shared by the terminal chat and Slack: text in, Reply out."""

from __future__ import annotations

from bot.errors import InvalidInput
from bot.models import Period, Reply
from bot.service import PaperService

__all__ = ["run_command", "split_command"]

_PERIODS = {p.value for p in Period}


def split_command(text: str) -> tuple[str, str]:
    """``"/papers search foo bar"`` -> ``("search", "foo bar")``; the prefix is optional."""
    words = text.strip().split(maxsplit=1)
    if words and words[0].lower() in {"/papers", "papers", "/paper"}:
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    if not words:
        return "help", ""
    return words[0].lower(), words[1].strip() if len(words) > 1 else ""


async def run_command(service: PaperService, text: str) -> Reply:
    """Run one `/papers ...` command; raises ``UserError`` for anything the user got wrong."""
    name, rest = split_command(text)
    if name in {"help", "?", "-h", "--help"}:
        return service.help()
    if name in {"trending", "top", "hot"}:
        first, _, topic = rest.partition(" ")
        if first.lower() in _PERIODS:
            return await service.trending(first.lower(), topic)
        return await service.trending(None, rest)
    if name in {"search", "find", "s"}:
        return await service.search(rest)
    if name in {"paper", "show", "id"}:
        if not rest:
            raise InvalidInput("Which paper? e.g. `/papers paper 2510.06131`")
        return await service.paper(rest)
    raise InvalidInput(f"Unknown command '{name[:30]}'. Try `/papers help`.")
