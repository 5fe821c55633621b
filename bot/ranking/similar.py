"""More like this: the papers in the database closest to one paper, each with a reason.

As Hugging Face's librarian bot does on a paper page. The paper's most informative
words (its TF-IDF weights, :mod:`bot.ranking.tfidf`: title and keywords twice, abstract
once) ask the full-text index for a few hundred candidates, any of the words matching;
those are then ranked by the exact cosine of their TF-IDF vectors with the paper's
(:class:`~bot.ranking.personal.PaperMatrix`, compared on the terms weighing at least
``MIN_WEIGHT``, as personal recommendations are), plus a little for every author they
share. The candidate count bounds the work, however large the database.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Sequence

import numpy as np

from bot.ids import parse_arxiv_id
from bot.models import Paper, Recommendation
from bot.ranking.personal import PaperMatrix, Vector, vectorize
from bot.ranking.tfidf import Idf, make_idf
from bot.ranking.window import Window
from bot.store.port import PaperStore, TextQuery
from bot.text import plural_forms, tokenize

__all__ = ["CANDIDATES", "similar"]

log = logging.getLogger(__name__)

# Candidates the full-text index is asked for: enough to hold the nearest neighbours of
# nearly every paper (see tests/ranking/test_similar.py), few enough to rank in
# milliseconds.
CANDIDATES = 300
# The paper's words that ask for them, by weight. More words find more candidates and
# cost longer doclists.
_QUERY_WORDS = 20
# A shared author adds this to the cosine (related papers score 0.1-0.4), for at most
# three of them: the same group's papers come first among equally related ones.
_PER_AUTHOR = 0.02
_MAX_AUTHORS = 3
# Words shown in a reason, and authors named.
_REASON_WORDS = 3
_REASON_AUTHORS = 2
_PUNCTUATION = re.compile(r"[^\w\s-]+")


async def similar(
    store: PaperStore, paper: Paper, *, limit: int = 5, idf: Idf | None = None
) -> list[Recommendation]:
    """The ``limit`` papers of ``store`` closest to ``paper``, best first, with reasons
    ("shares 'flow matching', 'rectified'; also by Kaiming He").

    Never the paper itself, nor another record of it (the same arXiv id in another
    version, or the same title). ``idf`` defaults to the store vocabulary's
    (:func:`~bot.ranking.tfidf.make_idf`); pass one to answer many papers with one.
    Ties go to more upvotes, then the smaller id, so the answer is deterministic.
    """
    if limit <= 0:
        return []
    # Unless given one, the IDF of the words weighed alone, read by index: never the
    # whole vocabulary (the paper's words now, its candidates' too once they are found).
    own_idf = idf is None
    total = await store.count_papers() if own_idf else 0
    if idf is None:
        idf = make_idf(await store.term_counts(_weighed_words([paper])), total)
    words = _query_words(vectorize(paper, idf))
    if not words:
        return []
    found = await store.text_search(
        TextQuery(groups=tuple((w,) for w in words), match_any=True), limit=CANDIDATES
    )
    own_id, own_title = _bare(paper.id), tokenize(paper.title)
    papers = await store.get_papers([pid for pid, _ in found])
    candidates = [
        p
        for pid, _ in found
        if (p := papers.get(pid)) is not None
        and _bare(p.id) != own_id
        and not (own_title and tokenize(p.title) == own_title)
    ]
    if not candidates:
        return []
    if own_idf:
        idf = make_idf(await store.term_counts(_weighed_words([paper, *candidates])), total)
    # The paper's own row comes first; the window's trending scores are not needed.
    matrix = PaperMatrix(Window([paper, *candidates], trend={}), idf)
    mine = matrix.unit_rows([paper.id])
    cosines = (matrix.unit_rows(p.id for p in candidates) @ mine.T).toarray().ravel()
    authors = _names(paper.authors)
    shared = [[a for a in p.authors if _name(a) in authors] for p in candidates]
    bonus = np.array([_PER_AUTHOR * min(len(s), _MAX_AUTHORS) for s in shared])
    score = cosines + bonus
    order = sorted(
        range(len(candidates)),
        key=lambda i: (-score[i], -(candidates[i].upvotes or 0), candidates[i].id),
    )[:limit]
    vector = matrix.vector(paper.id)
    return [
        Recommendation(
            candidates[i],
            float(score[i]),
            _reason(paper, vector, candidates[i], matrix.vector(candidates[i].id), shared[i]),
        )
        for i in order
    ]


def _query_words(vector: Vector) -> list[str]:
    """The paper's heaviest words (categories aside), heaviest first, ties by word."""
    words = sorted(
        ((w, t) for t, w in vector.items() if not t.startswith("cat:")),
        key=lambda wt: (-wt[0], wt[1]),
    )
    return [t for _, t in words[:_QUERY_WORDS]]


