"""The Discord bot: an auto-sharded discord.py client, the `/papers` and
`/papers-channel` commands, the buttons, and the scheduler in the same process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from adapters.discord.commands import build_commands, caller_of, send_reply
from adapters.discord.health import serve_health
from adapters.discord.outbound import DiscordOutbound
from adapters.discord.render import NO_MENTIONS, card_embed
from adapters.discord.syntax import DISCORD
from adapters.discord.views import PaperButton
from bot.api import PaperService, Scheduler
from bot.config import DiscordSettings, Shards
from bot.delivery.outbound import Outbound
from bot.errors import ConfigError, PaperbotError, UserError
from bot.models import ActionKind, Reply

__all__ = [
    "PERMISSIONS",
    "SCOPES",
    "PaperBot",
    "PaperTree",
    "invite_url",
    "run_discord",
    "shard_label",
    "shard_options",
    "use_api_url",
]

log = logging.getLogger(__name__)

SCOPES = ("bot", "applications.commands")
# A thread's name holds 100 characters; an idle one archives after a week.
SORRY = "Sorry, something went wrong on our side."
THREAD_NAME = 100
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080
# What the bot does in a channel: see it, post embeds with links, open and post in
# discussion threads, and read back its own recent posts (after a crash, to not post a
# digest twice).
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    read_message_history=True,
)


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)


def use_api_url(api_url: str) -> None:
    """Point discord.py at ``DISCORD_API_URL``. The library has one REST base for the
    process (``Route.BASE``); the gateway address then comes from ``GET /gateway/bot``."""
    discord.http.Route.BASE = api_url.rstrip("/")


class PaperTree(app_commands.CommandTree[Any]):
    """The command tree: an error no handler expected gets a short apology, and a log."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        log.error("command failed: %r", error, exc_info=error)
        text = SORRY
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=NO_MENTIONS
            )


def shard_label(ids: Sequence[int], count: int) -> str:
    """``shard 5 of 8``, ``shards 0-3 of 8``, ``shards 0, 2-3 of 8``."""
    runs: list[list[int]] = []
    for shard in sorted(ids):
        if runs and shard == runs[-1][-1] + 1:
            runs[-1].append(shard)
        else:
            runs.append([shard])
    named = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return f"shard{'s' * (len(ids) > 1)} {named} of {count}"


