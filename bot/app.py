"""The composition root: open the shared HTTP client and database once, build the parts.

Everything a command needs is built here and passed in (constructor injection); the
adapters get the facade (``bot.api``) and, for daily posts, a scheduler on their
outbound port. The `paperbot` command's maintenance work (fetch, import, export, copy)
goes through an ``App`` too, so no adapter reaches into the store, the sources or
ingest itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx

from bot import __version__
from bot.api import PaperService, utcnow
from bot.config import Settings
from bot.delivery.outbound import Outbound
from bot.delivery.scheduler import Scheduler
from bot.errors import SourceError
from bot.ingest import (
    EXPORT_XZ_PRESET,
    FetchReport,
    ImportReport,
    dump_records,
    fetch,
    import_paths,
    load_snapshot_if_empty,
    write_records,
)
from bot.ingest.files import Progress
from bot.models import Paper
from bot.search.query import parse_date_bound
from bot.sources._http import CONNECT_TIMEOUT, Impatient, RateLimiter
from bot.sources.arxiv import ARXIV_INTERVAL, ArxivClient
from bot.sources.hf import HFClient
from bot.store import Store, open_store
from bot.store.copy import CopyReport, copy_store
from bot.store.copy import Progress as CopyProgress

__all__ = [
    "App",
    "CopyReport",
    "FetchReport",
    "ImportReport",
    "build_scheduler",
    "copy_database",
    "open_app",
    "parse_date_bound",
]

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything a command needs, opened once and closed on exit."""

    settings: Settings
    store: Store
    http: httpx.AsyncClient
    hf: HFClient
    arxiv: ArxivClient
    polite: RateLimiter
    service: PaperService

    async def fetch(
        self,
        days: Sequence[dt.date],
        *,
        hf: bool,
        arxiv: bool,
        categories: Sequence[str],
        progress: Progress | None = None,
    ) -> FetchReport:
        """Fetch ``days`` of Hugging Face daily papers and today's arXiv listings."""
        return await fetch(
            self.store,
            days=days,
            now=utcnow(),
            hf=self.hf if hf else None,
            arxiv=self.arxiv if arxiv else None,
            categories=categories,
            progress=progress,
        )

    async def import_files(
        self,
        paths: Sequence[str | Path],
        *,
        progress: Progress | None = None,
        on_batch: Callable[[Path, int], None] | None = None,
    ) -> ImportReport:
        """Import every file ``paths`` names (folders recursively)."""
        return await import_paths(
            self.store, paths, now=utcnow(), progress=progress, on_batch=on_batch
        )

    async def export(self, target: Path | None, stream: TextIO) -> int:
        """Every paper as JSON lines into ``target`` (compressed by its suffix), or to
        ``stream`` when it is None; the number written."""
        papers = await self.store.all_papers()
        if target is None:
            return dump_records(papers, stream)
        return write_records(papers, target, preset=EXPORT_XZ_PRESET)


# How long a stopping bot waits for the commands still running.
DRAIN_SECONDS = 8.0


@asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    load_snapshot: bool = True,
    on_first_run: Callable[[int], None] | None = None,
) -> AsyncIterator[App]:
    """Open the database and the HTTP client; with ``load_snapshot``, load the bundled
    snapshot into an empty database first (``on_first_run`` is told how many papers)."""
    # A host that cannot be connected to in a few seconds is down for now; an answer
    # gets PAPERBOT_HTTP_TIMEOUT.
    connect = min(CONNECT_TIMEOUT, settings.http_timeout)
    timeout = httpx.Timeout(settings.http_timeout, connect=connect)
    headers = {"User-Agent": f"paperbot/{__version__} (+https://github.com/paperbot)"}
    async with (
        httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=True) as http,
        open_store(
            settings.database_url,
            pool_size=settings.db_pool_size,
            cache_mb=settings.db_cache_mb,
        ) as store,
    ):
        if load_snapshot:
            report = await load_snapshot_if_empty(store, now=utcnow(), on_count=on_first_run)
            if report:
                log.info("loaded %d papers from the bundled snapshot", report.counts.new)
        retries = settings.http_retries
        urls = (settings.arxiv_url, settings.arxiv_rss_url)
        polite = RateLimiter(ARXIV_INTERVAL)  # one arXiv budget for the whole process
        hf = HFClient(http, settings.hf_url, retries=retries)
        arxiv = ArxivClient(http, *urls, limiter=polite, retries=retries)
        # Someone is waiting for a looked-up paper: one retry, not a minute of backoff,
        # and no long wait behind other requests to arXiv (the daily fetch among them).
        impatient = Impatient(polite, LOOKUP_WAIT, source="arXiv")
        quick = ArxivClient(http, *urls, limiter=impatient, retries=min(retries, 1))
        service = PaperService(store, lookup=Lookups(quick.by_ids, clock=time.monotonic))
        try:
            yield App(settings, store, http, hf, arxiv, polite, service)
        finally:
            # Commands a platform acknowledged may still be running: answer them before
            # the database closes (within what `docker stop` waits before killing).
            await service.drain(DRAIN_SECONDS)


