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
import string
from collections import Counter
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import mul

from bot.formatting import truncate
from bot.models import Paper, Recommendation
from bot.text import STOPWORDS, tokenize

__all__ = [
    "DEFAULT_WEIGHTS",
    "MIN_WEIGHT",
    "Idf",
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
# Lower-case ASCII letters and digits, every other ASCII character a space.
_ASCII_WORDS = str.maketrans({c: chr(c).lower() if chr(c).isalnum() else " " for c in range(128)})
# Stopwords and every 1-character token _words can give for ASCII text.
_DROP = STOPWORDS | frozenset(string.ascii_lowercase + string.digits)


def _words(text: str) -> list[str]:
    """``tokenize(text)``, twice as fast on ASCII text (nearly every title and abstract)."""
    if text.isascii():
        return text.translate(_ASCII_WORDS).split()
    return [t for t in tokenize(text) if len(t) > 1]


def _weigh(paper: Paper, idf: Idf) -> _Weighed:
    """Tokens, their TF-IDF weights, and the weights' L2 norm."""
    # Every step but the last loop runs in C (Counter, set and map): a digest ranks
    # hundreds of candidates per reader, and this is most of the time it takes.
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


def vectorize(paper: Paper, idf: Idf) -> Vector:
    """The paper's L2-normalised TF-IDF vector (sublinear term frequency)."""
    tokens, weights, norm = _weigh(paper, idf)
    return dict(zip(tokens, map((1.0 / norm).__mul__, weights), strict=True)) if norm else {}


Index = dict[str, list[tuple[int, float]]]


@dataclass(frozen=True, slots=True, eq=False)
class Profile:
    """What a reader kept and dismissed, as vectors ready to compare candidates with.

    Build it with :meth:`build`. ``liked`` is what was given, newest first, each paper
    once; ``seen`` the ids of every liked and dismissed paper.
    """

    liked: tuple[tuple[Paper, str], ...]
    dismissed: tuple[Paper, ...]
    seen: frozenset[str]
    # Token -> (row, weight) for rows 0..n-1, the liked papers scaled by their decay, and
    # rows n..., the dismissed ones: a candidate meets only the rows sharing its tokens.
    _index: Index
    _decays: tuple[float, ...]
    # 1 / |sum of the decayed liked vectors|: the centroid cosine from the row sums.
    _centroid_scale: float

    @classmethod
    def build(
        cls,
        liked: Sequence[tuple[Paper, str]],
        dismissed: Sequence[Paper],
        idf: Idf,
        *,
        min_weight: float = MIN_WEIGHT,
    ) -> Profile:
        """``liked``: (paper, "saved" or "liked"), newest first; ``dismissed``: papers
        the reader said "not interested" to. A paper given twice counts once, the
        first time; one both liked and dismissed counts as liked."""
        first: dict[str, tuple[Paper, str]] = {}
        for paper, verb in liked:
            first.setdefault(paper.id, (paper, verb))
        kept = tuple(first.values())
        gone = tuple({p.id: p for p in dismissed if p.id not in first}.values())
        decays = tuple(0.5 ** (i / _HALF_LIFE) for i in range(len(kept)))
        rows = [(p, decay) for (p, _), decay in zip(kept, decays, strict=True)]
        rows += [(p, 1.0) for p in gone]
        index: Index = {}
        centroid: Counter[str] = Counter()
        for row, (paper, scale) in enumerate(rows):
            for token, weight in vectorize(paper, idf).items():
                if row < len(kept):
                    centroid[token] += weight * scale
                if weight >= min_weight:
                    index.setdefault(token, []).append((row, weight * scale))
        norm = math.hypot(*centroid.values())
        seen = frozenset(first) | {p.id for p in dismissed}
        return cls(kept, gone, seen, index, decays, 1.0 / norm if norm else 0.0)

    @property
    def is_empty(self) -> bool:
        """True for a reader who has not saved or liked anything yet."""
        return not self.liked

    def _compare(
        self, tokens: list[str], weights: list[float], norm: float
    ) -> tuple[float, int | None, float, float]:
        # (blended similarity to the liked papers, the most similar one's position or
        # None, its plain cosine, the highest cosine to a dismissed paper)
        n = len(self.liked)
        sums = [0.0] * (n + len(self.dismissed))
        postings = list(map(self._index.get, tokens))
        for x, posting in compress(zip(weights, postings, strict=True), postings):
            for row, w in posting:
                sums[row] += x * w
        scale = 1.0 / norm if norm else 0.0
        aversion = max(sums[n:], default=0.0) * scale
        best = max(range(n), key=sums.__getitem__, default=None)
        if best is None or sums[best] <= 0.0:
            return 0.0, None, 0.0, aversion
        # cos(c, centroid) = sum of the decayed cosines / |sum of decayed vectors|.
        centroid = math.fsum(sums[:n]) * self._centroid_scale
        similarity = scale * (0.7 * sums[best] + 0.3 * centroid)
        return similarity, best, scale * sums[best] / self._decays[best], aversion


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
    once for all of them.
    """
    topic_scores = topic_scores or {}
    trending_scores = trending_scores or {}
    scored: list[tuple[float, Paper, int | None, float, float, float, float]] = []
    done: set[str] = set(profile.seen)
    cache = {} if cache is None else cache
    for paper in candidates:
        if paper.id in done:
            continue
        done.add(paper.id)
        similarity, best, cosine, aversion = 0.0, None, 0.0, 0.0
        if profile.seen:  # a new reader needs no vectors: topic and trending decide
            weighed = cache.get(paper.id)
            if weighed is None:
                weighed = cache[paper.id] = _weigh(paper, idf)
            similarity, best, cosine, aversion = profile._compare(*weighed)
        sim = weights.sim * similarity
        topic = weights.topic * _unit(topic_scores.get(paper.id, 0.0))
        trend = weights.trend * _unit(trending_scores.get(paper.id, 0.0))
        score = sim + topic + trend - weights.neg * aversion
        scored.append((score, paper, best, cosine, sim, topic, trend))
    scored.sort(key=lambda s: (-s[0], -(s[1].upvotes or 0), s[1].id))
    return [Recommendation(s[1], s[0], _reason(profile, *s[1:])) for s in scored[: max(limit, 0)]]


def _unit(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def _reason(
    profile: Profile,
    paper: Paper,
    best: int | None,
    cosine: float,
    sim: float,
    topic: float,
    trend: float,
) -> str:
    because = ""
    if best is not None:
        liked, verb = profile.liked[best]
        because = f"because you {verb} '{truncate(liked.title or liked.id, _TITLE_CHARS)}'"
    if because and cosine >= _REASON_MIN_SIM and sim >= max(topic, trend):
        return because
    if topic > 0 and topic >= trend:
        return "matches your topic"
    if paper.upvotes is not None:
        return f"trending: {paper.upvotes} upvote{'' if paper.upvotes == 1 else 's'}"
    return because or "new on arXiv"
