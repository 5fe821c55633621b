"""Import speed: papers per second for all the shared data and the bundled snapshot."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.corpus import REPO, git_commit
from bot.ingest.files import import_paths, read_file
from bot.ingest.records import SNAPSHOT
from bot.models import UpsertCounts
from bot.store.sqlite import SqliteStore

BENCH = Path(__file__).resolve().parent
TARGET_PER_SECOND = 5_000
# A fixed clock, just after the newest recorded day, so runs are comparable.
NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)


def shared_files(shared: Path) -> list[Path]:
    """Every HF daily file and every arXiv listing part in ``shared`` (shared/data)."""
    hf = sorted((shared / "hf_daily_papers").glob("*.json"))
    listing = sorted((shared / "arxiv" / "listing_sample").glob("*.jsonl"))
    if not hf or not listing:
        raise SystemExit(f"no HF daily files or arXiv listing parts under {shared}")
    return hf + listing


def counts_dict(counts: UpsertCounts) -> dict[str, int]:
    return {
        "new": counts.new,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "bad": counts.bad,
        "total": counts.total,
    }


async def timed_import(
    db_path: Path, files: list[Path], profiler: cProfile.Profile | None = None
) -> tuple[float, UpsertCounts, int]:
    """Seconds to import ``files`` into the database at ``db_path``, with what it did."""
    async with SqliteStore.open(db_path) as store:
        if profiler:
            profiler.enable()
        start = time.perf_counter()
        report = await import_paths(store, files, now=NOW)
        seconds = time.perf_counter() - start
        if profiler:
            profiler.disable()
    if report.errors:
        print(f"  {len(report.errors)} errors, first: {report.errors[0]}")
    return seconds, report.counts, report.files


def parse_seconds(files: list[Path]) -> float:
    """Seconds to read and parse ``files`` without touching a database."""
    start = time.perf_counter()
    for path in files:
        read_file(path)
    return time.perf_counter() - start


async def bench_set(name: str, files: list[Path], work: Path, repeat: int) -> dict[str, Any]:
    """Import ``files`` into a fresh database, then again into the same one; ``repeat`` times."""
    first, second = [], []
    counts: dict[str, dict[str, int]] = {}
    for n in range(repeat):
        db_path = work / f"{name}-{n}.sqlite3"
        seconds, c1, n_files = await timed_import(db_path, files)
        first.append(seconds)
        seconds, c2, _ = await timed_import(db_path, files)
        second.append(seconds)
        counts = {"first": counts_dict(c1), "second": counts_dict(c2)}
        with sqlite3.connect(db_path) as db:
            papers = db.execute("SELECT count(*) FROM papers").fetchone()[0]
        size_mb = db_path.stat().st_size / 1e6
        for leftover in work.glob(db_path.name + "*"):
            leftover.unlink()
        print(
            f"  [{name}] run {n + 1}: first import {c1.total:,} records in {first[-1]:.2f} s, "
            f"second {c2.total:,} in {second[-1]:.2f} s"
        )
    records = counts["first"]["total"]
    parse = statistics.median(parse_seconds(files) for _ in range(repeat))
    first_s, second_s = statistics.median(first), statistics.median(second)
    return {
        "files": n_files,
        "records": records,
        "papers_in_db": papers,
        "db_mb": round(size_mb, 1),
        "first_import": {
            "seconds": round(first_s, 3),
            "all_runs_s": [round(s, 3) for s in first],
            "papers_per_s": round(records / first_s),
            "best_papers_per_s": round(records / min(first)),
            "counts": counts["first"],
        },
        "second_import": {
            "seconds": round(second_s, 3),
            "all_runs_s": [round(s, 3) for s in second],
            "papers_per_s": round(counts["second"]["total"] / second_s),
            "best_papers_per_s": round(counts["second"]["total"] / min(second)),
            "counts": counts["second"],
            "all_unchanged": counts["second"]["unchanged"] == counts["second"]["total"],
        },
        "parse_only": {"seconds": round(parse, 3), "papers_per_s": round(records / parse)},
        "target_papers_per_s": TARGET_PER_SECOND,
        "target_met": records / first_s >= TARGET_PER_SECOND,
        "target_met_best_run": records / min(first) >= TARGET_PER_SECOND,
    }


def print_table(results: dict[str, dict[str, Any]]) -> None:
    print(
        f"\nImport speed (median of the runs, best run in brackets; "
        f"target >= {TARGET_PER_SECOND:,} papers/s on a fresh database)"
    )
    head = (
        f"{'data':<9} {'files':>5} {'records':>8} {'papers':>7} {'import s':>9} "
        f"{'papers/s':>16} {'target':>7} {'again s':>8} {'again/s':>16} {'unchanged':>13} "
        f"{'parse s':>8}"
    )
    print(head)
    print("-" * len(head))
    for name, r in results.items():
        first, second = r["first_import"], r["second_import"]
        again = second["counts"]
        print(
            f"{name:<9} {r['files']:>5} {r['records']:>8,} {r['papers_in_db']:>7,} "
            f"{first['seconds']:>9.2f} {first['papers_per_s']:>6,} "
            f"({first['best_papers_per_s']:>6,}) "
            f"{'met' if r['target_met'] else 'MISSED':>7} {second['seconds']:>8.2f} "
            f"{second['papers_per_s']:>6,} ({second['best_papers_per_s']:>6,}) "
            f"{again['unchanged']:>6,}/{again['total']:<6,} "
            f"{r['parse_only']['seconds']:>8.2f}"
        )
    for name, r in results.items():
        c = r["first_import"]["counts"]
        c2 = r["second_import"]["counts"]
        print(
            f"{name}: first import new {c['new']:,} updated {c['updated']:,} "
            f"unchanged {c['unchanged']:,} bad {c['bad']:,}; second import new {c2['new']:,} "
            f"updated {c2['updated']:,} unchanged {c2['unchanged']:,} bad {c2['bad']:,}"
        )


async def main(args: argparse.Namespace) -> None:
    sets = {"shared": shared_files(args.shared), "snapshot": [REPO / "bot" / "data" / SNAPSHOT]}
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="paperbot-ingest-") as tmp:
        work = Path(tmp)
        for name, files in sets.items():
            print(f"{name}: {len(files)} files")
            results[name] = await bench_set(name, files, work, args.repeat)
        if args.profile:
            profiler = cProfile.Profile()
            await timed_import(work / "profile.sqlite3", sets["shared"], profiler)
            report = io.StringIO()
            pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(30)
            out = args.results.parent / "ingest_profile.txt"
            out.write_text(report.getvalue(), encoding="utf-8")
            print(f"cProfile of the shared import (cumulative) written to {out}")
    print_table(results)
    data = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "machine": platform.platform(),
            "python": sys.version.split()[0],
            "commit": git_commit(),
            "sqlite": sqlite3.sqlite_version,
            "repeat": args.repeat,
            "load_average_1min_end": round(os.getloadavg()[0], 2),
            "shared": str(args.shared),
        },
        **results,
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.results}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared" / "data", help="shared/data"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per set (default: 5)")
    parser.add_argument(
        "--results", type=Path, default=BENCH / "results" / "ingest.json", help="JSON out"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile one import of the shared data"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
