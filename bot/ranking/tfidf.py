"""TF-IDF weighing of a window's papers: the vectors personal recommendations compare.

A paper is a sparse vector (L2-normalised, term frequency ``1 + ln tf``) over its title
(x2), abstract, Hugging Face ``ai_keywords`` (x2) and arXiv categories (``cat:cs.CL``),
leaving out stopwords, digit-only and 1-letter tokens; IDF is
``log((N + 1) / (df + 1)) + 1`` from the store's vocabulary (:func:`make_idf`).
Categories get a fixed IDF of 2 (the vocabulary does not count them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
from scipy import sparse

from bot.ranking.window import Window
from bot.text import STOPWORDS

__all__ = ["MIN_WEIGHT", "Idf", "make_idf", "weigh"]

Idf = Callable[[str], float]

_CATEGORY_IDF = 2.0
# A paper's terms weighing less than this in its unit vector are left out of the
# comparison: a match on many faint words is mostly a match on the field's jargon.
MIN_WEIGHT = 0.06


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


def weigh(window: Window, idf: Idf, *, min_weight: float = MIN_WEIGHT) -> sparse.csr_array:
    """The window's papers (its rows, in its order) as unit TF-IDF vectors over its
    column space, which gains the ``cat:`` columns; terms weighing less than
    ``min_weight`` in a vector are then dropped."""
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
    shape = (len(window), len(columns))
    matrix = sparse.csr_array(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )
    matrix.eliminate_zeros()
    norms = np.sqrt((matrix * matrix).sum(axis=1))
    matrix.data /= np.repeat(np.where(norms > 0, norms, 1.0), np.diff(matrix.indptr))
    if min_weight > 0:
        matrix.data[matrix.data < min_weight] = 0.0
        matrix.eliminate_zeros()
    return matrix
