"""The composition root: open the shared HTTP client and database once, build the parts.

Everything a command needs is built here and passed in (constructor injection); the
adapters get the facade and, for daily posts, a scheduler on their outbound port.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from bot import __version__
from bot.api import PaperService, utcnow
from bot.config import Settings
from bot.delivery.outbound import Outbound
from bot.delivery.scheduler import Scheduler
from bot.ingest import FetchReport, fetch, load_snapshot_if_empty
from bot.models import Paper
from bot.sources._http import CONNECT_TIMEOUT, RateLimiter
from bot.sources.arxiv import ARXIV_INTERVAL, ArxivClient
from bot.sources.hf import HFClient
from bot.store import Store, open_store

__all__ = ["App", "build_scheduler", "open_app"]

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


@asynccontextmanager
async def open_app(settings: Settings, *, load_snapshot: bool = True) -> AsyncIterator[App]:
    # A host that cannot be connected to in a few seconds is down for now; an answer
    # gets PAPERBOT_HTTP_TIMEOUT.
    connect = min(CONNECT_TIMEOUT, settings.http_timeout)
    timeout = httpx.Timeout(settings.http_timeout, connect=connect)
    headers = {"User-Agent": f"paperbot/{__version__} (+https://github.com/paperbot)"}
    async with (
        httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=True) as http,
        open_store(settings.database_url, pool_size=settings.db_pool_size) as store,
    ):
        if load_snapshot:
            report = await load_snapshot_if_empty(store, now=utcnow(), on_count=_first_run)
            if report:
                log.info("loaded %d papers from the bundled snapshot", report.counts.new)
        retries = settings.http_retries
        urls = (settings.arxiv_url, settings.arxiv_rss_url)
        polite = RateLimiter(ARXIV_INTERVAL)  # one arXiv budget for the whole process
        hf = HFClient(http, settings.hf_url, retries=retries)
        arxiv = ArxivClient(http, *urls, limiter=polite, retries=retries)
        # Someone is waiting for a looked-up paper: one retry, not a minute of backoff.
        quick = ArxivClient(http, *urls, limiter=polite, retries=min(retries, 1))

        async def lookup(paper_id: str) -> Paper | None:
            found = await quick.by_ids([paper_id])
            return found[0] if found else None

        service = PaperService(store, lookup=lookup)
        yield App(settings, store, http, hf, arxiv, polite, service)


def _first_run(papers: int) -> None:
    # Said on every first run, terminal or not: the next few seconds would be silent.
    print(
        f"paperbot: first run: loading {papers:,} papers from the bundled snapshot…",
        file=sys.stderr,
        flush=True,
    )


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
