"""`paperbot health`: exit 0 when the database answers and, given a running bot's
address, when that bot says it is connected; 1 otherwise, with one line saying what
failed. A container's health check runs it; it never loads the bundled snapshot."""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

import httpx

from bot.app import open_app
from bot.config import Settings
from bot.errors import StoreError

__all__ = ["add_health_parser", "ask_bot", "check_health"]

# Seconds a running bot gets to answer; a container's check allows more in all.
BOT_TIMEOUT = 5.0


def add_health_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "health", help="exit 0 when the database (and, with --url, a running bot) is well"
    )
    p.add_argument(
        "--url",
        type=_bot_url,
        help="a running bot's address (http://127.0.0.1:3000): also ask its GET /health",
    )
    p.set_defaults(run=check_health)


def _bot_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL")
    return text.rstrip("/")


async def check_health(args: argparse.Namespace, settings: Settings) -> int:
    problems = []
    try:
        # Health is not a first run: an empty database stays empty.
        async with open_app(settings, load_snapshot=False) as app:
            database = await app.service.health()
    except StoreError as exc:
        database = str(exc)
    if database != "ok":
        problems.append(f"database: {database}")
    said = "database answers"
    if args.url:
        problem, platform = await ask_bot(args.url)
        if problem:
            problems.append(f"bot at {args.url}: {problem}")
        said += f"; bot at {args.url} is connected to {platform}"
    if problems:
        print(f"paperbot: {'; '.join(problems)}", file=sys.stderr)
        return 1
    print(f"healthy: {said}")
    return 0


async def ask_bot(url: str) -> tuple[str, str]:
    """What is wrong with the bot at ``url`` ("" when nothing), and its platform."""
    try:
        async with httpx.AsyncClient(timeout=BOT_TIMEOUT) as http:
            answer = await http.get(f"{url}/health")
    except httpx.HTTPError:
        return "no answer", ""
    try:
        body = answer.json()
        platform, connected, database = body["platform"], body["connected"], body["database"]
    except (ValueError, TypeError, KeyError):
        return f"answered {answer.status_code} without a paperbot health report", ""
    problems = []
    if connected is not True:
        problems.append(f"not connected to {platform}")
    if database != "ok":
        problems.append(f"database: {database}")
    if not problems and answer.status_code != 200:
        problems.append(f"answered {answer.status_code}")
    return "; ".join(problems), str(platform)
