"""The `paperbot` command as a new user runs it: a real process, no network, no tokens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA

ROOT = Path(__file__).parents[3]


def paperbot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOT_")}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=clean,
        timeout=120,
    )


def test_first_run_loads_the_snapshot_and_prints_trending(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/fresh.sqlite3"
    result = paperbot("trending", env={"PAPERBOT_DATABASE_URL": db, "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Trending")
    assert "1. " in result.stdout and "10. " in result.stdout
    assert "https://arxiv.org/abs/" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes


def test_default_database_lives_in_the_users_data_dir(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    result = paperbot("search", "ConvLLaVA", env=env)
    assert result.returncode == 0, result.stderr
    assert "ConvLLaVA" in result.stdout
    assert (tmp_path / "data" / "paperbot" / "paperbot.sqlite3").exists()


def test_search_paper_and_errors(snapshot_db: str) -> None:
    env = {"PAPERBOT_DATABASE_URL": snapshot_db}
    found = paperbot("search", "tensr product atention", env=env)
    assert "1. Tensor Product Attention Is All You Need" in found.stdout
    paper = paperbot("paper", "https://arxiv.org/abs/2405.15738v1", env=env)
    assert paper.returncode == 0 and "ConvLLaVA" in paper.stdout
    bad = paperbot("trending", "-n", "0", env=env)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "paperbot: -n: must be a whole number from 1 to 50"


def test_one_shot_commands_take_the_chats_words(snapshot_db: str) -> None:
    env = {"PAPERBOT_DATABASE_URL": snapshot_db}
    topic = paperbot("trending", "month", "diffusion", "-n", "3", env=env)
    assert topic.returncode == 0, topic.stderr
    assert topic.stdout.startswith("Trending") and "'diffusion'" in topic.stdout
    assert "3. " in topic.stdout and "4. " not in topic.stdout
    more = paperbot("search", "diffusion", env=env)
    assert "More: paperbot search diffusion page:2" in more.stdout


def test_offline_fetch_is_one_clear_line(tmp_path: Path) -> None:
    env = {
        "PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "PAPERBOT_HF_URL": "http://127.0.0.1:9",  # nothing listens on the discard port
        "PAPERBOT_HTTP_RETRIES": "0",
    }
    result = paperbot("fetch", "--source", "hf", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("paperbot: cannot reach 127.0.0.1")


def test_import_prints_a_summary_and_is_idempotent(tmp_path: Path) -> None:
    env = {"PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    first = paperbot("import", str(DATA / "hf"), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().startswith("6 files: ")
    assert " 0 bad" in first.stdout
    again = paperbot("import", str(DATA / "hf"), env=env)
    assert ": 0 new, 0 updated," in again.stdout


def test_bad_settings_name_the_variable(tmp_path: Path) -> None:
    result = paperbot("trending", env={"PAPERBOT_HTTP_TIMEOUT": "soon"})
    assert result.returncode == 2
    assert "PAPERBOT_HTTP_TIMEOUT" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_writes_what_import_reads(tmp_path: Path) -> None:
    env = {"PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3"}
    paperbot("import", str(DATA / "hf"), env=env)
    out = tmp_path / "papers.jsonl.xz"
    exported = paperbot("export", str(out), env=env)
    assert exported.returncode == 0 and "wrote 25 papers" in exported.stdout
    other = {"PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path}/b.sqlite3"}
    imported = paperbot("import", str(out), env=other)
    assert imported.stdout.startswith("1 file: 25 new, 0 updated, 0 unchanged, 0 bad")


def test_fetch_days() -> None:
    import datetime as dt

    import pytest

    from adapters.cli import fetch_days
    from bot.errors import UserError

    today = dt.date(2026, 6, 3)
    assert fetch_days(None, None, today) == [today]
    assert fetch_days(None, 3, today) == [dt.date(2026, 6, d) for d in (1, 2, 3)]
    assert fetch_days("2026-05-31", None, today)[0] == dt.date(2026, 5, 31)
    assert len(fetch_days("2026-05", None, today)) == 34
    for since, days in [("2026-07-01", None), ("soon", None), (None, 0), ("2026-06-01", 2)]:
        with pytest.raises(UserError):
            fetch_days(since, days, today)
