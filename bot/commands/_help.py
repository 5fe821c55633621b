"""Help, generated from the command table for one front end's syntax."""

from __future__ import annotations

from bot.commands._spec import Syntax
from bot.commands._table import COMMANDS, OPTIONS
from bot.search.query import SEARCH_HELP
from bot.subscriptions.desk import MAX_PER_CHANNEL

__all__ = ["command_lines", "help_text"]

_AUTHOR = 'author:"Yann LeCun"'
# Synopses longer than this do not push every help line to the right.
_USAGE_WIDTH = 44


def command_lines(syntax: Syntax) -> list[str]:
    """One line per command: its synopsis and what it does."""
    rows = [(syntax.usage(c), c.help) for c in COMMANDS]
    width = min(max(len(u) for u, _ in rows), _USAGE_WIDTH) + 2
    return [f"{u.ljust(width)}{h}" if len(u) < width else f"{u}  {h}" for u, h in rows]


def _options(syntax: Syntax) -> list[str]:
    shown = [syntax.setting(a, a.example or True) for a in OPTIONS]
    lines = ["   ".join(shown[i : i + 4]) for i in range(0, len(shown), 4)]
    example = syntax.example(
        "subscribe",
        "diffusion",
        time="08:30",
        timezone="Europe/Berlin",
        weekdays="mon-fri",
        count=5,
    )
    return [
        "Subscription options (all optional, in any order after the topic):",
        *(f"  {line}" for line in lines),
        f"  e.g. {example}",
        f"Follow an author: {syntax.example('subscribe', _AUTHOR)}"
        f" (or {syntax.example('digest', 'on', _AUTHOR)}).",
        f"A channel has at most {MAX_PER_CHANNEL} subscriptions; each person one DM digest.",
    ]


def help_text(syntax: Syntax) -> str:
    """Every command, the front end's own notes, search syntax and subscription options."""
    parts = ["\n".join(command_lines(syntax))]
    if syntax.notes():
        parts.append("\n".join(syntax.notes()))
    parts.append(SEARCH_HELP)
    parts.append("\n".join(_options(syntax)))
    return "\n\n".join(parts)
