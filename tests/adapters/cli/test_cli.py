"""The `paperbot` command as a new user runs it: a real process, no network, no tokens."""

from __future__ import annotations

import lzma
import os
from pathlib import Path

import pytest

from bot.ingest import bundled_snapshot
from tests.adapters.cli.conftest import paperbot


def snapshot_size() -> int:
    path = bundled_snapshot()
    assert path is not None
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def test_first_run_says_it_loads_the_snapshot_then_prints_trending(tmp_path: Path) -> None:
    env = {"PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path}/fresh.sqlite3", "HOME": str(tmp_path)}
    first = paperbot("trending", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stderr == (
        f"paperbot: first run: loading {snapshot_size():,} papers from the bundled snapshot…\n"
    )
    assert first.stdout.startswith("Trending")
    assert "1. " in first.stdout and "10. " in first.stdout
    assert "https://arxiv.org/abs/" in first.stdout
    assert "\x1b[" not in first.stdout  # not a terminal: no colour codes
    again = paperbot("trending", env=env)
    assert again.returncode == 0 and again.stderr == ""  # said on the first run only


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
    for wrong in ("0", "-5", "500", "ten"):  # bounds are checked, naming -n
        bad = paperbot("trending", "-n", wrong, env=env)
        assert bad.returncode == 2, wrong
        assert bad.stderr.strip() == "paperbot: -n: must be a whole number from 1 to 50"
    missing = paperbot(
        "paper", "2607.99999", env={**env, "PAPERBOT_ARXIV_URL": "http://127.0.0.1:9"}
    )
    assert missing.returncode == 1  # a paper that is not there is not a wrong argument


def test_one_shot_commands_take_the_chats_words(snapshot_db: str) -> None:
    env = {"PAPERBOT_DATABASE_URL": snapshot_db}
    topic = paperbot("trending", "month", "diffusion", "-n", "3", env=env)
    assert topic.returncode == 0, topic.stderr
    assert topic.stdout.startswith("Trending") and "'diffusion'" in topic.stdout
    assert "3. " in topic.stdout and "4. " not in topic.stdout
    more = paperbot("search", "diffusion", env=env)
    assert "More: paperbot search diffusion page:2" in more.stdout


def closed_pipe() -> int:
    """The write end of a pipe whose reader is already gone, as after `| head -1`."""
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("command", [["search", "diffusion"], ["export", "-"]])
def test_a_reader_that_goes_away_ends_the_command_quietly(
    snapshot_db: str, command: list[str]
) -> None:
    stdout = closed_pipe()
    try:
        result = paperbot(*command, env={"PAPERBOT_DATABASE_URL": snapshot_db}, stdout=stdout)
    finally:
        os.close(stdout)
    # As Python's docs advise for SIGPIPE: exit 1, and nothing about it on stderr.
    assert result.returncode == 1
    assert result.stderr == ""


def test_a_wrong_log_level_exits_2_naming_the_variable_and_its_values() -> None:
    result = paperbot("trending", env={"PAPERBOT_LOG_LEVEL": "LOUD"})
    assert result.returncode == 2
    assert result.stderr == (
        "paperbot: configuration: PAPERBOT_LOG_LEVEL: 'LOUD' is not one of "
        "DEBUG, INFO, WARNING, ERROR\n"
    )


def test_every_wrong_setting_is_named_at_once() -> None:
    env = {"PAPERBOT_HTTP_TIMEOUT": "soon", "PAPERBOT_HF_URL": "huggingface.co"}
    result = paperbot("trending", env=env)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("paperbot: configuration: ")
    assert "PAPERBOT_HTTP_TIMEOUT: 'soon'" in line
    assert "PAPERBOT_HF_URL: 'huggingface.co' is not an http(s) URL" in line


def test_a_wrong_database_url_option_exits_2_naming_the_option() -> None:
    result = paperbot("--database-url", "mysql://db/papers", "trending")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "paperbot: configuration: --database-url: 'mysql://db/papers' is not a database URL"
    )


def database_cases(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """A database URL a user could get wrong, and the start of the line that says so."""
    text = tmp_path / "notes.txt"
    text.write_text("these are my notes, not a database\n")
    return {
        "a folder": (f"sqlite:///{tmp_path}", f"paperbot: cannot open the database at {tmp_path}"),
        "not a database": (
            f"sqlite:///{text}",
            f"paperbot: cannot use the database at {text}: file is not a database",
        ),
        "under a file": (
            f"sqlite:///{text}/papers.sqlite3",
            f"paperbot: cannot open the database at {text}/papers.sqlite3",
        ),
    }


@pytest.mark.parametrize("case", ["a folder", "not a database", "under a file"])
def test_a_database_that_cannot_be_used_is_one_line(tmp_path: Path, case: str) -> None:
    url, said = database_cases(tmp_path)[case]
    result = paperbot("search", "diffusion", env={"PAPERBOT_DATABASE_URL": url})
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(said)
    assert "unexpected error" not in line


def test_a_missing_database_folder_is_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new/folder/papers.sqlite3"
    result = paperbot("search", "diffusion", env={"PAPERBOT_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new" / "folder" / "papers.sqlite3").is_file()
