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
from adapters.slack.render import (
    ACTION_PREFIX,
    Message,
    abstract_section,
    render_reply,
    render_text,
)
from adapters.slack.syntax import SLACK
from bot.api import PaperService
from bot.commands import Rights, parse_text
from bot.errors import UserError
from bot.models import ActionKind, Caller, Reply

__all__ = ["SORRY", "caller_from", "register"]

log = logging.getLogger(__name__)

PLATFORM = "slack"
SORRY = "Sorry, something went wrong on our side; please try again in a minute."

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
    for message in render_reply(reply, discuss=share):
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
        caller = caller_from(command)
        try:
            invocation = parse_text(command.get("text") or "", SLACK)
            # Only a command that changes a channel's posts needs to know who manages it.
            if anyone_manages or invocation.command.rights is Rights.MANAGERS:
                admin = anyone_manages or await is_workspace_admin(client, caller.user)
                caller = caller_from(command, is_admin=admin)
            reply = await service.run(invocation, caller, SLACK)
        except UserError as exc:
            await send_text(respond, str(exc))
            return
        except Exception:
            log.exception("/papers %r failed for %s", (command.get("text") or "")[:100], caller)
            await send_text(respond, SORRY)
            return
        if invocation.command.name == "help":
            await send_text(respond, f"```{reply.text}```")
            return
        await send_reply(respond, reply, share=invocation.share)

    async def button(ack: Any, body: dict[str, Any], respond: Respond, client: Any) -> None:
        await ack()
        action = body["actions"][0]
        kind = ActionKind(action["action_id"].removeprefix(ACTION_PREFIX))
        if kind.is_link:
            return  # URL buttons open in the browser; Slack still tells us
        caller = caller_from(body)
        paper_id = action.get("value", "")
        try:
            if kind is ActionKind.DISCUSS:
                await discuss(service, client, body, caller, paper_id, respond)
                return
            reply = await service.act(kind, paper_id, caller, SLACK)
        except UserError as exc:
            await send_text(respond, str(exc))
            return
        except Exception:
            log.exception("%s of %r failed for %s", kind, paper_id[:40], caller)
            await send_text(respond, SORRY)
            return
        if kind is ActionKind.ABSTRACT:
            await show_abstract(body, reply, respond)
        elif reply.cards:
            await send_reply(respond, reply)
        else:
            await send_text(respond, reply.text)

    app.command("/papers")(papers)
    kinds = "|".join(k.value for k in ActionKind)
    app.action(re.compile(rf"^{ACTION_PREFIX}({kinds})$"))(button)
    register_home(app, service)


async def show_abstract(body: dict[str, Any], reply: Reply, respond: Respond) -> None:
    """Grow the clicked paper's section to its whole abstract, in place when Slack sent
    the message (it does not for ephemeral ones: then a private message shows it)."""
    [card] = reply.cards
    section = abstract_section(card)
    original = (body.get("message") or {}).get("blocks")
    if original:
        blocks = [section if b.get("block_id") == section["block_id"] else b for b in original]
        text = body["message"].get("text") or card.title
        await respond(text=text, blocks=blocks, replace_original=True)
    else:
        await respond(
            text=render_text(card.title),
            blocks=[section],
            response_type="ephemeral",
            replace_original=False,
        )


async def discuss(
    service: PaperService,
    client: Any,
    body: dict[str, Any],
    caller: Caller,
    paper_id: str,
    respond: Respond,
) -> None:
    """Open the paper's thread under the clicked post, or point to the one already open:
    one thread per paper per channel, whichever post it was clicked under."""
    posted = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get(
        "ts"
    )
    if not posted or not caller.channel:
        await send_text(respond, "A discussion opens under a post in a channel.")
        return
    discussion = await service.discuss(caller, paper_id)
    title = discussion.card.title
    if discussion.thread == "":
        await send_text(respond, f"The discussion of '{title}' is being opened; look again soon.")
        return
    if discussion.thread:
        link = await client.chat_getPermalink(channel=caller.channel, message_ts=discussion.thread)
        await send_text(respond, f"The discussion of '{title}' is here: {link['permalink']}")
        return
    try:
        seed = render_reply(Reply(text=title, title=title, cards=(discussion.card,)), buttons=False)
        for message in seed:
            await client.chat_postMessage(
                channel=caller.channel, thread_ts=posted, **message.kwargs()
            )
    except Exception:
        await service.discussed(caller, paper_id, None)  # let the next click try again
        raise
    await service.discussed(caller, paper_id, posted)
    await send_text(respond, f"Started a thread for '{title}' under this post.")
