"""Fixtures of both chat platforms, for tests that run one command on every front end."""

from tests.adapters.discord.conftest import bot, fake_discord
from tests.adapters.slack.conftest import fake_slack, slack

__all__ = ["bot", "fake_discord", "fake_slack", "slack"]
