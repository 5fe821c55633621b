"""Subscription options as people type them, checked with messages that say what is allowed.

    /papers subscribe [TOPIC] [at HH:MM [ZONE]] [tz ZONE] [on DAYS] [count N]
                      [min-upvotes N] [source hf|arxiv|both] [cat CAT,...] [quiet]

    diffusion at 08:30 Europe/Berlin on mon-fri count 5 min-upvotes 10 source hf

DAYS: ``mon-fri`` (the default), ``mon,wed,fri``, ``weekdays``, ``weekends``, ``daily``.
``quiet`` turns off the short "nothing new today" message. Words that are not options
make the topic, in search syntax; quote a topic that contains ``at`` or ``on``.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass, field, replace
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import process

from bot.errors import InvalidInput
from bot.models import Source, Subscription

__all__ = [
    "DAY_NAMES",
    "MAX_COUNT",
    "Options",
    "describe",
    "parse_days",
    "parse_options",
    "parse_time",
    "parse_timezone",
]

MAX_COUNT = 25
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORDS = {
    "weekdays": frozenset(range(5)),
    "weekday": frozenset(range(5)),
    "workdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
    "all": frozenset(range(7)),
}
_SOURCES = {
    "hf": Source.HF,
    "huggingface": Source.HF,
    "hugging-face": Source.HF,
    "trending": Source.HF,
    "arxiv": Source.ARXIV,
    "new": Source.ARXIV,
    "both": Source.BOTH,
    "all": Source.BOTH,
}
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|h)?$", re.IGNORECASE)
_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$", re.IGNORECASE)
_KEYWORDS = {"at", "on", "tz", "timezone", "count", "min-upvotes", "min_upvotes", "source"}
_KEYWORDS |= {"cat", "category", "categories", "quiet", "every"}


_FIELDS = ("topic", "at", "timezone", "weekdays", "count", "min_upvotes", "source")
_FIELDS += ("categories", "post_empty")


@dataclass(frozen=True)
class Options:
    """What a subscribe or edit command set; None means "not given, keep as is"."""

    topic: str | None = None
    at: dt.time | None = None
    timezone: str | None = None
    weekdays: frozenset[int] | None = None
    count: int | None = None
    min_upvotes: int | None = None
    source: Source | None = None
    categories: tuple[str, ...] | None = None
    post_empty: bool | None = None
    given: frozenset[str] = field(default_factory=frozenset)

    def apply(self, sub: Subscription) -> Subscription:
        """``sub`` with every option that was given changed."""
        changes = {name: getattr(self, name) for name in _FIELDS if name in self.given}
        return replace(sub, **changes)


def parse_time(value: str) -> dt.time:
    """``08:30``, ``8:30``, ``8``, ``8am``, ``8:30pm``, ``20h``."""
    m = _TIME.match(value.strip())
    hour, minute = (int(m[1]), int(m[2] or 0)) if m else (-1, -1)
    suffix = (m[3] or "").lower() if m else ""
    if suffix in {"am", "pm"}:
        # 12am is midnight, 12pm noon; "13pm" is nothing.
        hour = hour % 12 + (12 if suffix == "pm" else 0) if 1 <= hour <= 12 else -1
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidInput(
            f"at: '{value[:20]}' is not a time of day; use HH:MM from 00:00 to 23:59"
        )
    return dt.time(hour, minute)


@cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(value: str) -> str:
    """An IANA timezone name (``Europe/Berlin``), matched without regard to case."""
    name = _zones().get(value.strip().lower())
    if name is None:
        guess = process.extractOne(value.lower(), list(_zones()), score_cutoff=80)
        hint = f" (did you mean {_zones()[guess[0]]}?)" if guess else ""
        raise InvalidInput(
            f"tz: unknown timezone '{value[:40]}'{hint}; use an IANA name such as "
            "Europe/Berlin, America/New_York or UTC"
        )
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:  # pragma: no cover - listed but not loadable
        raise InvalidInput(f"tz: timezone '{name}' is not available here") from None
    return name


def _day(name: str) -> int | None:
    name = name.lower()
    for i, day in enumerate(DAY_NAMES):
        if len(name) >= 2 and day.startswith(name[:3]) and _full(i).startswith(name):
            return i
    return None


def _full(i: int) -> str:
    return ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[i]


def parse_days(value: str) -> frozenset[int]:
    """``mon-fri``, ``mon,wed,fri``, ``sat-sun``, ``weekdays``, ``weekends``, ``daily``."""
    text = value.strip().lower()
    if text in _DAY_WORDS:
        return _DAY_WORDS[text]
    days: set[int] = set()
    for part in filter(None, re.split(r"[,\s]+", text)):
        first, dash, last = part.partition("-")
        a, b = _day(first), _day(last) if dash else None
        if a is None or (dash and b is None):
            bad = first if a is None else last
            raise InvalidInput(
                f"on: unknown weekday '{bad[:20]}'; use mon, tue, wed, thu, fri, sat, sun, "
                "a range like mon-fri, or weekdays, weekends, daily"
            )
        if b is None:
            days.add(a)
        else:  # a range, possibly across the weekend (fri-mon)
            days.update((a + k) % 7 for k in range((b - a) % 7 + 1))
    if not days:
        raise InvalidInput("on: which days? e.g. on mon-fri")
    return frozenset(days)


def _looks_like_days(value: str) -> bool:
    words = [w for w in re.split(r"[,\-\s]+", value.lower()) if w]
    if not words:
        return False
    if value.lower() in _DAY_WORDS:
        return True
    known = [w for w in words if _day(w) is not None]
    if known:
        return True
    # "on thrusday": close to a day name, so surely meant as one (and an error).
    names = list(_full(i) for i in range(7))
    return any(process.extractOne(w, names, score_cutoff=75) for w in words)


def _number(field_name: str, value: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise InvalidInput(f"{field_name}: must be a whole number from {low} to {high}")
    return int(value)


def parse_options(text: str) -> Options:
    """Parse the words after ``subscribe`` (or ``edit ID``); raises ``InvalidInput``."""
    try:
        words = shlex.split(text, posix=True)
    except ValueError:  # an unbalanced quote: read the words as they are
        words = text.split()
    values: dict[str, object] = {}
    topic: list[str] = []
    i = 0

    def take() -> str:
        nonlocal i
        if i + 1 >= len(words):
            raise InvalidInput(f"{words[i]}: a value is missing")
        i += 1
        return words[i]

    while i < len(words):
        word = words[i]
        key = word.lower()
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if key == "at" and nxt[:1].isdigit():
            values["at"] = parse_time(take())
            after = words[i + 1] if i + 1 < len(words) else ""
            if after and ("/" in after or after.lower() in _zones()):
                values["timezone"] = parse_timezone(take())
        elif key in {"tz", "timezone"}:
            values["timezone"] = parse_timezone(take())
        elif key == "on" and nxt and _looks_like_days(nxt):
            values["weekdays"] = parse_days(take())
        elif key == "every" and nxt.lower() in {"day", "weekday", "weekdays"}:
            values["weekdays"] = _DAY_WORDS["daily" if take().lower() == "day" else "weekdays"]
        elif key in {"daily", "weekdays", "weekends"} and len(words) > 1:
            values["weekdays"] = _DAY_WORDS[key]
        elif key == "count":
            values["count"] = _number("count", take(), 1, MAX_COUNT)
        elif key in {"min-upvotes", "min_upvotes"}:
            values["min_upvotes"] = _number("min-upvotes", take(), 0, 100_000)
        elif key == "source":
            value = take().lower()
            if value not in _SOURCES:
                raise InvalidInput("source: use hf (Hugging Face trending), arxiv (new), or both")
            values["source"] = _SOURCES[value]
        elif key in {"cat", "category", "categories"}:
            cats = tuple(c for c in take().split(",") if c)
            for cat in cats:
                if not _CATEGORY.match(cat):
                    raise InvalidInput(f"cat: '{cat[:30]}' is not an arXiv category (e.g. cs.CL)")
            values["categories"] = cats
        elif key in {"quiet", "--quiet"}:
            values["post_empty"] = False
        else:
            topic.append(_requote(word))
        i += 1
    if topic:
        values["topic"] = " ".join(topic)
    return Options(**values, given=frozenset(values))  # type: ignore[arg-type]


def _requote(word: str) -> str:
    # shlex removed the quotes of a quoted phrase; the search grammar wants them back.
    return f'"{word}"' if " " in word else word


def describe(sub: Subscription) -> str:
    """One line a user can read: ``#3 'diffusion' · 08:30 Europe/Berlin · Mon–Fri ...``."""
    topic = f"'{sub.topic}'" if sub.topic else "trending"
    parts = [f"#{sub.id} {topic}", f"{sub.at:%H:%M} {sub.timezone}", days_text(sub.weekdays)]
    parts.append(f"{sub.count} paper{'s' if sub.count != 1 else ''}")
    if sub.min_upvotes:
        parts.append(f"min {sub.min_upvotes} upvotes")
    if sub.categories:
        parts.append(", ".join(sub.categories))
    parts.append({"hf": "Hugging Face", "arxiv": "arXiv new", "both": "HF + arXiv"}[sub.source])
    if not sub.post_empty:
        parts.append("quiet")
    parts.append(
        "active" if sub.active else f"paused{': ' + sub.paused_reason if sub.paused_reason else ''}"
    )
    return " · ".join(parts)


def days_text(days: frozenset[int]) -> str:
    if days == frozenset(range(7)):
        return "daily"
    if days == frozenset(range(5)):
        return "Mon–Fri"
    if days == frozenset({5, 6}):
        return "weekends"
    return ", ".join(DAY_NAMES[d].capitalize() for d in sorted(days))