def _bare(paper_id: str) -> str:
    parsed = parse_arxiv_id(paper_id)
    return parsed.id if parsed else paper_id


def _name(author: str) -> tuple[str, ...]:
    return tuple(tokenize(author))


def _names(authors: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {n for n in map(_name, authors) if n}


def _reason(paper: Paper, mine: Vector, other: Paper, theirs: Vector, shared: list[str]) -> str:
    """What ``other`` has in common with ``paper``: the words weighing most in both
    (two of them that follow each other in both papers as one phrase), its authors."""
    common = sorted(
        (t for t in mine.keys() & theirs.keys() if not t.startswith("cat:")),
        key=lambda t: (-mine[t] * theirs[t], t),
    )[: _REASON_WORDS + 1]
    parts = []
    if common:
        parts.append("shares " + ", ".join(f"'{p}'" for p in _phrases(common, paper, other)))
    if shared:
        named, more = shared[:_REASON_AUTHORS], len(shared) - _REASON_AUTHORS
        if more > 0:
            parts.append(f"also by {', '.join(named)} and {more} more")
        else:
            parts.append(f"also by {' and '.join(named)}")
    if not parts:
        categories = [c for c in other.categories if c in paper.categories]
        parts.append(f"also in {categories[0]}" if categories else "related by topic")
    return "; ".join(parts)


def _pairs(paper: Paper) -> set[tuple[str, str]]:
    """Words side by side in the paper's title or abstract, with nothing but a space or
    a hyphen between them ("Dynamic Tanh (DyT)" has no "tanh dyt")."""
    return {
        pair
        for text in (paper.title, paper.abstract)
        for chunk in _PUNCTUATION.split(text)
        for pair in itertools.pairwise(tokenize(chunk))
    }


def _phrases(words: list[str], paper: Paper, other: Paper) -> list[str]:
    """``words`` (best first), with two of them joined where both papers have them side
    by side ("flow", "matching" -> "flow matching"); at most ``_REASON_WORDS``."""
    both = _pairs(paper) & _pairs(other)
    out: list[str] = []
    used: set[str] = set()
    for word in words:
        if word in used:
            continue
        # "environment" and "environments" are one word to a reader.
        if any(form in used for form in plural_forms(word)):
            continue
        partner = next(
            (
                (a, b)
                for other_word in words
                if other_word not in used and other_word != word
                for a, b in ((word, other_word), (other_word, word))
                if (a, b) in both
            ),
            None,
        )
        if partner:
            out.append(" ".join(partner))
            used.update(partner)
        else:
            out.append(word)
            used.add(word)
        if len(out) == _REASON_WORDS:
            break
    return out


def _weighed_words(papers: Sequence[Paper]) -> set[str]:
    """The words a TF-IDF vector of ``papers`` weighs (title, abstract, keywords)."""
    return {
        t for p in papers for t in tokenize(f"{p.title} {p.abstract} {' '.join(p.ai_keywords)}")
    }
