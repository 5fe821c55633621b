"""Fetching: today's (or given days') Hugging Face daily papers and arXiv listings."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.errors import SourceError, SourceUnavailable
from bot.ingest.files import Progress
from bot.models import UpsertCounts
from bot.sources.arxiv import ArxivClient
from bot.sources.hf import HFClient
from bot.store.port import PaperStore

__all__ = ["FetchReport", "fetch"]

log = logging.getLogger(__name__)


@dataclass
class FetchReport:
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    days: int = 0
    failures: list[str] = field(default_factory=list)


async def fetch(
    store: PaperStore,
    *,
    days: Sequence[dt.date],
    now: dt.datetime,
    hf: HFClient | None = None,
    arxiv: ArxivClient | None = None,
    categories: Sequence[str] = (),
    progress: Progress | None = None,
) -> FetchReport:
    """Fetch HF daily papers for ``days`` and today's arXiv listings for ``categories``.

    A day or category that fails is reported and the rest go on, except that once a
    source cannot be reached its remaining requests are not tried (each would fail the
    same way). If nothing could be fetched at all, the first ``SourceError`` is raised
    instead. ``progress(done, total)`` counts the requests saved so far.
    """
    report = FetchReport()
    jobs: list[tuple[str, str, Callable[[], Any]]] = []
    if hf is not None:
        jobs += [("Hugging Face", f"Hugging Face {d}", _hf_day(hf, d)) for d in days]
    if arxiv is not None:
        jobs += [("arXiv", f"arXiv {c}", _arxiv_listing(arxiv, c)) for c in categories]
    first_error: SourceError | None = None
    down: dict[str, SourceUnavailable] = {}
    not_tried: dict[str, int] = {}
    for source, label, job in jobs:
        if source in down:
            not_tried[source] = not_tried.get(source, 0) + 1
            continue
        try:
            papers = await job()
        except SourceError as exc:
            first_error = first_error or exc
            report.failures.append(f"{label}: {exc}")
            log.info("fetch of %s failed: %s", label, exc)
            if isinstance(exc, SourceUnavailable):
                down[source] = exc
            continue
        report.counts += await store.upsert_papers(papers, observed_at=now)
        report.days += 1
        if progress:
            progress(report.days, len(jobs))
    for source, count in not_tried.items():
        report.failures.append(f"{source}: {count} more not tried, as it could not be reached")
    if first_error is not None and report.days == 0:
        raise first_error
    return report


def _hf_day(hf: HFClient, day: dt.date) -> Callable[[], Any]:
    return lambda: hf.daily_papers(day)


def _arxiv_listing(arxiv: ArxivClient, category: str) -> Callable[[], Any]:
    return lambda: arxiv.listing(category)
