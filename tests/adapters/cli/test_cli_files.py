"""`paperbot import` and `paperbot export`: what a user sees, good files and bad."""

from __future__ import annotations

import gzip
import json
import lzma
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adapters.cli.conftest import ROOT, paperbot
from tests.conftest import DATA

HF = DATA / "hf"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
# Root reads and writes whatever the permission bits say.
needs_permissions = pytest.mark.skipif(AS_ROOT, reason="root ignores file permissions")


def db_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        # Nothing here may reach the internet: a paper not in the database is looked up.
        "PAPERBOT_ARXIV_URL": "http://127.0.0.1:9",
        "PAPERBOT_HF_URL": "http://127.0.0.1:9",
    }


def test_import_prints_a_summary_and_is_idempotent(tmp_path: Path) -> None:
    env = db_env(tmp_path)
    first = paperbot("import", str(HF), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "6 files: 25 new, 0 updated, 1 unchanged, 0 bad\n"
    assert first.stderr == ""
    again = paperbot("import", str(HF), env=env)
    assert again.stdout == "6 files: 0 new, 0 updated, 26 unchanged, 0 bad\n"


def _missing(tmp_path: Path) -> tuple[Path, str]:
    return Path("/nonexistent/file.json"), "cannot read (No such file or directory)"


def _garbage(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "garbage.json"
    path.write_text("garbage\n")
    return path, "not valid JSON (Expecting value: line 1 column 1 (char 0))"


def _not_text(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "photo.jsonl"
    path.write_bytes(b"\xff\xd8\xff\xe0 a JPEG, renamed\n")
    return path, "not UTF-8 text (invalid start byte at byte 0)"


def _cut_archive(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "cut.jsonl.xz"
    path.write_bytes(lzma.compress((HF / "daily_papers_2024-05-27.json").read_bytes())[:100])
    return path, "damaged archive (Compressed file ended before the end-of-stream marker"


def _under_a_file(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "notes.txt").write_text("notes\n")
    return tmp_path / "notes.txt" / "papers.json", "cannot read (Not a directory)"


def _unreadable(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "secret.json"
    path.write_text("[]")
    path.chmod(0)
    return path, "cannot read (Permission denied)"


def _empty_folder(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "empty"
    path.mkdir()
    return path, "no .json, .jsonl, .gz or .xz files in it"


BAD_FILES: dict[str, Callable[[Path], tuple[Path, str]]] = {
    "missing": _missing,
    "garbage": _garbage,
    "not text": _not_text,
    "a cut archive": _cut_archive,
    "under a file": _under_a_file,
    "unreadable": _unreadable,
    "an empty folder": _empty_folder,
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(name, marks=needs_permissions) if name == "unreadable" else name
        for name in BAD_FILES
    ],
)
def test_a_file_that_cannot_be_imported_fails_naming_it(tmp_path: Path, case: str) -> None:
    path, why = BAD_FILES[case](tmp_path)
    result = paperbot("import", str(path), env=db_env(tmp_path))
    assert result.returncode == 1
    [line] = result.stderr.splitlines()  # said once: no log line repeats it
    assert line.startswith(f"skipped {path}: {why}")
    if case == "an empty folder":
        assert result.stdout == "0 files: 0 new, 0 updated, 0 unchanged, 0 bad\n"
    else:
        assert result.stdout == "1 file: 0 new, 0 updated, 0 unchanged, 1 bad\n"


def test_the_good_files_are_imported_though_others_fail(tmp_path: Path) -> None:
    env = db_env(tmp_path)
    garbage, _ = _garbage(tmp_path)
    result = paperbot("import", str(HF), "/nonexistent/file.json", str(garbage), env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "skipped /nonexistent/file.json: cannot read (No such file or directory)",
        f"skipped {garbage}: not valid JSON (Expecting value: line 1 column 1 (char 0))",
    ]
    assert result.stdout == "8 files: 25 new, 0 updated, 1 unchanged, 2 bad\n"
    found = paperbot("paper", "2405.15738", env=env)
    assert found.returncode == 0 and "ConvLLaVA" in found.stdout


def test_bad_records_are_each_reported_once_and_the_file_still_imports(tmp_path: Path) -> None:
    good = json.loads((HF / "daily_papers_2024-05-27.json").read_text())[0]
    untitled = {"id": "2405.99999", "upvotes": 999999}  # a bare HF paper with no title
    day = tmp_path / "2024-05-27.jsonl"
    day.write_text("\n".join(json.dumps(r) for r in [good, untitled, "text"]) + "\n")
    result = paperbot("import", str(day), env=db_env(tmp_path))
    assert result.returncode == 0, result.stderr  # the file was read: bad records are skipped
    assert result.stderr.splitlines() == [
        f"skipped {day}:2: paper 2405.99999 has no title",
        f"skipped {day}:3: record is not a JSON object",
    ]
    assert result.stdout == "1 file: 1 new, 0 updated, 0 unchanged, 2 bad\n"
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("SELECT id FROM papers").fetchall() == [(good["paper"]["id"],)]


def test_a_terminal_sees_the_progress_bar(tmp_path: Path) -> None:
    # TTY_COMPATIBLE=1 makes rich draw on a pipe as on a terminal.
    env = {**db_env(tmp_path), "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "0", "NO_COLOR": "1"}
    result = paperbot("import", str(HF), env=env)
    assert result.returncode == 0
    assert "importing" in result.stderr and "6/6" in result.stderr


def exported(tmp_path: Path) -> dict[str, str]:
    """A database of the 25 papers of the recorded Hugging Face days."""
    env = db_env(tmp_path)
    assert paperbot("import", str(HF), env=env).returncode == 0
    return env


def test_export_writes_what_import_reads(tmp_path: Path) -> None:
    env = exported(tmp_path)
    out = tmp_path / "papers.jsonl.xz"
    result = paperbot("export", str(out), env=env)
    assert result.returncode == 0 and result.stdout == f"wrote 25 papers to {out}\n"
    other = {"PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path}/b.sqlite3"}
    imported = paperbot("import", str(out), env=other)
    assert imported.stdout == "1 file: 25 new, 0 updated, 0 unchanged, 0 bad\n"


def test_export_dash_writes_json_lines_to_standard_output(tmp_path: Path) -> None:
    env = exported(tmp_path)
    result = paperbot("export", "-", env=env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 25 and all(r["id"] and r["title"] for r in records)
    assert result.stderr == "wrote 25 papers to standard output\n"
    assert not (ROOT / "-").exists()


@pytest.mark.parametrize("name", ["existing", "new/"])
def test_export_to_a_folder_is_refused_naming_it(tmp_path: Path, name: str) -> None:
    (tmp_path / "existing").mkdir()
    target = f"{tmp_path}/{name}"
    result = paperbot("export", target, env=db_env(tmp_path))
    assert result.returncode == 1
    example = Path(target) / "papers.jsonl"
    assert result.stderr == (
        f"paperbot: export: {target} is a folder; give a file name, such as {example}\n"
    )
    assert not (tmp_path / "db.sqlite3").exists()  # refused before opening anything


def test_export_under_a_file_says_what_is_in_the_way(tmp_path: Path) -> None:
    env = exported(tmp_path)
    (tmp_path / "notes.txt").write_text("notes\n")
    target = tmp_path / "notes.txt" / "papers.jsonl"
    result = paperbot("export", str(target), env=env)
    assert result.returncode == 1
    assert result.stderr == (
        f"paperbot: cannot write {target}: {tmp_path / 'notes.txt'} is not a folder\n"
    )


@needs_permissions
def test_export_into_a_folder_that_cannot_be_written(tmp_path: Path) -> None:
    env = exported(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    target = locked / "papers.jsonl"
    result = paperbot("export", str(target), env=env)
    assert result.returncode == 1
    assert result.stderr == f"paperbot: cannot write {target}: Permission denied\n"


def test_a_file_of_many_batches_is_imported_whole_and_reported_as_it_goes(
    tmp_path: Path,
) -> None:
    # Two batches of 20,000 and a last one of 500: written as they are read.
    big = tmp_path / "big.jsonl.gz"
    with gzip.open(big, "wt", encoding="utf-8") as fh:
        for k in range(40_500):
            record = {"id": f"2606.{k:05d}", "title": f"Paper {k}", "abstract": ""}
            fh.write(json.dumps(record) + "\n")
    result = paperbot("-v", "import", str(big), env=db_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1 file: 40500 new, 0 updated, 0 unchanged, 0 bad\n"
    told = [line for line in result.stderr.splitlines() if "records read" in line]
    assert told == [
        f"INFO bot: {big}: 20000 records read and written so far",
        f"INFO bot: {big}: 40000 records read and written so far",
    ]
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("SELECT count(*), max(id) FROM papers").fetchone() == (
            40_500,
            "2606.40499",
        )
