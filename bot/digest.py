"""Daily digests: what each subscription posts in a slot, built in batches."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.formatting import card_for, plain_text
from bot.models import Digest, DigestItem, Paper, Period, Reply, Signal, Source, Subscription
from bot.personal import Idf, Profile, VectorCache, make_idf, rank_for_reader
from bot.recommend import Topic, rank_topic
from bot.store.base import Store
from bot.window import Window, log_scale

__all__ = ["DigestBuilder", "render_digest"]

log = logging.getLogger(__name__)

# How far back a digest looks for papers not yet sent to its destination.
LOOKBACK_DAYS = 3


@dataclass(frozen=True, slots=True)
class Due:
    """A subscription whose slot has come."""

    subscription: Subscription
    slot: dt.datetime


def _accepts(source: Source, paper: Paper) -> bool:
    hf = paper.upvotes is not None
    arxiv = "arxiv" in paper.source.split(",")
    return {Source.HF: hf, Source.ARXIV: arxiv, Source.BOTH: hf or arxiv}[source]


class DigestBuilder:
    """Builds the digests of many subscriptions at once, sharing one window of papers.

    A digest holds papers featured (Hugging Face) or listed (arXiv) in the few days up
    to its slot that its destination has never been sent. When the newest papers in the
    database are older than that (the upstream was down, or the offline snapshot), the
    window ends on the newest day instead: what the database has is better than silence.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    async def build(self, due: Sequence[Due]) -> list[Digest]:
        """One digest per entry of ``due``, in the same order."""
        if not due:
            return []
        newest = await self.store.latest_day()
        newest_upvoted = await self.store.latest_day(with_upvotes=True)
        ends = {}
        for d in due:
            local = d.slot.astimezone(ZoneInfo(d.subscription.timezone)).date()
            latest = newest_upvoted if d.subscription.source is Source.HF else newest
            ends[d] = min(local, latest or local)
        start = min(ends.values()) - dt.timedelta(days=LOOKBACK_DAYS)
        papers = await self.store.papers_between(start, max(ends.values()))
        window = Window(papers)
        sent = await self.store.delivered(list(window.papers))
        idf: Idf | None = None
        # Readers' digests rank the same recent papers: weigh each paper once.
        vectors: VectorCache = {}
        digests = []
        # Papers a source can post in a date range, computed once per (source, range).
        eligible: dict[tuple[Source, dt.date], list[str]] = {}
        for d in due:
            sub, end = d.subscription, ends[d]
            first = end - dt.timedelta(days=LOOKBACK_DAYS)
            done = sent.get(sub.destination.key, set())
            key = (sub.source, end)
            if key not in eligible:
                eligible[key] = [
                    p.id
                    for p in window.papers.values()
                    if p.day and first <= p.day <= end and _accepts(sub.source, p)
                ]
            allowed = [i for i in eligible[key] if i not in done]
            if sub.is_dm:
                if idf is None:
                    idf = make_idf(await self.store.vocabulary(), await self.store.count_papers())
                items = await self._personal(sub, window, allowed, end, idf, vectors)
            else:
                query = _topic(sub).to_query(first, end)
                recs = rank_topic(
                    window, query, end=end, period=Period.WEEK, limit=sub.count, among=allowed
                )
                items = [DigestItem(r.paper.id, r.reason) for r in recs]
            digests.append(_digest(sub, end, items))
        return digests

    async def _personal(
        self,
        sub: Subscription,
        window: Window,
        allowed: list[str],
        end: dt.date,
        idf: Idf,
        vectors: VectorCache,
    ) -> list[DigestItem]:
        d = sub.destination
        signals = await self.store.user_signals(d.platform, d.user)
        seen = {pid for ids in signals.values() for pid in ids}
        candidates = [window.papers[i] for i in allowed if i not in seen]
        liked_ids = signals[Signal.SAVE] + [
            i for i in signals[Signal.LIKE] if i not in signals[Signal.SAVE]
        ]
        known = await self.store.get_papers(liked_ids + signals[Signal.DISMISS])
        verb = {i: "saved" for i in signals[Signal.SAVE]}
        liked = [(known[i], verb.get(i, "liked")) for i in liked_ids if i in known]
        dismissed = [known[i] for i in signals[Signal.DISMISS] if i in known]
        profile = Profile.build(liked, dismissed, idf)
        query = _topic(sub).to_query(end - dt.timedelta(days=LOOKBACK_DAYS), end)
        topic_scores = None
        if query.terms or query.phrases or query.authors:
            matches = window.match(query, among=[p.id for p in candidates])
            topic_scores = {m.paper.id: m.relevance for m in matches}
            if not liked:
                # A new reader with a topic: only what matches it.
                candidates = [p for p in candidates if p.id in topic_scores]
        trend = log_scale({p.id: float(p.upvotes or 0) for p in candidates})
        recs = rank_for_reader(
            candidates,
            profile,
            idf=idf,
            topic_scores=topic_scores,
            trending_scores=trend,
            limit=sub.count,
            cache=vectors,
        )
        return [DigestItem(r.paper.id, r.reason) for r in recs]


def _topic(sub: Subscription) -> Topic:
    return Topic(sub.topic, categories=sub.categories, min_upvotes=sub.min_upvotes)


def _digest(sub: Subscription, day: dt.date, items: list[DigestItem]) -> Digest:
    about = f" on '{sub.topic}'" if sub.topic else ""
    whose = "Your papers" if sub.is_dm else f"Papers{about}"
    title = f"{whose} for {day:%A %d %B}"
    note = ""
    if not items:
        note = f"No new papers{about} today." if not sub.is_dm else "Nothing new for you today."
    return Digest(title=title, items=tuple(items), note=note)


def render_digest(digest: Digest, papers: dict[str, Paper]) -> Reply:
    """The reply to post for ``digest``; papers missing from the database are left out."""
    if not digest.items:
        return Reply(text=digest.note, title=digest.note)
    cards = [
        card_for(papers[i.paper_id], reason=i.reason) for i in digest.items if i.paper_id in papers
    ]
    text = plain_text(digest.title, cards)
    return Reply(text=text, title=digest.title, cards=tuple(cards))
