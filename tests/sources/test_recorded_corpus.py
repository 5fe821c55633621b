"""Every recorded upstream payload in ../shared/data parses (skipped where it is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import SourceResponseError
from bot.sources import parse_atom, parse_daily_response, parse_listing_record

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"recorded corpus not found at {SHARED}"
)


@needs_shared
def test_all_hf_daily_papers_parse():
    files = sorted((SHARED / "hf_daily_papers").glob("*.json"))
    assert len(files) == 542
    total = 0
    failures = []
    for path in files:
        papers, errors = parse_daily_response(json.loads(path.read_text(encoding="utf-8")))
        failures += [f"{path.name}: {e}" for e in errors]
        total += len(papers)
        for paper in papers:
            if not (paper.title and paper.abstract and paper.authors):
                failures.append(f"{path.name}: {paper.id} lacks title, abstract or authors")
            if paper.published_at is None or paper.day is None:
                failures.append(f"{path.name}: {paper.id} lacks a date")
            if "\n" in paper.title + paper.abstract:
                failures.append(f"{path.name}: {paper.id} keeps a line break")
    assert failures == []
    assert total == 9126


@needs_shared
def test_all_listing_records_parse():
    failures = []
    ids = set()
    for path in sorted((SHARED / "arxiv" / "listing_sample").glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                paper = parse_listing_record(json.loads(line))
            except ValueError as exc:
                failures.append(f"{path.name}:{number}: {exc}")
                continue
            ids.add(paper.id)
            if not (paper.title and paper.abstract and paper.authors and paper.categories):
                failures.append(f"{path.name}:{number}: {paper.id} is missing a field")
    assert failures == []
    assert len(ids) == 5026


@needs_shared
def test_all_recorded_atom_feeds_parse():
    index = json.loads((SHARED / "arxiv" / "api_2026" / "index.json").read_text())
    for record in index:
        body = (SHARED / "arxiv" / "api_2026" / record["file"]).read_bytes()
        if record["status_code"] != 200:
            with pytest.raises(SourceResponseError):
                parse_atom(body)
            continue
        assert len(parse_atom(body)) == record["entries"], record["file"]
    for path in (SHARED / "arxiv" / "api_legacy_2016").glob("*.xml"):
        assert parse_atom(path.read_bytes()), path.name
