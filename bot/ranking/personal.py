"""Personal recommendations for DM digests: new papers like the ones a reader kept.

A paper is a sparse TF-IDF vector (L2-normalised, term frequency ``1 + ln tf``) over its
title (x2), abstract, Hugging Face ``ai_keywords`` (x2) and arXiv categories
(``cat:cs.CL``), leaving out stopwords, digit-only and 1-letter tokens; IDF is
``log((N + 1) / (df + 1)) + 1`` from the store's vocabulary (:func:`make_idf`). A
:class:`Profile` holds a reader's saved or liked papers, newest first, the i-th weighed
``decay_i = 0.5 ** (i / 30)`` (recent interests count a bit more), and the papers they
dismissed. A candidate ``c`` scores

    score = sim × (0.7 × max_i decay_i·cos(c, liked_i) + 0.3 × cos(c, centroid))
          - neg × max_j cos(c, dismissed_j) + topic × T(c) + trend × R(c)

with the topic and trending scores T, R in 0..1 given by the caller. The weights
(:class:`Weights`) come from ``python -m bench.recommend_bench``: 300 readers simulated
from the real papers, each ranking their next paper among the ~950 of its week.

- ``sim = 1`` sets the scale; related papers have cosines of 0.1-0.4.
- ``trend = 0.02`` orders near-equal papers by votes (hit@10 0.463, 0.453 with 0);
  0.05 already costs (0.447), 0.5 ruins it (0.123). Popularity hardly predicts a
  reader's next paper: most-upvoted alone scores 0.030, random 0.027.
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
defined by an author. Categories get a fixed IDF of 2 (the vocabulary does not count
them); at that weight they hardly move a ranking.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from bot.models import Paper, Recommendation
from bot.ranking.window import Columns, Window
from bot.replies import truncate
from bot.text import STOPWORDS

__all__ = [
    "DEFAULT_WEIGHTS",
    "MAX_LIKED",
    "MIN_WEIGHT",
    "Idf",
    "PaperMatrix",
    "Profile",
    "Vector",
    "Weights",
    "make_idf",
    "rank_for_reader",
    "vectorize",
]

Vector = dict[str, float]
Idf = Callable[[str], float]

# Half the weight for a liked paper 30 signals back: old saves still count.
_HALF_LIFE = 30.0
# Only the newest saves and likes (and dismissals) make a profile: the 200th weighs 1%.
MAX_LIKED = 200
_CATEGORY_IDF = 2.0
# Below this cosine, "because you saved X" would name a paper that is hardly related.
_REASON_MIN_SIM = 0.08
_TITLE_CHARS = 60
# A liked paper's terms weighing less than this in its unit vector are left out of the
# comparison: a match on many faint words is mostly a match on the field's jargon.
MIN_WEIGHT = 0.06


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each part of the score counts (see the module docstring)."""

    sim: float = 1.0
    neg: float = 0.5
    topic: float = 0.2
    trend: float = 0.02


DEFAULT_WEIGHTS = Weights()


class _IdfTable(dict[str, float]):
    """IDF by token; a token the vocabulary lacks is as rare as can be."""

    top = 1.0

    def __missing__(self, token: str) -> float:
        return self.top


def make_idf(vocabulary: Mapping[str, int], total: int) -> Idf:
    """IDF from document frequencies: ``log((N + 1) / (df + 1)) + 1``; unknown tokens
    (a word newer than the vocabulary) get the highest IDF, as if in no paper."""
    n = max(total, 0) + 1
    table = _IdfTable((t, math.log(n / (df + 1)) + 1.0) for t, df in vocabulary.items())
    table.top = math.log(n) + 1.0
    # A bound C lookup, called once per distinct token of every candidate.
    return table.__getitem__


def _keeps(token: str) -> bool:
    """Whether a token counts in a paper's vector: no stopwords, 1-letter or digit-only
    tokens."""
    return len(token) > 1 and token not in STOPWORDS and not token.isdigit()


