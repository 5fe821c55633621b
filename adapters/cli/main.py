"""`paperbot`: the command line. Sub-commands dispatch to one function each; the chat
commands that need no chat (trending, search, paper) come from the command table."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.cli.db import add_db_parser
from adapters.cli.health import add_health_parser
from adapters.cli.progress import progress_bar
from adapters.console import render_reply, run_console
from adapters.console.outbound import ConsoleOutbound
from bot import __version__
from bot.api import utcnow
from bot.app import App, build_scheduler, open_app, parse_date_bound
from bot.commands import COMMANDS, Arg, Command, Invocation, TextSyntax, parse_text
from bot.config import (
    Settings,
    check_database_url,
    load,
    load_discord,
    load_slack,
    split_categories,
)
from bot.errors import ConfigError, InvalidInput, PaperbotError, UserError

__all__ = ["CLI", "build_parser", "export_target", "fetch_days", "fetch_sources", "main"]

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
        "--source", default="both", help="hf, arxiv or both (hf,arxiv works too; default both)"
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
    p.add_argument("path", help="the file to write (.xz compresses), or - for standard output")
    p.set_defaults(run=export_papers)
    add_db_parser(sub)
    add_health_parser(sub)
    p = sub.add_parser("run", help="run a chat platform bot")
    p.add_argument("platform", choices=["discord", "slack"])
    p.add_argument("--port", type=_port, default=3000, help="Slack HTTP mode port")
    p.add_argument(
        "--health-port",
        type=_port,
        help="also serve GET /health on this port (for Discord and Slack Socket Mode, "
        "which serve no HTTP otherwise)",
    )
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
    async with _opened(settings) as app:
        reply = await app.service.run(Invocation(command, raw), None, CLI)
    print(render_reply(reply, colour=_colour(sys.stdout)))
    return 0


async def console(args: argparse.Namespace, settings: Settings) -> int:
    colour = _colour(sys.stdout)
    async with _opened(settings) as app:
        scheduler = build_scheduler(app, ConsoleOutbound(colour=colour))
        await run_console(app.service, scheduler=scheduler, colour=colour)
    return 0


def _opened(settings: Settings, *, load_snapshot: bool = True) -> AbstractAsyncContextManager[App]:
    """The core's parts for one command, saying so on stderr when a first run loads the
    bundled snapshot."""
    return open_app(settings, load_snapshot=load_snapshot, on_first_run=_first_run)


def _first_run(papers: int) -> None:
    # Said on every first run, terminal or not: the next few seconds would be silent.
    print(
        f"paperbot: first run: loading {papers:,} papers from the bundled snapshot…",
        file=sys.stderr,
        flush=True,
    )


def fetch_days(since: str | None, days: int | None, today: dt.date) -> list[dt.date]:
    if since and days:
        raise UserError("use --since or --days, not both")
    if days is not None and not 1 <= days <= 3650:
        raise UserError("--days must be between 1 and 3650")
    first = parse_date_bound(since) if since else today - dt.timedelta(days=(days or 1) - 1)
    if first > today:
        raise UserError(f"--since {first} is in the future")
    return [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]


# What --source takes, and the sources each word means.
SOURCES = {"hf": {"hf"}, "arxiv": {"arxiv"}, "both": {"hf", "arxiv"}}


def fetch_sources(value: str) -> set[str]:
    """The sources ``--source`` names: ``hf``, ``arxiv``, ``both`` or ``hf,arxiv``."""
    words = [w.strip().lower() for w in value.split(",") if w.strip()]
    if not words or any(w not in SOURCES for w in words):
        raise UserError(f"--source takes hf, arxiv or both, not {value!r}")
    return set().union(*(SOURCES[w] for w in words))


async def fetch_papers(args: argparse.Namespace, settings: Settings) -> int:
    sources = fetch_sources(args.source)
    categories = settings.arxiv_categories
    if args.category:
        try:
            categories = split_categories(",".join(args.category))
        except ValueError as exc:
            raise UserError(f"--category: {exc}") from None
    days = fetch_days(args.since, args.days, utcnow().date())
    async with _opened(settings) as app:
        with progress_bar("fetching") as progress:
            result = await app.fetch(
                days,
                hf="hf" in sources,
                arxiv="arxiv" in sources,
                categories=categories,
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
    """Import files; exit 1 when any file could not be imported (the rest still are)."""
    async with _opened(settings, load_snapshot=False) as app:
        with progress_bar("importing") as progress:
            report = await app.import_files(args.paths, progress=progress, on_batch=_batch_written)
    for message in report.errors:
        print(f"skipped {message}", file=sys.stderr)
    if report.unreported:
        print(f"skipped {report.unreported} more bad records (not listed)", file=sys.stderr)
    c = report.counts
    files = f"{report.files} file{'s' if report.files != 1 else ''}"
    print(f"{files}: {c.new} new, {c.updated} updated, {c.unchanged} unchanged, {c.bad} bad")
    return 1 if report.failed or report.files == 0 else 0


def _batch_written(path: Path, records: int) -> None:
    # A big file is written as it is read; -v shows how far it has got.
    log.info("%s: %d records read and written so far", path, records)


def export_target(raw: str) -> Path:
    """The file ``paperbot export`` writes; a folder is refused, naming it."""
    path = Path(raw)
    if raw.endswith(("/", os.sep)) or path.is_dir():
        example = path / "papers.jsonl"
        raise UserError(f"export: {raw} is a folder; give a file name, such as {example}")
    return path


async def export_papers(args: argparse.Namespace, settings: Settings) -> int:
    """Every paper as JSON lines, into a file or (``-``) to standard output."""
    to_stdout = args.path == "-"
    target = None if to_stdout else export_target(args.path)  # before opening anything
    async with _opened(settings) as app:
        try:
            count = await app.export(target, sys.stdout)
        except OSError as exc:
            if target is None:
                raise
            raise UserError(f"cannot write {args.path}: {_why(exc, target)}") from None
    if target is None:
        print(f"wrote {count} papers to standard output", file=sys.stderr)
        return 0
    print(f"wrote {count} papers to {args.path}")
    return 0


def _why(exc: OSError, target: Path) -> str:
    """What stopped a write, naming the folder on the way when it was that."""
    reason = exc.strerror or str(exc)
    where = exc.filename
    if where is None or Path(where) == target:
        return reason
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return f"{where} is not a folder"
    return f"{where}: {reason}"


async def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    """`paperbot run slack|discord`: the bot and its daily posts in one process."""
    if args.platform == "slack":
        run_slack = _platform("slack", "slack")
        slack = load_slack()  # before opening anything: a missing variable fails fast
        async with _opened(settings) as app:
            await _until_terminated(
                run_slack(
                    app.service,
                    app.store,
                    slack,
                    port=args.port,
                    health_port=args.health_port,
                    scheduler_for=lambda port: build_scheduler(app, port),
                )
            )
        return 0
    run_discord = _platform("discord", "discord")
    discord_settings = load_discord()  # before opening anything: fail fast, naming it
    async with _opened(settings) as app:
        await _until_terminated(
            run_discord(
                app.service,
                discord_settings,
                health_port=args.health_port,
                scheduler_for=lambda port: build_scheduler(app, port),
            )
        )
    return 0


async def _until_terminated(bot: Coroutine[Any, Any, None]) -> None:
    """Run ``bot`` until it ends or SIGTERM (`docker stop`, systemd, Kubernetes) stops it
    the way Ctrl-C does: the commands in flight finish and the database closes, where
    the default action would kill the process on the spot."""
    task = asyncio.ensure_future(bot)
    loop = asyncio.get_running_loop()
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        task.cancel()

    with suppress(NotImplementedError):  # no signal handlers on this platform's loop
        loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        await task
    except asyncio.CancelledError:
        if not terminated:
            raise
        log.info("stopping: SIGTERM")
    finally:
        with suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGTERM)


def _platform(name: str, extra: str) -> Any:
    """The adapter's ``run_*`` function, imported only when that platform is what runs;
    its library comes with an extra, which a missing import names."""
    try:
        module = importlib.import_module(f"adapters.{name}.app")
    except ImportError as exc:
        raise ConfigError(
            f"paperbot run {name} needs its chat library "
            f"({(exc.name or name).split('.')[0]} is not installed): "
            f"pip install 'paperbot[{extra}]'"
        ) from None
    return getattr(module, f"run_{name}")


def _colour(stream: object) -> bool:
    isatty = getattr(stream, "isatty", lambda: False)
    return bool(isatty()) and "NO_COLOR" not in os.environ


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return port


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `paperbot` command; its exit status (0 done, 1 failed, 2 a wrong setting)."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # a reader that went away shows here, not at exit
    except BrokenPipeError:
        # `paperbot search ... | head -1`: the reader has what it wanted. As Python's
        # docs advise (signal module, "Note on SIGPIPE"), point stdout at devnull so
        # the flush at exit does not fail again, and stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return code


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load()
        if args.database_url:
            try:
                url = check_database_url(args.database_url)
            except ValueError as exc:
                raise ConfigError(f"--database-url: {exc}") from None
            settings = settings.model_copy(update={"database_url": url})
        if not args.verbose:
            logging.getLogger().setLevel(settings.log_level)
        run: Run = args.run
        return asyncio.run(run(args, settings))
    except ConfigError as exc:
        print(f"paperbot: configuration: {exc}", file=sys.stderr)
        return 2
    except InvalidInput as exc:  # a word or flag of the command line, as argparse says
        print(f"paperbot: {exc}", file=sys.stderr)
        return 2
    except PaperbotError as exc:  # an upstream, the database, a paper not found
        print(f"paperbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise  # main() stops quietly
    except OSError as exc:
        if exc.filename is None:
            return _unexpected(exc, args.verbose)
        # A file or folder the user named or set up is missing, unreadable or in the way.
        print(f"paperbot: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        return _unexpected(exc, args.verbose)


def _unexpected(exc: Exception, verbose: int) -> int:
    if verbose:
        log.exception("unexpected error")
    print(
        f"paperbot: unexpected error: {type(exc).__name__}: {exc} (run with -v for details)",
        file=sys.stderr,
    )
    return 1
