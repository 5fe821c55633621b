"""`paperbot` / `python -m bot`: parse the command line, build the objects, run."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from bot import __version__
from bot.api import PaperService, utcnow
from bot.config import Settings, load, load_discord, load_slack
from bot.delivery.outbound import Outbound
from bot.delivery.scheduler import Scheduler
from bot.errors import ConfigError, PaperbotError, SourceError, StoreError, UserError
from bot.ingest import fetch, import_paths, load_snapshot_if_empty, write_records
from bot.models import Paper
from bot.search.query import parse_date_bound
from bot.sources._http import RateLimiter
from bot.sources.arxiv import ARXIV_INTERVAL, ArxivClient
from bot.sources.hf import HFClient
from bot.store import PaperStore, open_store

__all__ = ["main"]

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperbot", description="Research paper recommendations for chat."
    )
    parser.add_argument("--version", action="version", version=f"paperbot {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    parser.add_argument(
        "--database-url", help="overrides PAPERBOT_DATABASE_URL (sqlite:///path/to/file)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("console", help="chat with the bot in the terminal")
    p = sub.add_parser("trending", help="print the trending papers once")
    p.add_argument("period", nargs="?", default="week", help="day, week (default) or month")
    p.add_argument("topic", nargs="*", help="optional topic, in search syntax")
    p.add_argument("-n", "--limit", type=int, default=10, help="how many (default 10)")
    p = sub.add_parser("search", help="search once and print the results")
    p.add_argument("query", nargs="+", help="words, phrases, filters, an id or URL")
    p = sub.add_parser("paper", help="print one paper")
    p.add_argument("id", help="an arXiv id or paper URL")

    p = sub.add_parser("fetch", help="fetch new papers from Hugging Face and arXiv")
    p.add_argument("--since", help="first day to fetch (YYYY-MM-DD); default today")
    p.add_argument("--days", type=int, help="fetch this many days up to today")
    p.add_argument(
        "--source",
        default="hf,arxiv",
        help="comma-separated sources: hf, arxiv (default both)",
    )
    p.add_argument(
        "--category",
        action="append",
        help="arXiv listing category (repeatable; default PAPERBOT_ARXIV_CATEGORIES)",
    )
    p = sub.add_parser("import", help="import HF daily JSON, arXiv JSONL or exports")
    p.add_argument("paths", nargs="+", help="files or folders")
    p = sub.add_parser("export", help="write every paper to a JSON-lines file (.xz ok)")
    p.add_argument("path")
    p = sub.add_parser("run", help="run a chat platform bot")
    p.add_argument("platform", choices=["discord", "slack"])
    p.add_argument("--port", type=int, default=3000, help="Slack HTTP mode port")
    return parser


@dataclass
class App:
    """Everything a command needs, opened once and closed on exit."""

    settings: Settings
    store: PaperStore
    http: httpx.AsyncClient
    hf: HFClient
    arxiv: ArxivClient
    polite: RateLimiter
    service: PaperService


@asynccontextmanager
async def open_app(settings: Settings, *, load_snapshot: bool = True) -> AsyncIterator[App]:
    timeout = httpx.Timeout(settings.http_timeout, connect=10.0)
    headers = {"User-Agent": f"paperbot/{__version__} (+https://github.com/paperbot)"}
    async with (
        httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=True) as http,
        open_store(settings.database_url) as store,
    ):
        if load_snapshot:
            report = await load_snapshot_if_empty(store, now=utcnow())
            if report:
                log.info("loaded %d papers from the bundled snapshot", report.counts.new)
        retries = settings.http_retries
        urls = (settings.arxiv_url, settings.arxiv_rss_url)
        polite = RateLimiter(ARXIV_INTERVAL)  # one arXiv budget for the whole process
        hf = HFClient(http, settings.hf_url, retries=retries)
        arxiv = ArxivClient(http, *urls, limiter=polite, retries=retries)
        # Someone is waiting for a looked-up paper: one retry, not a minute of backoff.
        quick = ArxivClient(http, *urls, limiter=polite, retries=min(retries, 1))

        async def lookup(paper_id: str) -> Paper | None:
            found = await quick.by_ids([paper_id])
            return found[0] if found else None

        service = PaperService(store, lookup=lookup)
        yield App(settings, store, http, hf, arxiv, polite, service)


def build_scheduler(app: App, port: Outbound) -> Scheduler:
    """The delivery loop of a running bot, fetching before posts when data is stale."""
    settings = app.settings
    # A post is waiting: one quick retry, not a minute of backoff per request.
    quick = min(settings.http_retries, 1)
    hf = HFClient(app.http, settings.hf_url, retries=quick)
    arxiv = ArxivClient(
        app.http, settings.arxiv_url, settings.arxiv_rss_url, limiter=app.polite, retries=quick
    )

    async def refresh() -> object:
        now = utcnow()
        return await fetch(
            app.store,
            days=[now.date()],
            now=now,
            hf=hf,
            arxiv=arxiv,
            categories=settings.arxiv_categories,
        )

    return Scheduler(
        app.store,
        port,
        clock=utcnow,
        grace=dt.timedelta(hours=settings.grace_hours),
        refresh=refresh,
        refresh_every=dt.timedelta(minutes=settings.refresh_minutes),
    )


def _colour(stream: object) -> bool:
    isatty = getattr(stream, "isatty", lambda: False)
    return bool(isatty()) and "NO_COLOR" not in os.environ


class Progress:
    """A one-line progress bar on a terminal; silent when stderr is not one."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        width = 30
        filled = width * done // total
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        print(f"\r{self.label} [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)


def fetch_days(since: str | None, days: int | None, today: dt.date) -> list[dt.date]:
    if since and days:
        raise UserError("use --since or --days, not both")
    if days is not None and not 1 <= days <= 3650:
        raise UserError("--days must be between 1 and 3650")
    first = parse_date_bound(since) if since else today - dt.timedelta(days=(days or 1) - 1)
    if first > today:
        raise UserError(f"--since {first} is in the future")
    return [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]


async def run_slack_bot(args: argparse.Namespace, settings: Settings) -> int:
    """`paperbot run slack`: the Bolt app and the scheduler in one process."""
    from adapters.slack import run_slack  # imported only when Slack is what runs

    slack = load_slack()  # before opening anything: a missing variable fails fast
    async with open_app(settings) as app:
        await run_slack(
            app.service,
            app.store,
            slack,
            port=args.port,
            scheduler_for=lambda port: build_scheduler(app, port),
        )
    return 0


async def run_discord_bot(settings: Settings) -> int:
    """`paperbot run discord`: the auto-sharded client and the scheduler in one process."""
    from adapters.discord.app import run_discord  # imported only when Discord is what runs

    discord_settings = load_discord()  # before opening anything: fail fast, naming it
    async with open_app(settings) as app:
        await run_discord(
            app.service,
            discord_settings,
            scheduler_for=lambda port: build_scheduler(app, port),
        )
    return 0


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.console import render_reply, run_console  # the terminal adapter
    from adapters.console.outbound import ConsoleOutbound

    out = sys.stdout
    colour = _colour(out)
    command = args.command or "console"
    if command == "run" and args.platform == "slack":
        return await run_slack_bot(args, settings)
    if command == "run" and args.platform == "discord":
        return await run_discord_bot(settings)
    if command == "run":
        raise ConfigError(
            f"the {args.platform} adapter is not part of this version yet; "
            "use `paperbot console` to chat in the terminal"
        )
    async with open_app(settings, load_snapshot=command not in {"import"}) as app:
        service = app.service
        if command == "console":
            scheduler = build_scheduler(app, ConsoleOutbound(colour=colour))
            await run_console(service, scheduler=scheduler, colour=colour)
        elif command in {"trending", "search", "paper"}:
            if command == "trending":
                reply = await service.trending(args.period, " ".join(args.topic), limit=args.limit)
            elif command == "search":
                reply = await service.search(" ".join(args.query))
            else:
                reply = await service.paper(args.id)
            print(render_reply(reply, colour=colour), file=out)
        elif command == "import":
            report = await import_paths(
                app.store, args.paths, now=utcnow(), progress=Progress("importing")
            )
            for message in report.errors:
                print(f"skipped {message}", file=sys.stderr)
            c = report.counts
            files = f"{report.files} file{'s' if report.files != 1 else ''}"
            print(
                f"{files}: {c.new} new, {c.updated} updated, {c.unchanged} unchanged, {c.bad} bad",
                file=out,
            )
            return 1 if report.files == 0 else 0
        elif command == "fetch":
            sources = {s.strip() for s in args.source.split(",") if s.strip()}
            unknown = sources - {"hf", "arxiv"}
            if unknown or not sources:
                raise UserError(f"--source takes hf, arxiv or both, not {','.join(unknown)}")
            days = fetch_days(args.since, args.days, utcnow().date())
            result = await fetch(
                app.store,
                days=days,
                now=utcnow(),
                hf=app.hf if "hf" in sources else None,
                arxiv=app.arxiv if "arxiv" in sources else None,
                categories=args.category or settings.arxiv_categories,
                progress=Progress("fetching"),
            )
            for failure in result.failures:
                print(f"failed: {failure}", file=sys.stderr)
            c = result.counts
            print(
                f"fetched {result.days} day(s)/feed(s): {c.new} new, {c.updated} updated, "
                f"{c.unchanged} unchanged",
                file=out,
            )
            return 1 if result.failures else 0
        elif command == "export":
            from pathlib import Path

            papers = await app.store.all_papers()
            count = write_records(papers, Path(args.path))
            print(f"wrote {count} papers to {args.path}", file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load()
        if args.database_url:
            settings = settings.model_copy(update={"database_url": args.database_url})
        if not args.verbose:
            logging.getLogger().setLevel(settings.log_level.upper())
        return asyncio.run(run(args, settings))
    except UserError as exc:
        print(f"paperbot: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"paperbot: configuration: {exc}", file=sys.stderr)
        return 2
    except (SourceError, StoreError) as exc:
        print(f"paperbot: {exc}", file=sys.stderr)
        return 1
    except PaperbotError as exc:
        print(f"paperbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.verbose:
            log.exception("unexpected error")
        print(
            f"paperbot: unexpected error: {type(exc).__name__}: {exc} (run with -v for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
