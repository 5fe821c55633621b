"""The real bot under a steady mixed load, with faults, for a bounded time.

    python -m bench.soak                 # 20 minutes
    python -m bench.soak --minutes 3     # a short one

`paperbot run slack` runs as its own process on a fresh database (the bundled
snapshot), against the loopback fake Slack and a fake Hugging Face / arXiv that answers
500s, 429s with Retry-After, malformed JSON and XML, empty days, answers slower than
the bot's timeout, and now and then a real recorded day. Meanwhile this script sends
signed slash commands at a steady rate (search, trending, paper, list, help and
mistakes, up to 20 in flight), has channels subscribe to daily posts whose times fall
during the run, and makes Slack answer some posts with 429 (Retry-After) or 500.

It reports commands served, time to Slack's acknowledgement and to the answer (p50 /
p99), errors (answers saying something went wrong, failed requests, tracebacks in the
log), resident memory at start and end, and daily posts due / delivered / missing /
doubled (from the fake's channel histories), then checks the database with
``PRAGMA integrity_check``. JSON: ``bench/results/soak.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bench.corpus import REPO, git_commit
from bench.memory_bench import _status_mb
from bench.search_bench import percentile
from tests.adapters.slack.fake_web_api import FakeSlack, serving, signed_headers, slash_command

SECRET = "50ak5ecre750ak5ecre750ak5ecre7ab"
FORM = "application/x-www-form-urlencoded"
SORRY = "something went wrong"
HF_DAYS = REPO.parent / "shared" / "data" / "hf_daily_papers"


def upstream(rng: random.Random, stats: Counter[str]) -> web.Application:
    """A Hugging Face and arXiv that fail in every way they do, and sometimes work."""
    days = sorted(HF_DAYS.glob("*.json")) if HF_DAYS.exists() else []

    async def answer(request: web.Request) -> web.StreamResponse:
        xml = "arxiv" in request.path or "rss" in request.path or "query" in request.path
        mode = rng.choice(["500", "429", "malformed", "empty", "slow", "ok", "ok"])
        stats[mode] += 1
        if mode == "500":
            return web.Response(status=500, text="internal error")
        if mode == "429":
            return web.Response(status=429, text="slow down", headers={"Retry-After": "2"})
        if mode == "malformed":
            return web.Response(text="<feed><entry>" if xml else '{"paper": [', status=200)
        if mode == "slow":
            await asyncio.sleep(30)  # past the bot's PAPERBOT_HTTP_TIMEOUT
            return web.Response(text="[]")
        if mode == "empty" or xml or not days:
            if "rss" in request.path:
                body = '<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>'
            else:
                body = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>'
            kind = "text/xml" if xml else "application/json"
            return web.Response(text=body if xml else "[]", content_type=kind)
        return web.Response(text=rng.choice(days).read_text(), content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


COMMANDS = [
    "search diffusion models",
    "search large language model reasoning",
    "search author:hinton",
    "search graph neural networks -survey",
    "search difusion transformr",
    "trending",
    "trending day",
    "trending month robotics",
    "paper 2406.12345",
    "paper 2401.04088",
    "help",
    "list",
    "subscribe robots at 25:99",
    "frobnicate",
    "search",
]


async def main(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    faults: Counter[str] = Counter()
    fake = FakeSlack()
    runner, upstream_url = await serve(upstream(rng, faults))
    stop_at = time.perf_counter() + args.minutes * 60
    sent: dict[str, float] = {}  # response URL number -> when the command was sent
    acks: list[float] = []
    failed_requests = 0
    sorry = 0
    commands = 0
    injected = 0
    async with serving(fake):
        with tempfile.TemporaryDirectory(prefix="paperbot-soak-") as tmp:
            db, log_path = Path(tmp) / "bot.sqlite3", Path(tmp) / "bot.log"
            env = {
                **os.environ,
                "PAPERBOT_DATABASE_URL": f"sqlite:///{db}",
                "PAPERBOT_LOG_LEVEL": "INFO",
                "PAPERBOT_HTTP_TIMEOUT": "5",
                "PAPERBOT_REFRESH_MINUTES": "1",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-soak",
                "SLACK_API_URL": fake.api_url,
                "PAPERBOT_HF_URL": upstream_url,
                "PAPERBOT_ARXIV_URL": upstream_url,
                "PAPERBOT_ARXIV_RSS_URL": upstream_url,
                "PYTHONFAULTHANDLER": "1",
            }
            with log_path.open("wb") as log_file:
                process = await asyncio.create_subprocess_exec(
                    *(sys.executable, "-m", "bot", "run", "slack", "--port", "0"),
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=log_file,
                )
                assert process.stdout is not None
                line = (await asyncio.wait_for(process.stdout.readline(), 180)).decode()
                port = int(line.split(" on port ")[1].split()[0])
                rss_start = _status_mb(process.pid)
                http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60)

                async def command(text: str, user: str, channel: str = "C1") -> None:
                    nonlocal failed_requests, commands
                    url = fake.response_url()
                    body = slash_command(url, text, user=user, channel=channel)
                    start = time.perf_counter()
                    sent[url.rsplit("/", 1)[1]] = start
                    try:
                        response = await http.post(
                            "/slack/events",
                            content=body,
                            headers=signed_headers(SECRET, body, FORM),
                        )
                    except httpx.HTTPError:
                        failed_requests += 1
                        return
                    commands += 1
                    if response.status_code != 200:
                        failed_requests += 1
                    acks.append(time.perf_counter() - start)

                # Daily posts falling during the run: three channels a minute from the
                # second minute, each at its own minute of the day (UTC).
                first = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
                slots = []
                for k in range(max(int(args.minutes) - 2, 1) * 3):
                    at = first + dt.timedelta(minutes=2 + k // 3)
                    channel = f"CS{k:03d}"
                    topic = ("", "diffusion ", "language models ")[k % 3]
                    text = f"subscribe {topic}at {at:%H:%M} UTC daily count 5"
                    await command(text, "U1", channel)
                    slots.append((channel, at))
                # The steady load, with Slack faults injected now and then.
                in_flight: set[asyncio.Task[None]] = set()
                n = 0
                while time.perf_counter() < stop_at:
                    if n % 150 == 0:
                        fake.fail(
                            "chat.postMessage", "ratelimited", status=429, **{"Retry-After": "1"}
                        )
                        injected += 1
                    if n % 400 == 200:
                        fake.fail("chat.postMessage", "internal_error", status=500)
                        injected += 1
                    while len(in_flight) >= 20:
                        await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                        in_flight = {t for t in in_flight if not t.done()}
                    task = asyncio.create_task(command(rng.choice(COMMANDS), f"U{n % 50}"))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                    n += 1
                    await asyncio.sleep(1 / args.rate)
                if in_flight:
                    await asyncio.wait(in_flight)
                # The last posts: their slot, then until every due one is out (a post
                # Slack failed is retried 1 then 2 minutes later), at most 5 minutes.
                last = slots[-1][1]
                await asyncio.sleep(max(0.0, (last - dt.datetime.now(dt.UTC)).total_seconds()))
                give_up = time.perf_counter() + 300
                while time.perf_counter() < give_up and not all(
                    any(m["text"].startswith("Papers") for m in fake.history.get(c, []))
                    for c, _ in slots
                ):
                    await asyncio.sleep(1)
                rss_end = _status_mb(process.pid)
                await http.aclose()
                process.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(process.wait(), 60)
            log = log_path.read_text()
            args.results.with_suffix(".log").write_text(log)
            with contextlib.closing(sqlite3.connect(db)) as con:
                integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
                subscriptions = con.execute("SELECT count(*) FROM subscriptions").fetchone()[0]
                query = "SELECT status, count(*) FROM deliveries GROUP BY status"
                statuses = dict(con.execute(query).fetchall())
    await runner.cleanup()
    latencies = [fake.answered[k] - sent[k] for k in fake.answered if k in sent]
    for call in fake.of("respond"):
        sorry += SORRY in json.dumps(call)
    now = dt.datetime.now(dt.UTC)
    due = [(c, at) for c, at in slots if at <= now]
    posts = {
        c: [m for m in fake.history.get(c, []) if m["text"].startswith("Papers")] for c, _ in due
    }
    result = {
        "date": now.isoformat(timespec="seconds"),
        "commit": git_commit(),
        "minutes": args.minutes,
        "rate_per_s": args.rate,
        "load_average_1min_end": round(os.getloadavg()[0], 2),
        "commands_sent": commands,
        "answered": len(latencies),
        "ack_ms": {
            "p50": round(percentile(acks, 50) * 1000, 1),
            "p99": round(percentile(acks, 99) * 1000, 1),
        },
        "answer_ms": {
            "p50": round(percentile(latencies, 50) * 1000, 1),
            "p99": round(percentile(latencies, 99) * 1000, 1),
        },
        "failed_requests": failed_requests,
        "answers_saying_something_went_wrong": sorry,
        "tracebacks_in_log": log.count("Traceback"),
        "log_errors": log.count(" ERROR "),
        "rss_mb": {
            "start": round(rss_start["VmRSS"], 1),
            "end": round(rss_end["VmRSS"], 1),
            "peak": round(rss_end["VmHWM"], 1),
        },
        "upstream_answers": dict(faults),
        "slack_faults_injected": injected,
        "subscriptions": subscriptions,
        "posts_due": len(due),
        "posts_delivered": sum(1 for v in posts.values() if v),
        "posts_missing": sum(1 for v in posts.values() if not v),
        "posts_doubled": sum(1 for v in posts.values() if len(v) > 1),
        "posts_saying_may_be_incomplete": sum(
            1 for v in posts.values() if any("may be incomplete" in m["text"] for m in v)
        ),
        "deliveries_by_status": statuses,
        "integrity_check": integrity,
        "exit_code": code,
    }
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="default: %(default)s")
    parser.add_argument("--rate", type=float, default=4.0, help="commands/s (default: 4)")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).parent / "results" / "soak.json"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse_args()
    figures = asyncio.run(main(options))
    options.results.parent.mkdir(parents=True, exist_ok=True)
    options.results.write_text(json.dumps(figures, indent=2) + "\n")
    for key, value in figures.items():
        print(f"{key:<40} {value}")
    print(f"wrote {options.results}")
