"""`paperbot`: the command line. Sub-commands dispatch to one function each; the chat
commands that need no chat (trending, search, paper) come from the command table."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.cli.progress import progress_bar
from adapters.cli.wiring import build_scheduler, open_app
from adapters.console import render_reply, run_console
from adapters.console.outbound import ConsoleOutbound
from bot import __version__
from bot.api import utcnow
from bot.commands import COMMANDS, Arg, Command, Invocation, TextSyntax, parse_text
from bot.config import Settings, load, load_discord, load_slack
from bot.errors import ConfigError, PaperbotError, UserError
from bot.ingest import fetch, import_paths, write_records
from bot.search.query import parse_date_bound

__all__ = ["CLI", "build_parser", "fetch_days", "main"]

log = logging.getLogger("bot")

Run = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]

# Table options that the command line takes as flags, not as words.
FLAGS = {"count": ("-n", "--count")}


@dataclass(frozen=True, slots=True)
class CliSyntax(TextSyntax):
    """The command line's syntax: the chat's words, with flags for a few options."""

    def option(self, arg: Arg) -> str:
        flags = FLAGS.get(arg.name)
        return flags[0] if flags else TextSyntax.option(self, arg)


CLI = CliSyntax(prefix="paperbot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperbot", description="Research paper recommendations for chat."
    )
    parser.add_argument("--version", action="version", version=f"paperbot {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    parser.add_argument(
        "--database-url", help="overrides PAPERBOT_DATABASE_URL (sqlite:///path/to/file)"
    )
    parser.set_defaults(run=console)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("console", help="chat with the bot in the terminal")
    p.set_defaults(run=console)
    for command in COMMANDS:
        if not command.needs_caller and command.name != "help":
            _chat_parser(sub, command)

    p = sub.add_parser("fetch", help="fetch new papers from Hugging Face and arXiv")
    p.add_argument("--since", help="first day to fetch (YYYY-MM-DD); default today")
    p.add_argument("--days", type=int, help="fetch this many days up to today")
    p.add_argument(
        "--source", default="hf,arxiv", help="comma-separated sources: hf, arxiv (default both)"
    )
    p.add_argument(
        "--category",
        action="append",
        help="arXiv listing category (repeatable; default PAPERBOT_ARXIV_CATEGORIES)",
    )
    p.set_defaults(run=fetch_papers)
    p = sub.add_parser("import", help="import HF daily JSON, arXiv JSONL or exports")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.set_defaults(run=import_papers)
    p = sub.add_parser("export", help="write every paper to a JSON-lines file (.xz ok)")
    p.add_argument("path")
    p.set_defaults(run=export_papers)
    p = sub.add_parser("run", help="run a chat platform bot")
    p.add_argument("platform", choices=["discord", "slack"])
    p.add_argument("--port", type=int, default=3000, help="Slack HTTP mode port")
    p.set_defaults(run=run_bot)
    return parser


def _chat_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], command: Command
) -> None:
    """A sub-command for a table command: its words as in the chat, flags for some options."""
    aliases = [a for a in command.aliases if " " not in a]
    p = sub.add_parser(command.name, aliases=aliases, help=command.help)
    usage = CLI.usage(command).removeprefix(f"{CLI.prefix} {command.name}").strip()
    p.add_argument("words", nargs="*", metavar="WORDS", help=f"as in the chat: {usage}")
    for arg in command.options:
        if arg.name in FLAGS:
            p.add_argument(*FLAGS[arg.name], dest=f"option_{arg.name}", help=arg.help)
    p.set_defaults(run=chat_command, chat=command)


async def chat_command(args: argparse.Namespace, settings: Settings) -> int:
    """A table command once: its answer printed as the terminal chat shows it."""
    command: Command = args.chat
    invocation = parse_text(" ".join([command.name, *args.words]), CLI)
    raw = dict(invocation.raw)
    for arg in command.options:
        value = getattr(args, f"option_{arg.name}", None)
        if value is not None:
            raw[arg.name] = value
    async with open_app(settings) as app:
        reply = await app.service.run(Invocation(command, raw), None, CLI)
    print(render_reply(reply, colour=_colour(sys.stdout)))
    return 0


async def console(args: argparse.Namespace, settings: Settings) -> int:
    colour = _colour(sys.stdout)
    async with open_app(settings) as app:
        scheduler = build_scheduler(app, ConsoleOutbound(colour=colour))
        await run_console(app.service, scheduler=scheduler, colour=colour)
    return 0


def fetch_days(since: str | None, days: int | None, today: dt.date) -> list[dt.date]:
    if since and days:
        raise UserError("use --since or --days, not both")
    if days is not None and not 1 <= days <= 3650:
        raise UserError("--days must be between 1 and 3650")
    first = parse_date_bound(since) if since else today - dt.timedelta(days=(days or 1) - 1)
    if first > today:
        raise UserError(f"--since {first} is in the future")
    return [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]


async def fetch_papers(args: argparse.Namespace, settings: Settings) -> int:
    sources = {s.strip() for s in args.source.split(",") if s.strip()}
    unknown = sources - {"hf", "arxiv"}
    if unknown or not sources:
        raise UserError(f"--source takes hf, arxiv or both, not {','.join(unknown)}")
    days = fetch_days(args.since, args.days, utcnow().date())
    async with open_app(settings) as app:
        with progress_bar("fetching") as progress:
            result = await fetch(
                app.store,
                days=days,
                now=utcnow(),
                hf=app.hf if "hf" in sources else None,
                arxiv=app.arxiv if "arxiv" in sources else None,
                categories=args.category or settings.arxiv_categories,
                progress=progress,
            )
    for failure in result.failures:
        print(f"failed: {failure}", file=sys.stderr)
    c = result.counts
    print(
        f"fetched {result.days} day(s)/feed(s): {c.new} new, {c.updated} updated, "
        f"{c.unchanged} unchanged"
    )
    return 1 if result.failures else 0


async def import_papers(args: argparse.Namespace, settings: Settings) -> int:
    async with open_app(settings, load_snapshot=False) as app:
        with progress_bar("importing") as progress:
            report = await import_paths(app.store, args.paths, now=utcnow(), progress=progress)
    for message in report.errors:
        print(f"skipped {message}", file=sys.stderr)
    c = report.counts
    files = f"{report.files} file{'s' if report.files != 1 else ''}"
    print(f"{files}: {c.new} new, {c.updated} updated, {c.unchanged} unchanged, {c.bad} bad")
    return 1 if report.files == 0 else 0


async def export_papers(args: argparse.Namespace, settings: Settings) -> int:
    async with open_app(settings) as app:
        papers = await app.store.all_papers()
    count = write_records(papers, Path(args.path))
    print(f"wrote {count} papers to {args.path}")
    return 0


async def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    """`paperbot run slack|discord`: the bot and its daily posts in one process."""
    if args.platform == "slack":
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
    from adapters.discord.app import run_discord  # imported only when Discord is what runs

    discord_settings = load_discord()  # before opening anything: fail fast, naming it
    async with open_app(settings) as app:
        await run_discord(
            app.service, discord_settings, scheduler_for=lambda port: build_scheduler(app, port)
        )
    return 0


def _colour(stream: object) -> bool:
    isatty = getattr(stream, "isatty", lambda: False)
    return bool(isatty()) and "NO_COLOR" not in os.environ


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
        run: Run = args.run
        return asyncio.run(run(args, settings))
    except ConfigError as exc:
        print(f"paperbot: configuration: {exc}", file=sys.stderr)
        return 2
    except PaperbotError as exc:  # the user's mistake, an upstream or the database
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
