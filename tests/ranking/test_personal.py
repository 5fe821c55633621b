"""Personal recommendations on the real papers of the bundled snapshot."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.ingest.files import read_file
from bot.models import Paper
from bot.ranking.columns import Columns
from bot.ranking.personal import PaperMatrix, rank_for_reader, vectorize
from bot.ranking.profile import Profile
from bot.ranking.tfidf import make_idf
from bot.ranking.window import Window
from bot.replies import truncate
from bot.store import PaperStore
from bot.text import STOPWORDS, tokenize

SNAPSHOT = Path(__file__).parents[2] / "bot" / "data" / "snapshot.jsonl.xz"
Idf = Callable[[str], float]


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    papers, errors = read_file(SNAPSHOT)
    assert not errors
    return sorted(papers, key=lambda p: p.id)


@pytest.fixture
async def idf(real_store: PaperStore) -> Idf:
    """IDF from the store's own vocabulary, as the bot builds it."""
    return make_idf(await real_store.vocabulary(), await real_store.count_papers())


def _keywords(paper: Paper) -> set[str]:
    return {k.lower() for k in paper.ai_keywords}


@pytest.fixture(scope="module")
def diffusion(papers: list[Paper]) -> list[Paper]:
    """Diffusion-model papers, oldest id first."""
    return [
        p for p in papers if "diffusion models" in _keywords(p) and "diffusion" in p.title.lower()
    ]


@pytest.fixture(scope="module")
def rl(papers: list[Paper]) -> list[Paper]:
    """Reinforcement-learning papers that never mention diffusion."""
    return [
        p
        for p in papers
        if "reinforcement learning" in _keywords(p)
        and "diffusion" not in (p.title + p.abstract).lower()
    ]


def _trending(papers: list[Paper]) -> dict[str, float]:
    top = max(math.log1p(p.upvotes or 0) for p in papers) or 1.0
    return {p.id: math.log1p(p.upvotes or 0) / top for p in papers}


def _saved(papers: list[Paper]) -> list[tuple[Paper, str]]:
    return [(p, "saved") for p in papers]


async def test_saved_diffusion_papers_bring_diffusion_papers_first(
    idf: Idf, diffusion: list[Paper], rl: list[Paper]
) -> None:
    saved = diffusion[:3]
    candidates = diffusion[3:13] + rl[:40]
    profile = Profile.build(_saved(saved), [], idf)

    recs = rank_for_reader(candidates, profile, idf=idf, trending_scores=_trending(candidates))

    assert [r.paper in diffusion for r in recs] == [True] * 5
    # The RL papers are more upvoted, yet only similarity put these first.
    assert max(p.upvotes or 0 for p in rl[:40]) > max(r.paper.upvotes or 0 for r in recs)
    reasons = {f"because you saved '{truncate(p.title, 60)}'" for p in saved}
    assert all(r.reason in reasons for r in recs)


async def test_the_reason_says_liked_for_a_liked_paper(idf: Idf, diffusion: list[Paper]) -> None:
    profile = Profile.build([(diffusion[0], "liked")], [], idf)

    (rec,) = rank_for_reader(diffusion[1:20], profile, idf=idf, limit=1)

    assert rec.reason.startswith("because you liked 'PLADIS: Pushing the Limits")


async def test_dismissing_a_topic_pushes_its_papers_down(
    idf: Idf, diffusion: list[Paper], rl: list[Paper]
) -> None:
    kept = _saved([diffusion[0], rl[0], diffusion[1], rl[1]])
    candidates = diffusion[5:15] + rl[5:15]

    def rl_in_top(dismissed: list[Paper], n: int) -> int:
        profile = Profile.build(kept, dismissed, idf)
        recs = rank_for_reader(candidates, profile, idf=idf, limit=n)
        return sum(r.paper in rl for r in recs)

    assert rl_in_top([], 10) >= 4  # both interests show before any dismissal
    assert rl_in_top(rl[2:5], 5) == 0
    assert rl_in_top(rl[2:5], 10) < rl_in_top([], 10)


async def test_saved_and_dismissed_papers_never_come_back(
    idf: Idf, diffusion: list[Paper], rl: list[Paper]
) -> None:
    saved, liked, dismissed = diffusion[:3], diffusion[3:5], rl[:3]
    kept = [*_saved(saved), *((p, "liked") for p in liked), (saved[0], "liked")]
    profile = Profile.build(kept, dismissed, idf)
    candidates = saved + liked + dismissed + diffusion[5:10] + diffusion[5:10] + rl[3:8]

    recs = rank_for_reader(candidates, profile, idf=idf, limit=100)

    ids = [r.paper.id for r in recs]
    assert sorted(ids) == sorted(p.id for p in diffusion[5:10] + rl[3:8])
    assert profile.seen == {p.id for p in saved + liked + dismissed}
    assert len(profile.liked) == 5  # saved and then liked: one paper, once


