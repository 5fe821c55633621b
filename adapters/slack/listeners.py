"""Bolt listeners: the `/papers` command and the paper buttons, each acknowledged first."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.home import register_home
from adapters.slack.render import Message, abstract_section, render_reply, render_text
from bot.api import PaperService
from bot.commands import run_command, split_command
from bot.errors import UserError
from bot.models import Caller, Reply
from bot.replies import card_for

__all__ = ["SORRY", "register"]

log = logging.getLogger(__name__)

PLATFORM = "slack"
SORRY = "Sorry, something went wrong on our side; please try again in a minute."
# Answers everyone in the channel may see when the asker ends the command with "share".
SHAREABLE = {"trending", "top", "hot", "search", "find", "s", "paper", "show", "id"}
# Commands that change a channel's existing subscriptions: rights depend on is_admin.
CHANGES = {"unsubscribe", "unsub", "remove", "pause", "resume", "edit"}
HELP_EXTRA = (
    "\nAdd `share` at the end of trending, search or paper to post the answer to the "
    "channel; otherwise only you see it."
)

Respond = Callable[..., Awaitable[Any]]


def caller_from(body: Mapping[str, Any], *, is_admin: bool = False) -> Caller:
    """Who and where, from a slash command or an interaction payload."""
    user = body.get("user_id") or (body.get("user") or {}).get("id", "")
    team = body.get("team_id") or (body.get("team") or {}).get("id") or ""
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    if channel.startswith("D"):  # a direct message with the bot is not a channel
        channel = ""
    return Caller(PLATFORM, user, team, channel, is_admin)


async def is_workspace_admin(client: AsyncWebClient, user: str) -> bool:
    """Slack's word on it (``users.info``); a failed lookup grants nothing."""
    try:
        info = await client.users_info(user=user)
    except SlackApiError as exc:
        log.warning("users.info %s failed: %s", user, exc.response.get("error"))
        return False
    profile = info.get("user") or {}
    return bool(profile.get("is_admin") or profile.get("is_owner"))


async def send_reply(respond: Respond, reply: Reply, *, share: bool = False) -> None:
    kind = "in_channel" if share else "ephemeral"
    for message in render_reply(reply):
        await respond(**message.kwargs(), response_type=kind, replace_original=False)


async def send_text(respond: Respond, text: str) -> None:
    message = Message(render_text(text))
    await respond(text=message.text, response_type="ephemeral", replace_original=False)


def register(app: AsyncApp, service: PaperService, *, anyone_manages: bool = False) -> None:
    """Attach every listener of paperbot to ``app``."""

    async def papers(ack: Any, command: dict[str, Any], respond: Respond, client: Any) -> None:
        # Acknowledge at once: Slack gives up after 3 seconds. The work follows and
        # answers through response_url.
        await ack()
        text = command.get("text") or ""
        name, rest = split_command(text)
        words = rest.split()
        share = name in SHAREABLE and bool(words) and words[-1].lower() == "share"
        if share:
            text = f"{name} {' '.join(words[:-1])}"
        admin = anyone_manages or (
            name in CHANGES and await is_workspace_admin(client, command.get("user_id", ""))
        )
        caller = caller_from(command, is_admin=admin)
        try:
            reply = await run_command(service, text, caller)
        except UserError as exc:
            await send_text(respond, str(exc))
            return
        except Exception:
            log.exception("/papers %s failed for %s", name, caller)
            await send_text(respond, SORRY)
            return
        if name in {"help", "?", "-h", "--help"}:
            body = f"```{reply.text}```{HELP_EXTRA}"
            await send_text(respond, body)
            return
        await send_reply(respond, reply, share=share)

    async def abstract(ack: Any, body: dict[str, Any], respond: Respond) -> None:
        await ack()
        paper_id = body["actions"][0].get("value", "")
        paper = await service.store.get_paper(paper_id)
        if paper is None:
            await send_text(respond, f"No paper {paper_id} found.")
            return
        section = abstract_section(card_for(paper))
        original = (body.get("message") or {}).get("blocks")
        if original:
            # Expand in place: the same message with this paper's section grown.
            blocks = [section if b.get("block_id") == section["block_id"] else b for b in original]
            text = body["message"].get("text") or paper.title
            await respond(text=text, blocks=blocks, replace_original=True)
        else:
            await respond(
                text=render_text(paper.title),
                blocks=[section],
                response_type="ephemeral",
                replace_original=False,
            )

    async def signal(ack: Any, body: dict[str, Any], respond: Respond) -> None:
        await ack()
        action = body["actions"][0]
        word = action["action_id"].removeprefix("paper_")
        caller = caller_from(body)
        try:
            reply = await run_command(service, f"{word} {action.get('value', '')}", caller)
        except UserError as exc:
            await send_text(respond, str(exc))
            return
        except Exception:
            log.exception("%s failed for %s", word, caller)
            await send_text(respond, SORRY)
            return
        await send_text(respond, reply.text)

    async def link_only(ack: Any) -> None:
        # URL buttons open in the browser; Slack still tells us and wants an ack.
        await ack()

    app.command("/papers")(papers)
    app.action("paper_abstract")(abstract)
    app.action(re.compile(r"^paper_(save|like|dismiss)$"))(signal)
    app.action("paper_pdf")(link_only)
    register_home(app, service)
