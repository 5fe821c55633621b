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
from typing import IO, Any

from bot.models import Paper

__all__ = [
    "EXPORT_XZ_PRESET",
    "SNAPSHOT",
    "bundled_snapshot",
    "dump_records",
    "paper_from_record",
    "record_from_paper",
    "write_records",
]

log = logging.getLogger(__name__)

SNAPSHOT = "snapshot.jsonl.xz"
# `paperbot export x.xz`: xz preset 1 writes the 13,878 snapshot papers in 1.9 s, 8.2 MB,
# where the default preset 6 takes 23.5 s for 6.0 MB (plain JSON lines: 0.24 s, 28 MB).
EXPORT_XZ_PRESET = 1
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
    if not isinstance(values.get("title"), str) or not values["title"].strip():
        raise ValueError(f"record {values['id'][:40]} has no title")
    for name in _TUPLES:
        if name in values:
            values[name] = tuple(str(v) for v in values[name])
    if values.get("published_at"):
        values["published_at"] = dt.datetime.fromisoformat(values["published_at"])
    if values.get("day"):
        values["day"] = dt.date.fromisoformat(values["day"])
    return Paper(**values)


def dump_records(papers: Iterable[Paper], out: IO[str]) -> int:
    """Write ``papers`` to an open text stream as JSON lines; how many were written."""
    count = 0
    for paper in papers:
        out.write(json.dumps(record_from_paper(paper), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_records(papers: Iterable[Paper], out: Path, *, preset: int | None = None) -> int:
    """Write ``papers`` as JSON lines (xz-compressed when ``out`` ends in ``.xz``, with
    the xz ``preset``: None is xz's default, 6, the smallest and slowest).

    Raises ``OSError`` when ``out`` cannot be written; a new file cut short by an error
    (a full disk, an interrupt) is removed rather than left half written.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    existed = out.exists()
    try:
        if out.name.endswith(".xz"):
            with lzma.open(out, "wt", encoding="utf-8", preset=preset) as fh:
                return dump_records(papers, fh)
        with out.open("w", encoding="utf-8") as fh:
            return dump_records(papers, fh)
    except BaseException:
        if not existed and out.is_file():
            out.unlink()
        raise


def bundled_snapshot() -> Path | None:
    """The snapshot inside the installed package, if it is there."""
    path = resources.files("bot") / "data" / SNAPSHOT
    return Path(str(path)) if path.is_file() else None
