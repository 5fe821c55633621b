"""`paperbot import` of one big JSONL file: papers/s and peak RSS beside a bare sqlite3 load.

Each size's file (real papers plus synthetic ones, ``bench/corpus.py``) is written once
to the cache and reused, so two commits are measured on the same bytes. Both the
``paperbot import`` process and the baseline process run as children of this one; the
peak RSS of each is its own ``ru_maxrss`` (``os.wait4``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.corpus import REPO, git_commit, load_real, size_label, synthetic_papers
from bot.ingest.records import dump_records
from bot.models import Paper

BENCH = Path(__file__).resolve().parent
TARGET_PER_SECOND = 5_000
TARGET_RSS_MB = 400
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
    sizes = [int(float(s[:-1]) * (1000 if s[-1] == "k" else 1_000_000)) for s in args.sizes]
    commit = git_commit() if args.repo == REPO else _commit_of(args.repo)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="paperbot-import-", dir=args.work) as tmp:
        for size in sizes:
            results[size_label(size)] = bench_size(args, size, Path(tmp))
    print_table(results, commit)
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
    parser.add_argument("--sizes", type=lambda s: s.split(","), default=["100k"])
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