# The longest a paper lookup waits for its turn at arXiv (one request per 3 s).
LOOKUP_WAIT = 6.0


class Lookups:
    """Papers looked up on arXiv by id, for people asking for one not in the database.

    Several people asking for the same id at once share one request; an answer (the
    paper, none, or a failure) is kept for a while (``FOUND_FOR`` seconds, ``FAILED_FOR``
    after a failure), for at most ``KEPT`` ids: a crowd asking for one paper makes one
    request, not one each queued behind arXiv's rate limit.
    """

    FOUND_FOR = 600.0
    FAILED_FOR = 60.0
    KEPT = 1000

    def __init__(
        self, by_ids: Callable[[list[str]], Awaitable[list[Paper]]], *, clock: Callable[[], float]
    ) -> None:
        self._by_ids = by_ids
        self._clock = clock
        self._running: dict[str, asyncio.Task[Paper | None]] = {}
        self._answers: OrderedDict[str, tuple[float, Paper | None, SourceError | None]] = (
            OrderedDict()
        )

    async def __call__(self, paper_id: str) -> Paper | None:
        kept = self._answers.get(paper_id)
        if kept is not None:
            until, paper, error = kept
            if self._clock() < until:
                if error is not None:
                    raise error
                return paper
            del self._answers[paper_id]
        task = self._running.get(paper_id)
        if task is None:
            task = self._running[paper_id] = asyncio.ensure_future(self._look(paper_id))
            task.add_done_callback(lambda _: self._running.pop(paper_id, None))
        # One person giving up (their command cancelled) does not cancel the others'.
        return await asyncio.shield(task)

    async def _look(self, paper_id: str) -> Paper | None:
        try:
            found = await self._by_ids([paper_id])
        except SourceError as exc:
            self._keep(paper_id, self.FAILED_FOR, None, exc)
            raise
        paper = found[0] if found else None
        self._keep(paper_id, self.FOUND_FOR, paper, None)
        return paper

    def _keep(
        self, paper_id: str, seconds: float, paper: Paper | None, error: SourceError | None
    ) -> None:
        self._answers[paper_id] = (self._clock() + seconds, paper, error)
        while len(self._answers) > self.KEPT:
            self._answers.popitem(last=False)


def build_scheduler(app: App, port: Outbound) -> Scheduler:
    """The delivery loop of a running bot, fetching before posts when data is stale."""
    settings = app.settings
    # A post is waiting: one quick retry, not a minute of backoff per request.
    quick = min(settings.http_retries, 1)
    hf = HFClient(app.http, settings.hf_url, retries=quick)
    arxiv = ArxivClient(
        app.http, settings.arxiv_url, settings.arxiv_rss_url, limiter=app.polite, retries=quick
    )

    async def refresh() -> FetchReport:
        now = utcnow()
        return await fetch(
            app.store,
            days=[now.date()],
            now=now,
            hf=hf,
            arxiv=arxiv,
            categories=settings.arxiv_categories,
        )

    return Scheduler(
        app.store,
        port,
        clock=utcnow,
        grace=dt.timedelta(hours=settings.grace_hours),
        refresh=refresh,
        refresh_every=dt.timedelta(minutes=settings.refresh_minutes),
    )


async def copy_database(
    source: str,
    target: str,
    *,
    pool_size: int,
    progress: CopyProgress | None = None,
) -> CopyReport:
    """Copy every table of the database ``source`` names into ``target``'s (resumable;
    the counts checked at the end). ``progress`` is told (table, rows done, rows)."""
    async with (
        open_store(source, pool_size=pool_size) as src,
        open_store(target, pool_size=pool_size) as dst,
    ):
        return await copy_store(src, dst, progress=progress)
