"""Memory of a running bot: `paperbot run slack` on a big database, answering searches.

For each corpus size it copies the cached corpus, starts the real `paperbot run slack`
process (HTTP mode) against a loopback fake of Slack's Web API, sends it signed
``/papers search`` commands (one at a time, then 20 at once), and reads the process's
resident memory from ``/proc``: after start, after the searches, and its peak (VmHWM).
The time from a request to the HTTP answer is reported as p50/p99 beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from bench.corpus import REPO, corpus_file, git_commit, load_real
from bench.search_bench import parse_size, percentile
from tests.adapters.slack.fake_web_api import FakeSlack, serving, signed_headers, slash_command

BENCH = Path(__file__).resolve().parent
SECRET = "bench-signing-secret"
# The targets: peak RSS of a running bot.
TARGET_MB = {1_000_000: 400, 2_500_000: 600}
START_TIMEOUT = 600.0


def _status_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def _queries(path: Path, n: int, seed: int) -> list[str]:
    """Searches a reader would type: a few words of a title, or a surname and a word."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        (top,) = db.execute("SELECT max(rowid) FROM papers").fetchone()
        rng = random.Random(seed)
        out = []
        while len(out) < n:
            row = db.execute(
                "SELECT title, authors FROM papers WHERE rowid = ?", (rng.randint(1, top),)
            ).fetchone()
            if row is None:
                continue
            words = row[0].split()
            if rng.random() < 0.7 or row[1] == "[]":
                k = rng.randint(2, min(5, len(words)))
                out.append(" ".join(words[:k]))
            else:
                surname = json.loads(row[1])[0].split()[-1]
                out.append(f"{surname} {rng.choice(words)}")
        return out


async def _command(http: httpx.AsyncClient, fake: FakeSlack, text: str, user: str) -> float:
    """Seconds from a signed ``/papers TEXT`` to the bot's HTTP answer."""
    body = slash_command(fake.response_url(), text, user=user)
    headers = signed_headers(SECRET, body, "application/x-www-form-urlencoded")
    start = time.perf_counter()
    answer = await http.post("/slack/events", content=body, headers=headers)
    answer.raise_for_status()
    return time.perf_counter() - start


@dataclass(frozen=True)
class _Run:
    start_s: float
    started: dict[str, float]  # VmRSS and VmHWM after start, MB
    after_one: dict[str, float]  # after the searches one at a time
    end: dict[str, float]  # after the searches 20 at once
    one: list[float]  # seconds to each answer, one at a time
    many: list[float]  # 20 at once


async def _run_bot(
    env: dict[str, str], log_file: IO[bytes], fake: FakeSlack, queries: list[str]
) -> _Run | None:
    """Start the bot, send it ``queries`` one at a time then 20 at once, and stop it as
    `docker stop` does; None when it would not stop (its stacks are then in the log)."""
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "run", "slack", "--port", "0"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=log_file,
    )
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)).decode()
        if "port" not in line:
            raise RuntimeError(f"the bot did not start: {line!r}")
        port = int(line.split(" on port ")[1].split()[0])
        start_s = time.perf_counter() - start
        started = _status_mb(process.pid)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            one = [await _command(http, fake, f"search {q}", "U1") for q in queries]
            after_one = _status_mb(process.pid)
            many: list[float] = []
            for chunk in range(0, len(queries), 20):
                many += await asyncio.gather(
                    *(
                        _command(http, fake, f"search {q}", f"U{n}")
                        for n, q in enumerate(queries[chunk : chunk + 20])
                    )
                )
        end = _status_mb(process.pid)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.send_signal(signal.SIGABRT)
            await process.wait()
            return None
    return _Run(start_s, started, after_one, end, one, many)


