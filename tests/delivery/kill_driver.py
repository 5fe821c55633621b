"""A bot process for the kill loop: it fetches, imports and posts, and is SIGKILLed at
any moment of it.

    python -m tests.delivery.kill_driver DB OUT PAPERS

On a real SQLite file it makes sure its ``SUBSCRIPTIONS`` channel subscriptions exist,
fetches a recorded Hugging Face day from a loopback server of its own, imports the
JSONL file ``PAPERS`` (in batches, as ``paperbot import`` does), then runs the
scheduler's tick, posting into the file ``OUT`` as ``crash_driver`` does.

It prints a line to stdout as each step begins (``PHASES``, then ``post`` after each
post is written), so the kill loop can aim at a step rather than at a moment on the
clock, which moves with the machine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path

import httpx
from aiohttp import web

from bot.delivery.outbound import OutboundMessage, SendResult
from bot.delivery.scheduler import Scheduler
from bot.ingest import fetch, import_paths
from bot.models import Destination, Subscription
from bot.sources.hf import HFClient
from bot.store import open_store
from tests.delivery.crash_driver import FileChat

NOW = dt.datetime(2024, 5, 28, 9, 0, tzinfo=dt.UTC)
DAY = NOW.date() - dt.timedelta(days=1)
SUBSCRIPTIONS = 12
PHASES = ("open", "subscribe", "fetch", "import", "tick")
RECORDED = Path(__file__).parents[1] / "data" / "hf" / "daily_papers_2024-05-27.json"


async def daily_papers(request: web.Request) -> web.Response:
    # The recorded day for its date, nothing for the pages after it.
    empty = request.query.get("p", "0") != "0" or request.query.get("date") != DAY.isoformat()
    return web.Response(
        text="[]" if empty else RECORDED.read_text(), content_type="application/json"
    )


def mark(phase: str) -> None:
    print(phase, flush=True)


class MarkingChat(FileChat):
    async def send(self, message: OutboundMessage) -> SendResult:
        result = await super().send(message)
        mark("post")
        return result


async def main(db: str, out: Path, papers: Path) -> None:
    app = web.Application()
    app.router.add_get("/api/daily_papers", daily_papers)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        mark("open")
        async with open_store(f"sqlite:///{db}") as store, httpx.AsyncClient() as http:
            mark("subscribe")
            have = {s.destination.channel for s in await store.subscriptions()}
            for n in range(SUBSCRIPTIONS):
                if f"C{n}" not in have:
                    sub = Subscription(
                        id=0,
                        destination=Destination("file", "team", f"C{n}"),
                        owner="U",
                        count=3,
                        created_at=NOW - dt.timedelta(hours=1),
                    )
                    await store.add_subscription(sub)
            mark("fetch")
            await fetch(store, days=[DAY], now=NOW, hf=HFClient(http, url, retries=0))
            mark("import")
            await import_paths(store, [papers], now=NOW)
            mark("tick")
            chat = MarkingChat(out, 0, 0)
            await Scheduler(store, chat, clock=lambda: NOW, concurrency=2).tick()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
