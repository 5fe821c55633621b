"""Import: every format, bad records skipped, idempotent, whole files only."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import lzma
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.ingest import (
    EXPORT_XZ_PRESET,
    files,
    import_paths,
    load_snapshot_if_empty,
    record_from_paper,
    write_records,
)
from bot.models import Paper
from bot.store import PaperStore, open_store
from tests.conftest import DATA, NOW, refusing_database

HF = DATA / "hf"
LISTING = DATA / "arxiv" / "listing_sample_2026-06-08.jsonl"


async def test_import_every_format_then_again_changes_nothing(store: PaperStore) -> None:
    first = await import_paths(store, [HF, LISTING], now=NOW)
    assert first.files == 7
    assert first.counts.new > 20
    assert first.counts.bad == 0, first.errors
    second = await import_paths(store, [HF, LISTING], now=NOW)
    assert second.counts.new == second.counts.updated == 0
    assert second.counts.unchanged == first.counts.total
    assert await store.count_papers() == first.counts.new


async def test_upvotes_are_dated_by_the_day_recorded(store: PaperStore) -> None:
    await import_paths(store, [HF / "daily_papers_2024-05-27.json"], now=NOW)
    paper = await store.get_paper("2405.15738")
    assert paper is not None and paper.upvotes == 32
    day_end = dt.datetime(2024, 5, 27, 23, 59, tzinfo=dt.UTC)
    assert await store.upvotes_before([paper.id], day_end) == {paper.id: 32}
    assert await store.upvotes_before([paper.id], day_end - dt.timedelta(minutes=1)) == {}


async def test_bad_records_are_reported_and_skipped(store: PaperStore, tmp_path: Path) -> None:
    good = json.loads((HF / "daily_papers_2024-05-27.json").read_text())[:2]
    mixed = tmp_path / "2024-05-27.json"
    mixed.write_text(json.dumps([good[0], {"paper": {"id": "not an id"}}, 42, good[1]]))
    lines = LISTING.read_text().splitlines()[:2]
    jsonl = tmp_path / "listing.jsonl"
    jsonl.write_text(lines[0] + "\n{broken json\n\n" + lines[1] + "\n")
    (tmp_path / "garbage.json").write_text("{not json at all")
    report = await import_paths(store, [tmp_path], now=NOW)
    assert report.counts.new == 4
    assert report.counts.bad == 4
    assert len(report.errors) == 4
    assert any("listing.jsonl:2" in e for e in report.errors)
    assert any("garbage.json" in e and "not valid JSON" in e for e in report.errors)


async def test_damaged_archive_and_missing_file_do_not_stop_the_rest(
    store: PaperStore, tmp_path: Path
) -> None:
    broken = tmp_path / "cut.jsonl.xz"
    broken.write_bytes(lzma.compress(LISTING.read_bytes())[:200])
    report = await import_paths(
        store, [broken, tmp_path / "missing.json", HF / "daily_papers_2026-03-03.json"], now=NOW
    )
    assert report.files == 3
    assert report.counts.new == 5
    assert any("cut.jsonl.xz" in e for e in report.errors)
    assert any("missing.json" in e and "cannot read" in e for e in report.errors)
    # The cut archive was not half-imported: none of its papers are there.
    first_listed = json.loads(LISTING.read_text().splitlines()[0])["id"]
    assert await store.get_paper(first_listed) is None


async def test_export_then_import_round_trips(store: PaperStore, tmp_path: Path) -> None:
    await import_paths(store, [HF, LISTING], now=NOW)
    out = tmp_path / "export.jsonl.xz"
    written = write_records(await store.all_papers(), out)

    async with open_store("sqlite://") as fresh:
        report = await import_paths(fresh, [out], now=NOW)
        assert report.counts.new == written == await store.count_papers()
        for original in await store.all_papers():
            assert await fresh.get_paper(original.id) == original


async def test_snapshot_fills_only_an_empty_database(store: PaperStore, tmp_path: Path) -> None:
    await import_paths(store, [HF / "daily_papers_2024-05-27.json"], now=NOW)
    assert await load_snapshot_if_empty(store, now=NOW) is None
    assert await store.count_papers() == 5


async def test_a_date_range_in_a_file_name_is_not_the_papers_day(
    store: PaperStore, tmp_path: Path
) -> None:
    ranged = tmp_path / "arxiv_listing_2026-06-08_2026-07-01.part01.jsonl"
    ranged.write_text(LISTING.read_text().splitlines()[0] + "\n")
    dated = tmp_path / "2026-06-09.jsonl"
    dated.write_text(LISTING.read_text().splitlines()[1] + "\n")
    await import_paths(store, [ranged, dated], now=NOW)
    assert {p.day for p in await store.all_papers()} == {dt.date(2026, 6, 9), None}


async def test_a_file_of_many_days_is_saved_whole_or_not_at_all(tmp_path: Path) -> None:

    days = [dt.date(2026, 6, d) for d in (1, 2, 3)]
    papers = [
        Paper(id=f"2606.0000{k}", title=f"Paper {k}", day=day, upvotes=k, source="hf")
        for k, day in enumerate(days, 1)
    ]
    export = tmp_path / "three-days.jsonl"
    write_records(papers, export)
    # The database refuses the last day's paper.
    url = await refusing_database(tmp_path / "papers.sqlite3", "2606.00003")
    async with open_store(url) as store:
        with pytest.raises(StoreError, match="disk full"):
            await import_paths(store, [export], now=NOW)
        assert await store.count_papers() == 0  # not the first two days either
        with sqlite3.connect(tmp_path / "papers.sqlite3") as db:
            db.execute("DROP TRIGGER refuse")
        report = await import_paths(store, [export], now=NOW)
        assert report.counts.new == 3
        # Each count is dated by its own day, as before.
        end_of = {p.id: dt.datetime.combine(p.day, dt.time(23, 59), tzinfo=dt.UTC) for p in papers}
        for p in papers:
            assert await store.upvotes_before([p.id], end_of[p.id]) == {p.id: p.upvotes}


async def test_when_a_run_of_files_cannot_be_written_the_files_before_the_bad_one_are_kept(
    tmp_path: Path,
) -> None:

    for n in (1, 2, 3):
        write_records([Paper(id=f"2606.0000{n}", title=f"Paper {n}")], tmp_path / f"{n}.jsonl")
    url = await refusing_database(tmp_path / "papers.sqlite3", "2606.00002")
    async with open_store(url) as store:
        with pytest.raises(StoreError, match=r"2\.jsonl: .*disk full"):
            await import_paths(store, [tmp_path], now=NOW)
        assert [p.id for p in await store.all_papers()] == ["2606.00001"]


UNTITLED = {
    "a Hugging Face daily item": {"paper": {"id": "2405.99999", "upvotes": 999999}},
    "a bare Hugging Face paper": {"id": "2405.99999", "upvotes": 999999, "authors": []},
    "an arXiv listing record": {"id": "2405.99999", "summary": "No title here."},
    "our export": {"id": "2405.99999", "abstract": "No title here.", "upvotes": 999999},
}


@pytest.mark.parametrize("form", list(UNTITLED))
async def test_a_record_without_a_title_is_a_bad_record(
    store: PaperStore, tmp_path: Path, form: str
) -> None:
    path = tmp_path / "2024-05-27.jsonl"
    good = {"id": "2405.00001", "title": "A paper", "abstract": "Text."}
    path.write_text(json.dumps(good) + "\n" + json.dumps(UNTITLED[form]) + "\n")
    report = await import_paths(store, [path], now=NOW)
    assert report.counts.new == 1 and report.counts.bad == 1
    [error] = report.errors
    assert error.startswith(f"{path}:2: ") and error.endswith("2405.99999 has no title")
    assert await store.get_paper("2405.99999") is None
    assert report.failed == []  # the file itself was read


async def test_files_nothing_could_be_read_from_are_listed_as_failed(
    store: PaperStore, tmp_path: Path
) -> None:
    only_bad = tmp_path / "bad.jsonl"
    only_bad.write_text('{"id": "2405.99999"}\nnot json\n')
    empty_day = tmp_path / "2026-06-06.json"  # a weekend: HF lists nothing, and that is fine
    empty_day.write_text("[]")
    empty_folder = tmp_path / "nothing"
    empty_folder.mkdir()
    missing = tmp_path / "missing.json"
    paths = [HF / "daily_papers_2026-03-03.json", only_bad, empty_day, empty_folder, missing]
    report = await import_paths(store, paths, now=NOW)
    assert report.failed == [empty_folder, only_bad, missing]
    assert report.counts.new == 5
    assert f"{empty_folder}: no .json, .jsonl, .gz or .xz files in it" in report.errors
    assert f"{missing}: cannot read (No such file or directory)" in report.errors


async def test_bad_records_beyond_the_first_twenty_are_counted_not_listed(
    store: PaperStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("not json\n" * 25)
    missing = tmp_path / "missing.json"
    with caplog.at_level(logging.INFO):
        report = await import_paths(store, [path, missing], now=NOW)
    assert report.counts.bad == 26
    assert len(report.errors) == 21 and report.unreported == 5
    assert report.errors[-1].startswith(f"{missing}: cannot read")  # a file is always said
    assert caplog.records == []  # the caller says each one; nothing is logged above DEBUG


async def test_the_snapshot_says_how_many_papers_it_loads(store: PaperStore) -> None:
    told: list[int] = []
    report = await load_snapshot_if_empty(store, now=NOW, on_count=told.append)
    assert report is not None
    assert told == [report.counts.new] == [await store.count_papers()]
    assert told[0] > 10_000


def test_write_records_removes_a_new_file_it_could_not_finish(tmp_path: Path) -> None:
    def papers() -> Iterator[Paper]:
        yield Paper(id="2606.00001", title="One")
        raise OSError(28, "No space left on device")

    out = tmp_path / "export.jsonl.xz"
    with pytest.raises(OSError, match="No space left"):
        write_records(papers(), out, preset=EXPORT_XZ_PRESET)
    assert not out.exists()


def test_a_fast_xz_preset_still_round_trips(tmp_path: Path) -> None:
    papers = [Paper(id=f"2606.0000{n}", title=f"Paper {n}") for n in range(1, 4)]
    out = tmp_path / "export.jsonl.xz"
    assert write_records(papers, out, preset=EXPORT_XZ_PRESET) == 3
    with lzma.open(out, "rt") as fh:
        assert [json.loads(line)["id"] for line in fh] == [p.id for p in papers]


def _many(n: int, *, first: int = 0) -> list[Paper]:
    """``n`` papers over three days, with upvotes, as big files have them."""
    days = [dt.date(2026, 6, d) for d in (1, 2, 3)]
    return [
        Paper(id=f"2606.{k:05d}", title=f"Paper {k}", day=days[k % 3], upvotes=k % 7, source="hf")
        for k in range(first, first + n)
    ]


def _write_big(papers: list[Paper], path: Path) -> None:
    """``papers`` as our export (JSON lines), or as one JSON array for ``.json`` names."""
    if ".jsonl" in path.name:
        write_records(papers, path)
        return
    plain = path.with_name(path.name.removesuffix(".gz")).with_suffix(".jsonl")
    write_records(papers, plain)
    records = [json.loads(line) for line in plain.read_text().splitlines()]
    text = "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n"
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    plain.unlink()


@pytest.mark.parametrize("name", ["big.jsonl", "big.jsonl.xz", "big.json", "big.json.gz"])
async def test_a_file_bigger_than_a_batch_is_written_batch_by_batch_as_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(files, "RUN_PAPERS", 100)
    papers = _many(350)
    path = tmp_path / name
    _write_big(papers, path)
    small = tmp_path / "small.jsonl"
    write_records(_many(5, first=1000), small)
    db_file = tmp_path / "papers.sqlite3"
    seen: list[tuple[Path, int, int]] = []

    def on_batch(done: Path, records: int) -> None:
        # Told while the file is still being read: what it says is committed already.
        with sqlite3.connect(db_file) as db:
            seen.append((done, records, db.execute("SELECT count(*) FROM papers").fetchone()[0]))

    progress: list[tuple[int, int]] = []
    async with open_store(f"sqlite:///{db_file}") as store:
        report = await import_paths(
            store,
            [small, path],
            now=NOW,
            progress=lambda done, total: progress.append((done, total)),
            on_batch=on_batch,
        )
        assert report.counts.new == 355 and report.counts.bad == 0 and report.failed == []
        # The small file is written (whole) before the big one's first batch.
        assert seen == [(path, 100, 105), (path, 200, 205), (path, 300, 305)]
        assert progress == [(1, 2), (2, 2)]
        assert await store.count_papers() == 355
        for p in papers:  # each upvote count dated by its own day, whatever its batch
            assert p.day is not None
            end = dt.datetime.combine(p.day, dt.time(23, 59), tzinfo=dt.UTC)
            assert await store.upvotes_before([p.id], end) == {p.id: p.upvotes}
            assert await store.upvotes_before([p.id], end - dt.timedelta(minutes=1)) == {}
        again = await import_paths(store, [small, path], now=NOW)
        assert again.counts.unchanged == 355 and again.counts.total == 355


async def test_bad_lines_of_a_big_file_are_reported_with_their_line_numbers(
    store: PaperStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "RUN_PAPERS", 10)
    lines = [json.dumps(r) for r in map(record_from_paper, _many(30))]
    lines[4] = "{broken"
    lines[25] = json.dumps({"id": "2606.99999", "abstract": "No title."})
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = await import_paths(store, [path], now=NOW)
    assert report.counts.new == 28 and report.counts.bad == 2
    assert [e.split(": ")[0] for e in report.errors] == [f"{path}:5", f"{path}:26"]


async def test_a_big_file_cut_short_keeps_its_whole_batches_and_says_where_it_broke(
    store: PaperStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "RUN_PAPERS", 100)
    whole = tmp_path / "whole.jsonl.xz"
    write_records(_many(1000), whole)
    cut = tmp_path / "cut.jsonl.xz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    report = await import_paths(store, [cut], now=NOW)
    assert report.failed == [cut]
    [error] = report.errors
    assert error.startswith(f"{cut}: damaged archive (Compressed file ended")
    kept = await store.count_papers()
    assert kept % 100 == 0 and 0 < kept < 1000 and report.counts.new == kept
    # Importing the whole file afterwards finishes the job.
    report = await import_paths(store, [whole], now=NOW)
    assert report.counts.new == 1000 - kept and report.counts.unchanged == kept


async def test_a_broken_json_array_is_not_imported_and_the_error_says_where(
    store: PaperStore, tmp_path: Path
) -> None:
    good = json.loads((HF / "daily_papers_2024-05-27.json").read_text())
    text = json.dumps(good, indent=1)
    head, tail = text.rsplit("\n },\n {", 1)
    broken = f"{head}\n }}\n {{{tail}"  # the last comma between two papers left out
    path = tmp_path / "2024-05-27.json"
    path.write_text(broken)
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(broken)
    report = await import_paths(store, [path], now=NOW)
    assert report.errors == [f"{path}: not valid JSON ({expected.value})"]
    assert report.failed == [path] and await store.count_papers() == 0
