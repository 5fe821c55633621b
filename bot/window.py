"""The papers of a date window, indexed in memory so many topics can be matched at once.

Daily posts match every subscription's topic against the same few hundred recent
papers; tokenizing them once and intersecting posting sets keeps 10,000 subscriptions
to a fraction of a second. Matching follows the search grammar: every word (or its
singular/plural) must appear, phrases as adjacent words, authors as a name, minus
excluded words, within the categories, dates and minimum upvotes given.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.models import Paper
from bot.query import Query
from bot.text import tokenize

__all__ = ["Match", "Window", "passes", "plural_forms"]


@dataclass(frozen=True, slots=True)
class Match:
    paper: Paper
    relevance: float  # 0..1: how strongly the words sit in the title rather than the text


def plural_forms(term: str) -> tuple[str, ...]:
    """``term`` and its likely singular/plural spellings."""
    forms = {term, term + "s", term + "es"}
    if term.endswith("s"):
        forms.add(term[:-1])
    if term.endswith("es"):
        forms.add(term[:-2])
    if term.endswith("ies"):
        forms.add(term[:-3] + "y")
    if term.endswith("y"):
        forms.add(term[:-1] + "ies")
    return tuple(forms)


class Window:
    """Papers indexed by token: ``match`` answers a topic query over them."""

    def __init__(self, papers: Iterable[Paper]) -> None:
        self.papers: dict[str, Paper] = {p.id: p for p in papers}
        self._title: dict[str, frozenset[str]] = {}
        self._text: dict[str, list[str]] = {}
        self._authors: dict[str, list[tuple[str, ...]]] = {}
        self._postings: dict[str, set[str]] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._indexed = False

    def _index(self) -> None:
        # Built on first use: a query without words needs no tokens at all.
        if self._indexed:
            return
        self._indexed = True
        for p in self.papers.values():
            title = tokenize(p.title)
            text = title + tokenize(p.abstract)
            authors = [tuple(tokenize(a)) for a in p.authors]
            self._counts[p.id] = Counter(text)
            self._title[p.id] = frozenset(title)
            self._text[p.id] = text
            self._authors[p.id] = authors
            for token in {*text, *(t for a in authors for t in a)}:
                self._postings.setdefault(token, set()).add(p.id)

    def __len__(self) -> int:
        return len(self.papers)

    def _having(self, term: str) -> set[str]:
        found: set[str] = set()
        for form in plural_forms(term):
            found |= self._postings.get(form, set())
        return found

    def match(self, query: Query, *, among: Iterable[str] | None = None) -> list[Match]:
        """Papers matching ``query`` (all of them when it has no words), most relevant
        first; ``among`` limits the answer to those ids."""
        ids = set(self.papers) if among is None else set(among) & set(self.papers)
        if query.terms or query.phrases or query.authors or query.excluded:
            self._index()
        for term in query.terms:
            ids &= self._having(term)
        for phrase in query.phrases:
            for term in phrase:
                ids &= self._having(term)
            ids = {i for i in ids if _contains(self._text[i], phrase)}
        for name in query.authors:
            ids = {i for i in ids if any(_contains(list(a), name) for a in self._authors[i])}
        for term in query.excluded:
            ids -= self._postings.get(term, set())
        words = list(query.terms) + [t for p in query.phrases for t in p]
        forms = {w: plural_forms(w) for w in words}  # once per query, not per paper
        matches = [
            self._scored(self.papers[i], words, forms) for i in ids if passes(self.papers[i], query)
        ]
        matches.sort(key=lambda m: (-m.relevance, -(m.paper.upvotes or 0), m.paper.id))
        return matches

    def _scored(self, paper: Paper, words: list[str], forms: dict[str, tuple[str, ...]]) -> Match:
        if not words:
            return Match(paper, 0.0)
        title = self._title[paper.id]
        counts = self._counts[paper.id]
        in_title = sum(1 for w in words if any(f in title for f in forms[w]))
        # More mentions in the text count, with diminishing returns.
        mentions = sum(min(3, sum(counts.get(f, 0) for f in forms[w])) for w in words)
        relevance = 0.7 * in_title / len(words) + 0.3 * min(1.0, mentions / (3 * len(words)))
        return Match(paper, relevance)


def _contains(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    first = phrase[0]
    return any(
        tokens[i] == first and tuple(tokens[i : i + n]) == tuple(phrase)
        for i in range(len(tokens) - n + 1)
    )


def passes(paper: Paper, query: Query) -> bool:
    """Whether ``paper`` meets the query's filters (categories, dates, upvotes)."""
    if query.min_upvotes is not None and (paper.upvotes or 0) < query.min_upvotes:
        return False
    if query.since and (paper.day is None or paper.day < query.since):
        return False
    if query.until and (paper.day is None or paper.day > query.until):
        return False
    return not query.categories or any(
        c == w or c.startswith(w + ".") for c in paper.categories for w in query.categories
    )


def log_scale(values: dict[str, float]) -> dict[str, float]:
    """Scale non-negative scores to 0..1 on a log scale (for blending with relevance)."""
    top = max(values.values(), default=0.0)
    if top <= 0:
        return dict.fromkeys(values, 0.0)
    return {k: math.log1p(max(v, 0.0)) / math.log1p(top) for k, v in values.items()}


__all__ += ["log_scale"]
