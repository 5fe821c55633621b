"""A bot process for the crash test: real scheduler, real SQLite file, a file as the chat.

    python -m tests.delivery.crash_driver DB OUT [--die-before N | --die-after N]

The fake platform appends one line per message to OUT (and fsyncs it), and answers
``already_sent`` from that file, as a platform with message metadata would. With
``--die-before N`` the process SIGKILLs itself when about to send its Nth message;
with ``--die-after N`` right after the Nth message reached OUT.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
from pathlib import Path

from bot.delivery.outbound import OutboundMessage, SendResult
from bot.delivery.scheduler import Scheduler
from bot.models import Destination, Paper, Subscription
from bot.store import open_store

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
SUBSCRIPTIONS = 5


class FileChat:
    def __init__(self, path: Path, die_before: int, die_after: int) -> None:
        self.path = path
        self.count = 0
        self.die_before = die_before
        self.die_after = die_after

    async def send(self, message: OutboundMessage) -> SendResult:
        self.count += 1
        if self.count == self.die_before:
            os.kill(os.getpid(), signal.SIGKILL)
        papers = ",".join(i.paper_id for i in message.delivery.digest.items)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(f"{message.key}\t{message.delivery.destination}\t{papers}\n")
            fh.flush()
            os.fsync(fh.fileno())
        if self.count == self.die_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return SendResult.delivered()

    async def already_sent(self, message: OutboundMessage) -> bool:
        if not self.path.exists():
            return False
        return any(
            line.split("\t")[0] == message.key for line in self.path.read_text().splitlines()
        )

    async def notify_owner(self, subscription: Subscription, text: str) -> None:
        return None


async def main(db: str, out: Path, die_before: int, die_after: int) -> None:
    async with open_store(f"sqlite:///{db}") as store:
        if not await store.count_papers():
            papers = [
                Paper(id=f"2606.{k:05d}", title=f"Paper {k}", day=NOW.date(), upvotes=k)
                for k in range(1, 40)
            ]
            await store.upsert_papers(papers, observed_at=NOW)
            for n in range(SUBSCRIPTIONS):
                sub = Subscription(
                    id=0,
                    destination=Destination("file", "team", f"C{n}"),
                    owner="U",
                    count=3,
                    created_at=NOW - dt.timedelta(hours=1),
                )
                await store.add_subscription(sub)
        chat = FileChat(out, die_before, die_after)
        scheduler = Scheduler(store, chat, clock=lambda: NOW, concurrency=1)
        await scheduler.tick()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("out", type=Path)
    parser.add_argument("--die-before", type=int, default=0)
    parser.add_argument("--die-after", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(main(args.db, args.out, args.die_before, args.die_after))
