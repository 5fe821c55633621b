"""The real bots under a steady mixed load, with faults, for a bounded time.

    python -m bench.soak                 # 20 minutes
    python -m bench.soak --minutes 3     # a short one

`paperbot run slack` and `paperbot run discord` run side by side, each as its own
process on a fresh database (the bundled snapshot), against the loopback fakes of Slack
and Discord (REST and gateway) and a fake Hugging Face / arXiv that answers 500s, 429s
with Retry-After, malformed JSON and XML, empty days, answers slower than the bot's
timeout, and now and then a real recorded day. Meanwhile this script sends each bot
commands at a steady rate (search, trending, paper, list, help and mistakes, up to 20
in flight: signed slash commands; INTERACTION_CREATE events), has channels subscribe to
daily posts whose times fall during the run, and injects platform faults: Slack answers
some posts with 429 (Retry-After) or 500; Discord with 429 bursts and a 502, and drops
the gateway connection every two minutes (closed, op 7 RECONNECT, reset).

It reports, per platform, commands served, time to the first response and to the
answer (p50 / p99), errors (answers saying something went wrong, failed requests,
tracebacks in the log), resident memory at start and end, daily posts due / delivered /
missing / doubled (from the fakes' channels), for Discord the gateway's drops, RESUMEs
and IDENTIFYs, then checks each database with ``PRAGMA integrity_check``. JSON:
``bench/results/soak.json``.
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
from collections.abc import Awaitable, Callable
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
    runner, upstream_url = await serve(upstream(rng, faults))
    stop_at = time.perf_counter() + args.minutes * 60
    try:
        slack, on_discord = await asyncio.gather(
            slack_soak(args, random.Random(args.seed + 1), upstream_url, stop_at),
            discord_soak(args, random.Random(args.seed + 2), upstream_url, stop_at),
        )
    finally:
        await runner.cleanup()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "minutes": args.minutes,
        "rate_per_s": args.rate,
        "load_average_1min_end": round(os.getloadavg()[0], 2),
        **slack,
        "upstream_answers": dict(faults),
        "discord": on_discord,
    }


class BotProcess:
    """`paperbot run PLATFORM` as its own process on a fresh database, its log in a
    file; ``start`` waits for the line saying it is up."""

    def __init__(self, platform: str, tmp: Path, upstream_url: str, env: dict[str, str]) -> None:
        self.platform = platform
        self.db, self.log_path = tmp / f"{platform}.sqlite3", tmp / f"{platform}.log"
        self.env = {
            **os.environ,
            "PAPERBOT_DATABASE_URL": f"sqlite:///{self.db}",
            "PAPERBOT_LOG_LEVEL": "INFO",
            "PAPERBOT_HTTP_TIMEOUT": "5",
            "PAPERBOT_REFRESH_MINUTES": "1",
            "PAPERBOT_HF_URL": upstream_url,
            "PAPERBOT_ARXIV_URL": upstream_url,
            "PAPERBOT_ARXIV_RSS_URL": upstream_url,
            "PYTHONFAULTHANDLER": "1",
            **env,
        }
        self.rss_start: dict[str, float] = {}

    async def start(self, *args: str) -> str:
        """Start it; the line it printed when it was up."""
        self._log = self.log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "run", self.platform, *args),
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
        )
        assert self.process.stdout is not None
        line = (await asyncio.wait_for(self.process.stdout.readline(), 180)).decode()
        if not line:
            raise RuntimeError(f"paperbot run {self.platform} ended: {self.log_path.read_text()}")
        self.rss_start = _status_mb(self.process.pid)
        return line

    async def stop(self, results: Path) -> dict[str, Any]:
        """SIGTERM it; its exit code, log figures, memory and database."""
        rss_end = _status_mb(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 60)
        self._log.close()
        log = self.log_path.read_text()
        results.with_name(f"{results.stem}-{self.platform}.log").write_text(log)
        with contextlib.closing(sqlite3.connect(self.db)) as con:
            integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
            subscriptions = con.execute("SELECT count(*) FROM subscriptions").fetchone()[0]
            query = "SELECT status, count(*) FROM deliveries GROUP BY status"
            statuses = dict(con.execute(query).fetchall())
        return {
            "tracebacks_in_log": log.count("Traceback"),
            "log_errors": log.count(" ERROR "),
            "rss_mb": {
                "start": round(self.rss_start["VmRSS"], 1),
                "end": round(rss_end["VmRSS"], 1),
                "peak": round(rss_end["VmHWM"], 1),
            },
            "subscriptions": subscriptions,
            "deliveries_by_status": statuses,
            "integrity_check": integrity,
            "exit_code": code,
        }


def post_slots(minutes: float) -> list[tuple[int, dt.datetime, str]]:
    """Daily posts falling during the run: three a minute from the second minute, each
    at its own minute of the day (UTC): (number, time, topic)."""
    first = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    return [
        (k, first + dt.timedelta(minutes=2 + k // 3), ("", "diffusion", "language models")[k % 3])
        for k in range(max(int(minutes) - 2, 1) * 3)
    ]


async def steady_load(
    args: argparse.Namespace,
    stop_at: float,
    send: Callable[[int], Awaitable[None]],
    fault: Callable[[int], None],
) -> None:
    """``send(n)`` at ``args.rate`` a second, up to 20 in flight, until ``stop_at``;
    ``fault(n)`` first, to inject what it will."""
    in_flight: set[asyncio.Task[None]] = set()
    n = 0
    while time.perf_counter() < stop_at:
        fault(n)
        while len(in_flight) >= 20:
            await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        task = asyncio.create_task(send(n))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        n += 1
        await asyncio.sleep(1 / args.rate)
    if in_flight:
        await asyncio.wait(in_flight)


async def until_posted(last: dt.datetime, posted: Callable[[], bool]) -> None:
    """Wait for the last slot, then until every due post is out (a post the platform
    failed is retried 1 then 2 minutes later), at most 5 minutes."""
    await asyncio.sleep(max(0.0, (last - dt.datetime.now(dt.UTC)).total_seconds()))
    give_up = time.perf_counter() + 300
    while time.perf_counter() < give_up and not posted():
        await asyncio.sleep(1)


def post_figures(posts: dict[str, list[str]]) -> dict[str, int]:
    """Posts due / delivered / missing / doubled, from each due channel's post texts."""
    return {
        "posts_due": len(posts),
        "posts_delivered": sum(1 for v in posts.values() if v),
        "posts_missing": sum(1 for v in posts.values() if not v),
        "posts_doubled": sum(1 for v in posts.values() if len(v) > 1),
        "posts_saying_may_be_incomplete": sum(
            1 for v in posts.values() if any("may be incomplete" in t for t in v)
        ),
    }


