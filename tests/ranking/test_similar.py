"""More like this, on the ~14,000 real papers of the bundled snapshot."""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.models import Paper
from bot.ranking.similar import similar
from bot.ranking.tfidf import Idf, make_idf
from bot.store import PaperStore
from bot.text import tokenize
from tests.conftest import NOW

NO_NORM = "2503.10622"  # Transformers without Normalization (Zhu, Chen, He, LeCun, Liu)
STRONGER = "2512.10938"  # Stronger Normalization-Free Transformers (Zhu, ..., Liu)
SLA = "2509.24006"  # SLA: Beyond Sparsity in Diffusion Transformers via ... Attention
JETSPEC = "2606.18394"  # JetSpec: ... Speculative Decoding with Parallel Tree Drafting
QAT = "2505.14302"  # Scaling Law for Quantization-Aware Training


@pytest.fixture
async def idf(real_store: PaperStore) -> Idf:
    return make_idf(await real_store.vocabulary(), await real_store.count_papers())


async def paper(store: PaperStore, paper_id: str) -> Paper:
    found = await store.get_paper(paper_id)
    assert found is not None
    return found


def words(p: Paper) -> set[str]:
    return set(tokenize(f"{p.title} {p.abstract} {' '.join(p.ai_keywords)}"))


async def test_the_follow_up_by_the_same_group_comes_first(real_store: PaperStore) -> None:
    recs = await similar(real_store, await paper(real_store, NO_NORM))
    assert len(recs) == 5
    first = recs[0]
    assert first.paper.id == STRONGER
    assert "'normalization'" in first.reason
    assert first.reason.endswith("also by Jiachen Zhu and Zhuang Liu")


@pytest.mark.parametrize(
    ("paper_id", "topic"),
    [(SLA, "diffusion"), (JETSPEC, "speculative"), (QAT, "quantization")],
)
async def test_neighbours_share_the_topic(
    real_store: PaperStore, idf: Idf, paper_id: str, topic: str
) -> None:
    recs = await similar(real_store, await paper(real_store, paper_id), idf=idf)
    assert len(recs) == 5
    for rec in recs:
        assert topic in words(rec.paper), rec.paper.title


async def test_never_the_paper_itself_nor_another_record_of_it(
    fresh_store: PaperStore,
) -> None:
    original = await paper(fresh_store, NO_NORM)
    # The same paper posted again under another id: the same title and abstract.
    copy = dataclasses.replace(original, id="2699.00001", upvotes=500)
    await fresh_store.upsert_papers([copy], observed_at=NOW)
    revised = dataclasses.replace(original, version=(original.version or 1) + 1)
    for asked in (original, copy, revised):
        ids = [r.paper.id for r in await similar(fresh_store, asked, limit=10)]
        assert len(ids) == 10
        assert NO_NORM not in ids
        assert "2699.00001" not in ids
        assert STRONGER in ids


async def test_a_paper_without_an_abstract_gets_neighbours_by_its_title(
    real_store: PaperStore, idf: Idf
) -> None:
    bare = dataclasses.replace(await paper(real_store, JETSPEC), abstract="", ai_keywords=())
    recs = await similar(real_store, bare, idf=idf)
    assert len(recs) == 5
    assert all({"speculative", "drafting"} & words(r.paper) for r in recs)


async def test_a_paper_the_database_does_not_hold(real_store: PaperStore, idf: Idf) -> None:
    new = Paper(
        id="2699.12345",
        title="Faster speculative decoding with tree drafts",
        abstract="We accelerate large language model inference: a small draft model "
        "proposes a tree of tokens that the target model verifies in parallel.",
    )
    recs = await similar(real_store, new, idf=idf)
    assert len(recs) == 5
    assert all("speculative" in words(r.paper) for r in recs)


async def test_reasons_name_what_both_papers_have(real_store: PaperStore, idf: Idf) -> None:
    for paper_id in (NO_NORM, SLA, JETSPEC):
        asked = await paper(real_store, paper_id)
        for rec in await similar(real_store, asked, idf=idf):
            assert rec.reason and "\n" not in rec.reason
            assert len(rec.reason) < 120
            shared = rec.reason.split(";")[0]
            assert shared.startswith("shares '")
            for phrase in re.findall(r"'([^']+)'", shared):
                for word in phrase.split():
                    assert word in words(asked) and word in words(rec.paper)


async def test_answers_are_deterministic(real_store: PaperStore, idf: Idf) -> None:
    asked = await paper(real_store, SLA)
    first = await similar(real_store, asked, limit=8)
    again = await similar(real_store, asked, limit=8, idf=idf)
    assert [(r.paper.id, r.score, r.reason) for r in first] == [
        (r.paper.id, r.score, r.reason) for r in again
    ]
    scores = [r.score for r in first]
    assert scores == sorted(scores, reverse=True)


async def test_limit(real_store: PaperStore, idf: Idf) -> None:
    asked = await paper(real_store, QAT)
    assert len(await similar(real_store, asked, limit=2, idf=idf)) == 2
    assert await similar(real_store, asked, limit=0, idf=idf) == []
    # Nothing to compare with: no title, no abstract.
    assert await similar(real_store, Paper(id="2699.00002"), idf=idf) == []


async def test_the_words_it_reads_weigh_as_the_whole_vocabulary_would(
    real_store: PaperStore, idf: Idf
) -> None:
    # `similar` reads the counts of the paper's and its candidates' words alone.
    for paper_id in (NO_NORM, SLA, JETSPEC, QAT):
        p = await paper(real_store, paper_id)
        assert await similar(real_store, p) == await similar(real_store, p, idf=idf)
