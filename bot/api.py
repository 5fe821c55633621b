"""The facade every adapter calls: the one door to the core, and what adapters may name.

An adapter turns what a user did into an ``Invocation`` (``bot.commands``) and calls
``PaperService.run`` with the caller and its front end's ``Syntax``; buttons go through
``act``, autocomplete through ``complete``, a reader's own page through ``home``. It
implements the outbound port (``bot.delivery.outbound``) for scheduled posts and gets
its scheduler from the composition root (``bot.app``). Nothing else of the core is
an adapter's business: an import contract in pyproject.toml keeps it so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from bot.commands import (
    NEEDS_CHAT,
    TEXT,
    Call,
    Context,
    Invocation,
    Kind,
    Suggest,
    Syntax,
    bind,
    help_text,
    parse_text,
)
from bot.commands import invocation as named_invocation
from bot.delivery.digest import DigestBuilder, Due, render_digest
from bot.delivery.scheduler import Scheduler
from bot.errors import (
    InvalidInput,
    NotFound,
    SourceError,
    StoreError,
    Unavailable,
    UserError,
)
from bot.ids import parse_arxiv_id
from bot.models import (
    ActionKind,
    Caller,
    Choice,
    Discussion,
    Home,
    Paper,
    Period,
    Recommendation,
    Reply,
)
from bot.ranking.similar import similar
from bot.ranking.topics import Topic, recommend
from bot.ranking.trending import opening, period_range, trending
from bot.replies import card_for, cards_reply, text_reply
from bot.search.engine import run_search
from bot.search.query import parse_query
from bot.store.port import InstallationStore, Store
from bot.subscriptions.desk import SubscriptionDesk
from bot.subscriptions.options import zone_names
from bot.text import STOPWORDS

__all__ = [
    "RESTARTING",
    "InstallationStore",
    "PaperLookup",
    "PaperService",
    "Scheduler",
    "parse_period",
    "utcnow",
]

log = logging.getLogger(__name__)

# The answer to a command while the bot stops (``PaperService.drain``).
RESTARTING = "paperbot is restarting: try again in a minute."
# Suggestions offered at once (Discord shows at most 25).
MAX_SUGGESTIONS = 25


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PaperLookup(Protocol):
    """Fetches one paper from upstream when the database does not have it.

    MUST return None when the upstream does not know the id, and raise ``SourceError``
    when it cannot be asked (offline, failing).
    """

    async def __call__(self, paper_id: str) -> Paper | None: ...


def parse_period(value: str | Period | None) -> Period:
    if isinstance(value, Period):
        return value
    try:
        return Period((value or "week").strip().lower())
    except ValueError:
        raise InvalidInput(f"'{value}' is not a period: use day, week or month") from None


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _in_flight(
    method: Callable[Concatenate[PaperService, _P], Awaitable[_R]],
) -> Callable[Concatenate[PaperService, _P], Awaitable[_R]]:
    """Count the call among the service's work in flight, for :meth:`PaperService.drain`."""

    @functools.wraps(method)
    async def counted(self: PaperService, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if self._stopping:
            # The database closes in a few seconds: not the moment to start.
            raise Unavailable(RESTARTING)
        self._busy += 1
        self._idle.clear()
        try:
            return await method(self, *args, **kwargs)
        except UserError:
            raise
        except Exception as exc:
            if not self._stopping:
                raise
            # Still running when the drain ran out: the database closed under it.
            log.warning("%s failed while stopping: %r", method.__name__, exc)
            raise Unavailable(RESTARTING) from exc
        finally:
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    return counted


class PaperService:
    """Answers the bot's commands with platform-neutral ``Reply`` objects."""

    def __init__(
        self,
        store: Store,
        *,
        lookup: PaperLookup | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        page_size: int = 5,
    ) -> None:
        self._store = store
        self._lookup = lookup
        self._clock = clock
        self.page_size = page_size
        self._context = Context(self, SubscriptionDesk(store, clock=clock))
        # Commands still running: a bot that stops lets them finish before it closes
        # the database under them (a platform acknowledged them before they ran).
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    async def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the commands in flight to finish; whether
        they all did. From now on every command is answered :data:`RESTARTING`, as is
        one still running that fails once the database is closed."""
        self._stopping = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("stopping with %d command(s) still running", self._busy)
            return False
        return True

    # -- the door ----------------------------------------------------------------------

    @_in_flight
    async def run(
        self, invocation: Invocation, caller: Caller | None, syntax: Syntax = TEXT
    ) -> Reply:
        """Run one command; raises ``UserError`` for anything the user got wrong.

        Commands about subscriptions and signals need a ``caller`` (who and where)."""
        if invocation.command.needs_caller and caller is None:
            raise InvalidInput(NEEDS_CHAT)
        call = await self._numbered(bind(invocation, caller, syntax))
        reply = await invocation.command.handler(self._context, call)
        if caller is not None and reply.cards and not reply.cards[0].detailed:
            await self._remember(caller, reply)
        return reply

    async def _remember(self, caller: Caller, reply: Reply) -> None:
        """Keep the numbers of the list just shown, so `save 2` can name its second paper.
        Kept in the database: the next command may reach another process."""
        first = int(reply.meta.get("first", "1"))
        shown = {str(n): c.paper_id for n, c in enumerate(reply.cards, first)}
        await self._store.set_meta(_results_key(caller), json.dumps(shown))

    async def _numbered(self, call: Call) -> Call:
        """``call`` with each paper given by its number in the last list shown replaced by
        that paper's id."""
        numbers = {
            a.name: call.values[a.name]
            for a in call.command.args
            if a.kind is Kind.PAPER and isinstance(call.values.get(a.name), int)
        }
        if not numbers:
            return call
        kept = await self._store.get_meta(_results_key(call.who)) if call.caller else None
        shown: dict[str, str] = json.loads(kept) if kept else {}
        values = dict(call.values)
        for name, number in numbers.items():
            if str(number) not in shown:
                search = call.syntax.example("search", "diffusion")
                raise InvalidInput(
                    f"There is no paper #{number} in the last list you were shown; "
                    f"list some first (`{search}`) or give an arXiv id."
                )
            values[name] = shown[str(number)]
        return replace(call, values=values)

    async def run_text(
        self, text: str, caller: Caller | None = None, syntax: Syntax = TEXT
    ) -> Reply:
        """``run`` of a command as typed: ``/papers search diffusion``."""
        return await self.run(parse_text(text, syntax), caller, syntax)

    @_in_flight
    async def act(
        self, action: ActionKind, paper_id: str, caller: Caller, syntax: Syntax = TEXT
    ) -> Reply:
        """A button under a paper: its abstract, or the command of the same name."""
        if action is ActionKind.ABSTRACT:
            return await self.paper(paper_id)
        if action.is_link or action is ActionKind.DISCUSS:
            # A link opens itself; a discussion is opened by the platform (discuss()).
            raise InvalidInput(f"The {action.label} button needs no answer of its own.")
        return await self.run(named_invocation(action.value, {"paper": paper_id}), caller, syntax)

    @_in_flight
    async def complete(self, suggest: Suggest, current: str, caller: Caller) -> list[Choice]:
        """What to offer while an argument is being typed."""
        needle = current.strip()
        if suggest is Suggest.PAPERS:
            if len(needle) < 2:
                return []
            hits = await run_search(self._store, parse_query(needle), limit=MAX_SUGGESTIONS)
            return [Choice(h.paper.title or h.paper.id, h.paper.id) for h in hits]
        if suggest is Suggest.TIMEZONES:
            names = [n for n in zone_names() if needle.lower() in n.lower()]
            return [Choice(n, n) for n in names[:MAX_SUGGESTIONS]]
        subs = await self._store.subscriptions(destination=caller.place) if caller.channel else []
        choices = [
            Choice(f"#{s.id} {s.topic or 'trending'} at {s.at:%H:%M}", str(s.id)) for s in subs
        ]
        return [c for c in choices if needle in c.name][:MAX_SUGGESTIONS]

    @_in_flight
    async def preview(self, caller: Caller, number: int, syntax: Syntax = TEXT) -> Reply:
        """What subscription ``number`` would post now; nothing is recorded or sent."""
        sub = await self._context.desk.visible(caller, number, syntax)
        slot = self._clock()
        [digest] = await DigestBuilder(self._store).build([Due(sub, slot)])
        papers = await self._store.get_papers([i.paper_id for i in digest.items])
        reply = render_digest(digest, papers)
        title = f"Preview of #{sub.id}: {reply.title}"
        return cards_reply(title, list(reply.cards)) if reply.cards else text_reply(title)

    @_in_flight
    async def discuss(self, caller: Caller, paper_id: str) -> Discussion:
        """A "Discuss" click on ``paper_id`` in the caller's channel: the thread already
        open for it there, or the claim to open one (see ``Discussion``)."""
        if not caller.channel:
            raise InvalidInput("A discussion opens in a channel, under the post of a paper.")
        [card] = (await self.paper(paper_id)).cards
        thread = await self._store.claim_discussion(caller.place, card.paper_id, now=self._clock())
        return Discussion(card, thread)

    @_in_flight
    async def discussed(self, caller: Caller, paper_id: str, thread: str | None) -> None:
        """The thread this caller's claim opened, or None when it could not be opened."""
        if thread is None:
            await self._store.release_discussion(caller.place, paper_id)
        else:
            await self._store.set_discussion(caller.place, paper_id, thread)

    @_in_flight
    async def home(self, caller: Caller) -> Home:
        """The caller's own page: their DM digest and the papers they kept."""
        return await self._context.desk.home(caller)

    # -- the answers the command table's handlers give ------------------------------------

    async def anchor(
        self, period: Period, *, day: dt.date | None = None, upvoted: bool = True
    ) -> tuple[dt.date, list[str]]:
        """The last day of the window to show, and a note when the data ends before it.

        Trending needs upvotes, so by default the newest day with upvoted papers counts:
        arXiv listings of a day Hugging Face has not covered yet would leave it empty. A
        ``day`` asked for is the end, as on Hugging Face's page for that day.
        """
        today = self._clock().date()
        if day is not None:
            if day > today:
                raise InvalidInput(f"{day:%Y-%m-%d} has not happened yet; pick a past day.")
            return day, []
        latest = await self._store.latest_day(with_upvotes=upvoted)
        if latest is None and upvoted:
            latest = await self._store.latest_day()
        if latest is None:
            raise UserError(
                "No papers yet. Run `paperbot fetch` (or `paperbot import PATH`) first."
            )
        start, _ = period_range(today, period)
        if latest >= start:
            return min(latest, today) if period is Period.DAY else today, []
        age = (today - latest).days
        return latest, [
            f"the newest papers here are from {latest:%Y-%m-%d}, {age} days ago; "
            "`paperbot fetch` brings today's"
        ]

    async def trending(
        self,
        period: Period | str | None = None,
        topic: str = "",
        *,
        limit: int = 10,
        day: dt.date | None = None,
    ) -> Reply:
        period = parse_period(period)
        end, notes = await self.anchor(period, day=day)
        start, _ = period_range(end, period)
        label = {"day": "today", "week": "this week", "month": "this month"}[period.value]
        if notes or day is not None:
            label = (
                f"on {end:%A %d %B %Y}"
                if period is Period.DAY
                else f"the {period.value} to {end:%d %B %Y}"
            )
        if topic.strip():
            # Trending means upvoted: arXiv-only papers are for digests, not this list.
            wanted = Topic(topic, min_upvotes=1)
            recs = await recommend(self._store, wanted, start=start, end=end, limit=limit)
            title = f"Trending {label} on '{topic.strip()}'"
            picks = [(r.paper, r.reason) for r in recs]
        else:
            papers = await self._store.papers_between(start, end)
            before = await self._store.upvotes_before([p.id for p in papers], opening(start))
            ranked = trending(papers, before, end=end, period=period)[:limit]
            title = f"Trending {label}"
            picks = [(p, f"trending: {p.upvotes} upvotes") for p, _ in ranked]
        if not picks:
            about = f" on '{topic.strip()}'" if topic.strip() else ""
            return cards_reply(f"No trending papers{about} {label}.", [], notes=notes)
        cards = [card_for(p, reason=reason) for p, reason in picks]
        return cards_reply(title, cards, notes=notes)

    async def search(self, text: str, *, page: int | None = None, syntax: Syntax = TEXT) -> Reply:
        query = parse_query(text)
        if query.is_empty:
            example = syntax.example("search", "diffusion transformers")
            raise InvalidInput(f"Type something to search for, e.g. `{example}`.")
        if query.arxiv_id:
            return await self.paper(str(query.arxiv_id))
        page = page or query.page
        # One more than this page needs tells whether there is a next page.
        hits = await run_search(self._store, query, limit=page * self.page_size + 1)
        shown = hits[(page - 1) * self.page_size : page * self.page_size]
        if not shown:
            where = "" if page == 1 else f" on page {page}"
        # The query as typed, filters kept, the page left out.
        base = " ".join(_PAGE.sub("", text).split())
        if not shown:
            where = "" if page == 1 else f" on page {page}"
            return cards_reply(f"No papers found for '{_quote(base)}'{where}.", [])
        more = len(hits) > page * self.page_size
        # A command to copy is never cut short.
        following = syntax.example("search", f"{base} page:{page + 1}")
        footer = f"Page {page}" + (f". More: {following}" if more else "")
        cards = [card_for(h.paper, reason=_matched(h.matched)) for h in shown]
        title = f"Results for '{_quote(base)}'"
        first = (page - 1) * self.page_size + 1
        return cards_reply(title, cards, footer=footer, start=first, page=page)

    async def paper(self, ref: str) -> Reply:
        arxiv_id = parse_arxiv_id(ref)
        if arxiv_id is None:
            raise InvalidInput(
                f"'{_quote(ref, 40)}' is not an arXiv id or paper link (e.g. 2510.06131)."
            )
        paper = await self._store.get_paper(arxiv_id.id)
        if paper is None and self._lookup is not None:
            try:
                paper = await self._lookup(arxiv_id.id)
            except SourceError as exc:
                log.info("lookup of %s failed: %s", arxiv_id.id, exc)
                raise NotFound(
                    f"{arxiv_id.id} is not in the local database and arXiv could not be "
                    "reached right now."
                ) from None
            if paper is not None:
                await self._store.upsert_papers([paper], observed_at=self._clock())
        if paper is None:
            raise NotFound(f"No paper {arxiv_id.id} found.")
        return cards_reply(paper.title or paper.id, [card_for(paper, detailed=True)])

    async def similar(self, ref: str, *, limit: int = 5) -> Reply:
        """The papers closest to one, as Hugging Face's librarian bot lists them."""
        [card] = (await self.paper(ref)).cards
        paper = await self._store.get_paper(card.paper_id)
        assert paper is not None  # paper() found or fetched it
        recs = await similar(self._store, paper, limit=limit)
        title = f"Papers like '{_quote(card.title, 120)}'"
        if not recs:
            return text_reply(f"No papers here are close to '{_quote(card.title, 120)}' yet.")
        return cards_reply(title, [card_for(r.paper, reason=r.reason) for r in recs])

    async def recommend(
        self, topic: Topic, *, period: Period | str = Period.WEEK, limit: int = 5
    ) -> list[Recommendation]:
        end, _ = await self.anchor(parse_period(period))
        start, _ = period_range(end, parse_period(period))
        return await recommend(self._store, topic, start=start, end=end, limit=limit)

    def help(self, syntax: Syntax = TEXT) -> Reply:
        return Reply(text=help_text(syntax), title="paperbot commands")

    async def health(self, *, timeout: float = 5.0) -> str:
        """The database's health, as `paperbot health` and `GET /health` report it:
        ``"ok"`` when it answers a trivial query within ``timeout`` seconds, else what
        failed, in one line."""
        try:
            async with asyncio.timeout(timeout):
                await self._store.get_meta("health")
        except StoreError as exc:
            return str(exc)
        except TimeoutError:
            return f"no answer within {timeout:g} s"
        return "ok"


_PAGE = re.compile(r"\bpage:\S*", re.IGNORECASE)


def _results_key(caller: Caller) -> str:
    return f"results:{caller.platform}:{caller.workspace}:{caller.user}"


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _matched(words: tuple[str, ...]) -> str:
    shown = [w for w in words if w not in STOPWORDS][:4]
    return f"matches {', '.join(repr(w) for w in shown)}" if shown else ""