async def test_a_new_reader_gets_their_topic_then_trending(idf: Idf, rl: list[Paper]) -> None:
    candidates = rl[:12]
    topic = {candidates[7].id: 0.9, candidates[2].id: 0.6, candidates[9].id: 0.3}
    trending = _trending(candidates)
    profile = Profile.build([], [], idf)
    assert profile.is_empty

    recs = rank_for_reader(
        candidates, profile, idf=idf, topic_scores=topic, trending_scores=trending, limit=12
    )

    ids = [r.paper.id for r in recs]
    assert ids[:3] == [candidates[7].id, candidates[2].id, candidates[9].id]
    assert [r.reason for r in recs[:3]] == ["matches your topic"] * 3
    rest = [p for p in candidates if p.id not in topic]
    assert ids[3:] == [p.id for p in sorted(rest, key=lambda p: (-(p.upvotes or 0), p.id))]
    assert all(
        r.reason.removesuffix("s") == f"trending: {r.paper.upvotes} upvote" for r in recs[3:]
    )


async def test_ties_are_deterministic(
    idf: Idf, papers: list[Paper], diffusion: list[Paper]
) -> None:
    window = [p for p in papers if p.day and p.day.isoformat() == "2026-06-30"]
    profile = Profile.build(_saved(diffusion[:2]), [], idf)
    expected = rank_for_reader(window, profile, idf=idf, limit=len(window))
    rng = random.Random(7)
    for _ in range(3):
        shuffled = rng.sample(window, len(window))
        again = rank_for_reader(shuffled, profile, idf=idf, limit=len(window))
        assert again == expected
    # With nothing to go on, more upvotes first, then the smaller id.
    plain = rank_for_reader(rng.sample(window, 50), Profile.build([], [], idf), idf=idf, limit=50)
    assert plain == sorted(plain, key=lambda r: (-(r.paper.upvotes or 0), r.paper.id))
    assert {r.reason for r in plain if r.paper.upvotes is None} == {"new on arXiv"}


async def test_readers_of_one_digest_run_rank_on_one_matrix(
    idf: Idf, diffusion: list[Paper], rl: list[Paper]
) -> None:
    candidates = diffusion[10:30] + rl[10:30]
    columns = Columns()
    readers = [
        Profile.build(_saved(diffusion[:3]), [], idf, columns=columns),
        Profile.build(_saved(rl[:3]), [], idf, columns=columns),
    ]
    matrix = PaperMatrix(Window(candidates, columns=columns), idf)

    shared = [matrix.rank(r) for r in readers]

    # The same as weighing the candidates for each reader on their own.
    alone = [Profile.build(_saved(p[:3]), [], idf) for p in (diffusion, rl)]
    assert [[(r.paper, r.reason) for r in recs] for recs in shared] == [
        [(r.paper, r.reason) for r in rank_for_reader(candidates, a, idf=idf)] for a in alone
    ]
    assert shared[0][0].paper in diffusion and shared[1][0].paper in rl
    # A profile weighed in another column space cannot be compared by mistake.
    with pytest.raises(ValueError, match="column"):
        matrix.rank(alone[0])


async def test_vectors_hold_the_words_search_knows(idf: Idf, papers: list[Paper]) -> None:
    # Every non-ASCII text (the slower path) and a quarter of the rest.
    sample = [p for i, p in enumerate(papers) if i % 4 == 0 or not p.abstract.isascii()]
    assert len(sample) > 3000
    for paper in sample:
        vector = vectorize(paper, idf)
        text = " ".join([paper.title, paper.abstract, *paper.ai_keywords])
        words = {t for t in tokenize(text) if len(t) > 1 and t not in STOPWORDS and not t.isdigit()}
        assert set(vector) == words | {f"cat:{c}" for c in paper.categories}
        assert not vector or math.isclose(math.hypot(*vector.values()), 1.0)


async def test_a_title_word_weighs_more_than_an_abstract_word(idf: Idf) -> None:
    title_only = Paper(id="x", title="diffusion")
    abstract_only = Paper(id="y", title="acceleration", abstract="diffusion")
    both = vectorize(Paper(id="z", title="diffusion", abstract="acceleration"), idf)

    assert vectorize(title_only, idf) == {"diffusion": pytest.approx(1.0)}
    assert vectorize(abstract_only, idf)["diffusion"] < both["diffusion"]


def test_idf_favours_rare_words_and_knows_no_unknown_word() -> None:
    idf = make_idf({"model": 900, "diffusion": 90, "rayflow": 1}, total=1000)

    assert idf("model") < idf("diffusion") < idf("rayflow") < idf("neverseen")
    assert idf("neverseen") == pytest.approx(math.log(1001) + 1)
    assert idf("model") == pytest.approx(math.log(1001 / 901) + 1)
