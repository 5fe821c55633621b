"""Search as people type it, on the ~14,000 real papers of the bundled snapshot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.api import PaperService
from bot.errors import UserError
from bot.models import Paper
from bot.search.engine import plan, run_search
from bot.search.query import parse_query
from bot.search.spelling import corrections
from bot.store import PaperStore, Store, open_store
from bot.text import tokenize
from tests.conftest import postgres_schema

TPA = "2501.06425"  # Tensor Product Attention Is All You Need (Yifan Zhang et al.)
CONVLLAVA = "2405.15738"  # ConvLLaVA: Hierarchical Backbones as Visual Encoder ...
RNG_BENCH = "2606.19338"  # Beyond the Current Observation ... Non-Markov Games (Ding)
NO_NORM = "2503.10622"  # Transformers without Normalization (Zhu, ..., Yann LeCun, Liu)
AGENTWORLD = "2606.24597"  # Qwen-AgentWorld: Language World Models for General Agents
TUMOUR = "2606.17702"  # SegTME-UNI2: ... Tumour Microenvironment Characterisation ...
BEHAVIOURS = "2410.15999"  # Steering Knowledge Selection Behaviours in LLMs via SAE-...
STEERABLE = "2606.11599"  # When is Your LLM Steerable?


async def top(store: PaperStore, text: str, n: int = 1) -> list[str]:
    return [h.paper.id for h in await run_search(store, parse_query(text), limit=n)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tensor Product Attention Is All You Need", TPA),
        ("tensor product attention", TPA),  # partial title
        ("Tensr Prodct Atention is all you need", TPA),  # typos
        ("ConvLLaVA", CONVLLAVA),
        ("convlava hierarchical backbones", CONVLLAVA),  # typo in a made-up word
        ("Ding non-markov games", RNG_BENCH),  # surname + title words
        ("closed-loop policies increasingly requires conditioning actions", RNG_BENCH),
        ("Beyond the Current Observation: Evaluating Multimodal Large Lang", RNG_BENCH),
        ("https://arxiv.org/abs/2405.15738v2", CONVLLAVA),
        ("hf.co/papers/2501.06425", TPA),
    ],
)
async def test_known_item_comes_first(real_store: PaperStore, text: str, expected: str) -> None:
    assert await top(real_store, text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("transformers without normalisation", NO_NORM),  # British query, American title
        ("tumor microenvironment characterization", TUMOUR),  # American query, British title
        ("selection behaviors steering", BEHAVIOURS),
    ],
)
async def test_british_and_american_spellings_find_each_other(
    real_store: PaperStore, text: str, expected: str
) -> None:
    assert await top(real_store, text) == [expected]


async def test_a_title_of_stopwords_is_searched_as_typed(real_store: PaperStore) -> None:
    # Every word of "when is your" is a stopword; they are all the query has.
    assert await top(real_store, "when is your") == [STEERABLE]


def by(paper_authors: tuple[str, ...], name: str) -> bool:
    return any(tokenize(a) == tokenize(name) for a in paper_authors)


async def test_a_full_name_finds_the_papers_by_that_author_first(real_store: PaperStore) -> None:
    hits = await run_search(real_store, parse_query("yann lecun"), limit=20)
    authored = [by(h.paper.authors, "Yann LeCun") for h in hits]
    mine = authored.count(True)
    assert mine >= 9  # all of his papers in the snapshot
    # Papers that only mention him in their abstract are found, after all of his own.
    assert authored == [True] * mine + [False] * (len(hits) - mine)
    assert len(hits) > mine


async def test_a_common_full_name_is_read_as_one_author(real_store: PaperStore) -> None:
    # Nearly a thousand papers have a "Yang" and a "Liu" among their authors; 85 have a
    # Yang Liu. The first page is his (or hers).
    hits = await run_search(real_store, parse_query("yang liu"), limit=10)
    assert len(hits) == 10
    assert all(by(h.paper.authors, "Yang Liu") for h in hits)


async def test_a_typo_of_a_rare_title_word_beats_common_exact_words(
    real_store: PaperStore,
) -> None:
    assert await top(real_store, "qwen agnetworld") == [AGENTWORLD]
    # "qwen" and "technical" are exact, and in dozens of Qwen technical reports; the one
    # paper with "AgentWorld" still comes first.
    assert await top(real_store, "qwen technical agnetworld") == [AGENTWORLD]


async def test_a_typo_weighs_as_much_as_the_word_it_stands_for(real_store: PaperStore) -> None:
    vocabulary = await real_store.vocabulary()
    total = await real_store.count_papers()
    typo = plan(parse_query("qwen agnetworld"), vocabulary, total).weights
    exact = plan(parse_query("qwen agentworld"), vocabulary, total).weights
    assert typo["agnetworld"] == exact["agentworld"]
    assert typo["agnetworld"] > typo["qwen"]


async def test_author_filter(real_store: PaperStore) -> None:
    hits = await run_search(real_store, parse_query('author:"Shengyuan Ding"'), limit=20)
    assert len(hits) >= 3
    assert all(any("Shengyuan Ding" in a for a in h.paper.authors) for h in hits)


async def test_category_date_and_exclusion_filters(real_store: PaperStore) -> None:
    hits = await run_search(
        real_store, parse_query("diffusion -video cat:cs.CV since:2026-06"), limit=30
    )
    assert hits
    for h in hits:
        assert h.paper.day is not None and h.paper.day >= dt.date(2026, 6, 1)
        assert any(c == "cs.CV" for c in h.paper.categories)
        assert "video" not in (h.paper.title + " " + h.paper.abstract).lower().split()


async def test_phrase_must_be_adjacent(real_store: PaperStore) -> None:
    hits = await run_search(real_store, parse_query('"flow matching"'), limit=20)
    assert hits
    for h in hits:  # "Flow-Matching" counts: the index sees the words, not the hyphen
        assert "flow matching" in " ".join(tokenize(f"{h.paper.title} {h.paper.abstract}"))


async def test_nonsense_finds_nothing(real_store: PaperStore) -> None:
    assert await top(real_store, "qwxzv plmkjh") == []


async def test_corrections_use_the_index_vocabulary(real_store: PaperStore) -> None:
    vocabulary = await real_store.vocabulary()
    assert "attention" in corrections("atention", vocabulary)
    assert corrections("attention", vocabulary) == ()  # known words are left alone
    assert corrections("llm", vocabulary) == ()  # too short to guess


async def test_pages_do_not_repeat(service: PaperService) -> None:
    first = await service.search("diffusion")
    second = await service.search("diffusion page:2")
    ids1 = {c.paper_id for c in first.cards}
    ids2 = {c.paper_id for c in second.cards}
    assert len(ids1) == len(ids2) == 5
    assert not ids1 & ids2
    assert "page:2" in first.footer
    assert second.text.splitlines()[2].startswith("6. ")


HOSTILE = [
    '"',
    '"unbalanced',
    "*",
    "NEAR(attention transformer",
    "attention AND OR NOT",
    "((((",
    ")",
    "-",
    "--",
    "a:b:c",
    "title:attention",
    "^attention",
    "x" * 10_000,
    "attention " * 2000,
    "🎉🧪 diffusion 🚀",
    "\x00\x01\x1b[2J control",
    "'; DROP TABLE papers; --",
    "<!channel> @everyone <@U123>",
]


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_queries_never_crash(
    service: PaperService, text: str, real_store: Store
) -> None:
    try:
        reply = await service.search(text)
    except UserError as exc:
        assert len(str(exc)) < 200
    else:
        assert reply.text
    assert await real_store.count_papers() > 10_000  # nothing was dropped


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=200))
async def test_any_text_answers_or_says_why_not(service: PaperService, text: str) -> None:
    try:
        reply = await service.search(text)
    except UserError as exc:
        assert str(exc)
    else:
        assert reply.text


# --- the stored vocabulary: what a write changes, the next search sees -----------------


@pytest.fixture(params=["sqlite", "postgres"])
async def fresh_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A new, empty database of each backend, to write to."""
    if request.param == "postgres":
        async with postgres_schema("search") as url, open_store(url) as store:
            yield store
    else:
        async with open_store(f"sqlite:///{tmp_path}/papers.sqlite3") as store:
            yield store


