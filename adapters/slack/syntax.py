"""How Slack users write commands: the text syntax, plus a note on sharing answers."""

from __future__ import annotations

from bot.commands import COMMANDS, TextSyntax

__all__ = ["SLACK"]

_SHAREABLE = [c.name for c in COMMANDS if c.shareable]

SLACK = TextSyntax(
    extra=(
        f"Add `share` at the end of {', '.join(_SHAREABLE[:-1])} or {_SHAREABLE[-1]} to post "
        "the answer to the channel; otherwise only you see it.",
    )
)
