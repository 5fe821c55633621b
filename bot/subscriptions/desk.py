"""The subscription desk: subscribe, list, edit, pause, DM digests and what readers keep.

Handlers of the command table call it with checked values; rights are checked here, the
same for every front end: anyone the platform lets run a command may subscribe a
channel, and a channel's subscription is changed only by its creator or a channel
manager (``Caller.is_admin``). Replies name commands in the caller's ``Syntax``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotFound, StoreError, UserError
from bot.models import Caller, Home, Reply, Signal, Subscription
from bot.replies import card_for, cards_reply, text_reply
from bot.store.port import Store
from bot.subscriptions.options import Options, describe, schedule_line

if TYPE_CHECKING:  # a front end's syntax comes with each call
    from bot.commands import Syntax

__all__ = ["MAX_PER_CHANNEL", "MAX_SAVED", "SubscriptionDesk"]

MAX_PER_CHANNEL = 10
MAX_SAVED = 25  # saved papers listed at once
_SIGNAL_WORDS = {
    Signal.SAVE: "Saved",
    Signal.LIKE: "Liked",
    Signal.DISMISS: "Got it: fewer papers like",
}


class SubscriptionDesk:
    """Answers subscription and signal commands for one caller at a time."""

    def __init__(self, store: Store, *, clock: Callable[[], dt.datetime]) -> None:
        self._store = store
        self._clock = clock

    # -- channel subscriptions -------------------------------------------------------

    async def subscribe(self, caller: Caller, options: Options, syntax: Syntax) -> Reply:
        if not caller.channel:
            raise InvalidInput(
                "Subscribe from the channel that should get the posts; for your own "
                f"digest use `{syntax.example('digest', 'on')}`."
            )
        existing = await self._store.subscriptions(destination=caller.place)
        if len(existing) >= MAX_PER_CHANNEL:
            raise UserError(
                f"This channel already has {MAX_PER_CHANNEL} subscriptions; remove one first."
            )
        draft = Subscription(
            id=0, destination=caller.place, owner=caller.user, created_at=self._clock()
        )
        _refuse_twins(options.apply(draft), existing, syntax)
        sub = await self._store.add_subscription(options.apply(draft))
        edit = syntax.example("edit", sub.id)
        return text_reply(f"Subscribed this channel: {describe(sub)}\nChange it with `{edit} ...`.")

    async def overview(self, caller: Caller, syntax: Syntax) -> Reply:
        subs = await self._store.subscriptions(destination=caller.place) if caller.channel else []
        dm = await self._store.dm_subscription(caller.platform, caller.workspace, caller.user)
        now = self._clock()
        last = await self._store.last_sent([s.id for s in subs] + ([dm.id] if dm else []))
        lines = [f"{describe(s)}\n    {schedule_line(s, now, last.get(s.id))}" for s in subs]
        if not lines and dm is None:
            example = syntax.example("subscribe", "diffusion", time="09:00", timezone="UTC")
            return text_reply(
                f"No subscriptions here yet. Try `{example}` or `{syntax.example('digest', 'on')}`."
            )
        text = (
            "Subscriptions in this channel:\n" + "\n".join(lines)
            if lines
            else "No channel subscriptions here."
        )
        if dm is not None:
            text += (
                f"\nYour DM digest: {describe(dm)}\n    {schedule_line(dm, now, last.get(dm.id))}"
            )
        return text_reply(text)

    async def visible(self, caller: Caller, number: int, syntax: Syntax) -> Subscription:
        """Subscription ``number``, if it is this place's or the caller's own digest."""
        sub = await self._store.get_subscription(number)
        here = sub is not None and (
            sub.destination == caller.place or (sub.is_dm and sub.destination == caller.inbox)
        )
        if sub is None or not here:
            listed = syntax.example("subscriptions")
            raise NotFound(f"No subscription #{number} here; see `{listed}`.")
        return sub

    async def _own(self, caller: Caller, number: int, syntax: Syntax) -> Subscription:
        """Subscription ``number``, if it belongs here and this caller may change it."""
        sub = await self.visible(caller, number, syntax)
        if not sub.is_dm and sub.owner != caller.user and not caller.is_admin:
            raise UserError(f"Only the person who created #{sub.id} or an admin can change it.")
        return sub

    async def remove(self, caller: Caller, number: int, syntax: Syntax) -> Reply:
        sub = await self._own(caller, number, syntax)
        await self._store.remove_subscription(sub.id)
        return text_reply(f"Removed subscription #{sub.id}.")

    async def set_active(self, caller: Caller, number: int, active: bool, syntax: Syntax) -> Reply:
        sub = await self._own(caller, number, syntax)
        return await self._set_active(caller, sub, active)

    async def _set_active(self, caller: Caller, sub: Subscription, active: bool) -> Reply:
        if sub.active == active:
            state = "active" if active else "paused"
            return text_reply(f"Subscription #{sub.id} is already {state}.")
        # Platform user ids mean nothing to readers; the day says when.
        reason = "" if active else f"paused on {self._clock():%Y-%m-%d}"
        changed = replace(sub, active=active, paused_reason=reason)
        if active:
            # Resuming must not post every slot missed while paused.
            changed = replace(changed, created_at=self._clock())
        await self._store.update_subscription(changed)
        return text_reply(f"{'Resumed' if active else 'Paused'}: {describe(changed)}")

    async def edit(self, caller: Caller, number: int, options: Options, syntax: Syntax) -> Reply:
        sub = await self._own(caller, number, syntax)
        changed = options.apply(sub)
        if not sub.is_dm:
            others = await self._store.subscriptions(destination=sub.destination)
            _refuse_twins(changed, [s for s in others if s.id != sub.id], syntax)
        await self._store.update_subscription(changed)
        return text_reply(f"Updated: {describe(changed)}")

    # -- DM digests ------------------------------------------------------------------

    async def digest(
        self, caller: Caller, action: str | None, options: Options, syntax: Syntax
    ) -> Reply:
        """``action`` None with options means "on" with them, without means "settings"."""
        current = await self._store.dm_subscription(caller.platform, caller.workspace, caller.user)
        start = syntax.example("digest", "on")
        if action == "settings" or (action is None and not options.given):
            if current is None:
                return text_reply(
                    f"You have no DM digest. Start one with `{start} [topic] [options]`."
                )
            return text_reply(f"Your DM digest: {describe(current)}")
        if action == "off":
            if current is None:
                return text_reply("You have no DM digest.")
            await self._store.remove_subscription(current.id)
            return text_reply("Your DM digest is off.")
        if action in {"pause", "resume"}:
            if current is None:
                raise NotFound(f"You have no DM digest. Start one with `{start}`.")
            return await self._set_active(caller, current, action == "resume")
        if current is not None:
            changed = options.apply(current)
            if not changed.active and action == "on":
                changed = replace(changed, active=True, paused_reason="", created_at=self._clock())
            await self._store.update_subscription(changed)
            return text_reply(f"Your DM digest: {describe(changed)}")
        draft = Subscription(
            id=0, destination=caller.inbox, owner=caller.user, created_at=self._clock()
        )
        try:
            sub = await self._store.add_subscription(options.apply(draft))
        except StoreError:  # two commands at once: the other one made it
            raise UserError(
                f"You already have a DM digest; see `{syntax.example('digest')}`."
            ) from None
        return text_reply(
            f"Your DM digest is on: {describe(sub)}\nSave, like or dismiss papers to teach it."
        )

    # -- what readers keep -----------------------------------------------------------

    async def signal(self, caller: Caller, paper_id: str, signal: Signal) -> Reply:
        paper = await self._store.get_paper(paper_id)
        if paper is None:
            raise NotFound(f"No paper {paper_id} found.")
        # A reader changes their mind: "not interested" undoes a save, a save undoes it.
        undone = [Signal.SAVE, Signal.LIKE] if signal is Signal.DISMISS else [Signal.DISMISS]
        async with self._store.transaction():
            await self._store.add_signal(
                caller.platform, caller.workspace, caller.user, paper.id, signal, now=self._clock()
            )
            dropped = [
                s
                for s in undone
                if await self._store.remove_signal(caller.platform, caller.user, paper.id, s)
            ]
        after = {Signal.SAVE: " (no longer saved)", Signal.LIKE: " (no longer liked)"}
        note = "".join(after.get(s, "") for s in dropped[:1])
        return text_reply(f"{_SIGNAL_WORDS[signal]} '{paper.title}'{note}.")

    async def unsave(self, caller: Caller, paper_id: str) -> Reply:
        """Forget that the caller saved or liked a paper."""
        removed = False
        for signal in (Signal.SAVE, Signal.LIKE):
            removed |= await self._store.remove_signal(
                caller.platform, caller.user, paper_id, signal
            )
        if not removed:
            return text_reply(f"{paper_id} was not among your saved papers.")
        return text_reply(f"Removed {paper_id} from your saved papers.")

    async def _kept(self, caller: Caller) -> list[tuple[str, str]]:
        """The caller's saved and liked papers, newest first: (id, "saved" or "liked")."""
        signals = await self._store.user_signals(caller.platform, caller.user)
        saved = set(signals[Signal.SAVE])
        ids = list(dict.fromkeys(signals[Signal.SAVE] + signals[Signal.LIKE]))[:MAX_SAVED]
        return [(i, "saved" if i in saved else "liked") for i in ids]

    async def saved(self, caller: Caller, syntax: Syntax) -> Reply:
        kept = await self._kept(caller)
        if not kept:
            save = syntax.example("save", "ID")
            return text_reply(f"Nothing saved yet: `{save}` keeps a paper for later.")
        papers = await self._store.get_papers([i for i, _ in kept])
        cards = [card_for(papers[i], reason=verb) for i, verb in kept if i in papers]
        return cards_reply("Your saved and liked papers", cards)

    async def home(self, caller: Caller) -> Home:
        """The caller's digest and kept papers, for a page of their own."""
        dm = await self._store.dm_subscription(caller.platform, caller.workspace, caller.user)
        kept = await self._kept(caller)
        papers = await self._store.get_papers([i for i, _ in kept]) if kept else {}
        cards = tuple(card_for(papers[i], reason=verb) for i, verb in kept if i in papers)
        if dm is None:
            return Home("", False, cards)
        return Home(describe(dm), dm.active, cards)

    async def trending_here(self, caller: Caller, syntax: Syntax, *, days: int = 7) -> Reply:
        if not caller.workspace:
            here = syntax.example("trending-here")
            raise InvalidInput(f"`{here}` works in a workspace or server channel.")
        since = self._clock() - dt.timedelta(days=days)
        counts = await self._store.workspace_signals(caller.platform, caller.workspace, since=since)
        if not counts:
            return text_reply("Nobody here saved or liked a paper this week yet.")
        papers = await self._store.get_papers([pid for pid, _ in counts[:10]])
        cards = [
            card_for(
                papers[pid], reason=f"saved or liked by {n} {'person' if n == 1 else 'people'} here"
            )
            for pid, n in counts[:10]
            if pid in papers
        ]
        return cards_reply("What colleagues found worth reading this week", cards)


# What makes two subscriptions of one place the same post.
_SETTINGS: tuple[str, ...] = ("topic", "categories", "min_upvotes", "count", "source", "at")
_SETTINGS += ("timezone", "weekdays", "post_empty")


def _refuse_twins(sub: Subscription, others: list[Subscription], syntax: Syntax) -> None:
    """Refuse a subscription that would post what one of ``others`` already posts."""
    for other in others:
        if all(getattr(other, f) == getattr(sub, f) for f in _SETTINGS):
            raise UserError(
                f"This channel already has that subscription: {describe(other)}. "
                f"Change it with `{syntax.example('edit', other.id)} ...`."
            )
