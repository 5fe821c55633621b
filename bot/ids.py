"""arXiv identifiers: one paper, however it is written.

``2510.06131v2``, ``2510.06131``, ``arXiv:2510.06131`` and
``https://arxiv.org/abs/2510.06131v1`` all name the paper ``2510.06131``; old-style ids
such as ``astro-ph/0601001`` and ``math.GT/0309136v2`` work too. Versions are kept apart
so a revised paper is recognised as the same paper.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["ArxivId", "find_arxiv_id", "parse_arxiv_id"]

# New style (2007-): YYMM.NNNN (to 1412) or YYMM.NNNNN (from 1501), optional version.
_NEW = r"(?P<new>\d{4}\.\d{4,5})"
# Old style (-2007): archive[.SUBJECT]/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136.
_OLD = r"(?P<old>[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7})"
_VERSION = r"(?:v(?P<version>\d{1,3}))?"
_ID = rf"(?:{_NEW}|{_OLD}){_VERSION}"

_EXACT = re.compile(rf"^(?:arxiv:\s*)?{_ID}(?:\.pdf)?$", re.IGNORECASE)
_URL = re.compile(
    rf"^(?:https?://)?(?:www\.|export\.)?"
    rf"(?:arxiv\.org/(?:abs|pdf|html|format)/|huggingface\.co/papers/|hf\.co/papers/)"
    rf"{_ID}(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_ANYWHERE = re.compile(rf"(?<![\w.-]){_ID}(?![\w/-]|\.\d)", re.IGNORECASE)


class ArxivId(NamedTuple):
    """A bare arXiv id plus the version it was written with (``None`` when unversioned)."""

    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def _plausible(m: re.Match[str]) -> bool:
    new = m.group("new")
    if not new:
        return True
    yymm, _, number = new.partition(".")
    month = int(yymm[2:])
    # Four-digit numbers were used until 2014, five-digit ones from 2015 on.
    return 1 <= month <= 12 and (len(number) == 5) == (yymm >= "1501")


def _from_match(m: re.Match[str]) -> ArxivId:
    version = m.group("version")
    if m.group("new"):
        bare = m.group("new")
    else:
        # Archive names are lower case, subject classes upper case (math.GT).
        archive, number = m.group("old").split("/")
        name, _, subject = archive.partition(".")
        bare = f"{name.lower()}{'.' + subject.upper() if subject else ''}/{number}"
    return ArxivId(bare, int(version) if version else None)


def parse_arxiv_id(text: str) -> ArxivId | None:
    """Return the id when ``text`` is, as a whole, an arXiv id or a paper URL; else None."""
    text = text.strip()
    if len(text) > 300:
        return None
    m = _EXACT.match(text) or _URL.match(text)
    return _from_match(m) if m and _plausible(m) else None


def find_arxiv_id(text: str) -> ArxivId | None:
    """Return the first arXiv id written anywhere in ``text`` (for RSS guids and the like)."""
    for m in _ANYWHERE.finditer(text):
        if _plausible(m):
            return _from_match(m)
    return None
