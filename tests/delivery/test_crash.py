"""Kill the bot with SIGKILL mid-fan-out and restart it: no post lost, none repeated."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.delivery.crash_driver import SUBSCRIPTIONS

ROOT = Path(__file__).parents[2]


def run(db: Path, out: Path, *flags: str) -> int:
    result = subprocess.run(
        [sys.executable, "-m", "tests.delivery.crash_driver", str(db), str(out), *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode


@pytest.mark.parametrize("flag", ["--die-before", "--die-after"])
def test_killed_mid_fan_out_then_restarted(tmp_path: Path, flag: str) -> None:
    db, out = tmp_path / "bot.sqlite3", tmp_path / "chat.txt"
    assert run(db, out, flag, "3") == -signal.SIGKILL
    lines = out.read_text().splitlines()
    assert len(lines) == (2 if flag == "--die-before" else 3)
    assert run(db, out) == 0
    lines = out.read_text().splitlines()
    keys = [line.split("\t")[0] for line in lines]
    assert len(keys) == SUBSCRIPTIONS == len(set(keys))  # every post once
    places = {line.split("\t")[1] for line in lines}
    assert len(places) == SUBSCRIPTIONS
    assert run(db, out) == 0  # a third start has nothing left to do
    assert len(out.read_text().splitlines()) == SUBSCRIPTIONS
