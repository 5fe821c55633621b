"""Daily digests: what each subscription posts in a slot, built in batches."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import gc
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.models import Digest, DigestItem, Paper, Period, Reply, Signal, Source, Subscription
from bot.ranking.columns import Columns
from bot.ranking.personal import PaperMatrix
from bot.ranking.profile import MAX_LIKED, Profile
from bot.ranking.tfidf import Idf, make_idf
from bot.ranking.topics import Topic, rank_topic
from bot.ranking.trending import read_trending_scores
from bot.ranking.window import Window
from bot.replies import card_for, plain_text
from bot.search.query import Query
from bot.store.port import Store

__all__ = ["DigestBuilder", "render_digest"]

log = logging.getLogger(__name__)

# The IDF of DM digests is computed again once the store holds this many times the
# papers it was computed from.
IDF_GROWTH = 1.05
# Readers' papers weighed in one step of a new builder's first build (``_profiles``).
_PROFILE_PAPERS = 500
# How far back a digest looks for papers not yet sent to its destination.
LOOKBACK_DAYS = 3
# Digests rank by the week's trending score, as `/papers trending week` does (decay over
# a week, growth since the week opened), whatever their look-back.
TREND_PERIOD = Period.WEEK

_ReaderId = tuple[str, str]  # (platform, user)
_Signals = dict[Signal, list[str]]


@dataclass(frozen=True, slots=True)
class Due:
    """A subscription whose slot has come."""

    subscription: Subscription
    slot: dt.datetime


@functools.cache
def _zone(name: str) -> ZoneInfo:
    """``ZoneInfo(name)``, kept: its own cache holds 8 zones, and a build of subscriptions
    in 17 zones read their files again 5,000 times (0.6 s of 8)."""
    return ZoneInfo(name)


def _accepts(source: Source, paper: Paper) -> bool:
    hf = paper.upvotes is not None
    arxiv = "arxiv" in paper.source.split(",")
    return {Source.HF: hf, Source.ARXIV: arxiv, Source.BOTH: hf or arxiv}[source]


@dataclass(frozen=True, slots=True)
class _Reader:
    """A DM subscriber's profile, and the signals it was built from."""

    signals: _Signals
    profile: Profile


@dataclass(slots=True, eq=False)
class _Indexed:
    """A build's papers, indexed for ranking (the worker fills the rest in as it goes),
    kept for the next build while the papers, their trending scores and the IDF stay the
    same: most ticks of a day, as papers come with a fetch."""

    papers: list[Paper]
    trend: Mapping[str, float]
    idf: Idf | None
    window: Window
    matrix: PaperMatrix | None = None
    # Papers a source can post up to a day, and their matrix: once per (source, day).
    eligible: dict[tuple[Source, dt.date], frozenset[str]] = field(default_factory=dict)
    matrices: dict[tuple[Source, dt.date], PaperMatrix] = field(default_factory=dict)
    queries: dict[tuple[object, ...], Query] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Job:
    """What a build's worker thread ranks: values read for this build alone, nothing the
    builder keeps (``columns`` is a fork of its column space, the worker's to extend)."""

    due: Sequence[Due]
    ends: Sequence[dt.date]  # each due subscription's last day of papers, in its order
    papers: list[Paper]
    trend: Mapping[str, float]
    sent: Mapping[str, set[str]]
    idf: Idf | None
    columns: Columns
    readers: Mapping[_ReaderId, _Reader]  # profiles to reuse: their signals did not change
    stale: Mapping[_ReaderId, _Signals]  # readers to build a profile for, with their signals
    known: Mapping[str, Paper]  # the papers of those signals
    # The last build's index of these same papers, or None to index them. The worker
    # extends it (the event loop leaves it alone while one runs).
    indexed: _Indexed | None


@dataclass(frozen=True, slots=True)
class _Built:
    """What a worker returns for the event loop to commit: the digests, the profiles it
    built, and the column space it extended."""

    digests: list[Digest]
    readers: dict[_ReaderId, _Reader]
    columns: Columns
    indexed: _Indexed


