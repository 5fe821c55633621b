"""The App Home tab: the reader's DM digest and saved papers, with buttons to change them."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.render import MAX_BUTTON, escape
from bot.api import PaperService
from bot.errors import UserError
from bot.models import Caller, Signal
from bot.replies import truncate
from bot.subscriptions.options import describe

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
    """The Home tab for ``caller``: built fresh from the store on every publish."""
    desk = service.desk
    dm = await desk.store.dm_subscription(caller.platform, caller.workspace, caller.user)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your paper digest"}}
    ]
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(note)}]})
    if dm is None:
        blocks.append(_section("No DM digest yet: trending papers in your DMs each weekday."))
        controls = [_button("Start my digest", "home_digest_on", style="primary")]
    else:
        state = "" if dm.active else " (paused)"
        blocks.append(_section(escape(f"{describe(dm)}{state}")))
        toggle = (
            ("Resume", "home_digest_resume") if not dm.active else ("Pause", "home_digest_pause")
        )
        controls = [_button(*toggle), _button("Turn off", "home_digest_off", style="danger")]
    blocks.append({"type": "actions", "block_id": "digest", "elements": controls})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Topic, time and days: `/papers digest on diffusion at 08:30 "
                    "Europe/Berlin on mon-fri` in any channel.",
                }
            ],
        }
    )
    blocks.append({"type": "divider"})
    signals = await desk.store.user_signals(caller.platform, caller.user)
    ids = list(dict.fromkeys(signals[Signal.SAVE] + signals[Signal.LIKE]))[:MAX_SAVED]
    papers = await desk.store.get_papers(ids) if ids else {}
    blocks.append({"type": "header", "text": {"type": "plain_text", "text": "Saved papers"}})
    if not papers:
        blocks.append(_section("Nothing saved yet: press *Save* under any paper."))
    for pid in ids:
        paper = papers.get(pid)
        if paper is None:
            continue
        title = escape(truncate(paper.title or pid, 200))
        section = _section(f"<{paper.abs_url}|{title}>  ·  {pid}")
        section["accessory"] = _button("Remove", "home_forget", pid)
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
        note = ""
        try:
            reply = await service.desk.digest(caller, word)
            note = reply.title
        except UserError as exc:
            note = str(exc)
        await publish_home(client, service, caller, note)

    async def forget(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()
        paper_id = body["actions"][0].get("value", "")
        caller = _caller(body["user"]["id"], (body.get("team") or {}).get("id", ""))
        for signal in (Signal.SAVE, Signal.LIKE):
            await service.store.remove_signal("slack", caller.user, paper_id, signal)
        await publish_home(client, service, caller, f"Removed {paper_id} from your saved papers.")

    app.event("app_home_opened")(opened)
    app.action(re.compile(r"^home_digest_(on|pause|resume|off)$"))(digest_button)
    app.action("home_forget")(forget)
