"""arXiv: parsers for the API's Atom, the listing RSS feeds and listing records; the client."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from bot.errors import SourceResponseError
from bot.ids import find_arxiv_id, parse_arxiv_id
from bot.models import Paper
from bot.sources._http import Limiter, RateLimiter, Sleep, get
from bot.text import clean_text

__all__ = [
    "ARXIV_INTERVAL",
    "DEFAULT_API_URL",
    "DEFAULT_RSS_URL",
    "ArxivClient",
    "parse_atom",
    "parse_listing_record",
    "parse_rss",
]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://export.arxiv.org"
DEFAULT_RSS_URL = "https://rss.arxiv.org"
# arXiv's terms of use ask for no more than one request every three seconds.
ARXIV_INTERVAL = 3.0

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DESCRIPTION = re.compile(
    r"^\s*arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:)?(?P<abstract>.*)$",
    re.DOTALL,
)
# Announcement types for papers that are new to a listing; "replace" and
# "replace-cross" announce new versions of papers already seen.
_NEW_TYPES = frozenset({"new", "cross"})
_CATEGORY = re.compile(r"[A-Za-z-]+(?:\.[A-Za-z-]+)?(?:\+[A-Za-z-]+(?:\.[A-Za-z-]+)?)*")
_ID_BATCH = 100


def _parse_xml(xml: str | bytes, what: str) -> ET.Element:
    # The stdlib parser is enough here: the input comes from arXiv over https, and the
    # bundled expat refuses entity-expansion bombs. Bytes let it honour the document's
    # own encoding declaration.
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise SourceResponseError(f"arXiv sent a malformed {what}: {exc}", source="arxiv") from exc


def _fix_mojibake(text: str) -> str:
    """Undo UTF-8 read as Latin-1 (``Dirk WÃ¼bben``), which arXiv still serves for a few names.

    Only when the round trip yields valid UTF-8, so real ``Ã`` in a name survives.
    """
    if "Ã" not in text and "Â" not in text:
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def _iso_datetime(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _rfc822_date(text: str | None) -> dt.date | None:
    """The calendar date of an RSS ``pubDate``, in the feed's own (US Eastern) zone."""
    if not text:
        return None
    try:
        return email.utils.parsedate_to_datetime(text.strip()).date()
    except (TypeError, ValueError):
        return None