class DigestBuilder:
    """Builds the digests of many subscriptions at once, sharing one window of papers.

    A digest holds papers featured (Hugging Face) or listed (arXiv) in the few days up
    to its slot that its destination has never been sent. When the newest papers in the
    database are older than that (the upstream was down, or the offline snapshot), the
    window ends on the newest day instead: what the database has is better than silence.

    The builder keeps readers' profiles from one build to the next, and the IDF they
    were weighed with until the store holds :data:`IDF_GROWTH` times the papers it was
    computed from: a day's new papers move document frequencies by far less than that
    (and a word newer than the IDF counts as rare, as it is). A reader's saved papers are
    weighed again only when they save, like or dismiss something.

    One build runs at a time (a lock held for the whole of ``build``). Its ranking runs
    in a worker thread that gets values (a fork of the column space, the profiles to
    reuse) and returns new state (digests, new profiles, the extended column space),
    which the event loop commits once the thread is done: the thread shares nothing
    mutable with the builder.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = asyncio.Lock()
        self._idf: Idf | None = None
        self._idf_papers = 0  # the papers the IDF was computed from
        # Token -> column of every window and profile matrix until the vocabulary
        # changes. Never extended in place: a build extends a fork and commits it.
        self._columns = Columns()
        self._readers: dict[_ReaderId, _Reader] = {}
        self._indexed: _Indexed | None = None

    async def build(self, due: Sequence[Due]) -> list[Digest]:
        """One digest per entry of ``due``, in the same order."""
        if not due:
            return []
        # Each build starts from the state the one before it committed.
        async with self._lock:
            with _collector_paused():
                job = await self._job(due)
                # Ranking is CPU work: in a worker thread, the event loop (and the chat
                # gateway sharing it) keeps answering meanwhile.
                built = await asyncio.to_thread(_rank_all, job)
            self._indexed = built.indexed
            if job.idf is not None:
                self._columns = built.columns
                self._readers.update(built.readers)
            return built.digests

    async def _job(self, due: Sequence[Due]) -> _Job:
        """Everything the worker needs, read from the store and the builder's state."""
        newest = await self.store.latest_day()
        newest_upvoted = await self.store.latest_day(with_upvotes=True)
        # Most subscriptions share a slot, a timezone and a source: each end once.
        end_of: dict[tuple[dt.datetime, str, Source], dt.date] = {}
        ends = []
        for n, d in enumerate(due):
            sub = d.subscription
            end = end_of.get((d.slot, sub.timezone, sub.source))
            if end is None:
                local = d.slot.astimezone(_zone(sub.timezone)).date()
                latest = newest_upvoted if sub.source is Source.HF else newest
                end = end_of[(d.slot, sub.timezone, sub.source)] = min(local, latest or local)
            ends.append(end)
            if n % 1000 == 999:
                await asyncio.sleep(0)  # 10,000 of them: let the chat gateway run
        start = min(ends) - dt.timedelta(days=LOOKBACK_DAYS)
        papers = await self.store.papers_between(start, max(ends))
        sent = await self.store.delivered([p.id for p in papers])
        # Scored at the latest end: an earlier end scales every score of its papers
        # alike (none is newer than its end), so their order is the same.
        trend = await read_trending_scores(self.store, papers, end=max(ends), period=TREND_PERIOD)
        dms = [d.subscription for d in due if d.subscription.is_dm]
        # One IDF (and column space) for the whole build, even if papers arrive meanwhile.
        idf = await self._idf_now() if dms else None
        indexed = self._indexed
        if indexed is not None and not (
            # Channel digests need no IDF: any index of the same papers serves them.
            (idf is None or indexed.idf is idf)
            and indexed.trend == trend
            and indexed.papers == papers
        ):
            indexed = None
        if idf is None:
            # Channel digests compare no profile: a column space of their own.
            columns = Columns() if indexed is None else indexed.window.columns
            return _Job(
                tuple(due), tuple(ends), papers, trend, sent, None, columns, {}, {}, {}, indexed
            )
        pairs = list(dict.fromkeys((s.destination.platform, s.destination.user) for s in dms))
        signals = await self.store.readers_signals(pairs)
        kept = {p: self._readers[p] for p in pairs if p in self._readers}
        fresh = {p: r for p, r in kept.items() if r.signals == signals[p]}
        stale = {p: signals[p] for p in pairs if p not in fresh}
        wanted = [i for mine in stale.values() for ids in mine.values() for i in ids[:MAX_LIKED]]
        known = await self.store.get_papers(wanted) if wanted else {}
        columns = self._columns.fork()
        return _Job(
            tuple(due), tuple(ends), papers, trend, sent, idf, columns, fresh, stale, known, indexed
        )

    async def _idf_now(self) -> Idf:
        total = await self.store.count_papers()
        if self._idf is None or not self._idf_papers <= total <= self._idf_papers * IDF_GROWTH:
            # Every weight may move: weigh the readers' papers again, in a new column
            # space (which also keeps the space from growing for ever).
            # Some 150,000 words at 100k papers, 700,000 at 1M: weighed in a worker
            # thread, or the event loop would wait for all of them at once.
            vocabulary = await self.store.vocabulary()
            self._idf = await asyncio.to_thread(make_idf, vocabulary, total)
            self._idf_papers = total
            self._columns = Columns()
            self._readers = {}
        return self._idf


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic garbage collection while a build runs, and what it leaves frozen.

    A build allocates some 400,000 objects that live on (papers, tokens, digests), and
    that sets off full collections of every object of the process, each holding the GIL
    for 0.3 s here: the event loop (the chat gateway's heartbeat) stopped that long. A
    build makes no reference cycles (``gc.collect()`` after one finds none), so pausing
    the collector lets nothing pile up; freezing the survivors (``gc.freeze``, O(1))
    keeps later collections from walking them again. Paused from the first read: reading
    the window's 7,310 papers set off a full collection of the 195,000 objects
    bench.digest_bench's process held (100 ms, the first build's longest stall).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _rank_all(job: _Job) -> _Built:
    """The worker: every digest of ``job``, and the state it leaves for the next build."""
    built = _profiles(job.stale, job.known, job.idf, job.columns) if job.idf is not None else {}
    readers = {**job.readers, **built}
    indexed = job.indexed
    if indexed is None:
        window = Window(job.papers, columns=job.columns, trend=job.trend)
        indexed = _Indexed(job.papers, job.trend, job.idf, window)
    window, eligible, matrices, queries = (
        indexed.window,
        indexed.eligible,
        indexed.matrices,
        indexed.queries,
    )
    picked: dict[str, set[str]] = {}
    digests = []
    for d, end in zip(job.due, job.ends, strict=True):
        sub = d.subscription
        first = end - dt.timedelta(days=LOOKBACK_DAYS)
        # Sent before, or picked by another subscription of the place in this build.
        done = job.sent.get(sub.destination.key, set()) | picked.get(sub.destination.key, set())
        key = (sub.source, end)
        if key not in eligible:
            eligible[key] = frozenset(
                p.id
                for p in window.papers.values()
                if p.day and first <= p.day <= end and _accepts(sub.source, p)
            )
        topic = (sub.topic, sub.categories, sub.min_upvotes, first, end)
        query = queries.get(topic)
        if query is None:
            query = queries[topic] = _topic(sub).to_query(first, end)
        if sub.is_dm:
            if indexed.matrix is None:
                assert job.idf is not None  # set when there are DM subscriptions
                indexed.matrix = PaperMatrix(window, job.idf)
            if key not in matrices:
                # A reader's candidates are what their source may post: their rows.
                matrices[key] = indexed.matrix.subset(eligible[key])
            reader = readers[(sub.destination.platform, sub.destination.user)]
            items = _personal(
                sub, query, window, matrices[key], eligible[key], done, reader.profile
            )
        else:
            recs = rank_topic(window, query, limit=sub.count, among=eligible[key], exclude=done)
            items = [DigestItem(r.paper.id, r.reason) for r in recs]
        picked.setdefault(sub.destination.key, set()).update(i.paper_id for i in items)
        # Titled by the day it is posted, in its own timezone, whatever day the papers are.
        posted = d.slot.astimezone(_zone(sub.timezone)).date()
        digests.append(_digest(sub, posted, items))
    return _Built(digests, built, job.columns, indexed)


