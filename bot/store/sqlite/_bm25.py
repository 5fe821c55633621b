"""BM25 of a few hundred matching papers, reckoned in Python from their text.

FTS5's ``bm25()`` first counts the papers holding each phrase of the query, reading the
whole doclist of a common word ("model", "wang") however few papers match; here each
word's count comes from the stored vocabulary instead, and only the matches are read.
The formula is FTS5's (k1 1.2, b 0.75, column weights as the migrations rank), with two
approximations: a word's count is over the whole paper, not the index's columns, and the
average length is that of the matches.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.store.port import TextQuery
from bot.text import tokenize

__all__ = ["Phrase", "phrases_of", "top_by_bm25"]

_K1 = 1.2
_B = 0.75


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase FTS5 would score: adjacent tokens, in some of the columns."""

    tokens: tuple[str, ...]
    columns: frozenset[int]  # positions in the row's columns
    prefix: bool = False  # the last token also matches as a prefix


def phrases_of(query: TextQuery, columns: Sequence[str]) -> list[Phrase]:
    """The phrases of ``query`` as its FTS5 expression has them, over ``columns`` (the
    index's, in ``TextQuery`` names)."""
    where = frozenset(i for i, c in enumerate(columns) if not query.columns or c in query.columns)
    names = frozenset(i for i, c in enumerate(columns) if c == "authors")
    out = []
    for i, group in enumerate(query.groups):
        last = query.prefix_last and i == len(query.groups) - 1
        out += [Phrase((t,), where, last and j == 0) for j, t in enumerate(group)]
    out += [Phrase(p, where) for p in query.phrases if p]
    out += [Phrase(n, names) for n in query.authors if n]
    return out


def top_by_bm25(
    rows: Sequence[Sequence[str]],
    phrases: Sequence[Phrase],
    weights: Sequence[float],
    docs: Mapping[str, int],
    total: int,
    limit: int,
) -> list[tuple[str, float]]:
    """The ``limit`` best of ``rows`` (id, then the text of each column) by BM25, with
    ``docs`` the number of papers holding each token and ``total`` all papers."""
    tokenized = [[tokenize(text or "") for text in row[1:]] for row in rows]
    lengths = [sum(map(len, cols)) for cols in tokenized]
    average = (sum(lengths) / len(lengths) if lengths else 0.0) or 1.0
    idf = []
    for p in phrases:
        # A phrase is in no more papers than its rarest word.
        n = min(docs.get(t, 0) for t in p.tokens)
        idf.append(max(math.log((total - n + 0.5) / (n + 0.5)), 1e-6))
    scored = []
    for row, cols, length in zip(rows, tokenized, lengths, strict=True):
        counts = [Counter(c) for c in cols]
        norm = _K1 * (1 - _B + _B * length / average)
        score = 0.0
        for p, weight in zip(phrases, idf, strict=True):
            tf = sum(weights[c] * _occurrences(p, cols[c], counts[c]) for c in p.columns)
            if tf:
                score += weight * tf * (_K1 + 1) / (tf + norm)
        scored.append((row[0], score))
    scored.sort(key=lambda r: -r[1])
    return scored[:limit]


def _occurrences(p: Phrase, tokens: list[str], counts: Counter[str]) -> int:
    first, n = p.tokens[0], len(p.tokens)
    if n == 1:
        if not p.prefix:
            return counts[first]
        return sum(c for word, c in counts.items() if word.startswith(first))
    if any(not counts[t] for t in p.tokens[:-1]) or (not p.prefix and not counts[p.tokens[-1]]):
        return 0
    rest, last, found, i = list(p.tokens[1:-1]), p.tokens[-1], 0, -1
    while (i := _index(tokens, first, i + 1)) >= 0:
        if tokens[i + 1 : i + n - 1] == rest and i + n <= len(tokens):
            word = tokens[i + n - 1]
            found += word == last or (p.prefix and word.startswith(last))
    return found


def _index(tokens: list[str], token: str, start: int) -> int:
    try:
        return tokens.index(token, start)
    except ValueError:
        return -1
