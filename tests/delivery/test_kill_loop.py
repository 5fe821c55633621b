"""SIGKILL the bot at random moments of a fetch, an import and a fan-out, 100 times: the
database stays whole, no subscription is lost, every post goes out exactly once.

Each run is aimed at a step the driver announces (start-up, subscribing, the fetch, the
import, the fan-out, or after the first few posts), then killed a random moment into it.
Aiming at a step, not at a time after start, keeps the kills landing inside the work on a
machine of any speed: a CI runner that finished a run in a second let most kills timed
for a slower one arrive after the process had exited."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.ingest import write_records
from bot.ingest.files import read_file
from tests.delivery.kill_driver import PHASES, SUBSCRIPTIONS

ROOT = Path(__file__).parents[2]
SNAPSHOT = ROOT / "bot" / "data" / "snapshot.jsonl.xz"
KILLS = 100
# Where a run is aimed: a step and how many of its announcements to wait for.
TARGETS = [(phase, 1) for phase in PHASES] + [("post", 1), ("post", 5), ("post", 10)]


def check(db: Path) -> tuple[int, int]:
    """The database's integrity, then (subscriptions, papers)."""
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        subs = con.execute("SELECT count(*) FROM subscriptions").fetchone()[0]
        papers = con.execute("SELECT count(*) FROM papers").fetchone()[0]
    return subs, papers


def test_a_hundred_kills_at_random_moments(tmp_path: Path) -> None:
    papers, errors = read_file(SNAPSHOT)
    assert not errors
    source = tmp_path / "papers.jsonl"
    write_records(papers[:3000], source)
    db, out = tmp_path / "bot.sqlite3", tmp_path / "chat.txt"
    command = [sys.executable, "-m", "tests.delivery.kill_driver", str(db), str(out), str(source)]
    rng = random.Random(13)
    most_subs = 0
    killed = 0
    for _ in range(KILLS):
        phase, times = rng.choice(TARGETS)
        with subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process:
            assert process.stdout is not None
            seen = 0
            for line in process.stdout:  # ends early when the run has no such step left
                seen += line.strip() == phase
                if seen == times:
                    # A moment into the step: at once, or up to a tenth of a second on.
                    time.sleep(rng.choice([0.0, rng.uniform(0.0, 0.1)]))
                    break
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                killed += 1
            _, stderr = process.communicate(timeout=120)
        assert "Traceback" not in stderr, stderr
        if db.exists():
            subs, _ = check(db)
            assert subs >= most_subs  # a subscription, once there, stays
            most_subs = max(most_subs, subs)
    assert killed >= KILLS // 2  # most runs were cut short somewhere
    # Then it runs to the end, twice: everything there, each post once.
    for _ in range(2):
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    subs, count = check(db)
    assert subs == SUBSCRIPTIONS
    assert count >= 3000
    keys = [line.split("\t")[0] for line in out.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == SUBSCRIPTIONS
