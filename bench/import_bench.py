"""`paperbot import` of one big JSONL file: papers/s and peak RSS beside a bare sqlite3 load;
and a day's new papers written into a big database, as the daily fetch writes them.

Each size's file (real papers plus synthetic ones, ``bench/corpus.py``) is written once
to the cache and reused, so two commits are measured on the same bytes. Both the
``paperbot import`` process and the baseline process run as children of this one; the
peak RSS of each is its own ``ru_maxrss`` (``os.wait4``).

``--days-into 1m,2.5m`` copies the search benchmark's corpus of that size
(``bench/corpus.py``, built once) and writes ``--days`` days of ``--per-day`` new papers
into it, one ``upsert_papers`` batch a day (what a fetch does: the papers, their
history, both FTS indexes and the stored vocabulary, in one transaction), beside the
same rows executemany'd into a plain table of the same file.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.corpus import REPO, corpus_file, git_commit, load_real, size_label, synthetic_papers
from bot.ingest.records import dump_records
from bot.models import Paper
from bot.store.sqlite import SqliteStore

BENCH = Path(__file__).resolve().parent
TARGET_PER_SECOND = 5_000
TARGET_RSS_MB = 400
# Issue 12: a day's import (1,000 new papers) into the big database.
DAY_TARGET_S = {1_000_000: 2.0, 2_500_000: 3.0}
# Papers written one at a time after the days, to time a write that is not a batch.
_SINGLES = 20
# Bump when the file recipe changes: cached files are keyed by it.
FILE_VERSION = 1
_BASELINE_BATCH = 20_000
_COLUMNS = (
    "id",
    "version",
    "title",
    "abstract",
    "authors",
    "published_at",
    "day",
    "categories",
    "upvotes",
    "source",
)


def corpus_papers(real: list[Paper], size: int) -> Iterator[Paper]:
    """The real papers, then synthetic ones up to ``size`` in all."""
    yield from real[:size]
    yield from synthetic_papers(real, max(0, size - len(real)), seed=f"import-{size}")


def big_file(shared: Path, size: int, cache: Path) -> Path:
    """The JSONL file of ``size`` papers in our export format, written once."""
    path = cache / f"import-{size_label(size)}-v{FILE_VERSION}.jsonl"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    real = load_real(shared).papers
    start = time.perf_counter()
    partial = path.with_suffix(".part")
    with partial.open("w", encoding="utf-8") as fh:
        count = dump_records(corpus_papers(real, size), fh)
    partial.rename(path)
    mb = path.stat().st_size / 1e6
    print(f"  wrote {path} ({count:,} papers, {mb:,.0f} MB) in {time.perf_counter() - start:.0f} s")
    return path


def run_child(argv: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout+stderr tail of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {child.returncode}:\n{output[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, output.strip().splitlines()[-1] if output else ""


def bare_sqlite_load(path: Path, db_path: Path) -> int:
    """The baseline: json.loads each line and executemany the rows, 20,000 a transaction,
    into one plain table keyed by id (no merging, no history, no full-text index)."""
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"CREATE TABLE papers (id TEXT PRIMARY KEY, {', '.join(_COLUMNS[1:])})")
    sql = (
        f"INSERT INTO papers VALUES ({', '.join('?' * len(_COLUMNS))}) "
        f"ON CONFLICT(id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _COLUMNS[1:])}"
    )
    count = 0
    rows: list[tuple[Any, ...]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            rows.append(
                (
                    r["id"],
                    r.get("version"),
                    r["title"],
                    r["abstract"],
                    json.dumps(r.get("authors", []), ensure_ascii=False),
                    r.get("published_at"),
                    r.get("day"),
                    json.dumps(r.get("categories", [])),
                    r.get("upvotes"),
                    r.get("source"),
                )
            )
            if len(rows) == _BASELINE_BATCH:
                with db:
                    db.executemany(sql, rows)
                count += len(rows)
                rows.clear()
    with db:
        db.executemany(sql, rows)
    count += len(rows)
    db.close()
    return count


def bench_size(args: argparse.Namespace, size: int, work: Path) -> dict[str, Any]:
    path = big_file(args.shared, size, args.cache)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOT_")}
    results: dict[str, Any] = {"papers": size, "file_mb": round(path.stat().st_size / 1e6)}
    db = work / f"paperbot-{size}.sqlite3"
    env["PAPERBOT_DATABASE_URL"] = f"sqlite:///{db}"
    argv = [sys.executable, "-m", "bot", "import", str(path)]
    seconds, rss, last = run_child(argv, cwd=args.repo, env=env)
    with sqlite3.connect(db) as conn:
        in_db = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    results["paperbot"] = {
        "seconds": round(seconds, 2),
        "papers_per_s": round(size / seconds),
        "peak_rss_mb": round(rss),
        "papers_in_db": in_db,
        "summary": last,
    }
    print(f"  [{size_label(size)}] paperbot import: {seconds:.1f} s, {rss:,.0f} MB ({last})")
    for leftover in work.glob(db.name + "*"):
        leftover.unlink()
    if not args.no_baseline:
        base_db = work / f"bare-{size}.sqlite3"
        argv = [sys.executable, "-m", "bench.import_bench", "--bare", str(path), str(base_db)]
        seconds, rss, last = run_child(argv, cwd=REPO, env=env)
        results["bare_sqlite3"] = {
            "seconds": round(seconds, 2),
            "papers_per_s": round(size / seconds),
            "peak_rss_mb": round(rss),
        }
        print(f"  [{size_label(size)}] bare sqlite3:    {seconds:.1f} s, {rss:,.0f} MB")
        for leftover in work.glob(base_db.name + "*"):
            leftover.unlink()
    results["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    return results


def _parse_size(text: str) -> int:
    return int(float(text[:-1]) * (1000 if text[-1] == "k" else 1_000_000))


def day_papers(real: list[Paper], day: dt.date, count: int, n: int) -> list[Paper]:
    """``count`` synthetic papers new on ``day`` (ids ``8DDDD.NNNNN``: in no corpus)."""
    made = synthetic_papers(real, count, seed=f"day-{day.isoformat()}")
    return [
        dataclasses.replace(p, id=f"8{n:04d}.{k:05d}", day=day, published_at=None)
        for k, p in enumerate(made)
    ]


async def _days_into(
    path: Path, days: list[list[Paper]], singles: list[Paper], observed: dt.datetime
) -> tuple[list[float], list[float]]:
    """Seconds of each day's ``upsert_papers`` into the store at ``path``, then of each
    of ``singles`` written alone (a paper looked up on arXiv is written so)."""
    seconds, alone = [], []
    async with SqliteStore.open(path) as store:
        await store.count_papers()  # opened, migrated, warm as a running bot's
        for n, papers in enumerate(days):
            start = time.perf_counter()
            counts = await store.upsert_papers(papers, observed_at=observed + dt.timedelta(n))
            seconds.append(time.perf_counter() - start)
            assert counts.new == len(papers), counts
        later = observed + dt.timedelta(len(days))
        for paper in singles:
            start = time.perf_counter()
            await store.upsert_papers([paper], observed_at=later)
            alone.append(time.perf_counter() - start)
    return seconds, alone


def _bare_days(path: Path, days: list[list[Paper]]) -> list[float]:
    """The baseline: each day's rows executemany'd into a plain table, one transaction."""
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE bare_day (id TEXT PRIMARY KEY, {', '.join(_COLUMNS[1:])})")
    sql = f"INSERT INTO bare_day VALUES ({', '.join('?' * len(_COLUMNS))})"
    seconds = []
    for papers in days:
        rows = [
            (
                p.id,
                p.version,
                p.title,
                p.abstract,
                json.dumps(list(p.authors), ensure_ascii=False),
                p.published_at.isoformat() if p.published_at else None,
                p.day.isoformat() if p.day else None,
                json.dumps(list(p.categories)),
                p.upvotes,
                p.source,
            )
            for p in papers
        ]
        start = time.perf_counter()
        with db:
            db.executemany(sql, rows)
        seconds.append(time.perf_counter() - start)
    db.close()
    return seconds


def bench_day(args: argparse.Namespace, size: int, work: Path) -> dict[str, Any]:
    """A day's new papers into a copy of the ``size`` corpus, as the daily fetch writes."""
    corpus = load_real(args.shared)
    cached = asyncio.run(corpus_file(corpus, size, args.search_cache or args.cache))
    copy = work / f"day-{size_label(size)}.sqlite3"
    start = time.perf_counter()
    shutil.copyfile(cached, copy)
    print(f"  [{size_label(size)}] copied {cached.name} in {time.perf_counter() - start:.0f} s")
    with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as conn:
        newest = dt.date.fromisoformat(conn.execute("SELECT max(day) FROM papers").fetchone()[0])
    real = list(corpus.papers)
    days = [
        day_papers(real, newest + dt.timedelta(days=n + 1), args.per_day, n)
        for n in range(args.days)
    ]
    singles = day_papers(real, newest + dt.timedelta(days=args.days + 1), _SINGLES, 9999)
    observed = dt.datetime.combine(newest, dt.time(23), tzinfo=dt.UTC)
    seconds, alone = asyncio.run(_days_into(copy, days, singles, observed))
    bare = _bare_days(copy, days)
    for leftover in work.glob(copy.name + "*"):
        leftover.unlink()
    target = DAY_TARGET_S.get(size)
    worst = max(seconds)
    print(
        f"  [{size_label(size)}] {args.per_day:,} new papers a day, {args.days} days: "
        f"{', '.join(f'{x:.2f}' for x in seconds)} s (bare sqlite3 "
        f"{', '.join(f'{x:.3f}' for x in bare)} s)"
        + (f"; target <= {target:g} s: {'met' if worst <= target else 'MISSED'}" if target else "")
    )
    one = sorted(alone)
    print(
        f"  [{size_label(size)}] one paper written alone, {len(one)} times: median "
        f"{one[len(one) // 2] * 1000:.1f} ms, slowest {one[-1] * 1000:.1f} ms"
    )
    return {
        "papers": size,
        "per_day": args.per_day,
        "seconds": [round(x, 3) for x in seconds],
        "worst_s": round(worst, 3),
        "bare_sqlite3_s": [round(x, 4) for x in bare],
        "single_write_ms": {
            "median": round(one[len(one) // 2] * 1000, 2),
            "max": round(one[-1] * 1000, 2),
        },
        "target_s": target,
        "met": worst <= target if target else None,
        "load_average_1min_end": round(os.getloadavg()[0], 2),
    }


def print_table(results: dict[str, dict[str, Any]], commit: str) -> None:
    print(
        f"\n`paperbot import FILE` at {commit} (targets: >= {TARGET_PER_SECOND:,} papers/s, "
        f"<= {TARGET_RSS_MB} MB peak RSS)"
    )
    head = (
        f"{'size':<6} {'file MB':>8} {'method':<13} {'seconds':>8} {'papers/s':>9} "
        f"{'peak RSS MB':>12} {'vs bare':>8}"
    )
    print(head)
    print("-" * len(head))
    for label, r in results.items():
        bare = r.get("bare_sqlite3")
        for method in ("paperbot", "bare_sqlite3"):
            if method not in r:
                continue
            m = r[method]
            ratio = f"{m['seconds'] / bare['seconds']:.1f}x" if bare else ""
            print(
                f"{label:<6} {r['file_mb']:>8,} {method:<13} {m['seconds']:>8.1f} "
                f"{m['papers_per_s']:>9,} {m['peak_rss_mb']:>12,} {ratio:>8}"
            )


def main(args: argparse.Namespace) -> None:
    sizes = [_parse_size(s) for s in args.sizes]
    commit = git_commit() if args.repo == REPO else _commit_of(args.repo)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="paperbot-import-", dir=args.work) as tmp:
        for size in sizes:
            results[size_label(size)] = bench_size(args, size, Path(tmp))
        for size in map(_parse_size, args.days_into):
            results[f"day-{size_label(size)}"] = bench_day(args, size, Path(tmp))
    print_table({k: v for k, v in results.items() if not k.startswith("day-")}, commit)
    data = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "machine": platform.platform(),
            "python": sys.version.split()[0],
            "commit": commit,
            "repo": str(args.repo),
            "sqlite": sqlite3.sqlite_version,
            "load_average_1min_end": round(os.getloadavg()[0], 2),
        },
        **results,
    }
    out: Path = args.results
    old = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    # Merged by size, so the sizes of one label may be run separately.
    sizes_before = {k: v for k, v in old.get(args.label or commit, {}).items() if k != "meta"}
    old[args.label or commit] = {"meta": data["meta"], **sizes_before, **results}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(old, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out} [{args.label or commit}]")