def timing(samples: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(samples, 50) * 1000, 1),
        "p99": round(percentile(samples, 99) * 1000, 1),
    }


async def slack_soak(
    args: argparse.Namespace, rng: random.Random, upstream_url: str, stop_at: float
) -> dict[str, Any]:
    """`paperbot run slack` under signed slash commands and daily posts, Slack failing
    some posts with 429 and 500."""
    fake = FakeSlack()
    sent: dict[str, float] = {}  # response URL number -> when the command was sent
    acks: list[float] = []
    failed_requests = 0
    commands = 0
    injected = 0
    async with serving(fake):
        with tempfile.TemporaryDirectory(prefix="paperbot-soak-") as tmp:
            env = {
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-soak",
                "SLACK_API_URL": fake.api_url,
            }
            bot = BotProcess("slack", Path(tmp), upstream_url, env)
            line = await bot.start("--port", "0")
            port = int(line.split(" on port ")[1].split()[0])
            http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60)

            async def command(text: str, user: str, channel: str = "C1") -> None:
                nonlocal failed_requests, commands
                url = fake.response_url()
                body = slash_command(url, text, user=user, channel=channel)
                start = time.perf_counter()
                sent[url.rsplit("/", 1)[1]] = start
                try:
                    response = await http.post(
                        "/slack/events", content=body, headers=signed_headers(SECRET, body, FORM)
                    )
                except httpx.HTTPError:
                    failed_requests += 1
                    return
                commands += 1
                if response.status_code != 200:
                    failed_requests += 1
                acks.append(time.perf_counter() - start)

            slots = [(f"CS{k:03d}", at, topic) for k, at, topic in post_slots(args.minutes)]
            for channel, at, topic in slots:
                await command(f"subscribe {topic} at {at:%H:%M} UTC daily count 5", "U1", channel)

            def fault(n: int) -> None:  # Slack faults now and then
                nonlocal injected
                if n % 150 == 0:
                    fake.fail("chat.postMessage", "ratelimited", status=429, **{"Retry-After": "1"})
                    injected += 1
                if n % 400 == 200:
                    fake.fail("chat.postMessage", "internal_error", status=500)
                    injected += 1

            def send(n: int) -> Awaitable[None]:
                return command(rng.choice(COMMANDS), f"U{n % 50}")

            def texts(channel: str) -> list[str]:
                return [
                    m["text"]
                    for m in fake.history.get(channel, [])
                    if m["text"].startswith("Papers")
                ]

            await steady_load(args, stop_at, send, fault)
            await until_posted(slots[-1][1], lambda: all(texts(c) for c, _, _ in slots))
            await http.aclose()
            process = await bot.stop(args.results)
    latencies = [fake.answered[k] - sent[k] for k in fake.answered if k in sent]
    now = dt.datetime.now(dt.UTC)
    return {
        "commands_sent": commands,
        "answered": len(latencies),
        "ack_ms": timing(acks),
        "answer_ms": timing(latencies),
        "failed_requests": failed_requests,
        "answers_saying_something_went_wrong": sum(
            SORRY in json.dumps(call) for call in fake.of("respond")
        ),
        **process,
        "slack_faults_injected": injected,
        **post_figures({c: texts(c) for c, at, _ in slots if at <= now}),
    }