def _profiles(
    signals: Mapping[_ReaderId, _Signals],
    known: Mapping[str, Paper],
    idf: Idf,
    columns: Columns,
) -> dict[_ReaderId, _Reader]:
    """The profiles of the readers whose ``signals`` are given (those new or changed
    since the last build), from their papers in ``known``, weighed in ``columns``."""
    built = {}
    for chunk in _reader_chunks(signals, known):
        # The papers of a few readers' profiles, weighed at once (no trending: not
        # ranked). A few at a time: each of scipy's steps holds the GIL for all the rows
        # it is given, and the event loop waits that long (bench.digest_bench's 1,986
        # readers' papers all at once held it 66 ms on an idle machine).
        papers = {i: known[i] for pair in chunk for i in _signal_ids(signals[pair]) if i in known}
        window = Window(papers.values(), columns=columns, trend={})
        weighed = PaperMatrix(window, idf, min_weight=0)
        for pair in chunk:
            mine = signals[pair]
            saved = mine[Signal.SAVE]
            liked_ids = saved + [i for i in mine[Signal.LIKE] if i not in saved]
            verb = {i: "saved" for i in saved}
            liked = [(known[i], verb.get(i, "liked")) for i in liked_ids if i in known]
            dismissed = [known[i] for i in mine[Signal.DISMISS] if i in known]
            profile = Profile.build(liked, dismissed, idf, matrix=weighed)
            built[pair] = _Reader(mine, profile)
    return built


