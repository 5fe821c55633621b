"""The subscription half of the facade: subscribe, list, edit, pause, digests, signals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from bot.errors import InvalidInput, NotFound, StoreError, UserError
from bot.ids import parse_arxiv_id
from bot.models import Caller, Reply, Signal, Subscription
from bot.replies import card_for, plain_text
from bot.store.port import Store
from bot.subscriptions.options import describe, parse_options

__all__ = ["SubscriptionDesk"]

MAX_PER_CHANNEL = 10
_SIGNAL_WORDS = {
    Signal.SAVE: ("Saved", "saved"),
    Signal.LIKE: ("Liked", "liked"),
    Signal.DISMISS: ("Got it: fewer papers like", "dismissed"),
}


def _reply(text: str) -> Reply:
    return Reply(text=text, title=text.split("\n", 1)[0])


class SubscriptionDesk:
    """Answers subscription commands for one caller; rights are checked here."""

    def __init__(self, store: Store, *, clock: Callable[[], dt.datetime]) -> None:
        self.store = store
        self._clock = clock

    # -- channel subscriptions -------------------------------------------------------

    async def subscribe(self, caller: Caller, text: str) -> Reply:
        if not caller.channel:
            raise InvalidInput(
                "Subscribe from the channel that should get the posts; for your own "
                "digest use `/papers digest on`."
            )
        options = parse_options(text)
        existing = await self.store.subscriptions(destination=caller.place)
        if len(existing) >= MAX_PER_CHANNEL:
            raise UserError(
                f"This channel already has {MAX_PER_CHANNEL} subscriptions; remove one first."
            )
        draft = Subscription(
            id=0, destination=caller.place, owner=caller.user, created_at=self._clock()
        )
        sub = await self.store.add_subscription(options.apply(draft))
        when = describe(sub)
        return _reply(
            f"Subscribed this channel: {when}\nChange it with `/papers edit {sub.id} ...`."
        )

    async def list(self, caller: Caller) -> Reply:
        subs = await self.store.subscriptions(destination=caller.place) if caller.channel else []
        dm = await self.store.dm_subscription(caller.platform, caller.workspace, caller.user)
        lines = [describe(s) for s in subs]
        if not lines and dm is None:
            return _reply(
                "No subscriptions here yet. Try `/papers subscribe diffusion at 09:00 "
                "Europe/Berlin` or `/papers digest on`."
            )
        text = (
            "Subscriptions in this channel:\n" + "\n".join(lines)
            if lines
            else "No channel subscriptions here."
        )
        if dm is not None:
            text += f"\nYour DM digest: {describe(dm)}"
        return _reply(text)

    async def _own(self, caller: Caller, ref: str) -> Subscription:
        """The channel subscription ``ref`` names, if this caller may change it."""
        number = ref.strip().lstrip("#")
        if not number.isdigit() or len(number) > 12:
            raise InvalidInput(
                f"'{ref[:20]}' is not a subscription number; see `/papers subscriptions`."
            )
        sub = await self.store.get_subscription(int(number))
        visible = sub is not None and (
            sub.destination == caller.place or (sub.is_dm and sub.destination == caller.inbox)
        )
        if sub is None or not visible:
            raise NotFound(f"No subscription #{number} here; see `/papers subscriptions`.")
        if not sub.is_dm and sub.owner != caller.user and not caller.is_admin:
            raise UserError(f"Only the person who created #{sub.id} or an admin can change it.")
        return sub

    async def remove(self, caller: Caller, ref: str) -> Reply:
        sub = await self._own(caller, ref)
        await self.store.remove_subscription(sub.id)
        return _reply(f"Removed subscription #{sub.id}.")

    async def set_active(self, caller: Caller, ref: str, active: bool) -> Reply:
        sub = await self._own(caller, ref)
        if sub.active == active:
            return _reply(f"Subscription #{sub.id} is already {'active' if active else 'paused'}.")
        changed = replace(
            sub, active=active, paused_reason="" if active else f"paused by {caller.user}"
        )
        if active:
            # Resuming must not post every slot missed while paused.
            changed = replace(changed, created_at=self._clock())
        await self.store.update_subscription(changed)
        return _reply(f"{'Resumed' if active else 'Paused'}: {describe(changed)}")

    async def edit(self, caller: Caller, text: str) -> Reply:
        ref, _, rest = text.strip().partition(" ")
        sub = await self._own(caller, ref)
        options = parse_options(rest)
        if not options.given:
            raise InvalidInput(f"What should change? e.g. `/papers edit {sub.id} at 08:00 count 3`")
        changed = options.apply(sub)
        await self.store.update_subscription(changed)
        return _reply(f"Updated: {describe(changed)}")

    # -- DM digests ------------------------------------------------------------------

    async def digest(self, caller: Caller, text: str) -> Reply:
        word, _, rest = text.strip().partition(" ")
        word = word.lower()
        current = await self.store.dm_subscription(caller.platform, caller.workspace, caller.user)
        if word in {"", "status", "settings", "show"}:
            if current is None:
                return _reply(
                    "You have no DM digest. Start one with `/papers digest on [topic] [options]`."
                )
            return _reply(f"Your DM digest: {describe(current)}")
        if word in {"off", "stop", "remove"}:
            if current is None:
                return _reply("You have no DM digest.")
            await self.store.remove_subscription(current.id)
            return _reply("Your DM digest is off.")
        if word in {"pause", "resume"}:
            if current is None:
                raise NotFound("You have no DM digest. Start one with `/papers digest on`.")
            return await self.set_active(caller, str(current.id), word == "resume")
        options = parse_options(rest if word in {"on", "start", "set", "edit"} else text)
        if current is not None:
            changed = options.apply(current)
            if not changed.active and word == "on":
                changed = replace(changed, active=True, paused_reason="", created_at=self._clock())
            await self.store.update_subscription(changed)
            return _reply(f"Your DM digest: {describe(changed)}")
        draft = Subscription(
            id=0, destination=caller.inbox, owner=caller.user, created_at=self._clock()
        )
        try:
            sub = await self.store.add_subscription(options.apply(draft))
        except StoreError:  # two commands at once: the other one made it
            raise UserError("You already have a DM digest; see `/papers digest`.") from None
        return _reply(
            f"Your DM digest is on: {describe(sub)}\nSave, like or dismiss papers to teach it."
        )

    # -- signals ---------------------------------------------------------------------

    async def signal(self, caller: Caller, ref: str, signal: Signal) -> Reply:
        arxiv_id = parse_arxiv_id(ref)
        if arxiv_id is None:
            raise InvalidInput(f"'{ref[:40]}' is not an arXiv id or paper link (e.g. 2510.06131).")
        paper = await self.store.get_paper(arxiv_id.id)
        if paper is None:
            raise NotFound(f"No paper {arxiv_id.id} found.")
        await self.store.add_signal(
            caller.platform, caller.workspace, caller.user, paper.id, signal, now=self._clock()
        )
        verb, _ = _SIGNAL_WORDS[signal]
        return _reply(f"{verb} '{paper.title}'.")

    async def saved(self, caller: Caller) -> Reply:
        signals = await self.store.user_signals(caller.platform, caller.user)
        ids = list(dict.fromkeys(signals[Signal.SAVE] + signals[Signal.LIKE]))[:25]
        if not ids:
            return _reply("Nothing saved yet: `/papers save ID` keeps a paper for later.")
        papers = await self.store.get_papers(ids)
        cards = [
            card_for(papers[i], reason="saved" if i in signals[Signal.SAVE] else "liked")
            for i in ids
            if i in papers
        ]
        title = "Your saved and liked papers"
        return Reply(text=plain_text(title, cards), title=title, cards=tuple(cards))

    async def trending_here(self, caller: Caller, *, days: int = 7) -> Reply:
        if not caller.workspace:
            raise InvalidInput("`/papers trending here` works in a workspace or server channel.")
        since = self._clock() - dt.timedelta(days=days)
        counts = await self.store.workspace_signals(caller.platform, caller.workspace, since=since)
        if not counts:
            return _reply("Nobody here saved or liked a paper this week yet.")
        papers = await self.store.get_papers([pid for pid, _ in counts[:10]])
        cards = [
            card_for(
                papers[pid], reason=f"saved or liked by {n} {'person' if n == 1 else 'people'} here"
            )
            for pid, n in counts[:10]
            if pid in papers
        ]
        title = "What colleagues found worth reading this week"
        return Reply(text=plain_text(title, cards), title=title, cards=tuple(cards))
