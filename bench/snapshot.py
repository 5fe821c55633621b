"""Build the bundled paper snapshot from the recorded data in shared/data.

    python -m bench.snapshot ../shared/data bot/data/snapshot.jsonl.xz

Every Hugging Face daily file and the arXiv listing sample, merged paper by paper as
the store merges them, keeping only the fields the bot shows. A developer tool: nothing
at run time imports it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
from pathlib import Path

from bot.ingest.files import read_file
from bot.ingest.records import write_records
from bot.models import Paper, merge
from bot.sources.arxiv import parse_listing_record

log = logging.getLogger(__name__)


def build_snapshot(shared: Path) -> list[Paper]:
    """Papers from ``shared/data``: every HF daily file and the arXiv listing sample."""
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
