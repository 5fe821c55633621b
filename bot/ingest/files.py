"""Importing files: HF daily JSON, arXiv JSONL listings and our own exports.

Files are read as a stream of batches (``bot.ingest.reading``), so memory stays flat
whatever a file's size. Files are written in runs of whole files of up to
``RUN_PAPERS`` records, one transaction a run (a fetched day in one of its own), so an
interrupted import leaves whole files behind, never half of one; a file bigger than
that is written batch by batch, one transaction a batch, so an interruption keeps its
first batches (importing it again finishes it, changing nothing it already has). A
malformed record is counted as bad, reported, and skipped; it never stops the rest. A
file that cannot be read at all (missing, unreadable, damaged, not JSON) is reported the
same way and listed in ``ImportReport.failed``, so the caller can say the import failed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import lzma
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import StoreError
from bot.ingest.reading import BATCH_RECORDS, Batch, read_batches
from bot.ingest.records import bundled_snapshot
from bot.models import Paper, UpsertCounts
from bot.store.port import PaperStore

__all__ = [
    "ImportReport",
    "Progress",
    "find_files",
    "import_paths",
    "load_snapshot_if_empty",
    "read_batches",
    "read_file",
]

log = logging.getLogger(__name__)

_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz", ".jsonl.xz", ".json.xz")
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


def read_file(
    path: Path, *, on_count: Callable[[int], None] | None = None
) -> tuple[list[Paper], list[str]]:
    """Parse one whole file into papers and error messages (``path:line: reason``):
    ``read_batches`` joined, for callers that want every paper at once.

    For a JSON-lines file, ``on_count`` is told how many lines it has before they are
    parsed (the bundled snapshot says how many papers it is loading). Raises
    ``OSError`` when the file cannot be read and ``ValueError`` (``UnicodeDecodeError``)
    when it is not UTF-8 text; a damaged archive raises what its decompressor raises.
    """
    papers: list[Paper] = []
    errors: list[str] = []
    for batch in read_batches(path, size=sys.maxsize, on_count=on_count):
        papers += batch.papers
        errors += batch.errors
    return papers, errors


def _read(path: Path) -> Iterator[Batch | str]:
    """``read_batches``, ending with a message when the rest of the file is unreadable."""
    try:
        yield from read_batches(path, size=RUN_PAPERS)
    except OSError as exc:
        if isinstance(exc, gzip.BadGzipFile):
            yield f"{path}: damaged archive ({exc})"
        else:
            yield f"{path}: cannot read ({exc.strerror or exc})"
    except (EOFError, lzma.LZMAError, zlib.error) as exc:
        yield f"{path}: damaged archive ({str(exc) or 'cut short'})"
    except UnicodeDecodeError as exc:
        yield f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"


def _observed_at(paper: Paper, fallback: dt.datetime) -> dt.datetime:
    # A recorded count is as old as the day it was recorded; end of that day, UTC.
    if paper.day:
        return dt.datetime.combine(paper.day, dt.time(23, 59), tzinfo=dt.UTC)
    return fallback


# Files are written in runs of up to this many papers, one transaction a run; a file of
# more records is written a batch of this many at a time.
RUN_PAPERS = BATCH_RECORDS

_Groups = list[tuple[dt.datetime, list[Paper]]]


async def import_paths(
    store: PaperStore,
    paths: Sequence[str | Path],
    *,
    now: dt.datetime,
    progress: Progress | None = None,
    on_batch: Callable[[Path, int], None] | None = None,
) -> ImportReport:
    """Import every file named by ``paths`` (folders recursively).

    Files are read batch by batch, then written in runs of whole files, one
    transaction a run: a big first import then lets the store rebuild its indexes
    once. A file of more than ``RUN_PAPERS`` records is written a batch at a time as
    it is read, and ``on_batch`` is told the file and how many of its records have been
    read each time one is written. If a run cannot be written, its files are written
    one by one, so the files before the failing one are kept and the error names where
    it stopped. ``progress`` is told ``(files done, files)`` after each file.
    """
    report = ImportReport()
    files: list[Path] = []
    for raw in paths:
        found = find_files([raw])
        if not found:  # a folder with nothing to import in it
            report.add_failure(Path(raw), f"{raw}: no .json, .jsonl, .gz or .xz files in it")
        files += found
    run: list[tuple[Path, _Groups]] = []
    run_papers = 0

    async def write_run() -> None:
        nonlocal run_papers
        if not run:
            return
        try:
            report.counts += await store.upsert_observed([g for _, gs in run for g in gs])
        except StoreError as exc:
            if len(run) == 1:
                raise StoreError(f"{run[0][0]}: {exc}") from exc
            for path, groups in run:
                try:
                    report.counts += await store.upsert_observed(groups)
                except StoreError as exc:
                    raise StoreError(f"{path}: {exc}") from exc
        run.clear()
        run_papers = 0

    for i, path in enumerate(files, 1):
        papers = bad = 0
        unreadable: str | None = None
        for batch in _read(path):
            if isinstance(batch, str):
                unreadable = batch
                break
            # Said once, by the caller: nothing is logged here above DEBUG.
            for message in batch.errors:
                log.debug("skipped %s", message)
                report.add_error(message)
            papers += len(batch.papers)
            bad += len(batch.errors)
            if len(batch) >= RUN_PAPERS:
                # A full batch: the file is bigger than a run. Write the whole files
                # before it, then this batch on its own, and let it go.
                await write_run()
                run.append((path, _by_day(batch.papers, now)))
                await write_run()
                if on_batch:
                    on_batch(path, batch.records)
                continue
            if run_papers + len(batch.papers) > RUN_PAPERS:
                await write_run()
            run.append((path, _by_day(batch.papers, now)))
            run_papers += len(batch.papers)
        if unreadable is not None:
            log.debug("skipped %s", unreadable)
            report.add_failure(path, unreadable)
        elif bad and not papers:
            report.add_failure(path)  # its bad records said why
        report.counts += UpsertCounts(bad=bad + (unreadable is not None))
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
