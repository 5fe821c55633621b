"""When posts are due: pure functions of (now, time of day, timezone, weekdays).

A slot is a local wall-clock time on a chosen weekday, turned into an aware UTC
instant. Across daylight-saving changes: a time that does not exist that day (02:30
when clocks jump from 02:00 to 03:00) posts as late as the clocks jumped (03:30); a
time that happens twice (01:30 when clocks fall back) posts once, the first time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from zoneinfo import ZoneInfo

__all__ = ["local_slot", "next_run", "slots_between"]

_UTC = dt.UTC


def local_slot(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``tz`` (DST rules above)."""
    # fold=0 reads a skipped wall time with the offset from before the jump (02:30
    # becomes 03:30 summer time) and a repeated one as its first occurrence.
    wall = dt.datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=tz)
    return wall.astimezone(_UTC)


def _days(start: dt.date) -> Iterator[dt.date]:
    day = start
    while True:
        yield day
        day += dt.timedelta(days=1)


def next_run(
    now: dt.datetime, at: dt.time, tz: str | ZoneInfo, weekdays: Collection[int]
) -> dt.datetime:
    """The first slot strictly after ``now`` (aware), as an aware UTC datetime."""
    if not weekdays:
        raise ValueError("a schedule needs at least one weekday")
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    today = now.astimezone(zone).date()
    for day in _days(today - dt.timedelta(days=1)):
        if day.weekday() in weekdays:
            slot = local_slot(day, at, zone)
            if slot > now:
                return slot
    raise AssertionError("unreachable")  # pragma: no cover


def slots_between(
    start: dt.datetime,
    end: dt.datetime,
    at: dt.time,
    tz: str | ZoneInfo,
    weekdays: Collection[int],
) -> list[dt.datetime]:
    """Every slot in ``(start, end]``, oldest first."""
    slots = []
    slot = next_run(start, at, tz, weekdays)
    while slot <= end:
        slots.append(slot)
        slot = next_run(slot, at, tz, weekdays)
    return slots
