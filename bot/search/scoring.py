"""Re-ranking search candidates: how well each paper fits the whole query."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.models import Paper
from bot.search.query import Query
from bot.text import tokenize

__all__ = ["Hit", "rerank"]

# Re-ranking weights, tuned on the known-item queries of bench/search_bench.py.
W_TITLE = 0.35
W_COVERAGE = 0.2
W_SEQUENCE = 0.2
W_BM25 = 0.17
W_POPULARITY = 0.08
# Only for a query that is (partly) an author's full name: the papers they wrote come
# before those that mention them.
W_NAME = 0.25

# BM25 as SQLite's full index weighs it (title 2, abstract 1, authors 1), over a paper's
# title, abstract and authors of about this many words together.
_K1 = 1.2
_B = 0.75
_COLUMN_WEIGHTS = (2.0, 1.0, 1.0)
_AVERAGE_WORDS = 200.0


@dataclass(frozen=True, slots=True)
class Hit:
    paper: Paper
    score: float
    matched: tuple[str, ...] = ()  # query words the paper contains


def rerank(
    query: Query,
    papers: Iterable[Paper],
    alternatives: Mapping[str, tuple[str, ...]] | None = None,
    weights: Mapping[str, float] | None = None,
) -> list[Hit]:
    """Order candidate papers for ``query``, best first.

    ``alternatives`` maps a query word to the spellings that count for it (its typo
    corrections, plural forms and British/American spellings, as ``plan`` chose them);
    ``weights`` says how much each word counts towards the share of the query a paper
    contains (its IDF, as ``plan`` weighed it; 1 each by default) and in its BM25.

    BM25 is reckoned here, not taken from the store: candidates come from several
    full-text queries, each scored (when at all) over its own words and index.
    """
    candidates = list(papers)
    if not candidates:
        return []
    alternatives = alternatives or {}
    wanted = list(dict.fromkeys([*query.terms, *(t for p in query.phrases for t in p)]))
    weight = {t: (weights or {}).get(t, 1.0) for t in wanted}
    total_weight = sum(weight.values())
    prefix = query.terms[-1] if query.open_ended and query.terms else None
    q_tokens = tokenize(query.text) or wanted
    columns = [
        (tokenize(p.title), tokenize(p.abstract), tokenize(" ".join(p.authors))) for p in candidates
    ]
    relevance = [_bm25(wanted, alternatives, weight, *c) for c in columns]
    best_bm25 = max(relevance, default=0.0) or 1.0
    hits = []
    for paper, bm25, (title_tokens, abstract_tokens, author_tokens) in zip(
        candidates, relevance, columns, strict=True
    ):
        title = " ".join(title_tokens)
        words = {*title_tokens, *abstract_tokens, *author_tokens}
        forms: dict[str, str] = {}
        for term in wanted:
            form = next((a for a in alternatives.get(term, (term,)) if a in words), None)
            if form is None and term == prefix:
                form = next((w for w in words if w.startswith(term)), None)
            if form is not None:
                forms[term] = form
        coverage = sum(weight[t] for t in forms) / total_weight if wanted else 1.0
        # Word pairs of the query found side by side in the paper, as the paper spells
        # them ("without normalisation" is "without normalization" there): an exact
        # title, a phrase remembered from the abstract or an author's full name score 1.
        spelled = [forms.get(t, t) for t in q_tokens]
        q_pairs = set(itertools.pairwise(spelled))
        sequence = name = 0.0
        if q_pairs:
            pairs = set(itertools.pairwise(title_tokens))
            pairs.update(itertools.pairwise(abstract_tokens))
            in_names = _name_pairs(paper.authors, q_pairs & set(itertools.pairwise(author_tokens)))
            sequence = len(q_pairs & (pairs | in_names)) / len(q_pairs)
            name = _name_share(spelled, paper.authors, in_names)
        title_sim = _title_similarity(" ".join(q_tokens), title)
        popularity = math.log1p(paper.upvotes or 0) / math.log1p(500)
        score = (
            W_TITLE * title_sim
            + W_COVERAGE * coverage
            + W_SEQUENCE * sequence
            + W_BM25 * bm25 / best_bm25
            + W_POPULARITY * min(popularity, 1.0)
            + W_NAME * name
        )
        hits.append(Hit(paper, score, tuple(forms.values())))
    hits.sort(key=lambda h: (-h.score, -(h.paper.upvotes or 0), h.paper.id))
    return hits


def _bm25(
    wanted: Iterable[str],
    alternatives: Mapping[str, tuple[str, ...]],
    weight: Mapping[str, float],
    *columns: list[str],
) -> float:
    """Okapi BM25 of a paper (its title, abstract and authors tokens) for the query words
    in any of their spellings, each weighed by its IDF."""
    words = sum(map(len, columns))
    norm = _K1 * (1 - _B + _B * words / _AVERAGE_WORDS)
    counts = [Counter(tokens) for tokens in columns]
    score = 0.0
    for term in wanted:
        for form in alternatives.get(term, (term,)):
            f = sum(w * c[form] for w, c in zip(_COLUMN_WEIGHTS, counts, strict=True))
            if f:
                score += weight[term] * f * (_K1 + 1) / (f + norm)
    return score


def _name_pairs(authors: Iterable[str], candidates: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Those of ``candidates`` (word pairs found side by side in the list of authors)
    that are inside one author's name, not across two ("Wei Li, Zhang San")."""
    if not candidates:
        return set()
    return {p for a in authors for p in itertools.pairwise(tokenize(a)) if p in candidates}


def _name_share(
    tokens: list[str], authors: Iterable[str], name_pairs: set[tuple[str, str]]
) -> float:
    """The share of the query that is an author's name, times the share of that name the
    query holds: its longest run of two or more words that follow each other in one
    author's name ("yang liu" is all of Yang Liu's name, two thirds of Shih-Yang Liu's)."""
    best = 0.0
    for author in authors if name_pairs else ():
        name = tokenize(author)
        pairs = set(itertools.pairwise(name))
        if not pairs & name_pairs:
            continue
        longest = run = 0
        for pair in itertools.pairwise(tokens):
            run = run + 1 if pair in pairs else 0
            longest = max(longest, run)
        best = max(best, (longest + 1) ** 2 / (len(tokens) * len(name)))
    return best


def _title_similarity(query: str, title: str) -> float:
    if not title:
        return 0.0
    whole = fuzz.ratio(query, title)
    # token_set_ratio forgives missing words (a partial title) but would give a
    # one-word query 100 against any title containing it; weigh it by query length.
    subset = fuzz.token_set_ratio(query, title) * min(1.0, len(query) / 25)
    return max(whole, subset) / 100.0
