"""Hugging Face daily papers: tolerant parsers for every payload shape, and the client."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from typing import Any
from urllib.parse import quote

import httpx

from bot.errors import SourceResponseError
from bot.ids import parse_arxiv_id
from bot.models import Paper
from bot.sources._http import Sleep, get
from bot.text import clean_text

__all__ = [
    "DEFAULT_HF_URL",
    "HFClient",
    "parse_daily_item",
    "parse_daily_response",
    "parse_paper",
]

log = logging.getLogger(__name__)

DEFAULT_HF_URL = "https://huggingface.co"
_ENV_VAR = "PAPERBOT_HF_URL"
# Guards against a server that ignores ``p`` and serves page 0 forever.
_MAX_PAGES = 50


def _str(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    # bool is an int in Python; a JSON true is not a count.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _datetime(value: Any) -> dt.datetime | None:
    """An aware UTC datetime from HF's ISO strings (``2024-05-24T17:34:15.000Z``)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _authors(value: Any) -> tuple[str, ...]:
    names = []
    for author in value if isinstance(value, list) else ():
        name = author.get("name") if isinstance(author, dict) else author
        if isinstance(name, str) and (name := clean_text(name)):
            names.append(name)
    return tuple(names)


def _keywords(value: Any) -> tuple[str, ...]:
    words = (clean_text(w) for w in value if isinstance(w, str)) if isinstance(value, list) else ()
    return tuple(w for w in words if w)


def parse_paper(
    obj: Any, *, day: dt.date | None = None, item: dict[str, Any] | None = None
) -> Paper:
    """Parse HF's ``paper`` object (the body of ``GET /api/papers/{id}``).

    ``item`` is the daily-papers list item around it, when there is one: it supplies the
    comment count and thumbnail, and fallbacks for title, abstract and day. Raises
    ``ValueError`` when ``obj`` is not a paper with a valid arXiv id and a title.
    """
    if not isinstance(obj, dict):
        raise ValueError(f"paper is a {type(obj).__name__}, not an object")
    raw_id = obj.get("id")
    arxiv_id = parse_arxiv_id(raw_id) if isinstance(raw_id, str) else None
    if arxiv_id is None:
        raise ValueError(f"paper has no valid arXiv id: {str(raw_id)[:40]!r}")
    item = item or {}
    title = clean_text(_str(obj.get("title")) or _str(item.get("title")))
    if not title:
        # Not listed as a paper: it would top a trending list as an untitled row.
        raise ValueError(f"paper {arxiv_id.id} has no title")

    featured = _datetime(obj.get("submittedOnDailyAt"))
    if featured is not None:
        day = featured.date()
    elif day is None and (listed := _datetime(item.get("publishedAt"))) is not None:
        # Before HF recorded submittedOnDailyAt (2024), the item's own publishedAt was
        # the time it was put on the daily list.
        day = listed.date()

    return Paper(
        id=arxiv_id.id,
        version=arxiv_id.version,
        title=title,
        abstract=clean_text(_str(obj.get("summary")) or _str(item.get("summary"))),
        authors=_authors(obj.get("authors")),
        published_at=_datetime(obj.get("publishedAt")),
        day=day,
        upvotes=_int(obj.get("upvotes")),
        comments=_int(item.get("numComments", obj.get("numComments"))),
        github_repo=_str(obj.get("githubRepo")),
        github_stars=_int(obj.get("githubStars")),
        project_page=_str(obj.get("projectPage")),
        ai_summary=clean_text(_str(obj.get("ai_summary"))) or None,
        ai_keywords=_keywords(obj.get("ai_keywords")),
        thumbnail=_str(item.get("thumbnail")) or _str(item.get("mediaUrl")),
        source="hf",
    )