def _signal_ids(mine: _Signals) -> Iterator[str]:
    """The papers a profile is built from: the newest of each kind of signal."""
    for ids in mine.values():
        yield from ids[:MAX_LIKED]


def _reader_chunks(
    signals: Mapping[_ReaderId, _Signals], known: Mapping[str, Paper]
) -> Iterator[list[_ReaderId]]:
    """The readers of ``signals`` in groups whose papers number about
    :data:`_PROFILE_PAPERS` (a reader with more is a group alone)."""
    chunk: list[_ReaderId] = []
    papers = 0
    for pair, mine in signals.items():
        count = sum(1 for i in _signal_ids(mine) if i in known)
        if chunk and papers + count > _PROFILE_PAPERS:
            yield chunk
            chunk, papers = [], 0
        chunk.append(pair)
        papers += count
    if chunk:
        yield chunk


def _personal(
    sub: Subscription,
    query: Query,
    window: Window,
    matrix: PaperMatrix,
    eligible: frozenset[str],
    done: set[str],
    profile: Profile,
) -> list[DigestItem]:
    """A DM digest: the reader's profile, their topic and trending, over what their
    source may post (the rows of ``matrix``) and they were not sent."""
    among = ~matrix.mask(done | profile.seen)
    topic = None
    if query.terms or query.phrases or query.authors:
        rows, relevance = window.select(query, among=eligible, exclude=done | profile.seen)
        topic = matrix.from_window(rows, relevance)
        if profile.is_empty:
            # A new reader with a topic: only what matches it.
            among = among & (topic > 0)
    recs = matrix.rank(
        profile, among=among, topic=topic, trend=matrix.trending(among), limit=sub.count
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
    notes = (digest.note,) if digest.note else ()
    text = plain_text(digest.title, cards, notes=notes)
    return Reply(text=text, title=digest.title, cards=tuple(cards), notes=notes)
