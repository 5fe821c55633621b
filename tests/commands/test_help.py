"""Help, generated from the table for each front end's syntax."""

from __future__ import annotations

from adapters.discord.syntax import DISCORD
from adapters.slack.syntax import SLACK
from bot.commands import COMMANDS, TEXT, help_text


def test_help_lists_every_command_and_how_to_follow_an_author() -> None:
    for syntax in (TEXT, SLACK, DISCORD):
        text = help_text(syntax)
        assert all(syntax.usage(c) in text for c in COMMANDS)
        assert 'author:"Yann LeCun"' in text
        assert "at most 10 subscriptions" in text
    assert "Add `share` at the end of" in help_text(SLACK)
    assert "/papers-channel edit subscription:N" in help_text(DISCORD)