async def measure(size: int | None, args: argparse.Namespace) -> dict[str, Any]:
    corpus = load_real(args.shared)
    cached = await corpus_file(corpus, size, args.cache)
    label = f"{size:,}" if size else f"{len(corpus.papers):,} (real)"
    queries = _queries(cached, args.queries, args.seed)
    async with serving(FakeSlack()) as fake:
        with tempfile.TemporaryDirectory(prefix="paperbot-memory-", dir=args.tmp) as tmp:
            db, log_path = Path(tmp) / "bot.sqlite3", Path(tmp) / "bot.log"
            shutil.copyfile(cached, db)
            env = {
                **os.environ,
                "PAPERBOT_DATABASE_URL": f"sqlite:///{db}",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_API_URL": fake.api_url,
                # The daily posts stay in their process; they must not reach the internet.
                "PAPERBOT_HF_URL": fake.url,
                "PAPERBOT_ARXIV_URL": fake.url,
                "PAPERBOT_ARXIV_RSS_URL": fake.url,
                # A bot that does not stop dumps its threads' stacks on SIGABRT.
                "PYTHONFAULTHANDLER": "1",
            }
            # A file, not a pipe: a bot that logs more than a pipe holds would block on it.
            with log_path.open("wb") as log_file:
                run = await _run_bot(env, log_file, fake, queries)
            err = log_path.read_bytes()
    if b"Traceback" in err or run is None:
        print(err.decode()[-6000:])
    if run is None:
        raise RuntimeError("the bot did not stop within 60 s of SIGTERM")
    papers = size or len(corpus.papers)
    target = next((mb for n, mb in sorted(TARGET_MB.items()) if papers <= n), None)
    return {
        "papers": papers,
        "label": label,
        "start_s": round(run.start_s, 2),
        "rss_start_mb": round(run.started["VmRSS"], 1),
        "rss_after_searches_mb": round(run.after_one["VmRSS"], 1),
        "rss_end_mb": round(run.end["VmRSS"], 1),
        "peak_rss_mb": round(run.end["VmHWM"], 1),
        "target_mb": target,
        "met": None if target is None else run.end["VmHWM"] <= target,
        "searches": len(run.one) + len(run.many),
        "one_at_a_time_ms": {
            "p50": round(percentile(run.one, 50) * 1000, 1),
            "p99": round(percentile(run.one, 99) * 1000, 1),
        },
        "twenty_at_once_ms": {
            "p50": round(percentile(run.many, 50) * 1000, 1),
            "p99": round(percentile(run.many, 99) * 1000, 1),
        },
        "traceback": b"Traceback" in err,
        "log_lines": {
            level: err.count(f"{level} ".encode()) for level in ("WARNING", "ERROR", "CRITICAL")
        },
    }


async def main(args: argparse.Namespace) -> None:
    commit = git_commit()
    print(f"paperbot {commit}; load average {os.getloadavg()[0]:.2f}")
    rows = []
    for size in args.sizes:
        row = await measure(size, args)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    head = "papers      start s  RSS start  after  end MB  peak MB  target  1-at-once p50/p99 ms"
    print(head + "  20-at-once p50/p99 ms")
    for r in rows:
        target = f"<= {r['target_mb']}" if r["target_mb"] else "-"
        verdict = "" if r["met"] is None else (" met" if r["met"] else " MISSED")
        one, many = r["one_at_a_time_ms"], r["twenty_at_once_ms"]
        print(
            f"{r['label']:>11} {r['start_s']:>7} {r['rss_start_mb']:>10} "
            f"{r['rss_after_searches_mb']:>6} {r['rss_end_mb']:>7} {r['peak_rss_mb']:>8} "
            f"{target + verdict:>10}  {one['p50']:>7} / {one['p99']:<7}  "
            f"{many['p50']:>7} / {many['p99']}"
        )
    out = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "load_average_1min_end": round(os.getloadavg()[0], 2),
        "runs": rows,
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.results}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared" / "data", help="shared/data"
    )
    parser.add_argument("--cache", type=Path, default=BENCH / ".cache", help="corpus files")
    parser.add_argument("--tmp", type=Path, default=None, help="where the copy goes")
    parser.add_argument(
        "--sizes",
        default=[100_000, 1_000_000],
        type=lambda s: [parse_size(x) for x in s.split(",")],
        help="corpus sizes: real, 100k, 1m, 2.5m (default: 100k,1m)",
    )
    parser.add_argument("--queries", type=int, default=200, help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    parser.add_argument(
        "--results", type=Path, default=BENCH / "results" / "memory.json", help="JSON out"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    asyncio.run(main(parse_args()))
