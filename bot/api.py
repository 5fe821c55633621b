"""The facade every adapter calls: trending, search, paper, recommend and help."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Protocol

from bot.errors import InvalidInput, NotFound, SourceError, UserError
from bot.ids import parse_arxiv_id
from bot.models import Paper, Period, Recommendation, Reply
from bot.ranking.topics import Topic, recommend
from bot.ranking.trending import trending, window
from bot.replies import card_for, plain_text
from bot.search.engine import run_search
from bot.search.query import parse_query
from bot.store.port import Store
from bot.subscriptions.desk import SubscriptionDesk
from bot.text import STOPWORDS

__all__ = ["HELP", "PaperLookup", "PaperService", "parse_period", "utcnow"]

log = logging.getLogger(__name__)

HELP = """\
/papers trending [day|week|month] [topic]   the most upvoted papers (default: week)
/papers trending here                       what people here saved or liked this week
/papers search QUERY                        find a paper by title, author, id or topic
/papers paper ID                            one paper by arXiv id or URL
/papers subscribe [topic] [options]         daily posts to this channel
/papers subscriptions                       this channel's subscriptions and your digest
/papers edit|pause|resume|unsubscribe N     change subscription #N
/papers digest [on|off|pause|resume] [topic] [options]   your own DM digest
/papers save|like|dismiss ID                teach your digest; /papers saved lists them
/papers help                                this help

Search takes typos and half-remembered titles, plus:
  "exact phrase"   -word   author:hinton   cat:cs.CL   since:2025-06   until:2025
  min-upvotes:10   page:2   or an arXiv / Hugging Face paper URL

Subscription options (all optional):
  at 08:30 Europe/Berlin   tz UTC   on mon-fri|weekends|daily|mon,wed,fri
  count 5 (1-25)   min-upvotes 10   source hf|arxiv|both   cat cs.CL,cs.LG   quiet
  e.g. /papers subscribe diffusion at 08:30 Europe/Berlin on mon-fri count 5"""


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
        self.store = store
        self._lookup = lookup
        self._clock = clock
        self.page_size = page_size
        self.desk = SubscriptionDesk(store, clock=clock)

    async def anchor(self, period: Period, *, upvoted: bool = True) -> tuple[dt.date, list[str]]:
        """The last day of the window to show, and a note when the data ends before today.

        Trending needs upvotes, so by default the newest day with upvoted papers counts:
        arXiv listings of a day Hugging Face has not covered yet would leave it empty.
        """
        today = self._clock().date()
        latest = await self.store.latest_day(with_upvotes=upvoted)
        if latest is None and upvoted:
            latest = await self.store.latest_day()
        if latest is None:
            raise UserError(
                "No papers yet. Run `paperbot fetch` (or `paperbot import PATH`) first."
            )
        start, _ = window(today, period)
        if latest >= start:
            return min(latest, today) if period is Period.DAY else today, []
        return latest, [
            f"the newest papers here are from {latest:%Y-%m-%d}; showing the {period.value} "
            "up to that day"
        ]

    async def trending(
        self, period: Period | str | None = None, topic: str = "", *, limit: int = 10
    ) -> Reply:
        period = parse_period(period)
        end, notes = await self.anchor(period)
        start, _ = window(end, period)
        label = {"day": "today", "week": "this week", "month": "this month"}[period.value]
        if notes:
            label = f"the {period.value} to {end:%Y-%m-%d}"
        if topic.strip():
            recs = await recommend(self.store, Topic(topic), start=start, end=end, limit=limit)
            title = f"Trending {label} on '{topic.strip()}'"
            picks = [(r.paper, r.reason) for r in recs]
        else:
            papers = await self.store.papers_between(start, end)
            opened = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
            before = await self.store.upvotes_before([p.id for p in papers], opened)
            ranked = trending(papers, before, end=end, period=period)[:limit]
            title = f"Trending {label}"
            picks = [(p, f"trending: {p.upvotes} upvotes") for p, _ in ranked]
        if not picks:
            about = f" on '{topic.strip()}'" if topic.strip() else ""
            return self._reply(f"No trending papers{about} for {label}.", [], notes=notes)
        cards = [card_for(p, reason=reason) for p, reason in picks]
        return self._reply(title, cards, notes=notes)

    async def search(self, text: str, *, page: int | None = None) -> Reply:
        query = parse_query(text)
        if query.is_empty:
            raise InvalidInput(
                "Type something to search for, e.g. `/papers search diffusion transformers`."
            )
        if query.arxiv_id:
            return await self.paper(str(query.arxiv_id))
        page = page or query.page
        # One more than this page needs tells whether there is a next page.
        hits = await run_search(self.store, query, limit=page * self.page_size + 1)
        shown = hits[(page - 1) * self.page_size : page * self.page_size]
        if not shown:
            where = "" if page == 1 else f" on page {page}"
            return self._reply(f"No papers found for '{_quote(query.text or text)}'{where}.", [])
        more = len(hits) > page * self.page_size
        base = _PAGE.sub("", text).strip()
        footer = f"Page {page}" + (
            f". More: /papers search {_quote(base, 60)} page:{page + 1}" if more else ""
        )
        cards = [card_for(h.paper, reason=_matched(h.matched)) for h in shown]
        title = f"Results for '{_quote(query.text or text)}'"
        return self._reply(
            title, cards, footer=footer, start=(page - 1) * self.page_size + 1, page=page
        )

    async def paper(self, ref: str) -> Reply:
        arxiv_id = parse_arxiv_id(ref)
        if arxiv_id is None:
            raise InvalidInput(
                f"'{_quote(ref, 40)}' is not an arXiv id or paper link (e.g. 2510.06131)."
            )
        paper = await self.store.get_paper(arxiv_id.id)
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
                await self.store.upsert_papers([paper], observed_at=self._clock())
        if paper is None:
            raise NotFound(f"No paper {arxiv_id.id} found.")
        return self._reply("", [card_for(paper)])

    async def recommend(
        self, topic: Topic, *, period: Period | str = Period.WEEK, limit: int = 5
    ) -> list[Recommendation]:
        end, _ = await self.anchor(parse_period(period))
        start, _ = window(end, parse_period(period))
        return await recommend(self.store, topic, start=start, end=end, limit=limit)

    def help(self) -> Reply:
        return Reply(text=HELP, title="paperbot commands")

    def _reply(
        self,
        title: str,
        cards: list,
        *,
        notes: list[str] | tuple[str, ...] = (),
        footer: str = "",
        start: int = 1,
        page: int = 1,
    ) -> Reply:
        text = plain_text(title, cards, notes=notes, footer=footer, start=start)
        return Reply(
            text=text,
            title=title,
            cards=tuple(cards),
            notes=tuple(notes),
            footer=footer,
            meta={"page": str(page), "first": str(start)},
        )


_PAGE = re.compile(r"\bpage:\S*", re.IGNORECASE)


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _matched(words: tuple[str, ...]) -> str:
    shown = [w for w in words if w not in STOPWORDS][:4]
    return f"matches {', '.join(repr(w) for w in shown)}" if shown else ""
