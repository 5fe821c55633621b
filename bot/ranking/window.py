"""The papers of a date window, indexed in memory so many topics can be matched at once.

Daily posts match every subscription's topic against the same few thousand recent
papers, and rank them by the trending score the window carries for each. The window
tokenizes them once into sparse count matrices (papers x tokens, in a column space
callers may share); a word's papers, mentions and title hits then come from its columns
as arrays, kept for every topic that uses the word, and a topic costs a few array
operations however many papers it matches. Matching follows the search grammar: every
word (or its singular/plural) must appear, phrases as adjacent words, authors as a name,
minus excluded words, within the categories, dates and minimum upvotes given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from scipy import sparse

from bot.models import Paper, Period
from bot.ranking.columns import Columns
from bot.ranking.trending import trending_scores
from bot.search.query import Query
from bot.search.spelling import spelling_forms
from bot.text import plural_forms, tokenize

__all__ = ["Window"]

# Papers indexed per step (``Window.index``): a step's longest C call takes 15-20 ms here.
_CHUNK = 400


@dataclass(frozen=True, slots=True)
class _Word:
    """Where a word (any of its forms) occurs: rows in increasing order, its mentions
    in the title and abstract (at most 3), and whether the title has it."""

    rows: np.ndarray
    mentions: np.ndarray
    in_title: np.ndarray


_NOWHERE = _Word(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))


class Window:
    """Papers indexed by token: ``select`` answers a topic query over them.

    Rows follow the order papers were given in (``ids``). ``columns`` is the token ->
    column map to add this window's tokens to (a new one by default). ``trend`` is each
    paper's trending score by id (:func:`~bot.ranking.trending.trending_scores`, with the
    growth its builder read from the upvote history; a paper missing scores 0). Without
    it, the papers are scored over the week to the newest of their days with no history,
    as papers first seen in the window (every upvote is growth). Rankings read ``trend``
    (one score per row).
    """

    def __init__(
        self,
        papers: Iterable[Paper],
        *,
        columns: Columns | None = None,
        trend: Mapping[str, float] | None = None,
    ) -> None:
        self.papers: dict[str, Paper] = {p.id: p for p in papers}
        self.ids: list[str] = list(self.papers)
        self.row: dict[str, int] = {pid: r for r, pid in enumerate(self.ids)}
        self.columns: Columns = Columns() if columns is None else columns
        # Results derived from these papers that callers compute once per window (the
        # trending order, say), by a key of their choosing.
        self.memo: dict[Hashable, Any] = {}
        self._indexed = False
        self._names_matrix: sparse.csc_array | None = None
        self._authors: list[list[tuple[str, ...]]] | None = None
        self._word_sets: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._words: dict[str, _Word] = {}
        self._masks: dict[AbstractSet[str], np.ndarray] = {}
        self._categories: dict[str, list[int]] | None = None
        self._category_masks: dict[str, np.ndarray] = {}
        self._upvotes = np.array([p.upvotes or 0 for p in self.papers.values()], np.int64)
        self._days = np.array(
            [p.day.toordinal() if p.day else -1 for p in self.papers.values()], np.int64
        )
        if trend is None:
            end = max((p.day for p in self.papers.values() if p.day), default=dt.date.min)
            trend = trending_scores(self.papers.values(), {}, end=end, period=Period.WEEK)
        self.trend: np.ndarray = np.array([trend.get(pid, 0.0) for pid in self.ids])

    def __len__(self) -> int:
        return len(self.papers)

    # -- the index ---------------------------------------------------------------------

    def index(self) -> None:
        """Tokenize the papers into the count matrices ``text``, ``title`` and
        ``keywords`` (``width`` columns), once; matching does it on first use, as a query
        without words needs no tokens at all.

        :data:`_CHUNK` papers at a time: a worker thread indexing a window holds the GIL
        for each step's C calls, and the event loop's thread runs between them."""
        if self._indexed:
            return
        self._indexed = True
        papers = list(self.papers.values())
        self._titles, self._texts = [], []
        keywords: list[list[str]] = []
        for start in range(0, len(papers), _CHUNK):
            chunk = papers[start : start + _CHUNK]
            titles = [tokenize(p.title) for p in chunk]
            self._titles += titles
            self._texts += [t + tokenize(p.abstract) for t, p in zip(titles, chunk, strict=True)]
            keywords += [tokenize(" ".join(p.ai_keywords)) for p in chunk]
            self._add_columns(chain.from_iterable(self._texts[start:]))
            self._add_columns(chain.from_iterable(keywords[start:]))
        self.width = len(self.columns)
        self.text = self._counts(self._texts)
        self.title = self._counts(self._titles)
        self.keywords = self._counts(keywords)

    def _add_columns(self, tokens: Iterable[str]) -> None:
        # Sorted, so a window's columns do not depend on the order of a set.
        for token in sorted(set(tokens).difference(self.columns)):
            self.columns[token] = len(self.columns)

    def _counts(self, tokens: Sequence[list[str]]) -> sparse.csc_array:
        """Papers x tokens: how often each paper has each token, :data:`_CHUNK` papers
        at a time (see ``index``)."""
        width = len(self.columns)
        parts = []
        for start in range(0, len(tokens), _CHUNK):
            chunk = tokens[start : start + _CHUNK]
            flat = list(chain.from_iterable(chunk))
            cols = np.fromiter(map(self.columns.__getitem__, flat), np.int64, len(flat))
            rows = np.repeat(np.arange(len(chunk)), [len(ts) for ts in chunk])
            ones = np.ones(len(flat), np.int64)
            # Repeated (row, column) pairs add up: the counts.
            parts.append(sparse.csr_array((ones, (rows, cols)), shape=(len(chunk), width)))
        if not parts:
            return sparse.csc_array((0, width), dtype=np.int64)
        return sparse.vstack(parts, format="csc")

    @property
    def _names(self) -> sparse.csc_array:
        """Papers x tokens of their authors' names: matching alone needs them."""
        if self._names_matrix is None:
            self.index()
            names = [[t for a in authors for t in a] for authors in self._author_tokens()]
            self._add_columns(chain.from_iterable(names))
            self._names_matrix = self._counts(names)
        return self._names_matrix

    def _author_tokens(self) -> list[list[tuple[str, ...]]]:
        if self._authors is None:
            self._authors = [[tuple(tokenize(a)) for a in p.authors] for p in self.papers.values()]
        return self._authors

    def _column_rows(self, matrix: sparse.csc_array, token: str) -> tuple[np.ndarray, np.ndarray]:
        col = self.columns.get(token, matrix.shape[1])
        if col >= matrix.shape[1]:
            return _NOWHERE.rows, _NOWHERE.mentions
        start, end = matrix.indptr[col], matrix.indptr[col + 1]
        return matrix.indices[start:end], matrix.data[start:end]

    def _word(self, word: str) -> _Word:
        found = self._words.get(word)
        if found is None:
            found = self._words[word] = self._find(word)
        return found

    def _find(self, word: str) -> _Word:
        forms = _forms(word)
        text = [self._column_rows(self.text, f) for f in forms]
        text = [(rows, counts) for rows, counts in text if len(rows)]
        named = [self._column_rows(self._names, f)[0] for f in forms]
        named = [rows for rows in named if len(rows)]
        if len(text) == 1 and not named:
            # The common case: one spelling, in no author's name. A column's rows are
            # already in increasing order.
            rows, mentions = text[0]
        else:
            text_rows = np.concatenate([r for r, _ in text] or [_NOWHERE.rows])
            rows = np.unique(np.concatenate([text_rows, *named]))
            if not len(rows):
                return _NOWHERE
            mentions = np.zeros(len(rows), np.int64)
            counts = np.concatenate([c for _, c in text] or [_NOWHERE.mentions])
            np.add.at(mentions, np.searchsorted(rows, text_rows), counts)
        titled = [self._column_rows(self.title, f)[0] for f in forms]
        in_title = np.zeros(len(rows), bool)
        for found in titled:
            # Title tokens are text tokens: each title row is among ``rows``.
            in_title[np.searchsorted(rows, found)] = True
        return _Word(rows, np.minimum(mentions, 3), in_title)

    def _having(self, token: str) -> np.ndarray:
        """Rows whose text or authors have exactly ``token``."""
        self.index()
        rows = [self._column_rows(m, token)[0] for m in (self.text, self._names)]
        return np.union1d(*rows)

    def words(self, paper_id: str) -> tuple[frozenset[str], frozenset[str]]:
        """The tokens of a paper's title, and of its title and abstract."""
        found = self._word_sets.get(paper_id)
        if found is None:
            self.index()
            r = self.row[paper_id]
            found = self._word_sets[paper_id] = (
                frozenset(self._titles[r]),
                frozenset(self._texts[r]),
            )
        return found

    def _mask(self, ids: AbstractSet[str]) -> np.ndarray:
        mask = self._masks.get(ids) if isinstance(ids, frozenset) else None
        if mask is None:
            mask = np.zeros(len(self.ids), bool)
            mask[[self.row[i] for i in ids if i in self.row]] = True
            if isinstance(ids, frozenset):
                self._masks[ids] = mask
        return mask

    # -- matching ----------------------------------------------------------------------

    def select(
        self,
        query: Query,
        *,
        among: AbstractSet[str] | None = None,
        exclude: AbstractSet[str] = frozenset(),
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rows matching ``query`` (``among`` those ids, none in ``exclude``) in
        increasing order, and their relevance (for a query without words, 1 for a match
        of its authors and 0 for none)."""
        words = list(query.terms) + [t for p in query.phrases for t in p]
        names = [t for name in query.authors for t in name]
        if words or names:
            self.index()
            found = [self._word(w) for w in words]
            # Start from the rarest word: the rest only narrows it.
            sets = sorted([w.rows for w in found] + [self._having(t) for t in names], key=len)
            rows = sets[0]
            for other in sets[1:]:
                rows = np.intersect1d(rows, other, assume_unique=True)
        else:
            found = []
            rows = np.arange(len(self.ids))
        rows = self.allowed(rows, query, among=among, exclude=exclude)
        if query.excluded:
            for term in query.excluded:
                rows = np.setdiff1d(rows, self._having(term), assume_unique=True)
        if query.phrases or query.authors:
            rows = np.array([r for r in rows.tolist() if self._fits(r, query)], np.int64)
        if not words:
            # Matching an author's name is all the relevance such a query has: each
            # match fully (a reader following an author wants every one of theirs).
            return rows, np.full(len(rows), 1.0 if names else 0.0)
        in_title = np.zeros(len(rows))
        mentions = np.zeros(len(rows))
        for w in found:
            at = np.searchsorted(w.rows, rows)
            in_title += w.in_title[at]
            # More mentions in the text count, with diminishing returns.
            mentions += w.mentions[at]
        k = len(words)
        return rows, 0.7 * in_title / k + 0.3 * np.minimum(1.0, mentions / (3 * k))

    def allowed(
        self,
        rows: np.ndarray,
        query: Query,
        *,
        among: AbstractSet[str] | None = None,
        exclude: AbstractSet[str] = frozenset(),
    ) -> np.ndarray:
        """Those of ``rows`` (in their order) that the query's filters allow (categories,
        dates, minimum upvotes), ``among`` those ids and none in ``exclude``."""
        if among is not None:
            rows = rows[self._mask(among)[rows]]
        if exclude:
            rows = rows[~self._mask(exclude)[rows]]
        if query.min_upvotes is not None:
            rows = rows[self._upvotes[rows] >= query.min_upvotes]
        if query.since or query.until:
            days = self._days[rows]
            low = query.since.toordinal() if query.since else 0
            high = query.until.toordinal() if query.until else days.max(initial=0)
            rows = rows[(days >= low) & (days <= high)]
        if query.categories:
            rows = rows[np.logical_or.reduce([self._category(c) for c in query.categories])[rows]]
        return rows

    def _category(self, wanted: str) -> np.ndarray:
        """Rows in category ``wanted`` or under it (``cs`` holds ``cs.CL``)."""
        if self._categories is None:
            self._categories = {}
            for row, paper in enumerate(self.papers.values()):
                for category in paper.categories:
                    parts = category.split(".")
                    for n in range(1, len(parts) + 1):
                        self._categories.setdefault(".".join(parts[:n]), []).append(row)
        mask = self._category_masks.get(wanted)
        if mask is None:
            mask = self._category_masks[wanted] = np.zeros(len(self.ids), bool)
            mask[self._categories.get(wanted, [])] = True
        return mask

    def _fits(self, row: int, query: Query) -> bool:
        # The filters that need the paper's tokens: phrases and authors.
        return all(_contains(self._texts[row], phrase) for phrase in query.phrases) and all(
            any(_contains(a, name) for a in self._author_tokens()[row]) for name in query.authors
        )


def _contains(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    first = phrase[0]
    return any(
        tokens[i] == first and tuple(tokens[i : i + n]) == tuple(phrase)
        for i in range(len(tokens) - n + 1)
    )


def _forms(word: str) -> tuple[str, ...]:
    """The spellings a topic's word matches: itself, singular or plural, and British or
    American (a "normalisation" digest gets the "normalization" papers), as search does."""
    return tuple(dict.fromkeys((*plural_forms(word), *spelling_forms(word))))