# Discord's /papers commands as (group, subcommand, options): the same mix as Slack's.
DISCORD_COMMANDS: list[tuple[str, str, dict[str, str | int]]] = [
    ("papers", "search", {"query": "diffusion models"}),
    ("papers", "search", {"query": "large language model reasoning"}),
    ("papers", "search", {"query": "author:hinton"}),
    ("papers", "search", {"query": "difusion transformr"}),
    ("papers", "trending", {}),
    ("papers", "trending", {"period": "day"}),
    ("papers", "trending", {"period": "month", "topic": "robotics"}),
    ("papers", "paper", {"paper": "2406.12345"}),
    ("papers", "paper", {"paper": "2401.04088"}),
    ("papers", "help", {}),
    ("papers", "subscriptions", {}),
    ("papers-channel", "subscribe", {"topic": "robots", "time": "25:99"}),
    ("papers", "search", {"query": " "}),
]


async def discord_soak(
    args: argparse.Namespace, rng: random.Random, upstream_url: str, stop_at: float
) -> dict[str, Any]:
    """`paperbot run discord` on the fake gateway under interactions and daily posts,
    its gateway connection dropped every two minutes (closed, told to reconnect, reset in
    turn) and Discord answering some posts with 429 bursts and a 502."""
    from tests.adapters.discord.fake_discord import FakeDiscord
    from tests.adapters.discord.fake_gateway import ADMIN_PERMS, FakeGateway

    fake = FakeDiscord()
    app = fake.app()
    gateway = fake.gateway = FakeGateway(fake)
    gateway.install(app)
    runner, fake.url = await serve(app)
    sent: dict[str, float] = {}  # interaction token -> when it was dispatched
    drops: list[str] = []
    injected = 0
    try:
        with tempfile.TemporaryDirectory(prefix="paperbot-soak-") as tmp:
            env = {"DISCORD_TOKEN": "test-token", "DISCORD_API_URL": f"{fake.url}/api/v10"}
            bot = BotProcess("discord", Path(tmp), upstream_url, env)
            await bot.start()
            await asyncio.wait_for(gateway.ready.wait(), 60)

            async def command(
                group: str, sub: str, options: dict[str, str | int], user: str, channel: str = ""
            ) -> None:
                opts = [
                    {"name": k, "type": 4 if isinstance(v, int) else 3, "value": v}
                    for k, v in options.items()
                    if v != ""
                ]
                data = {
                    "id": "1",
                    "name": group,
                    "type": 1,
                    "options": [{"name": sub, "type": 1, "options": opts}],
                }
                payload = gateway.interaction(2, data, perms=ADMIN_PERMS, user=user)
                if channel:
                    payload["channel_id"] = payload["channel"]["id"] = channel
                sent[payload["token"]] = time.perf_counter()
                await gateway.dispatch("INTERACTION_CREATE", payload)

            slots = [(str(200000000000001000 + k), at, t) for k, at, t in post_slots(args.minutes)]
            for channel, at, topic in slots:
                options: dict[str, str | int] = {
                    "time": f"{at:%H:%M}",
                    "timezone": "UTC",
                    "count": 5,
                }
                await command(
                    "papers-channel", "subscribe", options | {"topic": topic}, "301", channel
                )
            failing: list[str] = []
            every = max(1, round(120 * args.rate))  # commands in two minutes
            dropping: list[asyncio.Task[None]] = []  # held: the loop keeps only weak ones

            def fault(n: int) -> None:
                nonlocal injected
                if n % every == every // 2:  # every two minutes, from the first
                    how = ("close", "reconnect", "reset")[len(drops) % 3]
                    drops.append(how)
                    dropping.append(asyncio.create_task(gateway.drop(0, how)))
                if n % 150 == 0:
                    fake.rate_limit_next = 3  # a burst of 429s
                    injected += 1
                if n % 400 == 200:  # a channel's posts answer 502 for half a minute
                    channel = slots[(n // 400) % len(slots)][0]
                    fake.failing[channel] = (502, 0, "Bad Gateway")
                    failing.append(channel)
                    injected += 1
                if n % 400 == 320 and failing:
                    fake.failing.pop(failing.pop(), None)

            def send(n: int) -> Awaitable[None]:
                group, sub, options = rng.choice(DISCORD_COMMANDS)
                return command(group, sub, options, str(700 + n % 50))

            def texts(channel: str) -> list[str]:
                return [
                    m["content"]
                    for m in fake.to(channel)
                    if "-# paperbot " in m.get("content", "") and m.get("embeds")
                ]

            await steady_load(args, stop_at, send, fault)
            for channel in failing:
                fake.failing.pop(channel, None)
            await until_posted(slots[-1][1], lambda: all(texts(c) for c, _, _ in slots))
            waited = time.perf_counter() + 60  # the last answers
            while time.perf_counter() < waited and len(gateway.answered) < len(sent):
                await asyncio.sleep(0.5)
            process = await bot.stop(args.results)
    finally:
        await runner.cleanup()
    answered = [gateway.answered[t] - sent[t] for t in gateway.answered if t in sent]
    first = [gateway.acked[t] - sent[t] for t in gateway.acked if t in sent]
    now = dt.datetime.now(dt.UTC)
    return {
        "commands_sent": len(sent),
        "answered": len(answered),
        "first_response_ms": timing(first),
        "answer_ms": timing(answered),
        "answers_saying_something_went_wrong": sum(
            SORRY in json.dumps(f) for f in gateway.followups
        ),
        **process,
        "gateway_drops": drops,
        "gateway_resumes": len(gateway.resumed),
        "gateway_identifies": len(gateway.identified),
        "discord_faults_injected": injected,
        "messages_discord_refused": len(fake.rejected),
        **post_figures({c: texts(c) for c, at, _ in slots if at <= now}),
    }


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
