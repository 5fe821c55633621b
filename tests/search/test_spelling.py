"""The spellings a query word stands for: British and American forms, plurals, typos."""

from __future__ import annotations

import pytest

from bot.search.spelling import corrections, spelling_forms, variants
from bot.store import PaperStore


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("normalisation", "normalization"),
        ("optimised", "optimized"),
        ("tokenising", "tokenizing"),
        ("analyse", "analyze"),
        ("behaviour", "behavior"),
        ("behavioural", "behavioral"),
        ("neighbourhood", "neighborhood"),
        ("colours", "colors"),
        ("favourite", "favorite"),
        ("centre", "center"),
        ("centred", "centered"),
        ("fibres", "fibers"),
        ("dialogue", "dialog"),
        ("catalogues", "catalogs"),
        ("modelling", "modeling"),
        ("labelled", "labeled"),
        ("defence", "defense"),
        ("grey", "gray"),
    ],
)
def test_british_and_american_spellings_are_one_word(british: str, american: str) -> None:
    assert american in spelling_forms(british)
    assert british in spelling_forms(american)


def test_a_spelling_comes_in_the_singular_and_the_plural() -> None:
    assert {"normalization", "normalizations"} <= set(spelling_forms("normalisation"))
    assert {"behavior", "behaviors"} <= set(spelling_forms("behaviours"))


@pytest.mark.parametrize(
    "word",
    # Words that end like a British spelling but are the same on both sides.
    "four hour detour dufour for vector tensor parameter filling rise noise synthesis"
    " hypothesis denis prolog after".split(),
)
def test_words_that_only_look_british_keep_their_spelling(word: str) -> None:
    assert spelling_forms(word) == ()


def test_variants_are_the_indexed_forms_only() -> None:
    vocabulary = {"normalisation": 3, "normalization": 40, "normalisations": 1}
    assert variants("normalisation", vocabulary) == ("normalisations", "normalization")
    # Another spelling used by a single paper is more likely that paper's typo.
    assert variants("behaviour", {"behaviour": 5, "behavior": 1}) == ()


def test_a_typo_is_corrected_to_a_word_of_many_papers_before_one_of_a_single_paper() -> None:
    vocabulary = {"attention": 900, "attentiom": 1, "agentworld": 1}
    assert corrections("atention", vocabulary) == ("attention",)
    # Nothing common is close: a word found in one paper (a model's name) will do.
    assert corrections("agnetworld", vocabulary) == ("agentworld",)
    assert corrections("qwxzvplk", vocabulary) == ()


async def test_a_made_up_title_word_of_one_paper_is_still_a_correction(
    real_store: PaperStore,
) -> None:
    vocabulary = await real_store.vocabulary()
    assert vocabulary["agentworld"] == 1  # only Qwen-AgentWorld says it
    assert corrections("agnetworld", vocabulary) == ("agentworld",)
