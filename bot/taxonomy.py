"""arXiv's category taxonomy, shipped with the package: which categories exist."""

from __future__ import annotations

from functools import cache
from importlib import resources

from rapidfuzz import process

__all__ = ["category", "category_names", "suggest_category"]


@cache
def category_names() -> dict[str, str]:
    """Every category code (and archive: ``cs``, ``math``) with its name."""
    text = (resources.files("bot") / "data" / "arxiv_categories.tsv").read_text("utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {code: name for code, name in rows}


@cache
def _by_folded() -> dict[str, str]:
    return {code.lower(): code for code in category_names()}


def category(text: str) -> str | None:
    """The category ``text`` names, spelled as arXiv spells it (``CS.cl`` -> ``cs.CL``),
    or None when arXiv has no such category."""
    return _by_folded().get(text.strip().lower())


def suggest_category(text: str) -> str | None:
    """The known category closest to a mistyped one, if any is close."""
    found = process.extractOne(text.strip().lower(), list(_by_folded()), score_cutoff=75)
    return _by_folded()[found[0]] if found else None