def titled(pid: str, title: str, version: int = 1) -> Paper:
    return Paper(id=pid, version=version, title=title, abstract="", source="arxiv")


async def test_a_typo_of_a_word_an_import_just_added_is_found_without_a_reload(
    fresh_store: Store,
) -> None:
    now = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    await fresh_store.upsert_papers(
        [titled(f"2606.{n:05d}", f"Tracking fish schools {n}") for n in range(20)], observed_at=now
    )
    assert await run_search(fresh_store, parse_query("zebrafishformer")) == []
    await fresh_store.upsert_papers(
        [titled("2607.00001", "Zebrafishformer: tracking every fish")], observed_at=now
    )
    hits = await run_search(fresh_store, parse_query("zebrafishfomer tracking"))
    assert hits and hits[0].paper.id == "2607.00001"


async def test_a_word_a_paper_no_longer_holds_is_no_longer_a_correction(
    fresh_store: Store,
) -> None:
    now = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    await fresh_store.upsert_papers(
        [titled("2607.00001", "Quokkanet segmentation")], observed_at=now
    )
    assert [h.paper.id for h in await run_search(fresh_store, parse_query("quokkanett"))] == [
        "2607.00001"
    ]
    await fresh_store.upsert_papers(
        [titled("2607.00001", "Wombat segmentation", version=2)], observed_at=now
    )
    assert await run_search(fresh_store, parse_query("quokkanett")) == []
    assert await fresh_store.term_counts(["quokkanet", "wombat"]) == {"wombat": 1}


async def test_a_name_with_a_sharp_s_is_found_typed_either_way(real_store: PaperStore) -> None:
    hits = await run_search(real_store, parse_query("Nießner"), limit=5)
    assert len(hits) == 5 and all("Matthias Nießner" in h.paper.authors for h in hits)
    # Typed with "ss", it is a spelling away (as "Diesner" is one edit away).
    hits = await run_search(real_store, parse_query("Niessner"), limit=5)
    assert sum("Matthias Nießner" in h.paper.authors for h in hits) >= 3
    assert "Matthias Nießner" in hits[0].paper.authors
