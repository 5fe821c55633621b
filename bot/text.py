"""Text helpers shared by search, ranking and formatting: tokens and tidy whitespace."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["STOPWORDS", "clean_text", "fold", "plural_forms", "tokenize"]

# Words too common to be worth naming in a "matches ..." reason.
STOPWORDS = frozenset(
    "a an and are as at be by for from how in into is it its of on or our that the their"
    " this to via vs we what when where which who why with without you your all can do"
    " does not no new using use towards toward beyond".split()
)

_SPACE = re.compile(r"\s+")
# Letters and digits form tokens; everything else separates them. This mirrors SQLite
# FTS5's unicode61 tokenizer with remove_diacritics 2, so our tokens are its tokens.
_TOKEN = re.compile(r"[^\W_]+")
_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")
# For ASCII text the same tokens come faster from a translation table: letters lower-cased,
# digits kept, every other character a space.
_ASCII_WORDS = str.maketrans({c: chr(c).lower() if chr(c).isalnum() else " " for c in range(128)})


def clean_text(text: str | None) -> str:
    """Collapse arXiv's hard line wraps and whitespace runs; drop control characters."""
    if not text:
        return ""
    return _SPACE.sub(" ", text.translate(_CONTROL)).strip()


def fold(text: str) -> str:
    """Lower-case and strip diacritics (``Wübben`` -> ``wubben``)."""
    if text.isascii():  # nearly every title and abstract: no need to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokenize(text: str) -> list[str]:
    """Split ``text`` into folded word tokens, as the full-text index sees it."""
    if text.isascii():  # nearly every title and abstract
        return text.translate(_ASCII_WORDS).split()
    return _TOKEN.findall(fold(text))


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
