"""The buttons under each paper, with stable custom ids so they outlive a restart."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import discord

from bot.models import ActionKind, Card

__all__ = ["PaperButton", "custom_id", "paper_view"]

log = logging.getLogger(__name__)

_STYLES = {
    ActionKind.ABSTRACT: discord.ButtonStyle.secondary,
    ActionKind.SAVE: discord.ButtonStyle.primary,
}
# The paper id rides in the custom id, so a click on a message posted before a restart
# still names its paper (discord.py's DynamicItem).
_CALLBACKS = "|".join(k.value for k in ActionKind if not k.is_link)


def custom_id(action: ActionKind, paper_id: str) -> str:
    return f"paperbot:{action.value}:{paper_id}"


class PaperButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"paperbot:(?P<action>{_CALLBACKS}):(?P<paper>[^:\s]{{1,80}})",
):
    """One of a paper's buttons. Register it once with ``client.add_dynamic_items``;
    a click is handed to the client's ``on_paper_button(interaction, action, paper_id)``."""

    def __init__(self, action: ActionKind, paper_id: str) -> None:
        self.action = action
        self.paper_id = paper_id
        super().__init__(
            discord.ui.Button(
                label=action.label,
                style=_STYLES.get(action, discord.ButtonStyle.secondary),
                custom_id=custom_id(action, paper_id),
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PaperButton:
        return cls(ActionKind(match["action"]), match["paper"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler = getattr(interaction.client, "on_paper_button", None)
        if handler is None:
            log.warning("no handler for %s on %s", self.action, self.paper_id)
            return
        await handler(interaction, self.action, self.paper_id)


# Discord holds five buttons a row, one row a paper: these five, in this order. Like is
# `/papers like` (Save teaches the digest the same way); Discuss takes the place of the
# PDF link where a thread can open (a post in a server's channel), and the PDF is a
# link on the paper's own page (Abstract).
ROW = (ActionKind.ABSTRACT, ActionKind.SAVE, ActionKind.DISMISS, ActionKind.SIMILAR)


def paper_view(cards: Sequence[Card], *, discuss: bool = False) -> discord.ui.View:
    """One row per paper (at most five), its actions in order: links open in the browser."""
    view = discord.ui.View(timeout=None)
    last = ActionKind.DISCUSS if discuss else ActionKind.PDF
    for row, card in enumerate(cards[:5]):
        kept = {a.kind: a for a in card.actions}
        for action in (kept[k] for k in (*ROW, last) if k in kept):
            if action.kind.is_link:
                view.add_item(discord.ui.Button(label=action.kind.label, url=action.url, row=row))
            else:
                button = PaperButton(action.kind, card.paper_id)
                button.item.row = row
                view.add_item(button)
    return view