def parse_daily_item(obj: Any, *, day: dt.date | None = None) -> Paper:
    """Parse one item of ``GET /api/daily_papers``; ``day`` is the date that was asked for.

    The paper's ``day`` is when HF featured it (``submittedOnDailyAt``), else ``day``,
    else the date of the item's ``publishedAt``. Raises ``ValueError`` for an item that
    cannot be a paper.
    """
    if not isinstance(obj, dict):
        raise ValueError(f"daily item is a {type(obj).__name__}, not an object")
    if "paper" not in obj:
        raise ValueError("daily item has no 'paper'")
    return parse_paper(obj["paper"], day=day, item=obj)


def parse_daily_response(data: Any, *, day: dt.date | None = None) -> tuple[list[Paper], list[str]]:
    """Parse a whole daily-papers response: the papers, and one message per bad item.

    Accepts the plain list HF serves and the ``{"status","date","count","data"}`` wrapper
    some archives saved it in. Raises ``ValueError`` when ``data`` is neither.
    """
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        if day is None and isinstance(data.get("date"), str):
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(data["date"])
        data = data["data"]
    if not isinstance(data, list):
        raise ValueError(f"expected a list of daily papers, got a {type(data).__name__}")
    papers: list[Paper] = []
    errors: list[str] = []
    for index, item in enumerate(data):
        try:
            papers.append(parse_daily_item(item, day=day))
        except ValueError as exc:
            errors.append(f"item {index}: {exc}")
    return papers, errors


class HFClient:
    """Reads Hugging Face's daily papers API through an injected ``httpx.AsyncClient``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str = DEFAULT_HF_URL,
        *,
        sleep: Sleep = asyncio.sleep,
        retries: int = 3,
    ) -> None:
        self._client = client
        self._retries = retries
        self._base = base_url.rstrip("/")
        self._sleep = sleep

    async def _get_json(self, path: str, params: dict[str, str | int] | None = None) -> Any:
        response = await get(
            self._client,
            f"{self._base}{path}",
            params=params,
            source="hf",
            env_var=_ENV_VAR,
            sleep=self._sleep,
            retries=self._retries,
            accept=(404,),
        )
        if response.status_code == 404:
            return None
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceResponseError(
                f"Hugging Face sent malformed JSON for {path}: {exc}", source="hf"
            ) from exc

    async def daily_papers(self, day: dt.date, *, limit: int = 100) -> list[Paper]:
        """The papers featured on ``day``, in HF's order; [] for a day without any."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        papers: list[Paper] = []
        seen: set[str] = set()
        for page in range(_MAX_PAGES):
            params: dict[str, str | int] = {"date": day.isoformat(), "limit": limit, "p": page}
            data = await self._get_json("/api/daily_papers", params)
            if data is None:
                break  # a 404: HF has no list for that day
            try:
                parsed, errors = parse_daily_response(data, day=day)
            except ValueError as exc:
                raise SourceResponseError(f"Hugging Face daily papers: {exc}", source="hf") from exc
            for error in errors:
                log.warning("skipping a Hugging Face daily item for %s: %s", day, error)
            fresh = [p for p in parsed if p.id not in seen]
            seen.update(p.id for p in fresh)
            papers.extend(fresh)
            raw_count = len(data["data"] if isinstance(data, dict) else data)
            if raw_count < limit or not fresh:
                break
        else:
            log.warning("stopped paging Hugging Face daily papers for %s at %d", day, _MAX_PAGES)
        return papers

    async def paper(self, arxiv_id: str) -> Paper | None:
        """One paper's HF page data, or None when HF does not know it (404).

        Raises ``ValueError`` when ``arxiv_id`` is not an arXiv id.
        """
        parsed = parse_arxiv_id(arxiv_id)
        if parsed is None:
            raise ValueError(f"not an arXiv id: {arxiv_id[:40]!r}")
        data = await self._get_json(f"/api/papers/{quote(parsed.id, safe='')}")
        if data is None:
            return None
        try:
            return parse_paper(data)
        except ValueError as exc:
            raise SourceResponseError(
                f"Hugging Face paper {parsed.id}: {exc}", source="hf"
            ) from exc
