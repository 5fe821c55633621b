"""`paperbot db copy` as a user runs it: a real process, checked counts, resumable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]


def paperbot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_db_copy_moves_every_table_and_a_second_run_finds_nothing_left(
    snapshot_db: str, tmp_path: Path
) -> None:
    target = f"sqlite:///{tmp_path}/copy.sqlite3"
    first = paperbot("db", "copy", snapshot_db, target)
    assert first.returncode == 0, first.stderr
    assert "copied and checked" in first.stdout and "13,878" in first.stdout
    again = paperbot("db", "copy", snapshot_db, target)
    assert again.returncode == 0 and "│ papers            │ 13,878 │ 0 " in again.stdout
    found = subprocess.run(
        [sys.executable, "-m", "bot", "--database-url", target, "search", "ConvLLaVA"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert "ConvLLaVA" in found.stdout


def test_db_copy_refuses_a_database_onto_itself(snapshot_db: str) -> None:
    same = paperbot("db", "copy", snapshot_db, snapshot_db)
    assert same.returncode == 2 and "name the same database" in same.stderr


def test_db_copy_to_postgresql_and_search_there(snapshot_db: str, postgres_url: str) -> None:
    copied = paperbot("db", "copy", snapshot_db, postgres_url)
    assert copied.returncode == 0, copied.stderr
    assert "copied and checked" in copied.stdout and "13,878" in copied.stdout
    found = subprocess.run(
        [sys.executable, "-m", "bot", "--database-url", postgres_url, "search", "ConvLLaVA"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert "ConvLLaVA" in found.stdout
