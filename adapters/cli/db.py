"""`paperbot db copy SRC DST`: move every table to another database, resumably."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table as RichTable

from bot.app import copy_database
from bot.config import Settings, check_database_url
from bot.errors import InvalidInput

__all__ = ["add_db_parser", "copy_command"]


def add_db_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("db", help="database tools: copy every table to another database")
    tools = p.add_subparsers(dest="db_command", metavar="TOOL", required=True)
    c = tools.add_parser(
        "copy",
        help="copy every table from SRC to DST (sqlite:///... or postgresql://...); "
        "run it again to resume",
    )
    c.add_argument("source", metavar="SRC_URL")
    c.add_argument("target", metavar="DST_URL")
    c.set_defaults(run=copy_command)


async def copy_command(args: argparse.Namespace, settings: Settings) -> int:
    """Copy with a bar per table on a terminal, then the counts, checked."""
    if args.source == args.target:
        raise InvalidInput("db copy: SRC_URL and DST_URL name the same database")
    for name, url in (("SRC_URL", args.source), ("DST_URL", args.target)):
        try:
            check_database_url(url)
        except ValueError as exc:
            raise InvalidInput(f"db copy: {name}: {exc}") from None
    err = Console(file=sys.stderr)
    columns = (TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, disable=not err.is_terminal) as bars:
        tasks: dict[str, TaskID] = {}

        def progress(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bars.add_task(table, total=total)
            bars.update(tasks[table], completed=done)

        report = await copy_database(
            args.source, args.target, pool_size=settings.db_pool_size, progress=progress
        )
    summary = RichTable("table", "rows", "copied now", title="copied and checked")
    for name in report.target:  # every table, in the order copied
        summary.add_row(name, f"{report.target[name]:,}", f"{report.copied[name]:,}")
    Console().print(summary)
    return 0
