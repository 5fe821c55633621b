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
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
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
    def __init__(self, values: Mapping[str, float], top: float) -> None:
        super().__init__(values)
        self.top = top

    def __missing__(self, token: str) -> float:
        return self.top


def make_idf(vocabulary: Mapping[str, int], total: int) -> Idf:
    """IDF from document frequencies: ``log((N + 1) / (df + 1)) + 1``; unknown tokens
    (a word newer than the vocabulary) get the highest IDF, as if in no paper."""
    n = max(total, 0) + 1
    table = _IdfTable({t: math.log(n / (df + 1)) + 1.0 for t, df in vocabulary.items()}, 0.0)
    table.top = math.log(n) + 1.0
    # A bound dict lookup: called once per distinct token of every candidate.
    return table.__getitem__


# Sublinear term frequency, 1 + ln(tf), looked up (a count past the table is capped).
_TF = tuple(1.0 + math.log(n) if n else 0.0 for n in range(256))
_TF_CAP = len(_TF) - 1
# Lower-case ASCII letters and digits, every other ASCII character a space.
_ASCII_WORDS = str.maketrans(
    {c: (chr(c).lower() if chr(c).isalnum() else " ") for c in range(128)}
)


def _words(text: str) -> list[str]:
    """``tokenize(text)``, twice as fast on ASCII text (nearly every title and abstract)."""
    if text.isascii():
        return text.translate(_ASCII_WORDS).split()
    return tokenize(text)


def vectorize(paper: Paper, idf: Idf) -> Vector:
    """The paper's L2-normalised TF-IDF vector (sublinear term frequency)."""
    # Every step runs in C (Counter, map, hypot): a digest ranks hundreds of papers.
    counts = Counter(_words(paper.abstract))
    title = _words(paper.title)
    keywords = _words(" ".join(paper.ai_keywords))
    for doubled in (title, title, keywords, keywords):
        counts.update(doubled)
    for token in [t for t in counts if len(t) < 2 or t in STOPWORDS or t.isdigit()]:
        del counts[token]
    tokens = list(counts)
    tf = map(_TF.__getitem__, map(min, counts.values(), repeat(_TF_CAP)))
    weights = list(map(mul, tf, map(idf, tokens)))
    for category in dict.fromkeys(paper.categories):
        tokens.append(f"cat:{category}")
        weights.append(_CATEGORY_IDF)
    norm = math.hypot(*weights)
    return dict(zip(tokens, map((1.0 / norm).__mul__, weights), strict=True)) if norm else {}


Index = dict[str, list[tuple[int, float]]]


def _index(vectors: Sequence[Vector], scales: Sequence[float]) -> Index:
    # Token -> (row, weight): a candidate then meets only the rows sharing its tokens,
    # which is what keeps 500 candidates x 50 liked papers in a few milliseconds.
    index: Index = {}
    for row, (vector, scale) in enumerate(zip(vectors, scales, strict=True)):
        for token, weight in vector.items():
            index.setdefault(token, []).append((row, weight * scale))
    return index


def _dot_rows(vector: Vector, index: Index, rows: int) -> list[float]:
    sums = [0.0] * rows
    # The C-level key intersection skips the candidate's words no kept paper has.
    for token in vector.keys() & index.keys():
        x = vector[token]
        for row, w in index[token]:
            sums[row] += x * w
    return sums


