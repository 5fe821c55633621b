"""Personal recommendations for DM digests: new papers like the ones a reader kept.

Papers are TF-IDF vectors (:mod:`bot.ranking.tfidf`); a :class:`Profile`
(:mod:`bot.ranking.profile`) holds a reader's saved or liked papers, newest first, the
i-th weighed ``decay_i``, and the papers they dismissed. A candidate ``c`` scores

    score = sim × (0.7 × max_i decay_i·cos(c, liked_i) + 0.3 × cos(c, centroid))
          - neg × max_j cos(c, dismissed_j) + topic × T(c) + trend × R(c)

with the topic score T in 0..1 given by the caller and R the window's trending score
(:mod:`bot.ranking.trending`, the one every list uses) as ``log1p(score) /
log1p(top score)``. The weights (:class:`Weights`) come from
``python -m bench.recommend_bench``: 300 readers simulated from the real papers, each
ranking their next paper among the ~950 of its week.

- ``sim = 1`` sets the scale; related papers have cosines of 0.1-0.4.
- ``trend = 0.02`` orders near-equal papers by votes (hit@10 0.463, 0.453 with 0;
  measured with log upvotes for R); 0.05 already costs (0.447), 0.5 ruins it (0.123).
  Popularity hardly predicts a reader's next paper: most-upvoted alone scores 0.030,
  random 0.027.
- ``neg = 0.5``: readers who dismissed 3 papers of another interest see fewer of its
  papers in their top 10 (0.14 -> 0.08) for little (hit@10 0.75 -> 0.74, MRR 0.425 ->
  0.418); 1.0 and 2.0 cost hit@10 (0.69, 0.59).
- ``topic = 0.2`` is a judgement, as the simulated readers have no topic: a full match
  weighs like a good similarity (cosine 0.2) and ten times all of trending, so a new
  reader's topic orders their digest and trending breaks its ties.

Papers are compared only on their terms weighing at least ``MIN_WEIGHT`` (0.06) in
their unit vectors, liked papers and candidates alike: hit@10 0.420 -> 0.463 (MRR 0.265
-> 0.278) for a fraction of the work. Doubled keywords: 0.400 -> 0.463, most
of it for readers defined by a keyword (partly circular), 0.29 -> 0.31 for readers
defined by an author. Categories, at their fixed IDF of 2, hardly move a ranking.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from bot.models import Paper, Recommendation
from bot.ranking.profile import Profile
from bot.ranking.tfidf import MIN_WEIGHT, Idf, weigh
from bot.ranking.window import Window
from bot.replies import truncate

__all__ = [
    "DEFAULT_WEIGHTS",
    "PaperMatrix",
    "Vector",
    "Weights",
    "rank_for_reader",
    "vectorize",
]

Vector = dict[str, float]

# Below this cosine, "because you saved X" would name a paper that is hardly related.
_REASON_MIN_SIM = 0.08
_TITLE_CHARS = 60


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each part of the score counts (see the module docstring)."""

    sim: float = 1.0
    neg: float = 0.5
    topic: float = 0.2
    trend: float = 0.02


DEFAULT_WEIGHTS = Weights()


def vectorize(paper: Paper, idf: Idf) -> Vector:
    """The paper's L2-normalised TF-IDF vector (sublinear term frequency)."""
    return PaperMatrix(Window([paper]), idf, min_weight=0.0).vector(paper.id)