class PaperBot(discord.AutoShardedClient):
    """discord.py's automatic sharding: one shard or many, no code change; or, with
    ``shard_ids`` and ``shard_count``, this process's part of the shards."""

    def __init__(
        self,
        service: PaperService,
        *,
        guild: int | None = None,
        scheduler_for: Callable[[Outbound], Scheduler] | None = None,
        **options: Any,
    ) -> None:
        # No privileged intents: app commands and buttons need none.
        super().__init__(intents=discord.Intents.default(), **options)
        self.service = service
        self.guild = guild
        self.outbound = DiscordOutbound(self)
        self.tree = PaperTree(self)
        for group in build_commands(service):
            self.tree.add_command(group)
        self._scheduler_for = scheduler_for
        self._scheduler_task: asyncio.Task[None] | None = None
        self._said_up = False
        # Where GET /health is served (run_discord --health-port), for the "up" line.
        self.health_port: int | None = None

    async def setup_hook(self) -> None:
        if self.shard_ids is not None:
            # Given its shards, discord.py connects to its built-in gateway address
            # instead of asking GET /gateway/bot, so DISCORD_API_URL would not move it.
            _, url, _ = await self.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        self.add_dynamic_items(PaperButton)  # buttons posted before a restart still work
        if self.guild is not None:
            where = discord.Object(self.guild)
            self.tree.copy_global_to(guild=where)
            await self.tree.sync(guild=where)
        else:
            await self.tree.sync()
        if self.application_id is not None:
            log.info("invite paperbot with %s", invite_url(self.application_id))
        if self._scheduler_for is not None:
            scheduler = self._scheduler_for(self.outbound)
            self._scheduler_task = asyncio.create_task(scheduler.run(), name="scheduler")

    async def on_ready(self) -> None:
        """Every shard is connected: say so once, on standard output, with the invite."""
        if self._said_up:
            return  # on_ready comes again after a reconnect
        self._said_up = True
        if self.shard_ids is not None and self.shard_count is not None:
            shards = shard_label(self.shard_ids, self.shard_count)
        else:
            count = self.shard_count or 1
            shards = f"{count} shard{'s' * (count > 1)}"
        health = f"; health at port {self.health_port}" if self.health_port is not None else ""
        invite = (
            f"; invite it with {invite_url(self.application_id)}" if self.application_id else ""
        )
        print(
            f"paperbot: Discord bot {self.user} is up on {shards}, "
            f"in {len(self.guilds)} server{'s' * (len(self.guilds) != 1)}{health}{invite}",
            flush=True,
        )

    async def close(self) -> None:
        if self._scheduler_task is not None:
            self._scheduler_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scheduler_task
        await super().close()

    async def on_paper_button(
        self, interaction: discord.Interaction[Any], action: ActionKind, paper_id: str
    ) -> None:
        """A click on a paper's button; answers only the clicker."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            if action is ActionKind.DISCUSS:
                reply = await self._discuss(interaction, paper_id)
            else:
                reply = await self.service.act(action, paper_id, caller_of(interaction), DISCORD)
        except UserError as exc:
            reply = Reply(text=str(exc))
        except Exception:
            log.exception("%s of %s failed", action.value, paper_id)
            reply = Reply(text=SORRY)
        if action is ActionKind.ABSTRACT and reply.cards:
            embed = card_embed(reply.cards[0], expanded=True)
            await interaction.followup.send(
                embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        await send_reply(interaction, reply, ephemeral=True)

    async def _discuss(self, interaction: discord.Interaction[Any], paper_id: str) -> Reply:
        """The paper's thread in this channel: opened now (seeded with its page), or the
        one a click here opened before."""
        caller = caller_of(interaction)
        discussion = await self.service.discuss(caller, paper_id)
        title = discussion.card.title
        if discussion.thread == "":
            return Reply(text=f"The discussion of '{title}' is being opened; look again soon.")
        if discussion.thread:
            return Reply(text=f"The discussion of '{title}' is here: <#{discussion.thread}>")
        try:
            thread = await self.http.start_thread_without_message(
                int(caller.channel),
                name=title[:THREAD_NAME] or paper_id,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                type=discord.ChannelType.public_thread.value,
            )
            seed = card_embed(discussion.card, expanded=True)
            await self.get_partial_messageable(int(thread["id"])).send(
                embed=seed, allowed_mentions=NO_MENTIONS
            )
        except Exception:
            await self.service.discussed(caller, paper_id, None)  # the next click tries again
            raise
        await self.service.discussed(caller, paper_id, str(thread["id"]))
        return Reply(text=f"Started a discussion of '{title}': <#{thread['id']}>")


def shard_options(shards: Shards | None) -> dict[str, Any]:
    """``PAPERBOT_DISCORD_SHARDS`` as discord.py's client options; none when unset."""
    if shards is None:
        return {}
    return {"shard_ids": list(shards.ids), "shard_count": shards.total}


async def run_discord(
    service: PaperService,
    settings: DiscordSettings,
    *,
    scheduler_for: Callable[[Outbound], Scheduler] | None = None,
    health_port: int | None = None,
    host: str = "0.0.0.0",
) -> None:
    """Run until stopped: log in, sync commands, post on schedule; with ``health_port``,
    serve ``GET /health`` there from before logging in.

    Raises ``PaperbotError`` when Discord cannot be reached or the health port cannot
    be served, and ``ConfigError`` when Discord refuses the token.
    """
    assert settings.token is not None  # load_discord checked it
    use_api_url(settings.api_url)
    voice = logging.getLogger("discord.client")
    if _no_voice_warnings not in voice.filters:
        voice.addFilter(_no_voice_warnings)
    bot = PaperBot(
        service,
        guild=settings.guild,
        scheduler_for=scheduler_for,
        **shard_options(settings.shards),
    )
    try:
        async with bot, contextlib.AsyncExitStack() as stack:
            if health_port is not None:
                serving = serve_health(bot, service, host, health_port)
                bot.health_port = await stack.enter_async_context(serving)
            await bot.start(settings.token.get_secret_value())
    except aiohttp.ClientConnectorError as exc:  # refused, no route, DNS
        reason = exc.os_error.strerror or exc.os_error
        raise PaperbotError(f"cannot reach Discord at {settings.api_url}: {reason}") from None
    except discord.LoginFailure as exc:
        raise ConfigError(f"DISCORD_TOKEN: Discord refused the token ({exc})") from None


def _no_voice_warnings(record: logging.LogRecord) -> bool:
    """False for discord.py's start-up warnings that voice libraries (PyNaCl, davey)
    are missing: paperbot never joins a voice channel."""
    return "voice will NOT be supported" not in record.getMessage()
