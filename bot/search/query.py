"""The one-box search grammar: words, "phrases", -exclusions and field filters.

    diffusion transformer            papers about both words (typos forgiven)
    "flow matching"                  the exact phrase
    -survey                          without the word
    author:hinton  au:"Yann LeCun"   by an author
    cat:cs.CL  cat:cs                in a category (cs = every cs.* category)
    since:2025-06  until:2025-12-31  featured or listed in that range (YYYY, YYYY-MM, date)
    min-upvotes:10                   at least that many upvotes
    page:2                           the next page of results
    2510.06131 / an arXiv or HF URL  that paper

Parsing never fails on odd text: stray quotes, brackets, operators and emoji are just
text. Only a filter with a value it cannot read (``since:soon``) is a user error.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from bot.errors import InvalidInput
from bot.ids import ArxivId, parse_arxiv_id
from bot.text import clean_text, tokenize

__all__ = ["MAX_QUERY_CHARS", "SEARCH_HELP", "Query", "parse_date_bound", "parse_query"]

# The grammar above as help shows it, on every front end.
SEARCH_HELP = """\
Search takes typos and half-remembered titles, plus:
  "exact phrase"   -word   author:hinton   cat:cs.CL   since:2025-06   until:2025
  min-upvotes:10   page:2   or an arXiv / Hugging Face paper URL"""

MAX_QUERY_CHARS = 500  # longer input is cut: nobody types more, and it bounds the work
MAX_TERMS = 24

_PIECE = re.compile(r'(-?)(?:([A-Za-z][\w-]*):)?(?:"([^"]*)"?|(\S+))')
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_FILTERS = {
    "author": "author",
    "au": "author",
    "by": "author",
    "cat": "cat",
    "category": "cat",
    "since": "since",
    "after": "since",
    "from": "since",
    "until": "until",
    "before": "until",
    "min-upvotes": "min_upvotes",
    "min_upvotes": "min_upvotes",
    "upvotes": "min_upvotes",
    "page": "page",
}
_PAGE = re.compile(r"\s*\bpage:\S*\s*$", re.IGNORECASE)
_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search box; ``text`` is the free text left once filters are taken out."""

    raw: str
    text: str = ""
    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()
    authors: tuple[tuple[str, ...], ...] = ()
    categories: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    min_upvotes: int | None = None
    page: int = 1
    arxiv_id: ArxivId | None = None
    # The user was still typing the last word (no space after it): match it as a prefix.
    open_ended: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.terms
            or self.phrases
            or self.authors
            or self.categories
            or self.since
            or self.until
            or self.arxiv_id
            or self.min_upvotes is not None
        )


def parse_date_bound(value: str, *, end: bool = False) -> dt.date:
    """Read ``2025``, ``2025-06`` or ``2025-06-01`` as the first (or last) day it names."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", value.strip())
    if not m:
        raise InvalidInput(f"'{value[:40]}' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m[1]), int(m[2] or (12 if end else 1)), m[3]
    try:
        if day is None:
            last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
            return dt.date(year, month, last if end else 1)
        return dt.date(year, month, int(day))
    except ValueError:
        raise InvalidInput(f"'{value[:40]}' is not a real date") from None


def parse_query(raw: str) -> Query:
    """Parse what a user typed into the search box."""
    text = clean_text(raw)[:MAX_QUERY_CHARS].translate(_QUOTES)
    whole_id = parse_arxiv_id(text)
    if whole_id:
        return Query(raw=raw, text=text, arxiv_id=whole_id)

    words: list[str] = []
    free: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    authors: list[tuple[str, ...]] = []
    cats: list[str] = []
    since = until = None
    min_upvotes = None
    page = 1
    for m in _PIECE.finditer(text):
        negate, field, quoted, bare = m.group(1), m.group(2), m.group(3), m.group(4)
        value = quoted if quoted is not None else (bare or "")
        kind = _FILTERS.get(field.lower()) if field else None
        if field and kind is None:
            # Not one of ours (`NEAR:`, `http:`): keep the whole thing as text.
            value = f"{field} {value}"
        if kind == "author":
            if tokenize(value):
                authors.append(tuple(tokenize(value)))
        elif kind == "cat":
            for cat in filter(None, value.split(",")):
                if not _CATEGORY.match(cat):
                    raise InvalidInput(f"'{cat[:40]}' is not an arXiv category (e.g. cs.CL)")
                archive, _, sub = cat.partition(".")
                cats.append(f"{archive.lower()}.{sub}" if sub else archive.lower())
        elif kind == "since":
            since = parse_date_bound(value)
        elif kind == "until":
            until = parse_date_bound(value, end=True)
        elif kind == "min_upvotes":
            if not value.isdigit() or int(value) > 1_000_000:
                raise InvalidInput("min-upvotes: expects a whole number, e.g. min-upvotes:10")
            min_upvotes = int(value)
        elif kind == "page":
            if not value.isdigit() or not 1 <= int(value) <= 100:
                raise InvalidInput("page: expects a number from 1 to 100")
            page = int(value)
        elif negate and (tokens := tokenize(value)):
            excluded.extend(tokens)
        elif quoted is not None and len(tokens := tokenize(value)) > 1:
            phrases.append(tuple(tokens))
            free.append(value)
        else:
            words.extend(tokenize(value))
            free.append(value)
    terms = tuple(dict.fromkeys(words))[:MAX_TERMS]
    return Query(
        raw=raw,
        text=" ".join(free),
        terms=terms,
        phrases=tuple(phrases[:4]),
        excluded=tuple(dict.fromkeys(excluded))[:MAX_TERMS],
        authors=tuple(authors[:4]),
        categories=tuple(dict.fromkeys(cats)),
        since=since,
        until=until,
        min_upvotes=min_upvotes,
        page=page,
        # `page:N` is how the next page is asked for; it must not change the query.
        open_ended=bool(words) and _ends_with_word(_PAGE.sub("", raw[-MAX_QUERY_CHARS:])),
    )


def _ends_with_word(text: str) -> bool:
    if not text or text[-1].isspace():
        return False
    last = text.rsplit(None, 1)[-1]
    return bool(last) and last[-1].isalnum() and ":" not in last and not last.startswith("-")
