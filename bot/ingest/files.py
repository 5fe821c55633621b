"""Importing files: HF daily JSON, arXiv JSONL listings and our own exports.

Files are written in runs of whole files, one transaction a run (a fetched day in one
of its own), so an interrupted import leaves whole files behind, never half of one. A
malformed record is counted as bad, reported, and skipped; it never stops the rest. A
file that cannot be read at all (missing, unreadable, damaged, not JSON) is reported the
same way and listed in ``ImportReport.failed``, so the caller can say the import failed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import lzma
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bot.errors import StoreError
from bot.ingest.records import bundled_snapshot, paper_from_record
from bot.models import Paper, UpsertCounts
from bot.sources.arxiv import parse_listing_record
from bot.sources.hf import parse_daily_item
from bot.store.port import PaperStore

__all__ = [
    "ImportReport",
    "Progress",
    "find_files",
    "import_paths",
    "load_snapshot_if_empty",
    "read_file",
]

log = logging.getLogger(__name__)

_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz", ".jsonl.xz", ".json.xz")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
MAX_REPORTED_ERRORS = 20

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """What an import did, file by file added up.

    ``errors`` says what was skipped and why, once each: every file that failed and the
    first ``MAX_REPORTED_ERRORS`` bad records (``unreported`` counts the rest).
    ``failed`` lists the files from which nothing could be imported.
    """

    counts: UpsertCounts = field(default_factory=UpsertCounts)
    files: int = 0
    errors: list[str] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)
    unreported: int = 0
    _records_reported: int = field(default=0, repr=False)

    def add_error(self, message: str) -> None:
        """Report one bad record (up to ``MAX_REPORTED_ERRORS`` of them)."""
        if self._records_reported < MAX_REPORTED_ERRORS:
            self._records_reported += 1
            self.errors.append(message)
        else:
            self.unreported += 1

    def add_failure(self, path: Path, message: str | None = None) -> None:
        """A file nothing could be imported from; ``message`` says why, when its bad
        records have not said it already."""
        self.failed.append(path)
        if message is not None:
            self.errors.append(message)


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """The importable files named by ``paths``; folders are searched recursively."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES)
            )
        else:
            found.append(path)
    return found


def _open(path: Path) -> IO[str]:
    if path.name.endswith(".xz"):
        return lzma.open(path, "rt", encoding="utf-8")
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _day_from_name(path: Path) -> dt.date | None:
    """The day a file is about when its name says one (``2026-06-30.json``); a name with
    a range (``listing_2026-06-08_2026-07-01``) says nothing about any one record."""
    found = _DATE_IN_NAME.findall(path.name)
    if len(found) != 1:
        return None
    try:
        return dt.date.fromisoformat(found[0])
    except ValueError:
        return None


def _parse_record(obj: Any, day: dt.date | None) -> Paper:
    """One record of any format we read; ``ValueError`` when it is not a paper."""
    if not isinstance(obj, dict):
        raise ValueError("record is not a JSON object")
    if "paper" in obj:
        return parse_daily_item(obj, day=day)
    if "abstract" in obj:  # our own export format
        return paper_from_record(obj)
    if "summary" in obj and "id" in obj and "upvotes" not in obj:
        return parse_listing_record(obj, day=day)
    if "id" in obj and ("upvotes" in obj or "authors" in obj):  # a bare HF paper object
        return parse_daily_item({"paper": obj}, day=day)
    raise ValueError("unknown record format")


def read_file(
    path: Path, *, on_count: Callable[[int], None] | None = None
) -> tuple[list[Paper], list[str]]:
    """Parse one file into papers and error messages (``path:line: reason``).

    For a JSON-lines file, ``on_count`` is told how many lines it has before they are
    parsed (the bundled snapshot says how many papers it is loading). Raises
    ``OSError`` when the file cannot be read and ``ValueError`` (``UnicodeDecodeError``)
    when it is not UTF-8 text; a damaged archive raises what its decompressor raises.
    """
    day = _day_from_name(path)
    papers: list[Paper] = []
    errors: list[str] = []
    with _open(path) as fh:
        if path.name.removesuffix(".gz").removesuffix(".xz").endswith(".jsonl"):
            lines: Iterable[str] = fh
            if on_count is not None:
                lines = fh.readlines()
                on_count(sum(1 for line in lines if line.strip()))
            records: Iterator[tuple[int, Any]] = _jsonl(lines, errors, path)
        else:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                return [], [f"{path}: not valid JSON ({exc})"]
            if isinstance(data, dict) and isinstance(data.get("data"), list):
                data = data["data"]  # the {"status", "date", "count", "data"} wrapper
            records = enumerate(data if isinstance(data, list) else [data], 1)
        for n, obj in records:
            try:
                papers.append(_parse_record(obj, day))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                errors.append(f"{path}:{n}: {exc}")
    return papers, errors


