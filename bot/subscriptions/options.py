"""Subscription options: their values checked with messages that say what is allowed.

A subscription's knobs are a topic (search syntax), a local time and timezone, weekdays,
papers per post, a minimum of upvotes, a source, arXiv categories and quiet days. How
people type them (``at 08:30 Europe/Berlin on mon-fri``, or Discord's typed options) is
the command table's business (``bot.commands``); this module turns one typed value into
its meaning and says, in one short line, what was wrong. Messages do not name the
option: the command table prefixes the name the front end uses (``at:`` or ``time:``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import process

from bot.errors import InvalidInput
from bot.models import Source, Subscription
from bot.subscriptions.schedule import next_run
from bot.taxonomy import category, suggest_category

__all__ = [
    "DAY_NAMES",
    "DAY_WORDS",
    "MAX_COUNT",
    "SOURCES",
    "Options",
    "days_text",
    "describe",
    "looks_like_days",
    "looks_like_zone",
    "parse_categories",
    "parse_days",
    "parse_source",
    "parse_time",
    "parse_timezone",
    "schedule_line",
    "zone_names",
]

MAX_COUNT = 25
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_WORDS = {
    "weekdays": frozenset(range(5)),
    "weekday": frozenset(range(5)),
    "workdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
    "day": frozenset(range(7)),  # "every day"
    "all": frozenset(range(7)),
}
SOURCES = {
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


# What a cleared field holds.
_EMPTY: dict[str, object] = {"topic": "", "categories": (), "min_upvotes": None}


@dataclass(frozen=True)
class Options:
    """What a subscribe, edit or digest command set; ``given`` names the fields set, the
    others keep what the subscription has."""

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

    @classmethod
    def of(cls, values: Mapping[str, object], *, cleared: Iterable[str] = ()) -> Options:
        """Options from checked values by the field names above (``None`` values and
        unknown names are not given); ``cleared`` fields are given as empty."""
        known = {f for f in cls.__dataclass_fields__ if f != "given"}
        chosen = {k: v for k, v in values.items() if k in known and v is not None}
        chosen |= {k: _EMPTY[k] for k in cleared}
        return cls(**chosen, given=frozenset(chosen))  # type: ignore[arg-type]

    def apply(self, sub: Subscription) -> Subscription:
        """``sub`` with every option that was given changed."""
        return replace(sub, **{name: getattr(self, name) for name in self.given})


def parse_time(value: str) -> dt.time:
    """``08:30``, ``8:30``, ``8``, ``8am``, ``8:30pm``, ``20h``."""
    m = _TIME.match(value.strip())
    hour, minute = (int(m[1]), int(m[2] or 0)) if m else (-1, -1)
    suffix = (m[3] or "").lower() if m else ""
    if suffix in {"am", "pm"}:
        # 12am is midnight, 12pm noon; "13pm" is nothing.
        hour = hour % 12 + (12 if suffix == "pm" else 0) if 1 <= hour <= 12 else -1
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidInput(f"'{value[:20]}' is not a time of day; use HH:MM from 00:00 to 23:59")
    return dt.time(hour, minute)


@cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def zone_names() -> list[str]:
    """Every IANA timezone name this machine knows, sorted."""
    return sorted(_zones().values())


def looks_like_zone(value: str) -> bool:
    """Whether ``value`` reads as a timezone name (``Europe/Berlin``, ``UTC``)."""
    return "/" in value or value.lower() in _zones()


def parse_timezone(value: str) -> str:
    """An IANA timezone name (``Europe/Berlin``), matched without regard to case."""
    name = _zones().get(value.strip().lower())
    if name is None:
        guess = process.extractOne(value.lower(), list(_zones()), score_cutoff=80)
        hint = f" (did you mean {_zones()[guess[0]]}?)" if guess else ""
        raise InvalidInput(
            f"unknown timezone '{value[:40]}'{hint}; use an IANA name such as "
            "Europe/Berlin, America/New_York or UTC"
        )
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:  # pragma: no cover - listed but not loadable
        raise InvalidInput(f"timezone '{name}' is not available here") from None
    return name


def _day(name: str) -> int | None:
    name = name.lower()
    for i, day in enumerate(DAY_NAMES):
        if len(name) >= 2 and day.startswith(name[:3]) and _FULL_NAMES[i].startswith(name):
            return i
    return None


def parse_days(value: str) -> frozenset[int]:
    """``mon-fri``, ``mon,wed,fri``, ``sat-sun``, ``weekdays``, ``weekends``, ``daily``."""
    text = value.strip().lower()
    if text in DAY_WORDS:
        return DAY_WORDS[text]
    days: set[int] = set()
    for part in filter(None, re.split(r"[,\s]+", text)):
        first, dash, last = part.partition("-")
        a, b = _day(first), _day(last) if dash else None
        if a is None or (dash and b is None):
            bad = first if a is None else last
            raise InvalidInput(
                f"unknown weekday '{bad[:20]}'; use mon, tue, wed, thu, fri, sat, sun, "
                "a range like mon-fri, or weekdays, weekends, daily"
            )
        if b is None:
            days.add(a)
        else:  # a range, possibly across the weekend (fri-mon)
            days.update((a + k) % 7 for k in range((b - a) % 7 + 1))
    if not days:
        raise InvalidInput("which days? e.g. mon-fri")
    return frozenset(days)


def looks_like_days(value: str) -> bool:
    """Whether ``value`` was surely meant as days (``mon-fri``, ``thrusday``): after
    ``on`` such a word is the days option, any other is part of a topic."""
    words = [w for w in re.split(r"[,\-\s]+", value.lower()) if w]
    if not words:
        return False
    if value.lower() in DAY_WORDS:
        return True
    if any(_day(w) is not None for w in words):
        return True
    # "on thrusday": close to a day name, so surely meant as one (and an error).
    return any(process.extractOne(w, _FULL_NAMES, score_cutoff=75) for w in words)


def parse_source(value: str) -> Source:
    source = SOURCES.get(value.strip().lower())
    if source is None:
        raise InvalidInput("use hf (Hugging Face trending), arxiv (new), or both")
    return source


def parse_categories(value: str) -> tuple[str, ...]:
    """``cs.CL,cs.LG``: arXiv categories, or whole archives (``cs``), as arXiv spells them."""
    cats = []
    for typed in filter(None, (c.strip() for c in value.split(","))):
        known = category(typed)
        if known is None:
            guess = suggest_category(typed)
            hint = f" (did you mean {guess}?)" if guess else ""
            raise InvalidInput(
                f"'{typed[:30]}' is not an arXiv category{hint}; e.g. cs.CL, cs.LG, or cs for all "
                "of computer science"
            )
        cats.append(known)
    if not cats:
        raise InvalidInput("which categories? e.g. cs.CL,cs.LG")
    return tuple(dict.fromkeys(cats))


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


def schedule_line(sub: Subscription, now: dt.datetime, last: dt.datetime | None) -> str:
    """When ``sub`` posts next and when it last posted, in its own timezone."""
    zone = ZoneInfo(sub.timezone)
    parts = []
    if sub.active:
        upcoming = next_run(now, sub.at, zone, sub.weekdays).astimezone(zone)
        parts.append(f"next post {upcoming:%a %d %b %H:%M} ({_until(upcoming - now)})")
    else:
        parts.append("no posts while paused")
    parts.append(
        f"last posted {last.astimezone(zone):%a %d %b %H:%M}" if last else "not posted yet"
    )
    return " · ".join(parts)


def _until(delta: dt.timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"in {minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"in {hours} h {minutes % 60:02d} min" if hours < 10 else f"in {hours} h"
    return f"in {hours // 24} days"
