"""The app commands: `/papers` for everyone (also in a DM with the bot) and
`/papers-channel` for changing a channel's daily posts (Manage Channels); typed
options, autocomplete, deferred answers."""

from __future__ import annotations

import logging
import shlex
from functools import cache
from typing import Any, Literal
from zoneinfo import available_timezones

import discord
from discord import app_commands

from adapters.discord.render import NO_MENTIONS, render_reply
from bot.api import HELP, PaperService
from bot.commands import run_command
from bot.errors import UserError
from bot.models import Caller, Destination, Reply
from bot.search.engine import run_search
from bot.search.query import parse_query
from bot.subscriptions.options import MAX_COUNT

__all__ = ["CHANNEL_GROUP", "HELP_TEXT", "build_commands", "caller_of", "send_reply"]

log = logging.getLogger(__name__)

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
MAX_CHOICE_NAME = 100
NEED_MANAGE = "Changing this channel's daily posts needs the Manage Channels permission."
CHANNEL_GROUP = "papers-channel"
# Discord applies default permissions to top-level commands only, so the commands that
# change a channel's posts are a group of their own, hidden from members without Manage
# Channels (server admins may change that under Integrations: `run` checks again).
MANAGE_CHANNELS = discord.Permissions(manage_channels=True)
_EVERYWHERE = app_commands.AppCommandContext(guild=True, dm_channel=True)
_IN_SERVERS = app_commands.AppCommandContext(guild=True)


def _search_syntax() -> str:
    """The core help's paragraph on search syntax, which holds on Discord too."""
    return next((p for p in HELP.split("\n\n") if p.startswith("Search")), "")


# The core's help names the terminal's commands; Discord's are typed and split in two.
HELP_TEXT = f"""\
/papers trending [period] [topic]   the most upvoted papers of the day, week or month
/papers search query                find a paper by title, author, arXiv id, URL or topic
/papers paper id                    one paper by arXiv id or URL
/papers subscriptions               this channel's daily posts and your DM digest
/papers digest [on|off|pause|resume|settings] [options]   your own digest by DM
/papers help                        this help
Every /papers command works for anyone, and in a DM with the bot.

Daily posts in this channel (needs Manage Channels):
/{CHANNEL_GROUP} subscribe [topic] [time] [timezone] [weekdays] [count] [min_upvotes] [source]
/{CHANNEL_GROUP} pause|resume|unsubscribe subscription

Under each paper: Abstract, Save, Like, Not interested (these teach your digest), PDF.

{_search_syntax()}""".strip()


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def caller_of(interaction: discord.Interaction[Any]) -> Caller:
    """Who asked and where; Manage Channels in this channel makes them an admin."""
    perms = interaction.permissions
    guild = str(interaction.guild_id or "")
    in_dm = interaction.guild_id is None
    return Caller(
        "discord",
        str(interaction.user.id),
        guild,
        "" if in_dm else str(interaction.channel_id or ""),
        is_admin=bool(perms.manage_channels) and not in_dm,
    )


async def send_reply(
    interaction: discord.Interaction[Any], reply: Reply, *, ephemeral: bool = False
) -> None:
    """Answer a deferred interaction with as many follow-ups as the reply needs."""
    for message in render_reply(reply, buttons=not ephemeral):
        await interaction.followup.send(ephemeral=ephemeral, **message.kwargs())


def _choice(name: str, value: str) -> app_commands.Choice[str]:
    name = " ".join(name.split()) or value
    if len(name) > MAX_CHOICE_NAME:
        name = name[: MAX_CHOICE_NAME - 1] + "…"
    return app_commands.Choice(name=name, value=value[:MAX_CHOICE_NAME])


