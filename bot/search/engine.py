"""Hybrid search: FTS5 finds candidates, rapidfuzz rescues typos and re-ranks.

The plan, in order, stopping once there are enough candidates:

1. every word must match (the last one also as a prefix while it is being typed), and a
   word the index has never seen is replaced by its closest indexed spellings;
2. any of the informative words may match (rare words first), so a half-remembered
   title with a wrong word still finds its paper.

Candidates are then re-ranked by how well the title matches the whole query (rapidfuzz),
how many query words the paper contains, their BM25 relevance and, a little, upvotes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.models import Paper
from bot.search.query import Query
from bot.store.port import PaperStore, TextQuery
from bot.text import STOPWORDS, plural_forms, tokenize

__all__ = ["Hit", "Plan", "corrections", "plan", "rerank", "run_search", "variants"]

CANDIDATES = 60
# Words so common that OR-ing them finds everything and ranks nothing.
_COMMON_SHARE = 0.15
_MIN_TYPO_LEN = 4


# Re-ranking weights, tuned on the known-item queries of bench/search_bench.py.
W_TITLE = 0.35
W_COVERAGE = 0.2
W_SEQUENCE = 0.2
W_BM25 = 0.17
W_POPULARITY = 0.08


@dataclass(frozen=True, slots=True)
class Hit:
    paper: Paper
    score: float
    matched: tuple[str, ...] = ()  # query words the paper contains


def corrections(term: str, vocabulary: Mapping[str, int], *, limit: int = 3) -> tuple[str, ...]:
    """Indexed words that ``term`` was probably meant to be (empty when it is known).

    One edit for a word of four or five letters, two for longer ones; a swap of two
    neighbouring letters counts as one edit (optimal string alignment distance).
    """
    if term in vocabulary or len(term) < _MIN_TYPO_LEN or term.isdigit():
        return ()
    edits = 1 if len(term) <= 5 else 2
    matches = process.extract(
        term,
        _words_near_length(vocabulary, len(term), edits),
        scorer=OSA.distance,
        score_cutoff=edits,
        limit=None,
    )
    if not matches:
        return ()
    # Only the closest spellings; among those, the ones more papers use.
    closest = min(distance for _word, distance, _ in matches)
    ranked = sorted(
        (word for word, distance, _ in matches if distance == closest),
        key=lambda word: -vocabulary.get(word, 0),
    )
    return tuple(ranked[:limit])


def variants(term: str, vocabulary: Mapping[str, int]) -> tuple[str, ...]:
    """Indexed singular/plural forms of ``term`` (``robots`` -> ``robot``): the index
    does not stem, so a topic typed in the plural still finds the singular."""
    if len(term) < 3 or term.isdigit():
        return ()
    return tuple(sorted(f for f in plural_forms(term) if f != term and f in vocabulary))


# The last vocabulary seen and its words by length. Holding the vocabulary itself (not
# its id) means a new vocabulary after a write can never be mistaken for the old one.
_buckets: tuple[Mapping[str, int], dict[int, list[str]]] | None = None


def _words_near_length(vocabulary: Mapping[str, int], length: int, edits: int) -> list[str]:
    """Indexed words within ``edits`` letters of ``length``, leaving out one-off words.

    A word found in a single paper is more often a name or a typo in the paper than
    what someone meant to type; skipping them shrinks the list several times.
    """
    global _buckets
    if _buckets is None or _buckets[0] is not vocabulary:
        by_length: dict[int, list[str]] = {}
        for word, papers in vocabulary.items():
            if papers > 1 and not word.isdigit():
                by_length.setdefault(len(word), []).append(word)
        _buckets = (vocabulary, by_length)
    by_length = _buckets[1]
    return [w for n in range(length - edits, length + edits + 1) for w in by_length.get(n, ())]


@dataclass(frozen=True, slots=True)
class Plan:
    """The full-text queries to try, strictest first, and the spellings each word allows."""

    stages: tuple[TextQuery, ...]
    alternatives: Mapping[str, tuple[str, ...]]
    # Stages worth running only while nothing at all has been found.
    rescues: frozenset[int] = frozenset()


def plan(query: Query, vocabulary: Mapping[str, int], total_papers: int) -> Plan:
    """Decide how to ask the full-text index for ``query`` (see the module docstring)."""
    # Every stage filters alike; they differ in their words and where they look.
    filters = TextQuery(
        authors=query.authors,
        excluded=query.excluded,
        categories=query.categories,
        since=query.since,
        until=query.until,
        min_upvotes=query.min_upvotes,
        phrases=query.phrases,
    )
    alternatives: dict[str, tuple[str, ...]] = {}
    groups: list[tuple[str, ...]] = []
    prefix: tuple[str, ...] = ()
    for i, term in enumerate(query.terms):
        group = (term, *corrections(term, vocabulary), *variants(term, vocabulary))
        alternatives[term] = group
        if query.open_ended and i == len(query.terms) - 1 and term not in vocabulary:
            # A word still being typed matches as a prefix (or as a typo) once it says
            # enough: "in"* would expand to thousands of index terms for nothing.
            if len(term) >= 3 and term not in STOPWORDS:
                prefix = group
        elif term not in STOPWORDS:
            groups.append(group)

    def df(group: tuple[str, ...]) -> int:
        return sum(vocabulary.get(t, 0) for t in group)

    # Rare words first: they say most about which paper is meant and are cheap to
    # intersect.
    groups.sort(key=df)
    tail = [prefix] if prefix else []
    stages = []
    rescues = set()
    if groups and not query.phrases:
        # Most searches name a paper by its title or authors. The small titles index
        # can afford every word; then every word but one, for a misremembered word.
        in_titles = replace(
            filters,
            groups=tuple(groups[:8] + tail),
            prefix_last=bool(prefix),
            columns=("title", "authors"),
        )
        stages.append(in_titles)
        if len(in_titles.groups) >= 3:
            rescues.add(len(stages))
            stages.append(replace(in_titles, min_groups=len(in_titles.groups) - 1))
    # In the full index a word found in a large share of papers narrows little and
    # costs a long doclist, so only the five rarest words are required there.
    common = max(50, total_papers * _COMMON_SHARE)
    rare = [g for g in groups if df(g) < common] or groups
    stages.append(replace(filters, groups=tuple(rare[:5] + tail), prefix_last=bool(prefix)))
    if len(groups) + len(tail) > 1:
        # Last resort: any of the rarest words, in titles.
        rescues.add(len(stages))
        stages.append(
            replace(
                filters,
                groups=tuple(groups[:3] + tail),
                match_any=True,
                columns=("title", "authors"),
                phrases=(),
            )
        )
    return Plan(tuple(stages), alternatives, frozenset(rescues))


def rerank(
    query: Query,
    papers: Iterable[tuple[Paper, float]],
    alternatives: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Hit]:
    """Order candidates (paper, bm25) for ``query``, best first.

    ``alternatives`` maps a query word to the spellings that count for it (its typo
    corrections and plural forms, as ``plan`` chose them).
    """
    candidates = list(papers)
    if not candidates:
        return []
    alternatives = alternatives or {}
    wanted = list(dict.fromkeys([*query.terms, *(t for p in query.phrases for t in p)]))
    prefix = query.terms[-1] if query.open_ended and query.terms else None
    q_tokens = tokenize(query.text)
    q_text = " ".join(q_tokens) or " ".join(wanted)
    q_pairs = set(itertools.pairwise(q_tokens))
    best_bm25 = max((score for _, score in candidates), default=0.0) or 1.0
    hits = []
    for paper, bm25 in candidates:
        title_tokens = tokenize(paper.title)
        abstract_tokens = tokenize(paper.abstract)
        title = " ".join(title_tokens)
        words = {*title_tokens, *abstract_tokens, *tokenize(" ".join(paper.authors))}
        # Word pairs of the query found side by side in the paper: an exact title or a
        # phrase remembered from the abstract scores 1.
        sequence = 0.0
        if q_pairs:
            pairs = set(itertools.pairwise(title_tokens))
            pairs.update(itertools.pairwise(abstract_tokens))
            sequence = len(q_pairs & pairs) / len(q_pairs)
        matched = []
        for term in wanted:
            form = next((a for a in alternatives.get(term, (term,)) if a in words), None)
            if form is None and term == prefix:
                form = next((w for w in words if w.startswith(term)), None)
            if form is not None:
                matched.append(form)
        coverage = len(matched) / len(wanted) if wanted else 1.0
        title_sim = _title_similarity(q_text, title) if q_text else 0.0
        popularity = math.log1p(paper.upvotes or 0) / math.log1p(500)
        score = (
            W_TITLE * title_sim
            + W_COVERAGE * coverage
            + W_SEQUENCE * sequence
            + W_BM25 * max(bm25, 0.0) / best_bm25
            + W_POPULARITY * min(popularity, 1.0)
        )
        hits.append(Hit(paper, score, tuple(matched)))
    hits.sort(key=lambda h: (-h.score, -(h.paper.upvotes or 0), h.paper.id))
    return hits


def _title_similarity(query: str, title: str) -> float:
    if not title:
        return 0.0
    whole = fuzz.ratio(query, title)
    # token_set_ratio forgives missing words (a partial title) but would give a
    # one-word query 100 against any title containing it; weigh it by query length.
    subset = fuzz.token_set_ratio(query, title) * min(1.0, len(query) / 25)
    return max(whole, subset) / 100.0


async def run_search(store: PaperStore, query: Query, *, limit: int = 50) -> list[Hit]:
    """Search ``store`` for ``query`` and return up to ``limit`` hits, best first."""
    if query.arxiv_id:
        paper = await store.get_paper(query.arxiv_id.id)
        return [Hit(paper, 1.0)] if paper else []
    if query.is_empty:
        return []
    vocabulary = await store.vocabulary()
    total = await store.count_papers()
    found: dict[str, float] = {}
    papers: dict[str, Paper] = {}
    chosen = plan(query, vocabulary, total)
    for i, stage in enumerate(chosen.stages):
        if i in chosen.rescues and found:
            continue
        results = await store.text_search(stage, limit=CANDIDATES)
        for pid, score in results:
            found.setdefault(pid, score)
        papers.update(await store.get_papers([pid for pid, _ in results if pid not in papers]))
        # Enough candidates to fill the page: later stages are slower and looser. But when
        # a sentence-long query reads like none of the titles found, it is probably a
        # phrase remembered from an abstract: go on to the full index.
        sentence = len(query.terms) >= 5 and stage.columns == ("title", "authors")
        if len(found) >= max(limit, 10) and not (
            sentence and not _title_like(query, papers.values())
        ):
            break
    candidates = ((papers[pid], score) for pid, score in found.items() if pid in papers)
    hits = rerank(query, candidates, chosen.alternatives)
    return hits[:limit]


def _title_like(query: Query, papers: Iterable[Paper]) -> bool:
    """Whether some title holds at least half of the query's word pairs, in order."""
    tokens = tokenize(query.text)
    wanted = set(itertools.pairwise(tokens))
    if not wanted:
        return True
    return any(
        len(wanted & set(itertools.pairwise(tokenize(p.title)))) * 2 >= len(wanted) for p in papers
    )
