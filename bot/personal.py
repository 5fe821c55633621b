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
- ``trend = 0.02`` orders near-equal papers by votes at no cost (hit@10 0.463, as with
  0); 0.05 already costs (0.447), 0.5 ruins it (0.127). Popularity hardly predicts a
  reader's next paper: most-upvoted alone scores 0.030, random 0.027.
- ``neg = 0.5``: readers who dismissed 3 papers of another interest see half as many
  of its papers in their top 10 (0.14 -> 0.07) at no cost (hit@10 0.74 -> 0.73, MRR
  0.411 -> 0.418); 1.0 and 2.0 cost hit@10 (0.69, 0.61).
- ``topic = 0.2`` is a judgement, as the simulated readers have no topic: a full match
  weighs like a good similarity (cosine 0.2) and ten times all of trending, so a new
  reader's topic orders their digest and trending breaks its ties.

Liked papers are compared only on their terms weighing at least ``MIN_WEIGHT`` (0.06):
hit@10 0.420 -> 0.463 for a quarter of the work. Doubled keywords: 0.403 -> 0.463, most
of it for readers defined by a keyword (partly circular), 0.29 -> 0.31 for readers
defined by an author. Categories get a fixed IDF of 2 (the vocabulary does not count
them); at that weight they hardly move a ranking.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import mul

import numpy as np
from scipy import sparse

from bot.formatting import truncate
from bot.models import Paper, Recommendation
from bot.text import STOPWORDS, tokenize

__all__ = [
    "DEFAULT_WEIGHTS",
    "MAX_LIKED",
    "MIN_WEIGHT",
    "Idf",
    "PaperMatrix",
    "Profile",
    "Vector",
    "VectorCache",
    "Weights",
    "make_idf",
    "rank_for_reader",
    "vectorize",
]

Vector = dict[str, float]
Idf = Callable[[str], float]
_Weighed = tuple[list[str], list[float], float]
# Paper id -> its weighed terms, opaque to callers (see ``rank_for_reader``).
VectorCache = MutableMapping[str, _Weighed]

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


def _sublinear(tf: int) -> float:
    return 1.0 + math.log(tf) if tf else 0.0


# Sublinear term frequency looked up, not computed, for the counts every paper has.
_TF = tuple(map(_sublinear, range(256)))
# Stopwords and every 1-character token ``tokenize`` gives for ASCII text.
_DROP = STOPWORDS | frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _words(text: str) -> list[str]:
    if text.isascii():  # nearly every title and abstract; _DROP removes 1-letter tokens
        return tokenize(text)
    return [t for t in tokenize(text) if len(t) > 1]


def _weigh(paper: Paper, idf: Idf) -> _Weighed:
    """Tokens, their TF-IDF weights, and the weights' L2 norm."""
    # Every step but the last loop runs in C (Counter, set and map): a digest weighs
    # every paper of its window, and this is most of the time that takes.
    doubled = _words(paper.title) + _words(" ".join(paper.ai_keywords))
    counts = Counter(_words(paper.abstract) + doubled + doubled)
    # Deleting keeps the order of the rest, whatever order the set gives them in.
    for token in _DROP.intersection(counts).union(filter(str.isdigit, counts)):
        counts.pop(token)
    tokens = list(counts)
    tfs = counts.values()
    tf = map(_TF.__getitem__, tfs) if max(tfs, default=0) < len(_TF) else map(_sublinear, tfs)
    weights = list(map(mul, tf, map(idf, tokens)))
    for category in dict.fromkeys(paper.categories):
        tokens.append(f"cat:{category}")
        weights.append(_CATEGORY_IDF)
    return tokens, weights, math.hypot(*weights)


def _weighed(paper: Paper, idf: Idf, cache: VectorCache | None) -> _Weighed:
    if cache is None:
        return _weigh(paper, idf)
    found = cache.get(paper.id)
    if found is None:
        found = cache[paper.id] = _weigh(paper, idf)
    return found


def vectorize(paper: Paper, idf: Idf) -> Vector:
    """The paper's L2-normalised TF-IDF vector (sublinear term frequency)."""
    tokens, weights, norm = _weigh(paper, idf)
    return dict(zip(tokens, map((1.0 / norm).__mul__, weights), strict=True)) if norm else {}