def build_commands(service: PaperService) -> list[app_commands.Group]:
    """`/papers` and `/papers-channel`, answering through ``service``."""
    papers = app_commands.Group(
        name="papers",
        description="Research papers: trending, search, your DM digest",
        allowed_contexts=_EVERYWHERE,
    )
    channel = app_commands.Group(
        name=CHANNEL_GROUP,
        description="This channel's daily paper posts (needs Manage Channels)",
        guild_only=True,
        allowed_contexts=_IN_SERVERS,
        default_permissions=MANAGE_CHANNELS,
    )

    async def run(
        interaction: discord.Interaction[Any],
        text: str,
        *,
        ephemeral: bool = False,
        manage: bool = False,
    ) -> None:
        if manage and not caller_of(interaction).is_admin:
            # Checked here, not only by Discord: default permissions are only defaults,
            # and server admins can open the group to anyone under Integrations.
            await interaction.response.send_message(
                NEED_MANAGE, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        # Searching and subscribing touch the database: always defer, then follow up.
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        try:
            reply = await run_command(service, text, caller_of(interaction))
        except UserError as exc:
            if not ephemeral:
                # The first follow-up inherits the public "thinking" message: remove it,
                # so the mistake is shown only to whoever made it.
                await interaction.delete_original_response()
            await send_reply(interaction, Reply(text=str(exc)), ephemeral=True)
            return
        await send_reply(interaction, reply, ephemeral=ephemeral)

    async def titles(interaction: discord.Interaction[Any], current: str) -> list[Any]:
        if len(current.strip()) < 2:
            return []
        hits = await run_search(service.store, parse_query(current), limit=MAX_CHOICES)
        return [_choice(h.paper.title or h.paper.id, h.paper.id) for h in hits][:MAX_CHOICES]

    async def zones(interaction: discord.Interaction[Any], current: str) -> list[Any]:
        needle = current.strip().lower()
        names = [n for n in _zone_names() if needle in n.lower()]
        return [_choice(n, n) for n in names[:MAX_CHOICES]]

    async def own_subscriptions(interaction: discord.Interaction[Any], current: str) -> list[Any]:
        caller = caller_of(interaction)
        where = Destination("discord", caller.workspace, caller.channel)
        subs = await service.store.subscriptions(destination=where)
        out = [_choice(f"#{s.id} {s.topic or 'trending'} at {s.at:%H:%M}", str(s.id)) for s in subs]
        return [c for c in out if current.strip() in c.name][:MAX_CHOICES]

    # -- /papers: for everyone, in servers and in a DM with the bot ----------------------

    @papers.command(description="The trending papers of the day, week or month")
    @app_commands.describe(period="How far back", topic="Optional topic, in search syntax")
    async def trending(
        interaction: discord.Interaction[Any],
        period: Literal["day", "week", "month"] = "week",
        topic: str = "",
    ) -> None:
        await run(interaction, f"trending {period} {topic}".strip())

    @papers.command(description="Find a paper by title, author, arXiv id, URL or topic")
    @app_commands.describe(query="Words, phrases, an author, an arXiv id or URL")
    @app_commands.autocomplete(query=titles)
    async def search(
        interaction: discord.Interaction[Any], query: app_commands.Range[str, 1, 300]
    ) -> None:
        await run(interaction, f"search {query}")

    @papers.command(description="One paper by arXiv id or URL")
    @app_commands.rename(paper_id="id")
    async def paper(
        interaction: discord.Interaction[Any], paper_id: app_commands.Range[str, 1, 200]
    ) -> None:
        await run(interaction, f"paper {paper_id}")

    @papers.command(description="This channel's daily posts and your DM digest")
    async def subscriptions(interaction: discord.Interaction[Any]) -> None:
        await run(interaction, "subscriptions", ephemeral=True)

    @papers.command(description="Your own digest by DM: on, off, pause, resume or settings")
    @app_commands.describe(options="For on: topic and options, e.g. `diffusion at 08:00 tz UTC`")
    async def digest(
        interaction: discord.Interaction[Any],
        action: Literal["on", "off", "pause", "resume", "settings"] = "settings",
        options: str = "",
    ) -> None:
        await run(interaction, f"digest {action} {options}".strip(), ephemeral=True)

    @papers.command(name="help", description="What paperbot can do")
    async def help_(interaction: discord.Interaction[Any]) -> None:
        reply = Reply(text=HELP_TEXT, title="paperbot commands")
        await interaction.response.send_message(
            **render_reply(reply, buttons=False)[0].kwargs(), ephemeral=True
        )

    # -- /papers-channel: changing this channel's daily posts ----------------------------

    @channel.command(description="Post trending papers in this channel every day")
    @app_commands.describe(
        topic="Only papers about this (search syntax)",
        time="Local time HH:MM (default 09:00)",
        timezone="IANA timezone, e.g. Europe/Berlin",
        weekdays="mon-fri, daily, weekends or mon,wed,fri",
        count="Papers per post",
        min_upvotes="Only papers with at least this many upvotes",
        source="Where the papers come from",
    )
    @app_commands.autocomplete(timezone=zones)
    @app_commands.choices(
        source=[
            app_commands.Choice(name="Hugging Face trending", value="hf"),
            app_commands.Choice(name="New on arXiv", value="arxiv"),
            app_commands.Choice(name="Both", value="both"),
        ]
    )
    async def subscribe(
        interaction: discord.Interaction[Any],
        topic: str = "",
        time: str = "",
        timezone: str = "",
        weekdays: str = "",
        count: app_commands.Range[int, 1, MAX_COUNT] | None = None,
        min_upvotes: app_commands.Range[int, 0, 100_000] | None = None,
        source: app_commands.Choice[str] | None = None,
    ) -> None:
        words = [shlex.quote(topic)] if topic.strip() else []
        if time:
            words += ["at", shlex.quote(time)]
        if timezone:
            words += ["tz", shlex.quote(timezone)]
        if weekdays:
            words += ["on", shlex.quote(weekdays)]
        if count is not None:
            words += ["count", str(count)]
        if min_upvotes is not None:
            words += ["min-upvotes", str(min_upvotes)]
        if source is not None:
            words += ["source", source.value]
        await run(interaction, "subscribe " + " ".join(words), manage=True)

    @channel.command(description="Stop one of this channel's daily posts")
    @app_commands.autocomplete(subscription=own_subscriptions)
    async def unsubscribe(interaction: discord.Interaction[Any], subscription: str) -> None:
        await run(interaction, f"unsubscribe {subscription}", ephemeral=True, manage=True)

    @channel.command(description="Pause one of this channel's daily posts")
    @app_commands.autocomplete(subscription=own_subscriptions)
    async def pause(interaction: discord.Interaction[Any], subscription: str) -> None:
        await run(interaction, f"pause {subscription}", ephemeral=True, manage=True)

    @channel.command(description="Resume a paused daily post")
    @app_commands.autocomplete(subscription=own_subscriptions)
    async def resume(interaction: discord.Interaction[Any], subscription: str) -> None:
        await run(interaction, f"resume {subscription}", ephemeral=True, manage=True)

    return [papers, channel]
