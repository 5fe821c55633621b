"""Our own export format (JSON lines, one paper each) and the bundled paper snapshot.

The package ships ``bot/data/snapshot.jsonl.xz`` in this format, built by
``bench/snapshot.py`` from the recorded data in ``shared/data`` (see README, "Data"). An
empty database is filled from it on first run, so every command works offline.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import lzma
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from bot.models import Paper

__all__ = [
    "SNAPSHOT",
    "bundled_snapshot",
    "paper_from_record",
    "record_from_paper",
    "write_records",
]

log = logging.getLogger(__name__)

SNAPSHOT = "snapshot.jsonl.xz"
_TUPLES = ("authors", "categories", "ai_keywords")


def record_from_paper(paper: Paper) -> dict[str, Any]:
    """A compact JSON-ready dict: empty fields are left out, ``abstract`` always kept."""
    record: dict[str, Any] = {"id": paper.id, "abstract": paper.abstract}
    for name in Paper.__dataclass_fields__:
        value = getattr(paper, name)
        if name in record or value in (None, "", ()):
            continue
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        record[name] = value
    return record


def paper_from_record(record: dict[str, Any]) -> Paper:
    """The inverse of ``record_from_paper``; ``ValueError`` for a record that is not one."""
    known = Paper.__dataclass_fields__
    values = {k: v for k, v in record.items() if k in known}
    if not isinstance(values.get("id"), str) or not values["id"]:
        raise ValueError("record has no id")
    for name in _TUPLES:
        if name in values:
            values[name] = tuple(str(v) for v in values[name])
    if values.get("published_at"):
        values["published_at"] = dt.datetime.fromisoformat(values["published_at"])
    if values.get("day"):
        values["day"] = dt.date.fromisoformat(values["day"])
    return Paper(**values)


def write_records(papers: Iterable[Paper], out: Path) -> int:
    """Write ``papers`` as JSON lines (xz-compressed when ``out`` ends in ``.xz``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    opener = lzma.open if out.name.endswith(".xz") else open
    count = 0
    with opener(out, "wt", encoding="utf-8") as fh:
        for paper in papers:
            fh.write(json.dumps(record_from_paper(paper), ensure_ascii=False) + "\n")
            count += 1
    return count


def bundled_snapshot() -> Path | None:
    """The snapshot inside the installed package, if it is there."""
    path = resources.files("bot") / "data" / SNAPSHOT
    return Path(str(path)) if path.is_file() else None
