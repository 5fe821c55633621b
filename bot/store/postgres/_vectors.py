"""Papers as PostgreSQL sees them for search: weighted ``tsvector`` values of our tokens.

PostgreSQL's own parser would split words its way (``gpt-4o`` into three, with a
hyphenated compound besides); the vectors are built here from :func:`bot.text.tokenize`
instead, so the index holds exactly the tokens queries are made of, as on SQLite.
"""

from __future__ import annotations

from bot.models import Paper
from bot.text import tokenize

__all__ = ["MAX_LEXEME_BYTES", "WEIGHTS", "indexable", "indexed_tokens", "lexeme", "search_vectors"]

# PostgreSQL refuses a lexeme longer than this; no word is, only junk ("x" * 10_000).
MAX_LEXEME_BYTES = 2046
# The weight letter of each column: a query restricted to columns asks for those.
WEIGHTS = {"title": "A", "authors": "B", "abstract": "D"}


def indexable(token: str) -> bool:
    return len(token) <= MAX_LEXEME_BYTES // 4 or len(token.encode()) <= MAX_LEXEME_BYTES


def lexeme(token: str) -> str:
    """``token`` as a quoted lexeme of a tsvector or tsquery literal."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def indexed_tokens(paper: Paper) -> set[str]:
    """The distinct tokens the full-text index holds for ``paper`` (the vocabulary's)."""
    text = f"{paper.title} {paper.abstract} {' '.join(paper.authors)}"
    return {t for t in tokenize(text) if indexable(t)}


def search_vectors(paper: Paper) -> tuple[str, str]:
    """The paper's whole vector (title A, authors B, abstract D) and its titles vector
    (title and authors), as tsvector literals.

    Positions run on across the columns with a gap between two, so that a phrase never
    spans the end of the title and the first author.
    """
    columns = [
        ("A", tokenize(paper.title)),
        ("B", tokenize(", ".join(paper.authors))),
        ("D", tokenize(paper.abstract)),
    ]
    positions: dict[str, list[str]] = {}
    titles = ""
    at = 0
    for weight, tokens in columns:
        for token in tokens:
            at += 1
            if indexable(token):
                # PostgreSQL keeps positions up to 16383 (a later one counts as that).
                positions.setdefault(token, []).append(f"{min(at, 16383)}{weight}")
        at += 1
        if weight == "B":
            titles = _literal(positions)
    return _literal(positions), titles


def _literal(positions: dict[str, list[str]]) -> str:
    # At most 256 positions of one lexeme are kept; more would be refused.
    return " ".join(f"{lexeme(t)}:{','.join(p[:256])}" for t, p in positions.items())
