"""Discord's app commands, generated from the core's command table.

`/papers` holds every command anyone may run (also in a DM with the bot); the commands
that change a channel's daily posts sit under `/papers-channel`, synced with Manage
Channels as their default permission (Discord applies default permissions to top-level
commands only). Each table argument becomes a typed option: whole numbers with their
bounds, choices, booleans, and autocomplete where the table suggests values.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import discord
from discord import app_commands

from adapters.discord.render import NO_MENTIONS, render_reply
from adapters.discord.syntax import CHANNEL_GROUP, DISCORD, PAPERS_GROUP, group_of
from bot.api import PaperService
from bot.commands import COMMANDS, Arg, Command, Kind, Rights, Suggest, invocation
from bot.errors import UserError
from bot.models import Caller, Reply

__all__ = ["NEED_MANAGE", "build_commands", "caller_of", "send_reply"]

log = logging.getLogger(__name__)

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
MAX_CHOICE_NAME = 100
MAX_DESCRIPTION = 100
MAX_TEXT = 300  # typed text options: more is never a title or a topic
NEED_MANAGE = "Changing this channel's daily posts needs the Manage Channels permission."
MANAGE_CHANNELS = discord.Permissions(manage_channels=True)
_EVERYWHERE = app_commands.AppCommandContext(guild=True, dm_channel=True)
_IN_SERVERS = app_commands.AppCommandContext(guild=True)

Suggester = Callable[
    [discord.Interaction[Any], str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]


def caller_of(interaction: discord.Interaction[Any]) -> Caller:
    """Who asked and where; Manage Channels in this channel makes them a manager."""
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
    """Answer a deferred interaction with as many follow-ups as the reply needs; a public
    answer in a server's channel can open discussion threads."""
    discuss = not ephemeral and interaction.guild_id is not None
    for message in render_reply(reply, buttons=not ephemeral, discuss=discuss):
        await interaction.followup.send(ephemeral=ephemeral, **message.kwargs())


def _choice(name: str, value: str) -> app_commands.Choice[str]:
    name = " ".join(name.split()) or value
    if len(name) > MAX_CHOICE_NAME:
        name = name[: MAX_CHOICE_NAME - 1] + "…"
    return app_commands.Choice(name=name, value=value[:MAX_CHOICE_NAME])


def _annotation(arg: Arg) -> Any:
    """The Python type discord.py turns into the option's Discord type."""
    if arg.kind is Kind.INTEGER:
        return app_commands.Range[int, arg.low, arg.high]
    if arg.kind is Kind.FLAG:
        return bool
    if arg.kind is Kind.CHOICE:
        return str
    return app_commands.Range[str, 1, MAX_TEXT]


async def run(
    service: PaperService,
    interaction: discord.Interaction[Any],
    command: Command,
    values: dict[str, Any],
) -> None:
    """One table command for one interaction: check rights, defer, answer."""
    caller = caller_of(interaction)
    if command.rights is Rights.MANAGERS and not caller.is_admin:
        # Checked here, not only by Discord: default permissions are only defaults,
        # and server admins can open the group to anyone under Integrations.
        await interaction.response.send_message(
            NEED_MANAGE, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return
    # Only a shareable answer is for the channel; the rest is for the asker.
    ephemeral = not command.shareable
    # Searching and subscribing touch the database: always defer, then follow up.
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    try:
        reply = await service.run(invocation(command.name, values), caller, DISCORD)
    except UserError as exc:
        if not ephemeral:
            # The first follow-up inherits the public "thinking" message: remove it,
            # so the mistake is shown only to whoever made it.
            await interaction.delete_original_response()
        await send_reply(interaction, Reply(text=str(exc)), ephemeral=True)
        return
    if command.name == "help":
        # Help is a table of commands: monospace keeps it one, and an embed holds it all.
        embed = discord.Embed(title=reply.title, description=f"```\n{reply.text}\n```")
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)
        return
    await send_reply(interaction, reply, ephemeral=ephemeral)


def _suggester(service: PaperService, suggest: Suggest) -> Suggester:
    async def suggestions(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            found = await service.complete(suggest, current, caller_of(interaction))
        except UserError:  # restarting: nothing to suggest
            return []
        return [_choice(c.name, c.value) for c in found][:MAX_CHOICES]

    return suggestions


def app_command(service: PaperService, command: Command) -> app_commands.Command[Any, ..., None]:
    """``command`` as a Discord subcommand whose options are its arguments."""

    async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
        await run(service, interaction, command, values)

    parameters = [
        inspect.Parameter(
            "interaction",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=discord.Interaction,
        )
    ]
    for arg in command.args:
        parameters.append(
            inspect.Parameter(
                arg.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(arg),
                default=inspect.Parameter.empty if arg.required else None,
            )
        )
    # discord.py reads the options from the callback's signature, as it would from a
    # hand-written one; this one is the table's.
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    described = {a.name: a.help[:MAX_DESCRIPTION] for a in command.args}
    if described:
        app_commands.describe(**described)(callback)
    choices = {
        a.name: [app_commands.Choice(name=c, value=c) for c in a.choices]
        for a in command.args
        if a.kind is Kind.CHOICE
    }
    if choices:
        app_commands.choices(**choices)(callback)
    suggested = {a.name: _suggester(service, a.suggest) for a in command.args if a.suggest}
    if suggested:
        app_commands.autocomplete(**suggested)(callback)
    return app_commands.Command(
        name=command.name, description=command.help[:MAX_DESCRIPTION], callback=callback
    )


def build_commands(service: PaperService) -> list[app_commands.Group]:
    """`/papers` and `/papers-channel`, every table command in one of them."""
    groups = {
        PAPERS_GROUP: app_commands.Group(
            name=PAPERS_GROUP,
            description="Research papers: trending, search, your DM digest",
            allowed_contexts=_EVERYWHERE,
        ),
        CHANNEL_GROUP: app_commands.Group(
            name=CHANNEL_GROUP,
            description="This channel's daily paper posts (needs Manage Channels)",
            guild_only=True,
            allowed_contexts=_IN_SERVERS,
            default_permissions=MANAGE_CHANNELS,
        ),
    }
    for command in COMMANDS:
        groups[group_of(command)].add_command(app_command(service, command))
    return list(groups.values())
