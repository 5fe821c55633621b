"""The App Home tab: the reader's DM digest and saved papers, with buttons to change them."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.render import MAX_BUTTON, escape
from adapters.slack.syntax import SLACK
from bot.api import PaperService
from bot.commands import invocation
from bot.errors import UserError
from bot.models import Caller
from bot.replies import truncate

__all__ = ["home_view", "publish_home", "register_home"]

log = logging.getLogger(__name__)

MAX_SAVED = 20  # each saved paper is one block; a Home view holds 100


def _button(label: str, action_id: str, value: str = "", style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:MAX_BUTTON]},
        "action_id": action_id,
        "value": value or action_id,
    }
    if style:
        button["style"] = style
    return button


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000)}}


async def home_view(service: PaperService, caller: Caller, note: str = "") -> dict[str, Any]:
    """The Home tab for ``caller``: built fresh on every publish."""
    home = await service.home(caller)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your paper digest"}}
    ]
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(note)}]})
    if not home.has_digest:
        blocks.append(_section("No DM digest yet: trending papers in your DMs each weekday."))
        controls = [_button("Start my digest", "home_digest_on", style="primary")]
    else:
        state = "" if home.active else " (paused)"
        blocks.append(_section(escape(f"{home.digest}{state}")))
        toggle = (
            ("Resume", "home_digest_resume") if not home.active else ("Pause", "home_digest_pause")
        )
        controls = [_button(*toggle), _button("Turn off", "home_digest_off", style="danger")]
    blocks.append({"type": "actions", "block_id": "digest", "elements": controls})
    example = SLACK.example(
        "digest", "on", "diffusion", time="08:30", timezone="Europe/Berlin", weekdays="mon-fri"
    )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"Topic, time and days: `{example}` in any channel."}
            ],
        }
    )
    blocks.append({"type": "divider"})
    blocks.append({"type": "header", "text": {"type": "plain_text", "text": "Saved papers"}})
    if not home.saved:
        blocks.append(_section("Nothing saved yet: press *Save* under any paper."))
    for card in home.saved[:MAX_SAVED]:
        title = escape(truncate(card.title, 200))
        section = _section(f"<{card.url}|{title}>  ·  {card.paper_id}")
        section["accessory"] = _button("Remove", "home_forget", card.paper_id)
        blocks.append(section)
    return {"type": "home", "blocks": blocks}


async def publish_home(client: Any, service: PaperService, caller: Caller, note: str = "") -> None:
    view = await home_view(service, caller, note)
    await client.views_publish(user_id=caller.user, view=view)


def register_home(app: AsyncApp, service: PaperService) -> None:
    """Publish the Home tab when opened, and act on its buttons."""

    def _caller(user: str, team: str) -> Caller:
        return Caller("slack", user, team)

    async def opened(event: dict[str, Any], body: dict[str, Any], client: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        await publish_home(client, service, _caller(event["user"], body.get("team_id", "")))

    async def digest_button(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()
        word = body["actions"][0]["action_id"].removeprefix("home_digest_")
        caller = _caller(body["user"]["id"], (body.get("team") or {}).get("id", ""))
        note = await _run(service, caller, "digest", {"action": word})
        await publish_home(client, service, caller, note)

    async def forget(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()
        paper_id = body["actions"][0].get("value", "")
        caller = _caller(body["user"]["id"], (body.get("team") or {}).get("id", ""))
        note = await _run(service, caller, "unsave", {"paper": paper_id})
        await publish_home(client, service, caller, note)

    app.event("app_home_opened")(opened)
    app.action(re.compile(r"^home_digest_(on|pause|resume|off)$"))(digest_button)
    app.action("home_forget")(forget)


async def _run(service: PaperService, caller: Caller, name: str, values: dict[str, str]) -> str:
    """A Home button is a command: its answer (or what was wrong) becomes the note."""
    try:
        reply = await service.run(invocation(name, values), caller, SLACK)
    except UserError as exc:
        return str(exc)
    return reply.title
