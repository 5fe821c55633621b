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
from collections.abc import Hashable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

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
        # Results derived from these papers that callers compute once per window (the
        # trending order, say), by a key of their choosing.
        self.memo: dict[Hashable, Any] = {}
        self._title: dict[str, frozenset[str]] = {}
        self._text: dict[str, list[str]] = {}
        self._authors: dict[str, list[tuple[str, ...]]] = {}
        self._postings: dict[str, set[str]] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._word_scores: dict[str, dict[str, tuple[bool, int]]] = {}
        self._indexed = False

    def _index(self) -> None:
        # Built on first use: a query without words needs no tokens at all.
        if self._indexed:
            return
        self._indexed = True
        postings = self._postings
        for p in self.papers.values():
            title = tokenize(p.title)
            text = title + tokenize(p.abstract)
            authors = [tuple(tokenize(a)) for a in p.authors]
            self._title[p.id] = frozenset(title)
            self._text[p.id] = text
            self._authors[p.id] = authors
            for token in {*text, *(t for a in authors for t in a)}:
                found = postings.get(token)
                if found is None:
                    postings[token] = {p.id}
                else:
                    found.add(p.id)

    def __len__(self) -> int:
        return len(self.papers)

    def words(self, paper_id: str) -> tuple[frozenset[str], frozenset[str]]:
        """The tokens of a paper's title, and of its title and abstract."""
        self._index()
        return self._title[paper_id], frozenset(self._text[paper_id])

    def _having(self, term: str) -> set[str]:
        found: set[str] = set()
        for form in plural_forms(term):
            found |= self._postings.get(form, set())
        return found

    def match(
        self,
        query: Query,
        *,
        among: Iterable[str] | None = None,
        exclude: AbstractSet[str] = frozenset(),
    ) -> list[Match]:
        """Papers matching ``query`` (all of them when it has no words), most relevant
        first; ``among`` limits the answer to those ids, ``exclude`` leaves ids out."""
        words = list(query.terms) + [t for p in query.phrases for t in p]
        names = [t for name in query.authors for t in name]
        if words or names:
            self._index()
            # Start from the papers having the rarest word: the rest only narrows it.
            sets = [self._having(w) for w in words]
            sets += [self._postings.get(t, set()) for t in names]
            sets.sort(key=len)
            ids = set(sets[0])
            for found in sets[1:]:
                ids &= found
        else:
            ids = set(self.papers)
        if among is not None:
            ids &= among if isinstance(among, AbstractSet) else set(among)
        ids -= exclude
        for phrase in query.phrases:
            ids = {i for i in ids if _contains(self._text[i], phrase)}
        for name in query.authors:
            ids = {i for i in ids if any(_contains(list(a), name) for a in self._authors[i])}
        if query.excluded:
            self._index()
            for term in query.excluded:
                ids -= self._postings.get(term, set())
        forms = {w: plural_forms(w) for w in words}  # once per query, not per paper
        scored = [
            self._scored(self.papers[i], words, forms) for i in ids if passes(self.papers[i], query)
        ]
        # Plain tuples sort in C; ids are unique, so matches are never compared.
        order = sorted((-m.relevance, -(m.paper.upvotes or 0), m.paper.id, m) for m in scored)
        return [m for *_, m in order]

    def _scored(self, paper: Paper, words: list[str], forms: dict[str, tuple[str, ...]]) -> Match:
        if not words:
            return Match(paper, 0.0)
        in_title = mentions = 0
        for w in words:
            title, count = self._word_in(paper.id, w, forms[w])
            in_title += title
            # More mentions in the text count, with diminishing returns.
            mentions += count
        relevance = 0.7 * in_title / len(words) + 0.3 * min(1.0, mentions / (3 * len(words)))
        return Match(paper, relevance)

    def _word_in(self, paper_id: str, word: str, forms: tuple[str, ...]) -> tuple[bool, int]:
        # (whether the title has the word, its mentions in the text up to 3), kept: many
        # topics share words, and a window is matched against thousands of them.
        known = self._word_scores.setdefault(word, {})
        found = known.get(paper_id)
        if found is None:
            counts = self._counts.get(paper_id)
            if counts is None:
                counts = self._counts[paper_id] = Counter(self._text[paper_id])
            title = self._title[paper_id]
            found = known[paper_id] = (
                any(f in title for f in forms),
                min(3, sum(counts.get(f, 0) for f in forms)),
            )
        return found


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