@dataclass(frozen=True, slots=True, eq=False)
class Profile:
    """What a reader kept and dismissed, as vectors ready to compare candidates with.

    Build it with :meth:`build`. ``liked`` is what was given, newest first, each paper
    once; ``seen`` the ids of every liked and dismissed paper.
    """

    liked: tuple[tuple[Paper, str], ...]
    dismissed: tuple[Paper, ...]
    seen: frozenset[str]
    # The terms compared on, and a (terms x papers) matrix of their weights: columns
    # 0..n-1 the liked papers scaled by their decay, n... the dismissed ones.
    _terms: tuple[str, ...]
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
        cache: VectorCache | None = None,
    ) -> Profile:
        """``liked``: (paper, "saved" or "liked"), newest first; ``dismissed``: papers
        the reader said "not interested" to, newest first. A paper given twice counts
        once, the first time; one both liked and dismissed counts as liked. Only the
        newest :data:`MAX_LIKED` of each count. ``cache`` as for :func:`rank_for_reader`."""
        first: dict[str, tuple[Paper, str]] = {}
        for paper, verb in liked:
            first.setdefault(paper.id, (paper, verb))
        kept = tuple(first.values())[:MAX_LIKED]
        gone = tuple({p.id: p for p in dismissed if p.id not in first}.values())[:MAX_LIKED]
        decays = 0.5 ** (np.arange(len(kept)) / _HALF_LIFE)
        papers = [p for p, _ in kept] + list(gone)
        weighed = [_weighed(p, idf, cache) for p in papers]
        # One entry per (token, paper), in arrays: the loops run in C.
        tokens = [t for w in weighed for t in w[0]]
        ids = {t: i for i, t in enumerate(dict.fromkeys(tokens))}
        term = np.fromiter(map(ids.__getitem__, tokens), np.int64, len(tokens))
        lengths = [len(w[0]) for w in weighed]
        col = np.repeat(np.arange(len(papers)), lengths)
        norms = np.repeat([w[2] or 1.0 for w in weighed], lengths)
        unit = np.fromiter((x for w in weighed for x in w[1]), np.float64, len(tokens)) / norms
        scaled = unit * np.concatenate([decays, np.ones(len(gone))])[col]
        liked_part = col < len(kept)
        centroid = np.bincount(term[liked_part], weights=scaled[liked_part], minlength=len(ids))
        norm = float(np.sqrt(np.dot(centroid, centroid)))
        # Only the terms weighing at least min_weight in a paper's unit vector count.
        strong = unit >= min_weight
        kept_terms, row = np.unique(term[strong], return_inverse=True)
        matrix = sparse.csr_array(
            (scaled[strong], (row, col[strong])), shape=(len(kept_terms), len(papers))
        )
        names = list(ids)
        seen = frozenset(first) | {p.id for p in dismissed}
        return cls(
            kept,
            gone,
            seen,
            tuple(names[t] for t in kept_terms),
            matrix,
            decays,
            1.0 / norm if norm else 0.0,
        )

    @property
    def is_empty(self) -> bool:
        """True for a reader who has not saved or liked anything yet."""
        return not self.liked


class PaperMatrix:
    """Papers as the rows of one sparse TF-IDF matrix: weighed once, ranked for many readers.

    A digest run builds one for the papers of its window; each reader's ranking is then
    one sparse product with their profile, so a reader costs little more than their own
    saved papers, however many candidates the window holds.
    """

    def __init__(
        self, papers: Iterable[Paper], idf: Idf, *, cache: VectorCache | None = None
    ) -> None:
        papers = list({p.id: p for p in papers}.values())
        weighed = [_weighed(p, idf, cache) for p in papers]
        # Every token of every paper, then a column per distinct token: the loops run in C.
        tokens = [t for w in weighed for t in w[0]]
        self._columns: dict[str, int] = {t: i for i, t in enumerate(dict.fromkeys(tokens))}
        indptr = np.cumsum([0] + [len(w[0]) for w in weighed])
        data = np.fromiter((x for w in weighed for x in w[1]), dtype=np.float64, count=len(tokens))
        norms = np.array([w[2] or 1.0 for w in weighed])
        data /= np.repeat(norms, np.diff(indptr))
        shape = (len(papers), max(len(self._columns), 1))
        indices = np.fromiter(map(self._columns.__getitem__, tokens), np.int64, len(tokens))
        self._set(papers, sparse.csr_array((data, indices, indptr), shape=shape))

    def _set(self, papers: list[Paper], matrix: sparse.csr_array) -> None:
        self.papers = papers
        self.rows: dict[str, int] = {p.id: i for i, p in enumerate(papers)}
        # Column slices (a profile's terms) are what ranking reads: CSC makes them cheap.
        self._matrix = sparse.csc_array(matrix)
        self.upvotes = np.array([p.upvotes or 0 for p in papers], dtype=np.float64)
        # Tie-breaks: more upvotes first, then the smaller id.
        by_id = sorted(range(len(papers)), key=lambda i: papers[i].id)
        self._id_order = np.empty(len(papers), dtype=np.int64)
        self._id_order[by_id] = np.arange(len(papers))

    def subset(self, ids: Iterable[str]) -> PaperMatrix:
        """The rows of ``ids`` alone (in this matrix's order), sharing its columns."""
        rows = np.flatnonzero(self.mask(ids))
        part = PaperMatrix.__new__(PaperMatrix)
        part._columns = self._columns
        part._set([self.papers[r] for r in rows], sparse.csr_array(self._matrix)[rows])
        return part

    def __len__(self) -> int:
        return len(self.papers)

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
        if not profile.seen:
            return zeros, np.full(rows, -1), zeros, zeros
        cols = np.fromiter(map(self._columns.get, profile._terms, repeat(-1)), np.int64)
        shared = np.flatnonzero(cols >= 0)
        # (papers x terms) @ (terms x profile papers): every cosine at once.
        sums = (self._matrix[:, cols[shared]] @ profile._matrix[shared]).toarray()
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
    cache: VectorCache | None = None,
) -> list[Recommendation]:
    """The ``limit`` candidates this reader most likely wants, best first, with reasons.

    Papers the reader saved, liked or dismissed never come back; a candidate listed
    twice counts once. ``topic_scores`` and ``trending_scores`` map paper ids to 0..1
    (missing: 0). With an empty profile the order is topic, then trending. Ties go to
    more upvotes, then the smaller id. Pass the same ``cache`` (a dict) to rank the
    same candidates for many readers with the same ``idf``: each paper is then weighed
    once for all of them (a :class:`PaperMatrix` shares more: build one and rank on it).
    """
    matrix = PaperMatrix((p for p in candidates if p.id not in profile.seen), idf, cache=cache)
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
