"""A reader's profile: what they kept and dismissed, weighed to compare candidates with.

The i-th saved or liked paper, newest first, weighs ``decay_i = 0.5 ** (i / 30)``
(recent interests count a bit more); only the newest :data:`MAX_LIKED` of each kind
count. See :mod:`bot.ranking.personal` for how a profile scores a candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from bot.models import Paper
from bot.ranking.columns import Columns
from bot.ranking.tfidf import MIN_WEIGHT, Idf, weigh
from bot.ranking.window import Window

if TYPE_CHECKING:
    from bot.ranking.personal import PaperMatrix

__all__ = ["MAX_LIKED", "Profile"]

# Half the weight for a liked paper 30 signals back: old saves still count.
_HALF_LIFE = 30.0
# Only the newest saves and likes (and dismissals) make a profile: the 200th weighs 1%.
MAX_LIKED = 200


@dataclass(frozen=True, slots=True, eq=False)
class Profile:
    """What a reader kept and dismissed, as vectors ready to compare candidates with.

    Build it with :meth:`build`; it is a value, never changed after. ``liked`` is what
    was given, newest first, each paper once; ``seen`` the ids of every liked and
    dismissed paper; ``columns`` the column space its terms are in (candidates must be
    weighed in the same lineage). ``terms`` are the columns compared on, in increasing
    order, and ``weights`` a (terms x papers) matrix of their weights: columns 0..n-1
    the liked papers scaled by their ``decays``, n... the dismissed ones.
    ``centroid_scale`` is 1 / |sum of the decayed liked vectors|, so the cosine to the
    centroid comes from the column sums.
    """

    liked: tuple[tuple[Paper, str], ...]
    dismissed: tuple[Paper, ...]
    seen: frozenset[str]
    columns: Columns
    terms: np.ndarray
    weights: sparse.csr_array
    decays: np.ndarray
    centroid_scale: float

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
        ``columns`` (a new space by default), which gains their tokens."""
        first: dict[str, tuple[Paper, str]] = {}
        for paper, verb in liked:
            first.setdefault(paper.id, (paper, verb))
        kept = tuple(first.values())[:MAX_LIKED]
        gone = tuple({p.id: p for p in dismissed if p.id not in first}.values())[:MAX_LIKED]
        papers = [p for p, _ in kept] + list(gone)
        if matrix is None:
            window = Window(papers, columns=columns)
            unit, space = weigh(window, idf, min_weight=0.0), window.columns
        else:
            unit, space = matrix.unit_rows(p.id for p in papers), matrix.columns
        decays = 0.5 ** (np.arange(len(kept)) / _HALF_LIFE)
        # One entry per (paper, term) of their unit vectors.
        vectors = unit.tocoo()
        paper, term, value = vectors.row, vectors.col, vectors.data
        scaled = value * np.concatenate([decays, np.ones(len(gone))])[paper]
        liked_part = paper < len(kept)
        _, where = np.unique(term[liked_part], return_inverse=True)
        centroid = np.bincount(where, weights=scaled[liked_part]) if len(where) else np.zeros(0)
        norm = float(np.sqrt(np.dot(centroid, centroid)))
        # Only the terms weighing at least min_weight in a paper's unit vector count.
        strong = value >= min_weight
        terms, row = np.unique(term[strong], return_inverse=True)
        weights = sparse.csr_array(
            (scaled[strong].astype(np.float32), (row, paper[strong])),
            shape=(len(terms), len(papers)),
        )
        seen = frozenset(first) | {p.id for p in dismissed}
        scale = 1.0 / norm if norm else 0.0
        return cls(kept, gone, seen, space, terms, weights, decays, scale)

    @property
    def is_empty(self) -> bool:
        """True for a reader who has not saved or liked anything yet."""
        return not self.liked
