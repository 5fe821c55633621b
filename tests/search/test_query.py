"""The search box grammar: what users type becomes words, phrases and filters."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.ids import ArxivId
from bot.search.query import parse_date_bound, parse_query


def test_words_phrases_exclusions_and_filters() -> None:
    q = parse_query('"flow matching" robots -survey author:"Yann LeCun" cat:cs.RO since:2025-06')
    assert q.terms == ("robots",)
    assert q.phrases == (("flow", "matching"),)
    assert q.excluded == ("survey",)
    assert q.authors == (("yann", "lecun"),)
    assert q.categories == ("cs.RO",)
    assert q.since == dt.date(2025, 6, 1)
    assert q.text == "flow matching robots"


def test_typographic_quotes_and_accents() -> None:
    q = parse_query("“Wübben” au:Müller")
    assert q.terms == ("wubben",)
    assert q.authors == (("muller",),)


@pytest.mark.parametrize(
    "text", ["2510.06131", "arXiv:2510.06131v2", "https://huggingface.co/papers/2510.06131"]
)
def test_an_id_or_url_is_a_lookup(text: str) -> None:
    assert parse_query(text).arxiv_id is not None
    assert parse_query(text).arxiv_id.id == "2510.06131"  # type: ignore[union-attr]


def test_still_typing_the_last_word() -> None:
    assert parse_query("attention is all you ne").open_ended
    assert not parse_query("attention is all you ne ").open_ended
    assert not parse_query('"flow matching"').open_ended
    assert not parse_query("robots -survey").open_ended


def test_unknown_field_names_stay_text() -> None:
    q = parse_query("NEAR:foo title:bar")
    assert q.terms == ("near", "foo", "title", "bar")


def test_page_and_min_upvotes() -> None:
    q = parse_query("llm page:3 min-upvotes:10")
    assert (q.page, q.min_upvotes, q.terms) == (3, 10, ("llm",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("since:soon", "not a date"),
        ("since:2025-13", "not a real date"),
        ("until:2025-02-30", "not a real date"),
        ("page:0", "page"),
        ("page:x", "page"),
        ("min-upvotes:lots", "min-upvotes"),
        ("cat:'; DROP", "category"),
    ],
)
def test_bad_filter_values_are_user_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_query(text)


def test_date_bounds() -> None:
    assert parse_date_bound("2025") == dt.date(2025, 1, 1)
    assert parse_date_bound("2025", end=True) == dt.date(2025, 12, 31)
    assert parse_date_bound("2024-02", end=True) == dt.date(2024, 2, 29)


def test_huge_input_is_cut() -> None:
    q = parse_query("word " * 5000)
    assert q.terms == ("word",)
    assert len(parse_query(" ".join(f"w{i}" for i in range(5000))).terms) <= 24


def test_empty_and_symbol_only_input_is_empty() -> None:
    for text in ["", "   ", '"', "((( ***", "🎉🎉", "\x00\x1b", "-"]:
        assert parse_query(text).is_empty, text
    assert parse_query("2510.06131").arxiv_id == ArxivId("2510.06131")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_is_a_user_error(text: str) -> None:
    try:
        q = parse_query(text)
    except InvalidInput:
        return
    assert all(t and t == t.lower() for t in q.terms)  # folded as the index folds
