"""One replica of the bot's scheduler, for tests that run several against one database.

    python -m tests.delivery.replica_driver DATABASE_URL SINK_URL OWNER [--lease SECONDS]

It posts every due digest to a fake chat platform over HTTP (``SINK_URL``: ``POST
/messages`` sends, ``GET /messages?key=`` says whether a delivery's key was posted, as
a chat platform's history does) and exits 0 once no delivery is left open, or 3 when
the database refuses a second scheduler (SQLite serves one process).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time

import httpx

from bot.commands import TEXT, Syntax
from bot.delivery.outbound import OutboundMessage, Outcome, SendResult
from bot.delivery.scheduler import Scheduler
from bot.errors import StoreError
from bot.models import Subscription
from bot.store import open_store

FAR = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


class SinkOutbound:
    """The fake platform's way in: one HTTP request per post."""

    syntax: Syntax = TEXT

    def __init__(self, http: httpx.AsyncClient, owner: str) -> None:
        self._http = http
        self._owner = owner

    async def send(self, message: OutboundMessage) -> SendResult:
        body = {"key": message.key, "to": message.delivery.destination, "owner": self._owner}
        try:
            answer = await self._http.post("/messages", json=body)
        except httpx.HTTPError as exc:
            return SendResult(Outcome.TRANSIENT, detail=type(exc).__name__)
        if answer.status_code == 429:
            retry = float(answer.headers.get("Retry-After", "1"))
            return SendResult(Outcome.RATE_LIMITED, retry_after=retry)
        if answer.status_code != 200:
            return SendResult(Outcome.TRANSIENT, detail=str(answer.status_code))
        return SendResult.delivered()

    async def already_sent(self, message: OutboundMessage) -> bool:
        answer = await self._http.get("/messages", params={"key": message.key})
        return bool(answer.json()["found"])

    async def notify_owner(self, subscription: Subscription, text: str) -> None:
        return None


async def run(database: str, sink: str, owner: str, lease: float) -> int:
    async with (
        open_store(database) as store,
        httpx.AsyncClient(base_url=sink, timeout=10) as http,
    ):
        scheduler = Scheduler(
            store,
            SinkOutbound(http, owner),
            clock=lambda: dt.datetime.now(dt.UTC),
            owner=owner,
            lease=dt.timedelta(seconds=lease),
            batch=50,
        )
        try:
            await scheduler.reserve()
        except StoreError as exc:
            print(f"refused: {exc}", file=sys.stderr, flush=True)
            return 3
        print("ready", flush=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            await scheduler.tick()
            # Every replica records the same slots (one wins each), so once none is
            # open, all were posted, by this replica or another.
            if not await store.open_deliveries(due_by=FAR):
                return 0
            await asyncio.sleep(0.1)  # others hold claims: wait for them or their lease
    return 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("sink")
    parser.add_argument("owner")
    parser.add_argument("--lease", type=float, default=2.0)
    args = parser.parse_args()
    return asyncio.run(run(args.database, args.sink, args.owner, args.lease))


if __name__ == "__main__":
    sys.exit(main())
