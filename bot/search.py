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

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from bot.models import Paper
from bot.query import Query
from bot.store.base import PaperStore, TextQuery
from bot.text import STOPWORDS, tokenize

__all__ = ["Hit", "Plan", "corrections", "plan", "rerank", "run_search", "variants"]

CANDIDATES = 120
# Words so common that OR-ing them finds everything and ranks nothing.
_COMMON_SHARE = 0.15
_MIN_TYPO_LEN = 4


@dataclass(frozen=True, slots=True)
class Hit:
    paper: Paper
    score: float
    matched: tuple[str, ...] = ()  # query words the paper contains


def corrections(term: str, vocabulary: Mapping[str, int], *, limit: int = 3) -> tuple[str, ...]:
    """Indexed words that ``term`` was probably meant to be (empty when it is known)."""
    if term in vocabulary or len(term) < _MIN_TYPO_LEN or term.isdigit():
        return ()
    # One or two edits for a word this long: ratio >= 80 for 5+ letters, >= 75 for 4.
    cutoff = 75 if len(term) == 4 else 80
    matches = process.extract(
        term,
        _words_of_length(vocabulary, len(term)),
        scorer=fuzz.ratio,
        score_cutoff=cutoff,
        limit=limit * 3,
    )
    # Among equally close spellings, prefer the one more papers use.
    ranked = sorted(matches, key=lambda m: (-m[1], -vocabulary.get(m[0], 0)))
    return tuple(word for word, _score, _ in ranked[:limit])


def variants(term: str, vocabulary: Mapping[str, int]) -> tuple[str, ...]:
    """Indexed singular/plural forms of ``term`` (``robots`` -> ``robot``): the index
    does not stem, so a topic typed in the plural still finds the singular."""
    if len(term) < 3 or term.isdigit():
        return ()
    forms = {term + "s", term + "es"}
    if term.endswith("s"):
        forms.add(term[:-1])
    if term.endswith("es"):
        forms.add(term[:-2])
    if term.endswith("ies"):
        forms.add(term[:-3] + "y")
    if term.endswith("y"):
        forms.add(term[:-1] + "ies")
    return tuple(sorted(f for f in forms if f != term and f in vocabulary))


# The last vocabulary seen and its words by length. Holding the vocabulary itself (not
# its id) means a new vocabulary after a write can never be mistaken for the old one.
_buckets: tuple[Mapping[str, int], dict[int, list[str]]] | None = None


def _words_of_length(vocabulary: Mapping[str, int], length: int) -> list[str]:
    # A typo of one or two edits changes a word's length by at most two.
    global _buckets
    if _buckets is None or _buckets[0] is not vocabulary:
        by_length: dict[int, list[str]] = {}
        for word in vocabulary:
            if not word.isdigit():
                by_length.setdefault(len(word), []).append(word)
        _buckets = (vocabulary, by_length)
    by_length = _buckets[1]
    return [w for n in range(length - 2, length + 3) for w in by_length.get(n, ())]


@dataclass(frozen=True, slots=True)
class Plan:
    """The full-text queries to try, strictest first, and the spellings each word allows."""

    stages: tuple[TextQuery, ...]
    alternatives: Mapping[str, tuple[str, ...]]


def plan(query: Query, vocabulary: Mapping[str, int], total_papers: int) -> Plan:
    """Decide how to ask the full-text index for ``query`` (see the module docstring)."""
    filters = {
        "authors": query.authors,
        "excluded": query.excluded,
        "categories": query.categories,
        "since": query.since,
        "until": query.until,
        "min_upvotes": query.min_upvotes,
        "phrases": query.phrases,
    }
    alternatives: dict[str, tuple[str, ...]] = {}
    groups: list[tuple[str, ...]] = []
    prefix: tuple[str, ...] = ()
    for i, term in enumerate(query.terms):
        if query.open_ended and i == len(query.terms) - 1:
            alternatives[term] = (term,)
            # A word still being typed matches as a prefix, once it says enough: "in"*
            # would expand to thousands of index terms for nothing.
            if len(term) >= 3 and term not in STOPWORDS:
                prefix = (term,)
            continue
        group = (term, *corrections(term, vocabulary), *variants(term, vocabulary))
        alternatives[term] = group
        if term not in STOPWORDS:
            groups.append(group)

    def df(group: tuple[str, ...]) -> int:
        return sum(vocabulary.get(t, 0) for t in group)

    # Rare words first: they say most about which paper is meant, and they are cheap to
    # intersect. A word in a large share of papers narrows little and costs a long
    # doclist, so when rarer words exist only the five rarest are required (re-ranking
    # still weighs every word).
    groups.sort(key=df)
    common = max(50, total_papers * _COMMON_SHARE)
    rare = [g for g in groups if df(g) < common]
    required = (rare or groups)[:5]
    if prefix:
        required.append(prefix)
    stages = [TextQuery(groups=tuple(required), prefix_last=bool(prefix), **filters)]
    if rare and (len(rare) > 1 or prefix or query.phrases):
        loose = replace(stages[0], groups=tuple(rare[:8]), phrases=(), prefix_last=False)
        if query.phrases or query.authors:
            # Phrases and authors stay required; only the words loosen.
            loose = replace(loose, groups=(tuple(t for g in rare[:8] for t in g),))
        else:
            loose = replace(loose, match_any=True)
        stages.append(loose)
    return Plan(tuple(stages), alternatives)


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
    q_text = " ".join(tokenize(query.text)) or " ".join(wanted)
    best_bm25 = max((score for _, score in candidates), default=0.0) or 1.0
    hits = []
    for paper, bm25 in candidates:
        title = " ".join(tokenize(paper.title))
        words = set(tokenize(f"{paper.title} {paper.abstract} {' '.join(paper.authors)}"))
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
            0.45 * title_sim
            + 0.25 * coverage
            + 0.22 * max(bm25, 0.0) / best_bm25
            + 0.08 * min(popularity, 1.0)
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
    chosen = plan(query, vocabulary, total)
    for stage in chosen.stages:
        for pid, score in await store.text_search(stage, limit=CANDIDATES):
            found.setdefault(pid, score)
        if len(found) >= max(limit, 20):
            break
    papers = await store.get_papers(list(found))
    candidates = ((papers[pid], score) for pid, score in found.items() if pid in papers)
    hits = rerank(query, candidates, chosen.alternatives)
    return hits[:limit]
