"""Known-item queries made from real papers: each names the one paper it was made from."""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.corpus import is_target_candidate
from bot.models import Paper
from bot.text import clean_text, tokenize

__all__ = ["KINDS", "KnownItem", "make_queries"]


# Words nobody picks to recall a title by.
_STOPWORDS = frozenset(
    {
        "with",
        "from",
        "into",
        "over",
        "under",
        "across",
        "through",
        "toward",
        "towards",
        "using",
        "based",
        "beyond",
        "without",
        "within",
        "more",
        "than",
        "what",
        "when",
        "does",
        "your",
        "this",
        "that",
    }
)


@dataclass(frozen=True, slots=True)
class KnownItem:
    """A query, the paper it names, and an FTS5 expression every paper that fits the
    query as well as the target matches (more than one: the query is ambiguous)."""

    kind: str
    text: str
    target: str
    evidence: str = ""


def _phrase_in(column: str, text: str) -> str:
    tokens = tokenize(text)
    return f'{column} : "{" ".join(tokens)}"' if tokens else ""


def _evidence(kind: str, text: str, paper: Paper) -> str:
    """What the query says about its paper, as FTS5 (see ``KnownItem``)."""
    if kind in ("exact", "typo"):
        return _phrase_in("title", paper.title)
    if kind == "partial":
        return _phrase_in("title", text)
    if kind == "phrase":
        return _phrase_in("abstract", text)
    surname, *words = text.split()
    title = " AND ".join(f'"{t}"' for w in words for t in tokenize(w))
    return f"{_phrase_in('authors_text', surname)} AND title : ({title})"


def _exact(paper: Paper, rng: random.Random) -> str | None:
    return clean_text(paper.title)


def _partial(paper: Paper, rng: random.Random) -> str | None:
    words = clean_text(paper.title).split()
    if len(words) < 4:
        return None
    n = round(len(words) * rng.uniform(0.5, 0.7))
    start = rng.randint(0, len(words) - n)
    return " ".join(words[start : start + n])


def _edit(word: str, rng: random.Random) -> str:
    """The word with one random edit (replace, delete, insert, swap) that changes it."""
    letters = string.ascii_lowercase
    while True:
        i = rng.randrange(len(word))
        op = rng.choice(("replace", "delete", "insert", "swap"))
        if op == "replace":
            out = word[:i] + rng.choice(letters) + word[i + 1 :]
        elif op == "delete":
            out = word[:i] + word[i + 1 :]
        elif op == "insert":
            out = word[:i] + rng.choice(letters) + word[i:]
        else:
            i = min(i, len(word) - 2)
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if out != word:
            return out


def _typo(paper: Paper, rng: random.Random) -> str | None:
    words = clean_text(paper.title).split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return None
    for i in rng.sample(long, min(len(long), rng.randint(1, 2))):
        for _ in range(rng.randint(1, 2)):
            words[i] = _edit(words[i], rng)
    return " ".join(words)


def _author(paper: Paper, rng: random.Random) -> str | None:
    names = [a.split()[-1] for a in paper.authors if a.split()]
    words = [
        w
        for w in clean_text(paper.title).split()
        if len(w) >= 4 and w.isalpha() and w.lower() not in _STOPWORDS
    ]
    if not names or len(words) < 2:
        return None
    picked = sorted(rng.sample(range(len(words)), min(len(words), rng.randint(2, 3))))
    return " ".join([rng.choice(names), *(words[i] for i in picked)])


def _phrase(paper: Paper, rng: random.Random) -> str | None:
    words = clean_text(paper.abstract).split()
    n = rng.randint(5, 8)
    if len(words) < n + 10:
        return None
    start = rng.randint(0, len(words) - n)
    return " ".join(words[start : start + n])


KINDS: dict[str, Callable[[Paper, random.Random], str | None]] = {
    "exact": _exact,
    "partial": _partial,
    "typo": _typo,
    "author": _author,
    "phrase": _phrase,
}


def make_queries(real: Sequence[Paper], count: int, seed: int) -> list[KnownItem]:
    """``count`` queries, an equal share of each kind, each from a different paper if it can."""
    rng = random.Random(seed)
    pool = sorted((p for p in real if is_target_candidate(p)), key=lambda p: p.id)
    rng.shuffle(pool)
    queries: list[KnownItem] = []
    used: set[str] = set()
    for i in range(count):
        kind = list(KINDS)[i % len(KINDS)]
        for paper in pool:
            if paper.id in used and len(used) < len(pool):
                continue
            text = KINDS[kind](paper, rng)
            if text and text.strip():
                used.add(paper.id)
                queries.append(KnownItem(kind, text, paper.id, _evidence(kind, text, paper)))
                break
    return queries
