"""The Discord adapter: discord.py Embeds and buttons, daily posts and DM digests."""

from adapters.discord.outbound import DiscordOutbound
from adapters.discord.render import render_reply

__all__ = ["DiscordOutbound", "render_reply"]