@dataclass(frozen=True, slots=True)
class Profile:
    """What a reader kept and dismissed, as vectors ready to compare candidates with."""

    liked_titles: tuple[str, ...]
    liked_verbs: tuple[str, ...]
    seen: frozenset[str]
    # Rows 0..n-1: liked papers scaled by their decay; row n: their normalised centroid.
    _liked: dict[str, list[tuple[int, float]]]
    _decays: tuple[float, ...]
    _dismissed: dict[str, list[tuple[int, float]]]
    _n_dismissed: int

    @classmethod
    def build(
        cls,
        liked: Sequence[tuple[Paper, str]],
        dismissed: Sequence[Paper],
        idf: Idf,
    ) -> Profile:
        """``liked``: (paper, "saved" or "liked"), newest first; ``dismissed``: papers
        the reader said "not interested" to. A paper given twice counts once."""
        kept: dict[str, tuple[Paper, str]] = {}
        for paper, verb in liked:
            kept.setdefault(paper.id, (paper, verb))
        vectors = [vectorize(p, idf) for p, _ in kept.values()]
        decays = tuple(0.5 ** (i / _HALF_LIFE) for i in range(len(vectors)))
        centroid: Counter[str] = Counter()
        for vector, decay in zip(vectors, decays, strict=True):
            for token, weight in vector.items():
                centroid[token] += weight * decay
        norm = math.sqrt(sum(w * w for w in centroid.values()))
        rows = [*vectors, {t: w / norm for t, w in centroid.items()}] if norm else vectors
        gone = {p.id: vectorize(p, idf) for p in dismissed}
        return cls(
            liked_titles=tuple(p.title for p, _ in kept.values()),
            liked_verbs=tuple(verb for _, verb in kept.values()),
            seen=frozenset(kept) | frozenset(gone),
            _liked=_index(rows, (*decays, 1.0)[: len(rows)]),
            _decays=decays,
            _dismissed=_index(list(gone.values()), [1.0] * len(gone)),
            _n_dismissed=len(gone),
        )

    @property
    def is_empty(self) -> bool:
        """True for a reader who has not saved or liked anything yet."""
        return not self._decays

    def similarity(self, vector: Vector) -> tuple[float, int | None, float]:
        """(blended similarity to the liked papers, the most similar one's position or
        None, its plain cosine)."""
        n = len(self._decays)
        if not n:
            return 0.0, None, 0.0
        sums = _dot_rows(vector, self._liked, n + 1)
        best = max(range(n), key=sums.__getitem__)
        if sums[best] <= 0.0:
            return 0.0, None, 0.0
        return 0.7 * sums[best] + 0.3 * sums[n], best, sums[best] / self._decays[best]

    def aversion(self, vector: Vector) -> float:
        """The highest cosine to a dismissed paper (0 without dismissals)."""
        if not self._n_dismissed:
            return 0.0
        return max(_dot_rows(vector, self._dismissed, self._n_dismissed))


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
    scored: list[tuple[float, Paper, str]] = []
    done: set[str] = set()
    for paper in candidates:
        if paper.id in profile.seen or paper.id in done:
            continue
        done.add(paper.id)
        # A new reader with no signals needs no vectors: topic and trending decide.
        vector = vectorize(paper, idf) if profile.seen else {}
        similarity, best, cosine = profile.similarity(vector)
        sim = weights.sim * similarity
        topic = weights.topic * _unit(topic_scores.get(paper.id, 0.0))
        trend = weights.trend * _unit(trending_scores.get(paper.id, 0.0))
        score = sim + topic + trend - weights.neg * profile.aversion(vector)
        scored.append((score, paper, _reason(paper, profile, best, cosine, sim, topic, trend)))
    scored.sort(key=lambda s: (-s[0], -(s[1].upvotes or 0), s[1].id))
    return [Recommendation(p, score, reason) for score, p, reason in scored[: max(limit, 0)]]


def _unit(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def _reason(
    paper: Paper,
    profile: Profile,
    best: int | None,
    cosine: float,
    sim: float,
    topic: float,
    trend: float,
) -> str:
    because = ""
    if best is not None:
        title = truncate(profile.liked_titles[best] or "a paper", _TITLE_CHARS)
        because = f"because you {profile.liked_verbs[best]} '{title}'"
    if because and cosine >= _REASON_MIN_SIM and sim >= max(topic, trend):
        return because
    if topic > 0 and topic >= trend:
        return "matches your topic"
    if paper.upvotes:
        return f"trending: {paper.upvotes} upvote{'s' if paper.upvotes != 1 else ''}"
    return because or "new on arXiv"
