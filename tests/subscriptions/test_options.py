"""Subscription option values: times, timezones, weekdays, categories, as people write them."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.errors import InvalidInput
from bot.subscriptions.options import parse_categories, parse_days, parse_time, parse_timezone


def test_small_parsers() -> None:
    assert parse_time("8") == dt.time(8) and parse_time("12am") == dt.time(0)
    assert parse_time("12pm") == dt.time(12) and parse_time("20h") == dt.time(20)
    assert parse_timezone("utc") == "UTC"
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_days("Monday, Wednesday") == frozenset({0, 2})


def test_each_value_says_what_it_takes() -> None:
    with pytest.raises(InvalidInput, match="'25:00' is not a time of day"):
        parse_time("25:00")
    with pytest.raises(InvalidInput, match="did you mean Europe/Berlin"):
        parse_timezone("Europe/Berln")
    with pytest.raises(InvalidInput, match="unknown weekday 'funday'"):
        parse_days("mon-funday")
    assert parse_categories("cs.CL, cs") == ("cs.CL", "cs")
    with pytest.raises(InvalidInput, match="which categories"):
        parse_categories(",")