def _jsonl(lines: Iterable[str], errors: list[str], path: Path) -> Iterator[tuple[int, Any]]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path}:{n}: not valid JSON ({exc.msg})")


def _read(path: Path) -> tuple[list[Paper], list[str], str | None]:
    """``read_file``, with what makes the whole file unreadable as a message instead."""
    try:
        papers, errors = read_file(path)
    except OSError as exc:
        if isinstance(exc, gzip.BadGzipFile):
            return [], [], f"{path}: damaged archive ({exc})"
        return [], [], f"{path}: cannot read ({exc.strerror or exc})"
    except (EOFError, lzma.LZMAError, zlib.error) as exc:
        return [], [], f"{path}: damaged archive ({str(exc) or 'cut short'})"
    except UnicodeDecodeError as exc:
        return [], [], f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
    return papers, errors, None


def _observed_at(paper: Paper, fallback: dt.datetime) -> dt.datetime:
    # A recorded count is as old as the day it was recorded; end of that day, UTC.
    if paper.day:
        return dt.datetime.combine(paper.day, dt.time(23, 59), tzinfo=dt.UTC)
    return fallback


# Files are written in runs of up to this many papers, one transaction a run.
RUN_PAPERS = 20_000

_Groups = list[tuple[dt.datetime, list[Paper]]]


async def import_paths(
    store: PaperStore,
    paths: Sequence[str | Path],
    *,
    now: dt.datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Import every file named by ``paths`` (folders recursively).

    Files are read, then written in runs of whole files, one transaction a run: a big
    first import then lets the store rebuild its indexes once. If a run cannot be
    written, its files are written one by one, so the files before the failing one
    are kept and the error names where it stopped.
    """
    report = ImportReport()
    files: list[Path] = []
    for raw in paths:
        found = find_files([raw])
        if not found:  # a folder with nothing to import in it
            report.add_failure(Path(raw), f"{raw}: no .json, .jsonl, .gz or .xz files in it")
        files += found
    run: list[tuple[Path, _Groups]] = []

    async def write_run() -> None:
        try:
            report.counts += await store.upsert_observed([g for _, gs in run for g in gs])
        except StoreError:
            for path, groups in run:
                try:
                    report.counts += await store.upsert_observed(groups)
                except StoreError as exc:
                    raise StoreError(f"{path}: {exc}") from exc
        run.clear()

    for i, path in enumerate(files, 1):
        papers, errors, unreadable = _read(path)
        # Said once, by the caller: nothing is logged here above DEBUG.
        if unreadable is not None:
            log.debug("skipped %s", unreadable)
            report.add_failure(path, unreadable)
        for message in errors:
            log.debug("skipped %s", message)
            report.add_error(message)
        if errors and not papers:
            report.add_failure(path)  # its bad records said why
        if sum(len(p) for _, gs in run for _, p in gs) + len(papers) > RUN_PAPERS:
            await write_run()
        run.append((path, _by_day(papers, now)))
        report.counts += UpsertCounts(bad=len(errors) + (unreadable is not None))
        report.files += 1
        if progress:
            progress(i, len(files))
    await write_run()
    return report


def _by_day(papers: Sequence[Paper], now: dt.datetime) -> _Groups:
    """``papers`` in groups by the time their upvote counts were recorded, oldest first."""
    by_time: dict[dt.datetime, list[Paper]] = {}
    for p in papers:
        by_time.setdefault(min(_observed_at(p, now), now), []).append(p)
    return sorted(by_time.items(), key=lambda group: group[0])


async def load_snapshot_if_empty(
    store: PaperStore,
    *,
    now: dt.datetime,
    snapshot: Path | None = None,
    on_count: Callable[[int], None] | None = None,
) -> ImportReport | None:
    """Fill an empty database from the bundled snapshot; None when nothing was done.

    ``on_count`` is told how many papers are about to be loaded, before the seconds it
    takes (the command line says it on a first run).
    """
    if await store.count_papers():
        return None
    path = snapshot or bundled_snapshot()
    if path is None:
        log.warning("the database is empty and no bundled snapshot was found")
        return None
    log.info("loading the bundled paper snapshot from %s", path)
    papers, errors = read_file(path, on_count=on_count)
    report = ImportReport(files=1)
    for message in errors:
        log.warning("bundled snapshot: skipped %s", message)  # said nowhere else
        report.add_error(message)
    report.counts = await store.upsert_observed(_by_day(papers, now))
    report.counts += UpsertCounts(bad=len(errors))
    return report