@dataclass(frozen=True, slots=True, eq=False)
class Profile:
    """What a reader kept and dismissed, as vectors ready to compare candidates with.

    Build it with :meth:`build`. ``liked`` is what was given, newest first, each paper
    once; ``seen`` the ids of every liked and dismissed paper; ``columns`` the column
    space its terms are in (candidates must be weighed in the same one).
    """

    liked: tuple[tuple[Paper, str], ...]
    dismissed: tuple[Paper, ...]
    seen: frozenset[str]
    columns: Columns
    # The columns compared on, and a (terms x papers) matrix of their weights: columns
    # 0..n-1 the liked papers scaled by their decay, n... the dismissed ones.
    _terms: np.ndarray
    _matrix: sparse.csr_array
    _decays: np.ndarray
    # 1 / |sum of the decayed liked vectors|: the centroid cosine from the column sums.
    _centroid_scale: float

    @classmethod
    def build(
        cls,
        liked: Sequence[tuple[Paper, str]],
        dismissed: Sequence[Paper],
        idf: Idf,
        *,
        min_weight: float = MIN_WEIGHT,
        matrix: PaperMatrix | None = None,
        columns: Columns | None = None,
    ) -> Profile:
        """``liked``: (paper, "saved" or "liked"), newest first; ``dismissed``: papers
        the reader said "not interested" to, newest first. A paper given twice counts
        once, the first time; one both liked and dismissed counts as liked. Only the
        newest :data:`MAX_LIKED` of each count. ``matrix``: the papers already weighed,
        unpruned (``min_weight=0``; it must hold them all), else they are weighed in
        ``columns`` (a new space by default)."""
        first: dict[str, tuple[Paper, str]] = {}
        for paper, verb in liked:
            first.setdefault(paper.id, (paper, verb))
        kept = tuple(first.values())[:MAX_LIKED]
        gone = tuple({p.id: p for p in dismissed if p.id not in first}.values())[:MAX_LIKED]
        papers = [p for p, _ in kept] + list(gone)
        if matrix is None:
            matrix = PaperMatrix(Window(papers, columns=columns), idf, min_weight=0.0)
        decays = 0.5 ** (np.arange(len(kept)) / _HALF_LIFE)
        # One entry per (paper, term) of their unit vectors.
        vectors = matrix._csr[[matrix.rows[p.id] for p in papers]].tocoo()
        paper, term, unit = vectors.row, vectors.col, vectors.data
        scaled = unit * np.concatenate([decays, np.ones(len(gone))])[paper]
        liked_part = paper < len(kept)
        _, where = np.unique(term[liked_part], return_inverse=True)
        centroid = np.bincount(where, weights=scaled[liked_part]) if len(where) else np.zeros(0)
        norm = float(np.sqrt(np.dot(centroid, centroid)))
        # Only the terms weighing at least min_weight in a paper's unit vector count.
        strong = unit >= min_weight
        terms, row = np.unique(term[strong], return_inverse=True)
        weights = sparse.csr_array(
            (scaled[strong].astype(np.float32), (row, paper[strong])),
            shape=(len(terms), len(papers)),
        )
        seen = frozenset(first) | {p.id for p in dismissed}
        scale = 1.0 / norm if norm else 0.0
        return cls(kept, gone, seen, matrix.columns, terms, weights, decays, scale)

    @property
    def is_empty(self) -> bool:
        """True for a reader who has not saved or liked anything yet."""
        return not self.liked


def vectorize(paper: Paper, idf: Idf) -> Vector:
    """The paper's L2-normalised TF-IDF vector (sublinear term frequency)."""
    return PaperMatrix(Window([paper]), idf, min_weight=0.0).vector(paper.id)


