"""SQLite's BM25 in Python, for an unscored search's few hundred matches."""

from __future__ import annotations

from bot.store import TextQuery
from bot.store.sqlite._bm25 import phrases_of, top_by_bm25

COLUMNS = ("title", "abstract", "authors")
WEIGHTS = (2.0, 1.0, 1.0)
ROWS = [
    ("a", "Flow matching", "We match flows.", "Ann Lee"),
    ("b", "Matching flow fields", "Flow, flow and more flow.", "Bo Li"),
    ("c", "Diffusion", "A flow matching model.", "Cy Wu"),
]
DOCS = {"flow": 3, "matching": 2, "flows": 1, "lee": 1}


def ids(query: TextQuery, limit: int = 3) -> list[str]:
    phrases = phrases_of(query, COLUMNS)
    return [pid for pid, _ in top_by_bm25(ROWS, phrases, WEIGHTS, DOCS, 1000, limit)]


def test_more_of_a_word_and_in_the_title_weighs_more() -> None:
    assert ids(TextQuery(groups=(("flow",),)), limit=1) == ["b"]


def test_a_phrase_counts_only_where_its_words_follow_each_other() -> None:
    assert ids(TextQuery(phrases=(("flow", "matching"),)), limit=2) == ["a", "c"]


def test_columns_and_names_restrict_where_words_count() -> None:
    assert ids(TextQuery(groups=(("flow",),), columns=("abstract",)), limit=1) == ["b"]
    assert ids(TextQuery(authors=(("lee",),)), limit=1) == ["a"]


def test_the_last_word_may_be_a_prefix() -> None:
    assert ids(TextQuery(groups=(("match",),), prefix_last=True), limit=1) == ["a"]