class PaperMatrix:
    """Papers as the rows of one sparse TF-IDF matrix: weighed once, ranked for many readers.

    Built from a :class:`Window` (its rows, in its column space, from its token counts:
    abstract once, title and keywords twice, categories as ``cat:`` columns). A digest
    run builds one for the papers of its window; each reader's ranking is then one
    sparse product with their profile, weighed in the same column lineage. Each row keeps
    the window's trending score (``trend``).

    Terms weighing less than ``min_weight`` in a paper's unit vector are then dropped,
    as the profile drops them from liked papers: with ``MIN_WEIGHT`` on both sides a
    ranking does a third less work and is no worse (``python -m bench.recommend_bench``:
    hit@10 0.463 either way, MRR 0.269 -> 0.278).
    """

    def __init__(self, window: Window, idf: Idf, *, min_weight: float = MIN_WEIGHT) -> None:
        matrix = weigh(window, idf, min_weight=min_weight)
        self.columns = window.columns
        self.width = matrix.shape[1]
        papers = [window.papers[i] for i in window.ids]
        self._set(papers, np.arange(len(window)), matrix, window.trend)

    def _set(
        self, papers: list[Paper], base: np.ndarray, matrix: sparse.csr_array, trend: np.ndarray
    ) -> None:
        self.papers = papers
        # Each row's row in the window: scores over the window map onto this matrix.
        self.base = base
        self.rows: dict[str, int] = {p.id: i for i, p in enumerate(papers)}
        self._csr = matrix
        # Column slices (a profile's terms) are what ranking reads: CSC makes them cheap.
        # Single precision: ranking needs no more, and the product is half the memory
        # traffic (a digest of 7,310 candidates: 2.5 -> 1.6 ms a reader).
        self._matrix = sparse.csc_array(matrix, dtype=np.float32)
        self.upvotes = np.array([p.upvotes or 0 for p in papers], dtype=np.float64)
        # The window's trending scores, row by row.
        self.trend = trend
        # Tie-breaks: more upvotes first, then the smaller id.
        by_id = sorted(range(len(papers)), key=lambda i: papers[i].id)
        self._id_order = np.empty(len(papers), dtype=np.int64)
        self._id_order[by_id] = np.arange(len(papers))

    def subset(self, ids: Iterable[str]) -> PaperMatrix:
        """The rows of ``ids`` alone (in this matrix's order), sharing its columns."""
        rows = np.flatnonzero(self.mask(ids))
        part = PaperMatrix.__new__(PaperMatrix)
        part.columns, part.width = self.columns, self.width
        part._set(
            [self.papers[r] for r in rows], self.base[rows], self._csr[rows], self.trend[rows]
        )
        return part

    def __len__(self) -> int:
        return len(self.papers)

    def unit_rows(self, ids: Iterable[str]) -> sparse.csr_array:
        """The unit vectors of papers ``ids`` (all in this matrix), as rows in that order."""
        return self._csr[[self.rows[i] for i in ids]]

    def vector(self, paper_id: str) -> Vector:
        """A paper's unit vector, by token."""
        names = list(self.columns)
        row = self._csr[[self.rows[paper_id]]].tocoo()
        return {names[c]: v for c, v in zip(row.col.tolist(), row.data.tolist(), strict=True)}

    def mask(self, ids: Iterable[str]) -> np.ndarray:
        """A boolean row mask of the papers among ``ids``."""
        mask = np.zeros(len(self.papers), dtype=bool)
        mask[[self.rows[i] for i in ids if i in self.rows]] = True
        return mask

    def scores(self, ids_scores: Mapping[str, float]) -> np.ndarray:
        """Scores by paper id as a row vector (0 for papers missing), clipped to 0..1."""
        out = np.zeros(len(self.papers))
        for pid, score in ids_scores.items():
            row = self.rows.get(pid)
            if row is not None:
                out[row] = score
        return np.clip(out, 0.0, 1.0)

    def from_window(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Values of some window rows (in increasing order, all in this matrix) as a row
        vector over this matrix (0 elsewhere)."""
        out = np.zeros(len(self.papers))
        out[np.searchsorted(self.base, rows)] = values
        return out

    def trending(self, among: np.ndarray) -> np.ndarray:
        """The window's trending scores on a log scale, 1 for the top one ``among`` (a
        row mask): the same order as every trending list."""
        top = float(self.trend[among].max()) if among.any() else 0.0
        if top <= 0:
            return np.zeros(len(self.papers))
        return np.log1p(np.maximum(self.trend, 0.0)) / math.log1p(top)

    def _similarity(self, profile: Profile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Per row: the blended similarity to the liked papers and the highest cosine to a
        # dismissed one; and every row's decayed cosine to each liked paper (rows x
        # liked), for the reasons of the few rows that make the list.
        n, rows = len(profile.liked), len(self.papers)
        zeros = np.zeros(rows)
        if not profile.seen or not rows:
            return zeros, zeros, np.zeros((rows, 0))
        if not profile.columns.shares_lineage(self.columns):
            raise ValueError("the profile and the papers were weighed in other column spaces")
        # Terms newer than this matrix (a profile built in a later fork of its columns)
        # are in none of its papers; the older ones name the same tokens in both.
        terms, weights = profile.terms, profile.weights
        if len(terms) and terms[-1] >= self.width:  # terms are in increasing order
            shared = np.flatnonzero(terms < self.width)
            terms, weights = terms[shared], weights[shared]
        # (papers x terms) @ (terms x profile papers): every cosine at once. The profile
        # side is small: dense, it makes the product one pass over the papers' terms.
        # Column by column in memory: a row's max and sum over a few dozen papers are
        # then 20 times faster than over rows laid out one after another (13 against
        # 320 us for 7,310 x 18 here).
        sums = np.asfortranarray(self._matrix[:, terms] @ weights.toarray())
        liked, gone = sums[:, :n], sums[:, n:]
        aversion = gone.max(axis=1) if gone.shape[1] else zeros
        if not n:
            return zeros, aversion, liked
        top = liked.max(axis=1)
        centroid = liked.sum(axis=1) * profile.centroid_scale
        similarity = np.where(top > 0.0, 0.7 * top + 0.3 * centroid, 0.0)
        return similarity, aversion, liked

    def rank(
        self,
        profile: Profile,
        *,
        among: np.ndarray | None = None,
        topic: np.ndarray | None = None,
        trend: np.ndarray | None = None,
        limit: int = 5,
        weights: Weights = DEFAULT_WEIGHTS,
    ) -> list[Recommendation]:
        """The ``limit`` rows of ``among`` (a row mask; default all) this reader most
        likely wants, best first, with reasons; papers they saved, liked or dismissed
        never come back. ``topic`` and ``trend`` score rows 0..1 (default 0). Ties go
        to more upvotes, then the smaller id."""
        allowed = np.ones(len(self.papers), dtype=bool) if among is None else among.copy()
        allowed[[self.rows[i] for i in profile.seen if i in self.rows]] = False
        candidates = np.flatnonzero(allowed)
        if limit <= 0 or not len(candidates):
            return []
        similarity, aversion, liked = self._similarity(profile)
        parts = {
            "sim": weights.sim * similarity,
            "topic": weights.topic * (np.zeros(len(self.papers)) if topic is None else topic),
            "trend": weights.trend * (np.zeros(len(self.papers)) if trend is None else trend),
        }
        score = parts["sim"] + parts["topic"] + parts["trend"] - weights.neg * aversion
        # The rows scoring at least the limit-th best, ties included, then exact order.
        mine = score[candidates]
        if len(candidates) > limit:
            kth = np.partition(mine, len(mine) - limit)[len(mine) - limit]
            candidates = candidates[mine >= kth]
        order = sorted(
            candidates.tolist(),
            key=lambda r: (-score[r], -self.upvotes[r], self._id_order[r]),
        )[:limit]
        recommendations = []
        for r in order:
            # The liked paper it is most like (the first of equals), and its plain cosine.
            best = int(liked[r].argmax()) if liked.shape[1] else -1
            top = float(liked[r, best]) if best >= 0 else 0.0
            if top <= 0.0:
                best, top = -1, 0.0
            cosine = top / float(profile.decays[best]) if best >= 0 else 0.0
            why = _reason(
                profile,
                self.papers[r],
                best,
                cosine,
                *(float(parts[k][r]) for k in ("sim", "topic", "trend")),
            )
            recommendations.append(Recommendation(self.papers[r], float(score[r]), why))
        return recommendations


def rank_for_reader(
    candidates: Sequence[Paper],
    profile: Profile,
    *,
    idf: Idf,
    topic_scores: Mapping[str, float] | None = None,
    trending_scores: Mapping[str, float] | None = None,
    limit: int = 5,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Recommendation]:
    """The ``limit`` candidates this reader most likely wants, best first, with reasons.

    Papers the reader saved, liked or dismissed never come back; a candidate listed
    twice counts once. ``topic_scores`` and ``trending_scores`` map paper ids to 0..1
    (missing: 0). With an empty profile the order is topic, then trending. Ties go to
    more upvotes, then the smaller id. To rank the same candidates for many readers,
    build one :class:`PaperMatrix` in their column space and call its ``rank``.
    """
    # A fork: the profile is a value, its column space is not extended in place.
    columns = profile.columns.fork()
    window = Window((p for p in candidates if p.id not in profile.seen), columns=columns)
    matrix = PaperMatrix(window, idf)
    return matrix.rank(
        profile,
        topic=matrix.scores(topic_scores or {}),
        trend=matrix.scores(trending_scores or {}),
        limit=limit,
        weights=weights,
    )


def _reason(
    profile: Profile,
    paper: Paper,
    best: int,
    cosine: float,
    sim: float,
    topic: float,
    trend: float,
) -> str:
    because = ""
    if best >= 0:
        liked, verb = profile.liked[best]
        because = f"because you {verb} '{truncate(liked.title or liked.id, _TITLE_CHARS)}'"
    if because and cosine >= _REASON_MIN_SIM and sim >= max(topic, trend):
        return because
    if topic > 0 and topic >= trend:
        return "matches your topic"
    if paper.upvotes is not None:
        return f"trending: {paper.upvotes} upvote{'' if paper.upvotes == 1 else 's'}"
    return because or "new on arXiv"
