"""Personal recommendations for DM digests: new papers like the ones a reader kept.

A paper is a sparse TF-IDF vector (token -> weight, L2-normalised) over its title (x2),
abstract, Hugging Face ``ai_keywords`` (x2) and arXiv categories (``cat:cs.CL``). A
reader's :class:`Profile` holds the vectors of the papers they saved or liked (newest
first, each weighed ``0.5 ** (position / 30)`` so recent interests count a bit more) and
of the papers they dismissed. Each candidate scores

    score = W_SIM × (0.7 × max_i decay_i·cos(c, liked_i) + 0.3 × cos(c, centroid))
          - W_NEG × max_j cos(c, dismissed_j)
          + W_TOPIC × topic + W_TREND × trending

with ``topic`` and ``trending`` in 0..1, given by the caller. The weights (``Weights``)
were chosen with ``python -m bench.recommend_bench --sweep`` (see bench/README.md),
held-out evaluation on simulated readers built from the bundled real papers:

- W_SIM = 1.0 sets the scale. Cosines of related papers are 0.1-0.4.
- W_TREND = 0.05: a little popularity breaks near-ties between similar papers
  (hit@10 0.56 -> 0.60 over pure similarity); from 0.2 on, popular but unrelated
  papers push the reader's paper out (0.55 at 0.2, 0.46 at 0.5).
- W_NEG = 0.5: with readers who dismissed papers of another interest, it halves how
  many of those papers still reach the top 10, at no cost in hit@10; 1.0 cuts them more
  but starts to drop wanted papers that share vocabulary with the dismissed ones.
- W_TOPIC = 0.2 is a judgement, not a measurement (the offline readers have no topic):
  a full topic match is worth about a good similarity (cosine 0.2), so an explicit
  topic steers a new profile without drowning what the reader's saves say.

The store's vocabulary counts only title, abstract and author tokens; categories get a
fixed IDF of 2 (as if in about a third of the papers, which the big ones are).
"""

from __future__ import annotations

import math
import string
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from itertools import compress
from operator import mul
from dataclasses import dataclass

from bot.formatting import truncate
from bot.models import Paper, Recommendation
from bot.text import STOPWORDS, tokenize

__all__ = ["Profile", "Vector", "Weights", "make_idf", "rank_for_reader", "vectorize"]

Vector = dict[str, float]
Idf = Callable[[str], float]

# Half the weight for a liked paper 30 signals back: old saves still count.
_HALF_LIFE = 30.0
_CATEGORY_IDF = 2.0
# Below this cosine, "because you saved X" would name a paper that is hardly related.
_REASON_MIN_SIM = 0.08
_TITLE_CHARS = 60


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each part of the score counts (see the module docstring)."""

    sim: float = 1.0
    neg: float = 0.5
    topic: float = 0.2
    trend: float = 0.05


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


def _weigh(paper: Paper, idf: Idf) -> tuple[list[str], list[float], float]:
    """Tokens, their TF-IDF weights, and the weights' L2 norm."""
    # Every step but the last loop runs in C (Counter, set and map): a digest ranks
    # hundreds of candidates per reader, and this is most of the time it takes.
    counts = Counter(_words(paper.abstract))
    title = _words(paper.title)
    keywords = _words(" ".join(paper.ai_keywords))
    for doubled in (title, title, keywords, keywords):
        counts.update(doubled)
    for token in [*_DROP.intersection(counts), *filter(str.isdigit, counts)]:
        del counts[token]
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
    ) -> Profile:
        """``liked``: (paper, "saved" or "liked"), newest first; ``dismissed``: papers
        the reader said "not interested" to. A paper given twice counts once."""
        kept = tuple({p.id: (p, verb) for p, verb in reversed(liked)}.values())[::-1]
        gone = tuple({p.id: p for p in dismissed}.values())
        decays = tuple(0.5 ** (i / _HALF_LIFE) for i in range(len(kept)))
        scales = (*decays, *(1.0 for _ in gone))
        index: Index = {}
        centroid: Counter[str] = Counter()
        for row, (paper, scale) in enumerate(zip((*(p for p, _ in kept), *gone), scales)):
            for token, weight in vectorize(paper, idf).items():
                index.setdefault(token, []).append((row, weight * scale))
                if row < len(kept):
                    centroid[token] += weight * scale
        norm = math.hypot(*centroid.values())
        seen = frozenset(p.id for p, _ in kept) | frozenset(p.id for p in gone)
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
        for x, posting in compress(zip(weights, postings), postings):
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
) -> list[Recommendation]:
    """The ``limit`` candidates this reader most likely wants, best first, with reasons.

    Papers the reader saved, liked or dismissed never come back; a candidate listed
    twice counts once. ``topic_scores`` and ``trending_scores`` map paper ids to 0..1
    (missing: 0). With an empty profile the order is topic, then trending. Ties go to
    more upvotes, then the smaller id.
    """
    topic_scores = topic_scores or {}
    trending_scores = trending_scores or {}
    scored: list[tuple[float, Paper, int | None, float, float, float, float]] = []
    done: set[str] = set(profile.seen)
    for paper in candidates:
        if paper.id in done:
            continue
        done.add(paper.id)
        similarity, best, cosine, aversion = 0.0, None, 0.0, 0.0
        if profile.seen:  # a new reader needs no vectors: topic and trending decide
            similarity, best, cosine, aversion = profile._compare(*_weigh(paper, idf))
        sim = weights.sim * similarity
        topic = weights.topic * _unit(topic_scores.get(paper.id, 0.0))
        trend = weights.trend * _unit(trending_scores.get(paper.id, 0.0))
        score = sim + topic + trend - weights.neg * aversion
        scored.append((score, paper, best, cosine, sim, topic, trend))
    scored.sort(key=lambda s: (-s[0], -(s[1].upvotes or 0), s[1].id))
    return [
        Recommendation(s[1], s[0], _reason(profile, *s[1:])) for s in scored[: max(limit, 0)]
    ]


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
    if paper.upvotes:
        return f"trending: {paper.upvotes} upvote{'s' if paper.upvotes != 1 else ''}"
    return because or "new on arXiv"
