"""Fetch: a day of Hugging Face and arXiv saved, a failing source reported, offline said once."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from bot.errors import SourceUnavailable
from bot.ingest import fetch
from bot.sources.arxiv import ArxivClient
from bot.sources.hf import HFClient
from bot.store import PaperStore
from tests.conftest import DATA, NOW

HF = DATA / "hf"


def serve(routes: dict[str, httpx.Response | Exception]) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        key = f"{request.url.host}{request.url.path}"
        answer = routes.get(f"{key}?{request.url.params.get('date', '')}", routes.get(key))
        if isinstance(answer, Exception):
            raise answer
        return answer or httpx.Response(404, json={"error": "not found"})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def no_sleep(_: float) -> None:
    return None


async def test_fetch_saves_days_and_reports_a_failing_source(store: PaperStore) -> None:
    day_file = json.loads((HF / "daily_papers_2026-03-03.json").read_text())
    rss = (DATA / "arxiv" / "rss_cs.CL_2026-06-08_handmade.xml").read_bytes()
    routes: dict[str, httpx.Response | Exception] = {
        "hf.test/api/daily_papers?2026-03-03": httpx.Response(200, json=day_file),
        "hf.test/api/daily_papers?2026-03-04": httpx.Response(200, json=[]),
        "rss.test/rss/cs.CL": httpx.Response(200, content=rss),
        "rss.test/rss/cs.LG": httpx.ConnectError("no route"),
    }
    async with serve(routes) as http:
        hf = HFClient(http, "http://hf.test", sleep=no_sleep, retries=0)
        arxiv = ArxivClient(http, "http://api.test", "http://rss.test", sleep=no_sleep, retries=0)
        report = await fetch(
            store,
            days=[dt.date(2026, 3, 3), dt.date(2026, 3, 4)],
            now=NOW,
            hf=hf,
            arxiv=arxiv,
            categories=["cs.CL", "cs.LG"],
        )
    assert report.days == 3
    assert len(report.failures) == 1 and "cs.LG" in report.failures[0]
    assert report.counts.new >= 6
    assert await store.get_paper(day_file[0]["paper"]["id"]) is not None


async def test_fetch_with_no_network_raises_one_clear_error(store: PaperStore) -> None:
    routes: dict[str, httpx.Response | Exception] = {
        "hf.test/api/daily_papers": httpx.ConnectError("[Errno -3] Temporary failure"),
    }
    async with serve(routes) as http:
        hf = HFClient(http, "http://hf.test", sleep=no_sleep, retries=1)
        with pytest.raises(SourceUnavailable, match=r"cannot reach hf\.test"):
            await fetch(store, days=[dt.date(2026, 3, 3)], now=NOW, hf=hf)
    assert await store.count_papers() == 0


def counting(routes: dict[str, httpx.Response | Exception], asked: list[str]) -> httpx.AsyncClient:
    """``serve(routes)``, noting the host of every request in ``asked``."""

    async def note(request: httpx.Request) -> None:
        asked.append(request.url.host)

    client = serve(routes)
    client.event_hooks["request"].append(note)
    return client


async def test_a_source_that_cannot_be_reached_is_asked_once(store: PaperStore) -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    routes: dict[str, httpx.Response | Exception] = {
        "hf.test/api/daily_papers": refused,
        "rss.test/rss/cs.CL": refused,
        "rss.test/rss/cs.LG": refused,
    }
    asked: list[str] = []
    progress: list[tuple[int, int]] = []
    async with counting(routes, asked) as http:
        hf = HFClient(http, "http://hf.test", sleep=no_sleep, retries=3)
        arxiv = ArxivClient(http, "http://api.test", "http://rss.test", sleep=no_sleep, retries=3)
        days = [dt.date(2026, 3, d) for d in (1, 2, 3)]
        with pytest.raises(SourceUnavailable, match=r"cannot reach hf\.test"):
            await fetch(
                store,
                days=days,
                now=NOW,
                hf=hf,
                arxiv=arxiv,
                categories=["cs.CL", "cs.LG"],
                progress=lambda done, total: progress.append((done, total)),
            )
    assert asked == ["hf.test", "rss.test"]  # no retries, no second day or listing
    assert progress == []  # a bar would never show 1/1 before the error


async def test_the_rest_of_an_unreachable_source_is_said_not_tried(store: PaperStore) -> None:
    day_file = json.loads((HF / "daily_papers_2026-03-03.json").read_text())
    rss = (DATA / "arxiv" / "rss_cs.CL_2026-06-08_handmade.xml").read_bytes()
    routes: dict[str, httpx.Response | Exception] = {
        "hf.test/api/daily_papers?2026-03-03": httpx.Response(200, json=day_file),
        "rss.test/rss/cs.CL": httpx.ConnectTimeout(""),
        "rss.test/rss/cs.LG": httpx.Response(200, content=rss),
    }
    asked: list[str] = []
    progress: list[tuple[int, int]] = []
    async with counting(routes, asked) as http:
        hf = HFClient(http, "http://hf.test", sleep=no_sleep, retries=3)
        arxiv = ArxivClient(http, "http://api.test", "http://rss.test", sleep=no_sleep, retries=3)
        report = await fetch(
            store,
            days=[dt.date(2026, 3, 3)],
            now=NOW,
            hf=hf,
            arxiv=arxiv,
            categories=["cs.CL", "cs.LG", "cs.CV"],
            progress=lambda done, total: progress.append((done, total)),
        )
    assert asked == ["hf.test", "rss.test"]
    assert report.days == 1 and report.counts.new == 5
    assert report.failures[0].startswith("arXiv cs.CL: cannot reach rss.test: ConnectTimeout")
    assert report.failures[1:] == ["arXiv: 2 more not tried, as it could not be reached"]
    assert progress == [(1, 4)]  # what was saved, of what was asked for
