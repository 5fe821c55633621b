"""The `paperbot` command as a real process: a runner, and databases to give it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).parents[3]
# Generous: a bound on a hung process, never a measure of speed.
PROCESS_TIMEOUT = 120


def environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any paperbot, Slack or Discord setting."""
    prefixes = ("PAPERBOT_", "SLACK_", "DISCORD_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    clean.update(env or {})
    return clean


def paperbot(
    *args: str, env: dict[str, str] | None = None, stdout: int | IO[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` from the repository root; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        stdout=subprocess.PIPE if stdout is None else stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=environment(env),
        timeout=PROCESS_TIMEOUT,
    )


async def start_paperbot(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`python -m bot ARGS` started in the background, for a test that serves it."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=environment(env),
    )


@pytest.fixture
def filled_db(snapshot_db: str, tmp_path: Path) -> str:
    """The URL of a private copy of the snapshot database: no first-run loading."""
    copy = tmp_path / "filled.sqlite3"
    shutil.copyfile(snapshot_db.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stderr.splitlines()
