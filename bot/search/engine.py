"""Hybrid search: FTS5 finds candidates, rapidfuzz rescues typos and re-ranks.

The plan, in order, stopping once there are enough candidates:

1. every word must match in a title or the authors (the last one also as a prefix while
   it is being typed), each in any of its spellings (:mod:`bot.search.spelling`);
   stopwords are not required, unless the query has nothing else;
2. only when step 1 found more papers than there is room for: the same with the
   stopwords typed too (the exact title), and the whole query as one author's name;
3. for a sentence-long query no title found reads like: the query as a phrase anywhere
   (remembered from an abstract), its runs of words between stopwords, then those runs
   as close together as typed; when papers hold it, that is all;
4. every word but one in titles, then every rare word anywhere, then any of the rarest
   words in titles, for a half-remembered title with a wrong word.

Each asks the store for unscored matches (:class:`TextQuery`): the store need not weigh
them when they all fit, nor weigh more than a few hundred, since BM25 over every match
and a common word's whole doclist is what costs most at a million papers.

Candidates are then re-ranked by how well the title matches the whole query (rapidfuzz),
the share of the query the paper contains (each word weighed by its rarity, so a typo
of a rare title word outweighs a common word typed exactly), query words side by side
in the paper, their BM25 relevance, an author's full name and, a little, upvotes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from bot.models import Paper
from bot.search.query import Query
from bot.search.scoring import Hit, rerank
from bot.search.spelling import corrections, find_corrections, search_words, variants
from bot.store.port import PaperStore, TextQuery
from bot.text import STOPWORDS, tokenize

__all__ = ["Hit", "Plan", "plan", "rerank", "run_search"]

CANDIDATES = 60
# Words so common that OR-ing them finds everything and ranks nothing.
_COMMON_SHARE = 0.15
# Stopwords in fewer papers than this say something about a title ("without", "how").
_TELLING_SHARE = 0.25
# Longer queries are not taken for a person's name.
_MAX_NAME_WORDS = 4
# From this many words on, a query may be a phrase remembered from an abstract.
_SENTENCE_WORDS = 5


@dataclass(frozen=True, slots=True)
class Plan:
    """The full-text queries to try, strictest first, the spellings each word allows and
    how much each word says about the paper meant (its IDF, over all its spellings)."""

    stages: tuple[TextQuery, ...]
    alternatives: Mapping[str, tuple[str, ...]]
    # Stages worth running only while nothing at all has been found.
    rescues: frozenset[int] = frozenset()
    # Stages worth running only when the last other stage was cut off at the candidate
    # limit: narrower asks for the papers it had no room for.
    narrowings: frozenset[int] = frozenset()
    # Stages worth running only while no title found reads like the query; when they
    # find papers, no later stage runs.
    quotes: frozenset[int] = frozenset()
    # Stages whose every paper holds each word of the query in its title or authors.
    answers: frozenset[int] = frozenset()
    # Stages asking for the query as one author's name: worth running only when a paper
    # found has two of its words side by side in one author's name.
    names: frozenset[int] = frozenset()
    weights: Mapping[str, float] = field(default_factory=dict)


def plan(
    query: Query,
    vocabulary: Mapping[str, int],
    total_papers: int,
    typos: Mapping[str, tuple[str, ...]] | None = None,
) -> Plan:
    """Decide how to ask the full-text index for ``query`` (see the module docstring).

    ``typos`` holds each query word's spelling corrections when they were looked up
    already (``run_search`` asks the store); without it they come from ``vocabulary``.
    """
    # Every stage filters alike; they differ in their words and where they look.
    filters = TextQuery(
        authors=query.authors,
        excluded=query.excluded,
        categories=query.categories,
        since=query.since,
        until=query.until,
        min_upvotes=query.min_upvotes,
        phrases=query.phrases,
        unscored=True,
    )
    alternatives: dict[str, tuple[str, ...]] = {}
    groups: list[tuple[str, ...]] = []
    stopwords: list[tuple[str, ...]] = []
    prefix: tuple[str, ...] = ()
    for i, term in enumerate(query.terms):
        fixes = typos.get(term, ()) if typos is not None else corrections(term, vocabulary)
        group = tuple(dict.fromkeys((term, *fixes, *variants(term, vocabulary))))
        alternatives[term] = group
        if query.open_ended and i == len(query.terms) - 1 and term not in vocabulary:
            # A word still being typed matches as a prefix (or as a typo) once it says
            # enough: "in"* would expand to thousands of index terms for nothing.
            if len(term) >= 3 and term not in STOPWORDS:
                prefix = group
        elif term in STOPWORDS:
            stopwords.append(group)
        else:
            groups.append(group)
    if not groups and not prefix:
        # Nothing but stopwords ("What Is This?"): they are the title, ask for them.
        groups, stopwords = stopwords, []

    def df(group: tuple[str, ...]) -> int:
        return sum(vocabulary.get(t, 0) for t in group)

    # Rare words first: they say most about which paper is meant and are cheap to
    # intersect.
    groups.sort(key=df)
    tail = [prefix] if prefix else []
    stages: list[TextQuery] = []
    rescues = set()
    narrowings = set()
    quotes = set()
    answers = set()
    names = set()
    if groups and not query.phrases:
        # Most searches name a paper by its title or authors. The small titles index
        # can afford every word; then every word but one, for a misremembered word.
        in_titles = replace(
            filters,
            groups=tuple(groups[:8] + tail),
            prefix_last=bool(prefix),
            columns=("title", "authors"),
        )
        answers.add(len(stages))
        stages.append(in_titles)
        # When more titles have those words than there is room for, the one meant may
        # be left out: ask again for titles with the telling stopwords typed too
        # ("without", "beyond", "how": the exact title), and for the query as an
        # author's name. "the" or "of" would cost long doclists to narrow hardly at all.
        telling = [g for g in stopwords if df(g) < total_papers * _TELLING_SHARE]
        if telling:
            narrowings.add(len(stages))
            answers.add(len(stages))
            stages.append(replace(in_titles, groups=tuple(groups[:8] + telling[:4] + tail)))
        if _could_be_a_name(query, vocabulary):
            narrowings.add(len(stages))
            answers.add(len(stages))
            names.add(len(stages))
            name = (*query.authors, query.terms)
            stages.append(replace(filters, authors=name, columns=("title", "authors")))
        if len(query.terms) >= _SENTENCE_WORDS:
            # The words as typed, in order, find the few papers holding them where the
            # rare words alone find thousands. First without the stopwords, whose
            # positions FTS5 would read in nearly every paper the other words are in
            # (2-6 times the cost at 1M papers); only when that finds more papers than
            # there is room for, its runs as close as the query has them.
            tokens = tuple(tokenize(query.text))
            runs = [
                [*run]
                for stop, run in itertools.groupby(enumerate(tokens), lambda t: t[1] in STOPWORDS)
                if not stop
            ]
            pieces = tuple(tuple(t for _, t in run) for run in runs)
            whole = replace(filters, phrases=(tokens,))
            if pieces and pieces != (tokens,):
                # Unranked: when it finds too many, the whole phrase follows.
                quotes.add(len(stages))
                stages.append(replace(filters, phrases=pieces, unranked=True))
                narrowings.add(len(stages))
                if len(pieces) > 1:
                    # Its runs as many words apart as the stopwords between them: the
                    # stopwords' positions (a, for, and) are what FTS5 reads longest.
                    apart = runs[-1][0][0] - runs[0][-1][0] - 1
                    whole = replace(filters, phrases=pieces, near=apart)
            quotes.add(len(stages))
            stages.append(whole)
        # Every word but one, of the four rarest: the papers with every word but one of
        # the whole query are among them, and each of the (k-1)-word ANDs FTS5 ORs
        # reads the doclists of its words again (8 of 7 words took 30 ms at 1M papers).
        rarest = tuple(groups[:4] + tail)
        if len(rarest) >= 3:
            rescues.add(len(stages))
            stages.append(replace(in_titles, groups=rarest, min_groups=len(rarest) - 1))
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
    # A word's weight is its rarity over all the spellings it stands for, so a typo of a
    # rare word counts for as much as the rare word itself.
    n = total_papers + 1
    words = [*query.terms, *(t for p in query.phrases for t in p)]
    weights = {
        t: math.log(n / (df(alternatives.get(t, (t,))) + 1)) + 1.0 for t in dict.fromkeys(words)
    }
    return Plan(
        tuple(stages),
        alternatives,
        frozenset(rescues),
        frozenset(narrowings),
        frozenset(quotes),
        frozenset(answers),
        frozenset(names),
        weights,
    )


def _could_be_a_name(query: Query, vocabulary: Mapping[str, int]) -> bool:
    """Whether the query's words could all be one person's name: two to four words,
    each a known word of letters (a name has no digits) and none a stopword ("in large
    language models" is not a name, and asking cost 10-38 ms at 1M papers)."""
    terms = query.terms
    return (
        2 <= len(terms) <= _MAX_NAME_WORDS
        and not query.phrases
        and all(t.isalpha() and t in vocabulary and t not in STOPWORDS for t in terms)
    )


async def run_search(store: PaperStore, query: Query, *, limit: int = 50) -> list[Hit]:
    """Search ``store`` for ``query`` and return up to ``limit`` hits, best first."""
    if query.arxiv_id:
        paper = await store.get_paper(query.arxiv_id.id)
        return [Hit(paper, 1.0)] if paper else []
    if query.is_empty:
        return []
    # The counts of the words the plan weighs, read by index: never the whole vocabulary.
    words = {w for t in query.terms for w in search_words(t)}
    words.update(t for phrase in query.phrases for t in phrase)
    counts = await store.term_counts(words)
    total = await store.count_papers()
    found: dict[str, None] = {}  # in the order found
    papers: dict[str, Paper] = {}
    typos: dict[str, tuple[str, ...]] = {}
    for term in query.terms:
        fixes = await find_corrections(store, term, counts)
        counts.update(fixes)
        typos[term] = tuple(fixes)
    chosen = plan(query, counts, total, typos)
    cut_off = enough = named = False
    for i, stage in enumerate(chosen.stages):
        if i in chosen.quotes and named:
            continue
        if i in chosen.narrowings:
            if not cut_off or (i in chosen.names and not _name_like(query, papers.values())):
                continue
        elif enough:
            break
        elif i in chosen.rescues and found:
            continue
        fill = named and i not in chosen.narrowings
        if fill and len(query.terms) >= _SENTENCE_WORDS:
            # A title reads like a sentence-long query: the paper it names is found, and
            # papers with five of its words anywhere say little besides (asking cost
            # 10-26 ms at 1M-2.5M papers when few or none hold them all).
            break
        if fill:
            # Found what the query names: later stages only fill the page.
            stage = replace(stage, unranked=True)
        results = await store.text_search(stage, limit=max(limit, 10) if fill else CANDIDATES)
        if i not in chosen.narrowings:
            cut_off = len(results) >= CANDIDATES
        found.update(dict.fromkeys(pid for pid, _ in results))
        papers.update(await store.get_papers([pid for pid, _ in results if pid not in papers]))
        # Enough candidates to fill the page: later stages are slower and looser. But when
        # a sentence-long query reads like none of the titles found, it is probably a
        # phrase remembered from an abstract: go on to the full index.
        sentence = len(query.terms) >= _SENTENCE_WORDS and stage.columns == ("title", "authors")
        # Found what the query names: a title that reads like it, or for a short query
        # any paper with all its words in the title or authors (a sentence-long one may
        # be a phrase from an abstract instead).
        named = (
            named
            or (i in chosen.answers and bool(results) and len(query.terms) < _SENTENCE_WORDS)
            or _title_like(query, papers.values())
        )
        enough = (i in chosen.quotes and bool(results)) or (
            len(found) >= max(limit, 10) and not (sentence and not named)
        )
    candidates = (papers[pid] for pid in found if pid in papers)
    hits = rerank(query, candidates, chosen.alternatives, chosen.weights)
    return hits[:limit]


def _name_like(query: Query, papers: Iterable[Paper]) -> bool:
    """Whether some paper has two of the query's words side by side in one author's
    name: else a name-long query of title words ("Wang Controllable Models") is not
    worth asking the index for as a name (10-20 ms at 1M-2.5M papers, for nothing)."""
    wanted = set(itertools.pairwise(query.terms))
    return any(
        pair in wanted
        for paper in papers
        for author in paper.authors
        for pair in itertools.pairwise(tokenize(author))
    )


def _title_like(query: Query, papers: Iterable[Paper]) -> bool:
    """Whether some title holds at least half of the query's word pairs, in order."""
    tokens = tokenize(query.text)
    wanted = set(itertools.pairwise(tokens))
    if not wanted:
        return True
    return any(
        len(wanted & set(itertools.pairwise(tokenize(p.title)))) * 2 >= len(wanted) for p in papers
    )