class PaperMatrix:
    """Papers as the rows of one sparse TF-IDF matrix: weighed once, ranked for many readers.

    Built from a :class:`Window` (its rows, in its column space, from its token counts:
    abstract once, title and keywords twice, categories as ``cat:`` columns). A digest
    run builds one for the papers of its window; each reader's ranking is then one
    sparse product with their profile, whose columns are the same.

    Terms weighing less than ``min_weight`` in a paper's unit vector are then dropped,
    as the profile drops them from liked papers: with ``MIN_WEIGHT`` on both sides a
    ranking does a third less work and is no worse (``python -m bench.recommend_bench``:
    hit@10 0.463 either way, MRR 0.269 -> 0.278).
    """

    def __init__(self, window: Window, idf: Idf, *, min_weight: float = MIN_WEIGHT) -> None:
        window.index()
        columns = window.columns
        counts = (window.text + window.title + 2 * window.keywords).tocoo()
        names = list(columns)  # column -> token: ids were given in insertion order
        used = np.unique(counts.col)
        weight = np.zeros(window.width)
        weight[used] = [idf(names[c]) if _keeps(names[c]) else 0.0 for c in used.tolist()]
        rows = [counts.row]
        cols = [counts.col]
        data = [(1.0 + np.log(counts.data)) * weight[counts.col]]
        categories = [list(dict.fromkeys(p.categories)) for p in window.papers.values()]
        flat = [f"cat:{c}" for cs in categories for c in cs]
        for token in flat:
            columns.setdefault(token, len(columns))
        rows.append(np.repeat(np.arange(len(window)), [len(cs) for cs in categories]))
        cols.append(np.fromiter(map(columns.__getitem__, flat), np.int64, len(flat)))
        data.append(np.full(len(flat), _CATEGORY_IDF))
        self.width = len(columns)
        shape = (len(window), self.width)
        matrix = sparse.csr_array(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=shape
        )
        matrix.eliminate_zeros()
        norms = np.sqrt((matrix * matrix).sum(axis=1))
        matrix.data /= np.repeat(np.where(norms > 0, norms, 1.0), np.diff(matrix.indptr))
        if min_weight > 0:
            matrix.data[matrix.data < min_weight] = 0.0
            matrix.eliminate_zeros()
        self.columns = columns
        self._set([window.papers[i] for i in window.ids], np.arange(len(window)), matrix)

    def _set(self, papers: list[Paper], base: np.ndarray, matrix: sparse.csr_array) -> None:
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
        # Tie-breaks: more upvotes first, then the smaller id.
        by_id = sorted(range(len(papers)), key=lambda i: papers[i].id)
        self._id_order = np.empty(len(papers), dtype=np.int64)
        self._id_order[by_id] = np.arange(len(papers))

    def subset(self, ids: Iterable[str]) -> PaperMatrix:
        """The rows of ``ids`` alone (in this matrix's order), sharing its columns."""
        rows = np.flatnonzero(self.mask(ids))
        part = PaperMatrix.__new__(PaperMatrix)
        part.columns, part.width = self.columns, self.width
        part._set([self.papers[r] for r in rows], self.base[rows], self._csr[rows])
        return part

    def __len__(self) -> int:
        return len(self.papers)

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
        """Upvotes on a log scale, 1 for the most upvoted paper ``among``."""
        top = float(self.upvotes[among].max()) if among.any() else 0.0
        if top <= 0:
            return np.zeros(len(self.papers))
        return np.log1p(self.upvotes) / math.log1p(top)

    def _similarity(
        self, profile: Profile
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # Per row: the blended similarity to the liked papers, the most similar one's
        # position (-1 for none), its plain cosine, the highest cosine to a dismissed one.
        n, rows = len(profile.liked), len(self.papers)
        zeros = np.zeros(rows)
        if not profile.seen or not rows:
            return zeros, np.full(rows, -1), zeros, zeros
        if profile.columns is not self.columns:
            raise ValueError("the profile and the papers were weighed in other column spaces")
        # Terms newer than this matrix are in none of its papers.
        terms, weights = profile._terms, profile._matrix
        if len(terms) and terms[-1] >= self.width:  # terms are in increasing order
            shared = np.flatnonzero(terms < self.width)
            terms, weights = terms[shared], weights[shared]
        # (papers x terms) @ (terms x profile papers): every cosine at once. The profile
        # side is small: dense, it makes the product one pass over the papers' terms.
        sums = self._matrix[:, terms] @ weights.toarray()
        liked, gone = sums[:, :n], sums[:, n:]
        aversion = gone.max(axis=1) if gone.shape[1] else zeros
        if not n:
            return zeros, np.full(rows, -1), zeros, aversion
        best = liked.argmax(axis=1)
        top = liked[np.arange(rows), best]
        related = top > 0.0
        centroid = liked.sum(axis=1) * profile._centroid_scale
        similarity = np.where(related, 0.7 * top + 0.3 * centroid, 0.0)
        cosine = np.where(related, top / profile._decays[best], 0.0)
        return similarity, np.where(related, best, -1), cosine, aversion

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
        similarity, best, cosine, aversion = self._similarity(profile)
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
        return [
            Recommendation(
                self.papers[r],
                float(score[r]),
                _reason(
                    profile,
                    self.papers[r],
                    int(best[r]),
                    float(cosine[r]),
                    *(float(parts[k][r]) for k in ("sim", "topic", "trend")),
                ),
            )
            for r in order
        ]


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
    window = Window((p for p in candidates if p.id not in profile.seen), columns=profile.columns)
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