def _commit_of(repo: Path) -> str:
    found = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return found.stdout.strip() or "unknown"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes",
        type=lambda s: [x for x in s.split(",") if x],
        default=["100k"],
        help="import file sizes (default: 100k; '' for none)",
    )
    parser.add_argument(
        "--days-into",
        type=lambda s: [x for x in s.split(",") if x],
        default=[],
        help="corpus sizes to write a day's papers into (1m,2.5m; default: none)",
    )
    parser.add_argument("--per-day", type=int, default=1_000, help="default: %(default)s")
    parser.add_argument("--days", type=int, default=3, help="default: %(default)s")
    parser.add_argument(
        "--search-cache",
        type=Path,
        default=None,
        help="where the search corpora are (bench/corpus.py; default: --cache)",
    )
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared" / "data", help="shared/data"
    )
    parser.add_argument("--cache", type=Path, default=BENCH / ".cache", help="JSONL files")
    parser.add_argument("--work", type=Path, default=None, help="where the databases go")
    parser.add_argument(
        "--repo", type=Path, default=REPO, help="the checkout whose `paperbot` runs"
    )
    parser.add_argument("--label", default="", help="key of this run in the JSON")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare sqlite3 load")
    parser.add_argument(
        "--results", type=Path, default=BENCH / "results" / "ingest-import.json", help="JSON"
    )
    parser.add_argument("--bare", nargs=2, type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    parsed = parse_args()
    if parsed.bare:
        print(f"{bare_sqlite_load(*parsed.bare):,} rows")
    else:
        main(parsed)