def _strings(value: Any) -> list[str]:
    """The cleaned, non-empty strings of a JSON string or list; nothing for other types."""
    values = value if isinstance(value, list) else [value]
    return [text for v in values if isinstance(v, str) and (text := clean_text(v))]


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _atom_entry(entry: ET.Element) -> Paper | None:
    raw_id = entry.findtext(f"{_ATOM}id") or ""
    arxiv_id = parse_arxiv_id(raw_id)
    if arxiv_id is None:
        log.warning("skipping an arXiv entry without a paper id: %.80r", raw_id)
        return None
    title = clean_text(entry.findtext(f"{_ATOM}title"))
    if not title:
        log.warning("skipping arXiv entry %s: it has no title", arxiv_id.id)
        return None
    primary = entry.find(f"{_ARXIV}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [c.get("term", "") for c in entry.iter(f"{_ATOM}category")]
    authors = (
        _fix_mojibake(clean_text(a.findtext(f"{_ATOM}name"))) for a in entry.iter(f"{_ATOM}author")
    )
    return Paper(
        id=arxiv_id.id,
        version=arxiv_id.version,
        title=title,
        abstract=clean_text(entry.findtext(f"{_ATOM}summary")),
        authors=tuple(a for a in authors if a),
        published_at=_iso_datetime(entry.findtext(f"{_ATOM}published")),
        categories=_unique([clean_text(t) for t in terms]),
        source="arxiv",
    )


def parse_atom(xml: str | bytes) -> list[Paper]:
    """Parse an arXiv API (``/api/query``) Atom feed, old or new format, into papers.

    Raises ``SourceResponseError`` with arXiv's own message for an error feed (such as
    "incorrect id format for abc") and for anything that is not an Atom feed.
    """
    root = _parse_xml(xml, "Atom feed")
    if root.tag != f"{_ATOM}feed":
        raise SourceResponseError(f"arXiv sent {root.tag!r}, not an Atom feed", source="arxiv")
    papers = []
    for entry in root.iter(f"{_ATOM}entry"):
        # arXiv reports a bad query as a feed whose one entry is the error.
        if "/api/errors" in (entry.findtext(f"{_ATOM}id") or ""):
            message = clean_text(entry.findtext(f"{_ATOM}summary")) or "unknown error"
            raise SourceResponseError(f"arXiv API error: {message}", source="arxiv")
        if (paper := _atom_entry(entry)) is not None:
            papers.append(paper)
    return papers


def _split_creators(text: str | None) -> tuple[str, ...]:
    # dc:creator holds every author in one string: "A. One, B. Two and C. Three".
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", clean_text(text))
    return tuple(p for p in (clean_text(x) for x in parts) if p)


def _rss_item(item: ET.Element, channel_day: dt.date | None) -> Paper | None:
    description = item.findtext("description") or ""
    match = _DESCRIPTION.match(description)
    announce = (item.findtext(f"{_ARXIV}announce_type") or "").strip().lower()
    if not announce and match:
        announce = match["type"].lower()
    if announce and announce not in _NEW_TYPES:
        log.debug("skipping a %r announcement", announce)
        return None
    arxiv_id = next(
        (
            found
            for text in (item.findtext("guid"), description, item.findtext("link"))
            if text and (found := find_arxiv_id(text))
        ),
        None,
    )
    if arxiv_id is None:
        log.warning("skipping an arXiv RSS item without a paper id")
        return None
    title = clean_text(item.findtext("title"))
    if not title:
        log.warning("skipping arXiv RSS item %s: it has no title", arxiv_id.id)
        return None
    categories = [clean_text(c.text) for c in item.findall("category")]
    return Paper(
        id=arxiv_id.id,
        version=arxiv_id.version,
        title=title,
        abstract=clean_text(match["abstract"] if match else description),
        authors=_split_creators(item.findtext(f"{_DC}creator")),
        day=_rfc822_date(item.findtext("pubDate")) or channel_day,
        categories=_unique(categories),
        source="arxiv",
    )


def parse_rss(xml: str | bytes) -> list[Paper]:
    """Parse a listing feed (``rss.arxiv.org/rss/<cat>``): new papers and cross-lists.

    Replacement announcements (new versions of known papers) are left out; a weekend or
    holiday feed has no items and gives [].
    """
    root = _parse_xml(xml, "RSS feed")
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise SourceResponseError(f"arXiv sent {root.tag!r}, not an RSS feed", source="arxiv")
    channel_day = _rfc822_date(channel.findtext("pubDate"))
    papers = []
    for item in channel.iter("item"):
        if (paper := _rss_item(item, channel_day)) is not None:
            papers.append(paper)
    return papers


def parse_listing_record(obj: Any, *, day: dt.date | None = None) -> Paper:
    """Parse one JSON record of a daily listing (``id, categories, authors, title, summary``).

    Such records carry no date of their own: ``day`` is the listing's date. Raises
    ``ValueError`` for a record that cannot be a paper (no valid id, no title).
    """
    if not isinstance(obj, dict):
        raise ValueError(f"listing record is a {type(obj).__name__}, not an object")
    raw_id = obj.get("id")
    arxiv_id = parse_arxiv_id(raw_id) if isinstance(raw_id, str) else None
    if arxiv_id is None:
        raise ValueError(f"listing record has no valid arXiv id: {str(raw_id)[:40]!r}")
    title = " ".join(_strings(obj.get("title")))
    if not title:
        raise ValueError(f"listing record {arxiv_id.id} has no title")
    return Paper(
        id=arxiv_id.id,
        version=arxiv_id.version,
        title=title,
        abstract=" ".join(_strings(obj.get("summary"))),
        authors=tuple(_strings(obj.get("authors"))),
        day=day,
        categories=_unique(_strings(obj.get("categories"))),
        source="arxiv",
    )


class ArxivClient:
    """Reads the arXiv API and listing feeds politely (one request per 3 s by default)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        api_url: str = DEFAULT_API_URL,
        rss_url: str = DEFAULT_RSS_URL,
        *,
        limiter: Limiter | None = None,
        sleep: Sleep = asyncio.sleep,
        retries: int = 3,
    ) -> None:
        self._client = client
        self._retries = retries
        self._api = api_url.rstrip("/")
        self._rss = rss_url.rstrip("/")
        self._sleep = sleep
        self._limiter: Limiter = (
            limiter if limiter is not None else RateLimiter(ARXIV_INTERVAL, sleep=sleep)
        )

    async def _query(self, params: dict[str, str | int]) -> list[Paper]:
        response = await get(
            self._client,
            f"{self._api}/api/query",
            params=params,
            source="arxiv",
            env_var="PAPERBOT_ARXIV_URL",
            sleep=self._sleep,
            retries=self._retries,
            limiter=self._limiter,
            # arXiv explains a bad query (400) in an Atom error feed; read it.
            accept=(400,),
        )
        status = response.status_code
        try:
            papers = parse_atom(response.content)
        except SourceResponseError as exc:
            raise SourceResponseError(str(exc), source="arxiv", status=status) from exc
        if status != 200:
            raise SourceResponseError(
                f"arXiv API answered HTTP {status}", source="arxiv", status=status
            )
        return papers

    async def by_ids(self, ids: Sequence[str]) -> list[Paper]:
        """Look papers up by id (versioned or not); unknown ids are simply missing.

        Ids arXiv cannot read are passed on as written, so its error message (a
        ``SourceResponseError``) says which one was wrong.
        """
        wanted = [str(parse_arxiv_id(i) or i.strip()) for i in ids]
        wanted = [i for i in dict.fromkeys(wanted) if i]
        papers: list[Paper] = []
        for start in range(0, len(wanted), _ID_BATCH):
            batch = wanted[start : start + _ID_BATCH]
            papers += await self._query({"id_list": ",".join(batch), "max_results": len(batch)})
        return papers

    async def search(self, query: str, *, start: int = 0, max_results: int = 50) -> list[Paper]:
        """Search all fields for every word of ``query`` (user text, never query syntax)."""
        # Lower-cased words only: no quotes, brackets, field prefixes or AND/OR/ANDNOT
        # operators can reach arXiv's query parser from what a user typed.
        words = re.findall(r"[^\W_]+(?:[.-][^\W_]+)*", query.lower())[:20]
        if not words:
            return []
        search_query = " AND ".join(f"all:{w}" for w in words)
        params: dict[str, str | int] = {
            "search_query": search_query,
            "start": start,
            "max_results": max_results,
        }
        return await self._query(params)

    async def listing(self, category: str) -> list[Paper]:
        """Today's new papers and cross-lists in ``category`` (e.g. ``cs.CL``, ``cs.AI+cs.LG``).

        [] on weekends and arXiv holidays, when the feed is empty.
        """
        if not _CATEGORY.fullmatch(category):
            raise ValueError(f"not an arXiv category: {category[:40]!r}")
        response = await get(
            self._client,
            f"{self._rss}/rss/{quote(category, safe='.+-')}",
            source="arxiv",
            env_var="PAPERBOT_ARXIV_RSS_URL",
            sleep=self._sleep,
            retries=self._retries,
            limiter=self._limiter,
        )
        return parse_rss(response.content)
