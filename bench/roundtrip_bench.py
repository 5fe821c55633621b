"""Slash-command round trips through the real Slack and Discord adapters, 20 users at once.

    python -m bench.roundtrip_bench                 # 200 searches per platform
    python -m bench.roundtrip_bench --commands 100 --users 20

Both adapters run in this process on a copy of the bundled snapshot, against the
loopback fakes of `tests/`: Slack's Bolt app served over HTTP (signed form posts), and
discord.py's client on the fake gateway (INTERACTION_CREATE events). For each command:
the time to the platform's first response (Slack's HTTP acknowledgement; Discord's
interaction callback, the "thinking" defer) and to the answer (Slack's response URL;
Discord's first follow-up). Baseline: the same commands one at a time. Slack wants the
acknowledgement within 3 s, Discord the callback within 3 s. JSON:
``bench/results/roundtrip.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bench.corpus import git_commit
from bench.search_bench import percentile
from bot.api import PaperService
from bot.ingest import load_snapshot_if_empty
from bot.store import Store, open_store
from tests.adapters.slack.fake_web_api import FakeSlack, serving, signed_headers, slash_command

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord

QUERIES = [
    "diffusion models",
    "large language model reasoning",
    "vision transformer",
    "reinforcement learning from human feedback",
    "graph neural networks",
    "speech recognition",
    "difusion transformr",
    "author:hinton",
    "mixture of experts",
    "retrieval augmented generation",
]
PLATFORM_LIMIT_MS = 3000.0


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50) * 1000, 1),
        "p99": round(percentile(values, 99) * 1000, 1),
    }


async def _drive(
    one: Callable[[str, int], Awaitable[tuple[float, float]]], texts: list[str], users: int
) -> dict[str, Any]:
    """``texts`` one at a time, then ``users`` at once: (first response, answer) each."""
    alone = [await one(t, 0) for t in texts[: max(len(texts) // 4, 10)]]
    crowd: list[tuple[float, float]] = []
    for start in range(0, len(texts), users):
        chunk = texts[start : start + users]
        crowd += await asyncio.gather(*(one(t, n) for n, t in enumerate(chunk)))
    return {
        "commands": len(alone) + len(crowd),
        "one_at_a_time": {
            "first_response_ms": _ms([a for a, _ in alone]),
            "answer_ms": _ms([b for _, b in alone]),
        },
        f"{users}_at_once": {
            "first_response_ms": _ms([a for a, _ in crowd]),
            "answer_ms": _ms([b for _, b in crowd]),
        },
    }


async def slack_round_trips(
    service: PaperService, store: Store, texts: list[str], users: int
) -> dict[str, Any]:
    from adapters.slack.app import build_slack, serve_http
    from bot.config import SlackSettings

    secret = "r0und7r1pr0und7r1pr0und7r1pabcde"
    async with serving(FakeSlack()) as fake:
        settings = SlackSettings(
            bot_token="xoxb-bench", signing_secret=secret, api_url=fake.api_url
        )
        bot = build_slack(service, service._store, settings)  # type: ignore[attr-defined]
        async with (
            serve_http(bot.bolt, "127.0.0.1", 0) as port,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http,
        ):
            answered = fake.answered

            async def one(text: str, user: int) -> tuple[float, float]:
                url = fake.response_url()
                body = slash_command(url, f"search {text}", user=f"U{user}")
                headers = signed_headers(secret, body, "application/x-www-form-urlencoded")
                start = time.perf_counter()
                response = await http.post("/slack/events", content=body, headers=headers)
                acked = time.perf_counter()
                response.raise_for_status()
                n = url.rsplit("/", 1)[1]
                async with asyncio.timeout(60):
                    while n not in answered:
                        await asyncio.sleep(0.001)
                return acked - start, answered[n] - start

            return await _drive(one, texts, users)


async def discord_round_trips(
    service: PaperService, texts: list[str], users: int
) -> dict[str, Any]:
    from adapters.discord.app import PaperBot
    from tests.adapters.discord.fake_discord import FakeDiscord
    from tests.adapters.discord.fake_gateway import ADMIN_PERMS, FakeGateway

    fake = FakeDiscord()
    app = fake.app()
    fake.gateway = FakeGateway(fake)
    fake.gateway.install(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    discord.http.Route.BASE = f"{fake.url}/api/v10"
    client = PaperBot(service, guild_ready_timeout=0.1)
    task = asyncio.create_task(client.start("test-token"))  # the token the fake accepts
    gateway = fake.gateway
    try:
        ready = asyncio.create_task(client.wait_until_ready())
        await asyncio.wait({ready, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            raise RuntimeError(f"discord.py did not connect to the fake: {task!r}")

        async def one(text: str, user: int) -> tuple[float, float]:
            data = {
                "id": "1",
                "name": "papers",
                "type": 1,
                "options": [
                    {
                        "name": "search",
                        "type": 1,
                        "options": [{"name": "query", "type": 3, "value": text}],
                    }
                ],
            }
            payload = gateway.interaction(2, data, perms=ADMIN_PERMS, user=str(700 + user))
            token = payload["token"]
            start = time.perf_counter()
            await gateway.dispatch("INTERACTION_CREATE", payload)
            async with asyncio.timeout(60), gateway.changed:
                await gateway.changed.wait_for(lambda: token in gateway.answered)
            done = gateway.answered[token]
            return gateway.acked.get(token, done) - start, done - start

        return await _drive(one, texts, users)
    finally:
        await client.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        await runner.cleanup()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    texts = [rng.choice(QUERIES) for _ in range(args.commands)]
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "users": args.users,
        "limit_ms": PLATFORM_LIMIT_MS,
    }
    with tempfile.TemporaryDirectory(prefix="paperbot-roundtrip-") as tmp:
        async with open_store(f"sqlite:///{Path(tmp) / 'bot.sqlite3'}") as store:
            await load_snapshot_if_empty(store, now=dt.datetime.now(dt.UTC))
            service = PaperService(store)
            results["slack"] = await slack_round_trips(service, store, texts, args.users)
            results["discord"] = await discord_round_trips(service, texts, args.users)
            await service.drain(5)
    results["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=200, help="per platform (default: 200)")
    parser.add_argument("--users", type=int, default=20, help="at once (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).parent / "results" / "roundtrip.json"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse_args()
    figures = asyncio.run(main(options))
    options.results.parent.mkdir(parents=True, exist_ok=True)
    options.results.write_text(json.dumps(figures, indent=2) + "\n")
    for platform in ("slack", "discord"):
        for mode, values in figures[platform].items():
            print(f"{platform:<8} {mode:<14} {values}")
    print(f"wrote {options.results}")
