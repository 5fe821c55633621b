"""The bundled paper snapshot, and our own export format (JSON lines, one paper each).

The package ships ``bot/data/snapshot.jsonl.xz``, built from the recorded Hugging Face
daily papers and arXiv listings in ``shared/data`` (see README, "Data"), keeping only
the fields the bot shows. An empty database is filled from it on first run, so every
command works offline. Rebuild it with::

    python -m bot.snapshot ../shared/data bot/data/snapshot.jsonl.xz
"""

from __future__ import annotations

import argparse
import csv
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
    "build_snapshot",
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
    with opener(out, "wt", encoding="utf-8") as fh:  # type: ignore[operator]
        for paper in papers:
            fh.write(json.dumps(record_from_paper(paper), ensure_ascii=False) + "\n")
            count += 1
    return count


def bundled_snapshot() -> Path | None:
    """The snapshot inside the installed package, if it is there."""
    path = resources.files("bot") / "data" / SNAPSHOT
    return Path(str(path)) if path.is_file() else None


def build_snapshot(shared: Path) -> list[Paper]:
    """Papers from ``shared/data``: every HF daily file and the arXiv listing sample."""
    from bot.ingest import read_file  # the importer reads every format we know
    from bot.store.sqlite import merge

    papers: dict[str, Paper] = {}

    def add(paper: Paper) -> None:
        papers[paper.id] = merge(papers[paper.id], paper) if paper.id in papers else paper

    for path in sorted((shared / "hf_daily_papers").glob("*.json")):
        found, errors = read_file(path)
        for message in errors:
            log.warning("skipped %s", message)
        for paper in found:
            add(paper)
    listing = shared / "arxiv" / "listing_sample"
    first_listed = {}
    index = listing / "index.tsv"
    if index.exists():
        with index.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                first_listed[row["id"]] = dt.date.fromisoformat(row["first_listing_file_date"])
    from bot.sources.arxiv import parse_listing_record

    for path in sorted(listing.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                add(parse_listing_record(record, day=first_listed.get(record.get("id"))))
    # What the bot never shows is left out to keep the package small.
    return sorted(papers.values(), key=lambda p: (p.day or dt.date.min, p.id))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the bundled paper snapshot.")
    parser.add_argument("shared", type=Path, help="the shared/data folder")
    parser.add_argument("out", type=Path, help="where to write (….jsonl.xz)")
    args = parser.parse_args(argv)
    count = write_records(build_snapshot(args.shared), args.out)
    size = args.out.stat().st_size / 1e6
    print(f"wrote {count} papers to {args.out} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
