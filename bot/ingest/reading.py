"""Reading one import file as a stream of batches: JSON lines, or the items of a JSON array.

However big the file, only one batch of parsed records is held at a time: JSON lines are
parsed line by line, and a top-level JSON array item by item with the standard
library's own decoder (``raw_decode`` on a sliding buffer), so no dependency is needed.
Anything else (an HF daily ``{"data": [...]}`` wrapper, one object) is a day's worth at
most and is read whole.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import lzma
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bot.ingest.records import paper_from_record
from bot.models import Paper
from bot.sources.arxiv import parse_listing_record
from bot.sources.hf import parse_daily_item

__all__ = ["BATCH_RECORDS", "Batch", "read_batches"]

# Records (papers and bad records) in one batch; also the most one transaction writes.
BATCH_RECORDS = 20_000
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_CHUNK = 1 << 20  # characters read at a time from a JSON array
_MAX_ITEM = 8 * _CHUNK  # an array item longer than this is not a record but an error
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_decoder = json.JSONDecoder()


@dataclass
class Batch:
    """Consecutive records of one file: the papers, what was wrong with the others
    (``path:record: reason``), and how many records the file has given so far."""

    papers: list[Paper] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    records: int = 0

    def __len__(self) -> int:
        return len(self.papers) + len(self.errors)


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


def read_batches(
    path: Path, *, size: int = BATCH_RECORDS, on_count: Callable[[int], None] | None = None
) -> Iterator[Batch]:
    """The records of one file, parsed, in batches of ``size`` records; the last batch
    (possibly empty) at the end of the file.

    A JSON text that is not valid ends the file with one more batch whose only error
    says so (``path: not valid JSON (...)``); the records of that batch before it are
    dropped, so a file of fewer than ``size`` records is read whole or not at all. For a
    JSON-lines file, ``on_count`` is told how many lines it has before they are parsed
    (which holds the whole file: for the bundled snapshot, not for imports). Raises
    ``OSError`` when the file cannot be read and ``ValueError`` (``UnicodeDecodeError``)
    when it is not UTF-8 text; a damaged archive raises what its decompressor raises.
    """
    day = _day_from_name(path)
    batch = Batch()
    with _open(path) as fh:
        records: Iterator[tuple[int, Any]]
        if _is_jsonl(path) and on_count is not None:
            # Counted before they are parsed: such a file is held whole, read once.
            lines = fh.readlines()
            on_count(sum(1 for line in lines if line.strip()))
            records = _jsonl(lines)
        else:
            records = _jsonl(fh) if _is_jsonl(path) else _json(fh)
        try:
            for n, obj in records:
                batch.records += 1
                if isinstance(obj, _BadLine):
                    batch.errors.append(f"{path}:{n}: not valid JSON ({obj.reason})")
                    continue
                try:
                    batch.papers.append(_parse_record(obj, day))
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    batch.errors.append(f"{path}:{n}: {exc}")
                if len(batch) >= size:
                    yield batch
                    batch = Batch(records=batch.records)
        except _NotJson as exc:
            yield Batch(errors=[f"{path}: not valid JSON ({exc})"], records=batch.records)
            return
    yield batch


def _is_jsonl(path: Path) -> bool:
    return path.name.removesuffix(".gz").removesuffix(".xz").endswith(".jsonl")


class _NotJson(Exception):
    """The file's JSON text is broken; its message is ``json``'s own (with position)."""


@dataclass(frozen=True)
class _BadLine:
    """A line of a JSON-lines file that is not JSON: one bad record, not a broken file."""

    reason: str


def _jsonl(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, _BadLine(exc.msg)


def _json(fh: IO[str]) -> Iterator[tuple[int, Any]]:
    """The records of a JSON file: a top-level array item by item, else read whole."""
    buf = fh.read(_CHUNK)
    start = _WHITESPACE.match(buf).end()  # type: ignore[union-attr]
    if start == len(buf) or buf[start] != "[":
        try:
            data = json.loads(buf + fh.read())
        except json.JSONDecodeError as exc:
            raise _NotJson(str(exc)) from None
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            data = data["data"]  # the {"status", "date", "count", "data"} wrapper
        yield from enumerate(data if isinstance(data, list) else [data], 1)
        return
    yield from _array_items(fh, buf, start + 1)


def _array_items(fh: IO[str], buf: str, pos: int) -> Iterator[tuple[int, Any]]:
    """The items of a JSON array whose ``[`` ends just before ``buf[pos]``, decoded one
    at a time from a buffer refilled from ``fh``; errors give positions in the file."""
    at = _Position()
    n = 0
    eof = False
    expect_item = True  # after "[" or ",": an item (or, first of all, "]") comes next
    while True:
        pos = _skip(buf, pos)
        # Keep at least half a chunk ahead of ``pos``: every item of a normal size is
        # then whole in the buffer, and a failed decode means the text is broken.
        if not eof and len(buf) - pos < _CHUNK // 2:
            at.drop(buf, pos)
            more = fh.read(_CHUNK)
            eof = not more
            buf, pos = buf[pos:] + more, 0
            continue
        if pos == len(buf):
            raise at.error(
                "Expecting value" if expect_item else "Expecting ',' delimiter", buf, pos
            )
        char = buf[pos]
        if char == "]" and (n == 0 or not expect_item):
            doc = buf + fh.read()  # after the array: only whitespace
            extra = _skip(doc, pos + 1)
            if extra < len(doc):
                raise at.error("Extra data", doc, extra)
            return
        if not expect_item:
            if char != ",":
                raise at.error("Expecting ',' delimiter", buf, pos)
            pos += 1
            expect_item = True
            continue
        try:
            obj, pos = _decoder.raw_decode(buf, pos)
        except json.JSONDecodeError as exc:
            if eof or len(buf) - pos > _MAX_ITEM:
                raise at.error(exc.msg, buf, exc.pos) from None
            more = fh.read(len(buf))  # an item bigger than half a chunk: read on
            eof = not more
            buf += more
            continue
        n += 1
        yield n, obj
        expect_item = False


def _skip(text: str, pos: int) -> int:
    return _WHITESPACE.match(text, pos).end()  # type: ignore[union-attr]


class _Position:
    """Where the text dropped from the front of the buffer ended, to say where an
    error is in the file as ``json`` says it (line, column, char)."""

    def __init__(self) -> None:
        self.chars = self.lines = 0
        self.line_start = 0  # file offset of the first character of the current line

    def drop(self, buf: str, pos: int) -> None:
        newline = buf.rfind("\n", 0, pos)
        if newline >= 0:
            self.line_start = self.chars + newline + 1
            self.lines += buf.count("\n", 0, pos)
        self.chars += pos

    def error(self, msg: str, buf: str, pos: int) -> _NotJson:
        line = self.lines + buf.count("\n", 0, pos) + 1
        newline = buf.rfind("\n", 0, pos)
        line_start = self.chars + newline + 1 if newline >= 0 else self.line_start
        offset = self.chars + pos
        return _NotJson(f"{msg}: line {line} column {offset - line_start + 1} (char {offset})")
