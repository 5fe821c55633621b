"""Search latency and known-item quality: paperbot against plain FTS5 and rapidfuzz WRatio."""

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
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any
from unittest import mock

import rapidfuzz
from rapidfuzz import fuzz, process

import bot.search.engine
from bench.corpus import (
    REPO,
    VERSION,
    Corpus,
    corpus_file,
    git_commit,
    load_real,
    postgres_corpus,
    schema_versions,
    size_label,
)
from bench.queries import KINDS, KnownItem, make_queries
from bot.search.engine import run_search
from bot.search.query import parse_query
from bot.store import Store, open_store
from bot.text import tokenize

BENCH = Path(__file__).resolve().parent
METHODS = {
    "paperbot": "run_search(store, parse_query(q), limit=10)",
    "fts5-or": "tokens quoted and OR-ed, one FTS5 MATCH ... ORDER BY rank LIMIT 10",
    "wratio": "rapidfuzz process.extract(q, titles, scorer=WRatio, limit=10)",
}
# Targets for paperbot, by corpus size: p50 and p99 latency in ms (issue 12), and MRR@10.
P50_TARGET_MS = {1_000_000: 10.0}
P99_TARGET_MS = {100_000: 20.0, 1_000_000: 30.0, 2_500_000: 50.0}
MRR_TARGET = {100_000: 0.95}
_FTS_SQL = (
    "SELECT p.id FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid "
    "WHERE papers_fts MATCH ? ORDER BY rank LIMIT 10"
)

Run = tuple[list[str], float]  # ids returned, best first; latency in ms


def parse_size(text: str) -> int | None:
    text = text.strip().lower()
    if text == "real":
        return None
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 500 values is the 495th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def rank_of(target: str, ids: Sequence[str]) -> int | None:
    try:
        return ids.index(target) + 1
    except ValueError:
        return None


def ambiguity(db: sqlite3.Connection, queries: Sequence[KnownItem]) -> list[int]:
    """Per query, how many papers fit it as well as its target does (capped at 100)."""
    sql = "SELECT count(*) FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? LIMIT 100)"
    return [db.execute(sql, (q.evidence,)).fetchone()[0] if q.evidence else 1 for q in queries]


def summarize(
    queries: Sequence[KnownItem], runs: Sequence[Run], fits: Sequence[int]
) -> dict[str, Any]:
    ranks = [rank_of(q.target, ids) for q, (ids, _) in zip(queries, runs, strict=True)]
    rr = [1 / r if r and r <= 10 else 0.0 for r in ranks]
    latencies = [ms for _, ms in runs]
    by_kind = {}
    for kind in KINDS:
        kind_rr = [x for q, x in zip(queries, rr, strict=True) if q.kind == kind]
        if kind_rr:
            by_kind[kind] = round(sum(kind_rr) / len(kind_rr), 4)
    # Queries that some other paper fits just as well cannot be answered for certain.
    unique_rr = [x for x, n in zip(rr, fits, strict=False) if n <= 1]
    return {
        "queries": len(runs),
        "p50_ms": round(percentile(latencies, 50), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "mean_ms": round(sum(latencies) / len(latencies), 3),
        "max_ms": round(max(latencies), 3),
        "mrr10": round(sum(rr) / len(rr), 4),
        "hit1": round(sum(1 for r in ranks if r == 1) / len(ranks), 4),
        "mrr10_by_kind": by_kind,
        "unique_queries": len(unique_rr),
        "mrr10_unique": round(sum(unique_rr) / len(unique_rr), 4) if unique_rr else None,
        "ranks": ranks,
        "latencies_ms": [round(ms, 2) for ms in latencies],
    }


async def run_paperbot(store: Store, queries: Sequence[KnownItem]) -> list[Run]:
    runs = []
    for q in queries:
        start = time.perf_counter()
        hits = await run_search(store, parse_query(q.text), limit=10)
        runs.append(([h.paper.id for h in hits], (time.perf_counter() - start) * 1000))
    return runs


def run_fts(db: sqlite3.Connection, queries: Sequence[KnownItem]) -> list[Run]:
    runs = []
    for q in queries:
        start = time.perf_counter()
        tokens = dict.fromkeys(tokenize(q.text))
        ids: list[str] = []
        if tokens:
            match = " OR ".join('"' + t.replace('"', '""') + '"' for t in tokens)
            ids = [row[0] for row in db.execute(_FTS_SQL, (match,))]
        runs.append((ids, (time.perf_counter() - start) * 1000))
    return runs


def run_wratio(ids: list[str], titles: list[str], queries: Sequence[KnownItem]) -> list[Run]:
    runs = []
    for q in queries:
        start = time.perf_counter()
        found = process.extract(q.text, titles, scorer=fuzz.WRatio, limit=10)
        runs.append(([ids[i] for _, _, i in found], (time.perf_counter() - start) * 1000))
    return runs


class TimedStore:
    """A store proxy that adds up the time spent in each store method."""

    def __init__(self, store: Store, seconds: Counter[str]) -> None:
        self._store = store
        self._seconds = seconds

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self._seconds[f"store.{name}"] += time.perf_counter() - start

        return timed


def _timed(fn: Callable[..., Any], name: str, seconds: Counter[str]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[name] += time.perf_counter() - start

    return wrapper


async def profile_slowest(
    store: Store,
    queries: Sequence[KnownItem],
    runs: Sequence[Run],
    n: int,
    out: Path,
) -> dict[str, Any]:
    """Re-run the ``n`` slowest paperbot queries: where the time goes, and a cProfile."""
    slowest = sorted(range(len(queries)), key=lambda i: -runs[i][1])[:n]
    seconds: Counter[str] = Counter()
    timed_store = TimedStore(store, seconds)
    with ExitStack() as patches:
        for name in ("plan", "rerank", "corrections"):
            fn = _timed(getattr(bot.search.engine, name), f"search.{name}", seconds)
            patches.enter_context(mock.patch.object(bot.search.engine, name, fn))
        start = time.perf_counter()
        for i in slowest:
            await run_search(timed_store, parse_query(queries[i].text), limit=10)  # type: ignore[arg-type]
        seconds["total"] = time.perf_counter() - start
    profiler = cProfile.Profile()
    profiler.enable()
    for i in slowest:
        await run_search(store, parse_query(queries[i].text), limit=10)
    profiler.disable()
    report = io.StringIO()
    pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(30)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.getvalue(), encoding="utf-8")
    label = out.stem.removeprefix("search_profile_")
    print(f"\n[{label}] the {len(slowest)} slowest paperbot queries, re-run with timers:")
    for i in slowest[:10]:
        print(f"  {runs[i][1]:8.1f} ms  {queries[i].kind:<8} {queries[i].text[:80]!r}")
    share = {k: round(v * 1000 / len(slowest), 2) for k, v in seconds.most_common()}
    print("  mean ms per query: " + ", ".join(f"{k} {v}" for k, v in share.items()))
    print(f"  cProfile (cumulative) written to {out}")
    return {
        "queries": [
            {"kind": queries[i].kind, "text": queries[i].text, "ms": round(runs[i][1], 2)}
            for i in slowest
        ],
        "mean_ms_per_query": share,
    }


def misses(
    queries: Sequence[KnownItem], runs: Sequence[Run], titles: dict[str, str], limit: int
) -> list[dict[str, Any]]:
    """Queries whose target was not first, with what came first instead."""
    out = []
    for q, (ids, _) in zip(queries, runs, strict=True):
        rank = rank_of(q.target, ids)
        if rank == 1:
            continue
        out.append(
            {
                "kind": q.kind,
                "query": q.text,
                "target": q.target,
                "target_title": titles.get(q.target, ""),
                "rank": rank,
                "returned": [{"id": i, "title": titles.get(i, "?")} for i in ids[:3]],
            }
        )
    return out[:limit]


async def bench_size(
    corpus: Corpus, size: int | None, queries: list[KnownItem], args: argparse.Namespace
) -> dict[str, Any]:
    label = size_label(size)
    path = await corpus_file(corpus, size, args.cache)
    result: dict[str, Any] = {"corpus_file": str(path), "backend": args.backend, "methods": {}}
    url = f"sqlite:///{path}"
    if args.backend == "postgres":
        # paperbot searches the same corpus in PostgreSQL; the baselines stay on SQLite.
        url = result["postgres_url"] = await postgres_corpus(path, args.postgres_url)
    schema = schema_versions(path)
    load = [os.getloadavg()[0]]
    async with open_store(url) as store:
        papers = await store.count_papers()
        result["papers"] = papers
        print(f"\n[{label}] {papers:,} papers on {args.backend}; {len(queries)} queries")
        # The first search after opening, timed apart (it once loaded the vocabulary).
        start = time.perf_counter()
        await run_search(store, parse_query(queries[0].text), limit=10)
        result["first_query_ms"] = round((time.perf_counter() - start) * 1000, 1)
        vocabulary = len(await store.vocabulary())
        result["vocabulary"] = vocabulary
        print(
            f"[{label}] first search ({vocabulary:,} vocabulary words): "
            f"{result['first_query_ms']:,.0f} ms"
        )
        print(f"[{label}] paperbot ...", flush=True)
        runs = {"paperbot": await run_paperbot(store, queries)}

        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if not args.skip_baselines:
                print(f"[{label}] fts5-or ...", flush=True)
                run_fts(db, queries[:1])
                runs["fts5-or"] = run_fts(db, queries)
            fits = ambiguity(db, queries)
            rows = []
            if not args.skip_baselines:
                rows = db.execute("SELECT id, title FROM papers ORDER BY rowid").fetchall()
        finally:
            db.close()
        if not args.skip_baselines:
            ids = [r[0] for r in rows]
            titles = [r[1] for r in rows]
            wratio_queries = queries
            if papers > 500_000 and args.wratio_sample < len(queries):
                # The round-robin order of kinds keeps the sample's kinds in equal shares.
                wratio_queries = queries[: args.wratio_sample]
            print(f"[{label}] wratio on {len(wratio_queries)} queries ...", flush=True)
            runs["wratio"] = run_wratio(ids, titles, wratio_queries)
            del ids, titles
        del rows

        for method, method_runs in runs.items():
            result["methods"][method] = summarize(queries[: len(method_runs)], method_runs, fits)
        result["ambiguous_by_kind"] = {
            kind: sum(1 for q, n in zip(queries, fits, strict=True) if q.kind == kind and n > 1)
            for kind in KINDS
        }
        pb = result["methods"]["paperbot"]
        result["latency_ratio"] = {
            base: {
                "p50": round(pb["p50_ms"] / result["methods"][base]["p50_ms"], 5),
                "p99": round(pb["p99_ms"] / result["methods"][base]["p99_ms"], 5),
            }
            for base in ("fts5-or", "wratio")
            if base in result["methods"]
        }
        result["targets"] = targets(size, pb)
        shown = {i for ids_, _ in runs["paperbot"] for i in ids_[:3]} | {q.target for q in queries}
        found = await store.get_papers(sorted(shown))
        names = {pid: p.title for pid, p in found.items()}
        result["paperbot_misses"] = misses(queries, runs["paperbot"], names, args.misses)
        if args.profile:
            suffix = "" if args.backend == "sqlite" else f"_{args.backend}"
            out = args.results.parent / f"search_profile_{label}{suffix}.txt"
            result["profile"] = await profile_slowest(
                store, queries, runs["paperbot"], args.profile, out
            )
    load.append(os.getloadavg()[0])
    # This run keeps one core busy; more than that means something else competed.
    result["load_average_1min"] = {"start": round(load[0], 2), "end": round(load[1], 2)}
    if max(load) > 1.5:
        print(f"[{label}] note: load average {max(load):.1f}: another process may have competed")
    if schema_versions(path) != schema:
        # Someone opened the file with newer code meanwhile: the figures are not clean.
        result["warning"] = "another process migrated the corpus file during the run"
        print(f"[{label}] WARNING: {result['warning']}")
    return result


def targets(size: int | None, pb: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if size in P50_TARGET_MS:
        goal = P50_TARGET_MS[size]
        out["p50_ms"] = {"target": goal, "met": pb["p50_ms"] <= goal}
    if size in P99_TARGET_MS:
        goal = P99_TARGET_MS[size]
        out["p99_ms"] = {"target": goal, "met": pb["p99_ms"] <= goal}
    if size in MRR_TARGET:
        goal = MRR_TARGET[size]
        out["mrr10"] = {"target": goal, "met": pb["mrr10"] >= goal}
    return out


def print_tables(sizes: dict[str, dict[str, Any]]) -> None:
    print("\nSearch: latency and known-item quality (top 10)")
    head = (
        f"{'corpus':>9} {'method':<9} {'queries':>7} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'MRR@10':>7} {'hit@1':>6} {'MRR@10 unique':>13}  target (paperbot)"
    )
    print(head)
    print("-" * len(head))
    for res in sizes.values():
        for method, m in res["methods"].items():
            note = ""
            if method == "paperbot":
                note = "  ".join(
                    f"{k.replace('_ms', '')} {'<=' if k.endswith('_ms') else '>='} "
                    f"{t['target']:g}: {'met' if t['met'] else 'MISSED'}"
                    for k, t in res["targets"].items()
                )
            elif method == "wratio" and m["queries"] < res["methods"]["paperbot"]["queries"]:
                note = f"(first {m['queries']} queries only)"
            print(
                f"{res['papers']:>9,} {method:<9} {m['queries']:>7} {m['p50_ms']:>9.2f} "
                f"{m['p99_ms']:>9.2f} {m['mrr10']:>7.3f} {m['hit1']:>6.3f} "
                f"{m['mrr10_unique'] or 0:>6.3f} ({m['unique_queries']:>3})  {note}"
            )
    print(
        "MRR@10 unique: over the queries (how many) that no other paper fits as well; "
        "ambiguous queries by kind:"
    )
    for res in sizes.values():
        amb = ", ".join(f"{k} {v}" for k, v in res["ambiguous_by_kind"].items())
        print(f"{res['papers']:>9,} {amb}")
    print("\nLatency ratio paperbot / baseline (below 1: paperbot is faster)")
    print(f"{'corpus':>9} {'baseline':<9} {'p50':>8} {'p99':>8}")
    for res in sizes.values():
        for base, r in res["latency_ratio"].items():
            print(f"{res['papers']:>9,} {base:<9} {r['p50']:>8.3g} {r['p99']:>8.3g}")
    print("\nMRR@10 by query kind")
    print(f"{'corpus':>9} {'method':<9} " + " ".join(f"{k:>8}" for k in KINDS))
    for res in sizes.values():
        for method, m in res["methods"].items():
            kinds = m["mrr10_by_kind"]
            print(
                f"{res['papers']:>9,} {method:<9} "
                + " ".join(f"{kinds.get(k, float('nan')):>8.3f}" for k in KINDS)
            )
    print("\nFirst search after opening")
    for res in sizes.values():
        print(
            f"{res['papers']:>9,} papers: {res['first_query_ms']:>9,.0f} ms "
            f"({res['vocabulary']:,} words)"
        )


def write_json(out: Path, meta: dict[str, Any], sizes: dict[str, dict[str, Any]]) -> None:
    """Merge into ``out``, so sizes benchmarked in separate runs end up in one file."""
    data: dict[str, Any] = {"sizes": {}}
    if out.exists():
        with suppress(json.JSONDecodeError):
            data = json.loads(out.read_text(encoding="utf-8"))
    for label, res in sizes.items():
        data.setdefault("sizes", {})[label] = {"meta": meta, **res}
    data["methods"] = METHODS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")


async def main(args: argparse.Namespace) -> None:
    meta_commit = git_commit()
    corpus = load_real(args.shared)
    print(f"paperbot {meta_commit}; real papers: {len(corpus.papers):,} from {corpus.origin}")
    queries = make_queries(corpus.papers, args.queries, args.seed)
    print(f"queries: {len(queries)} ({', '.join(f'{k} {v}' for k, v in kinds(queries))})")
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "commit": meta_commit,
        "sqlite": sqlite3.sqlite_version,
        "rapidfuzz": rapidfuzz.__version__,
        "corpus_version": VERSION,
        "real_papers": len(corpus.papers),
        "real_origin": corpus.origin,
        "seed": args.seed,
        "queries": len(queries),
        "backend": args.backend,
    }
    sizes = {}
    for size in args.sizes:
        sizes[size_label(size)] = await bench_size(corpus, size, queries, args)
    print_tables(sizes)
    write_json(args.results, meta, sizes)


def kinds(queries: Sequence[KnownItem]) -> list[tuple[str, int]]:
    return list(Counter(q.kind for q in queries).items())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared" / "data", help="shared/data"
    )
    parser.add_argument(
        "--sizes",
        default="real,100k,1m",
        type=lambda s: [parse_size(x) for x in s.split(",") if x.strip()],
        help="corpora to run: real, 100k, 1m, or a number (default: %(default)s)",
    )
    parser.add_argument("--queries", type=int, default=500, help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=0, help="query set seed (default: 0)")
    parser.add_argument("--cache", type=Path, default=BENCH / ".cache", help="corpus files")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="the store paperbot searches; the baselines always read the SQLite corpus "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "PAPERBOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="with --backend postgres: the database the corpora are copied into, a schema "
        "each, kept for later runs (default: $PAPERBOT_BENCH_POSTGRES_URL or %(default)s)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="JSON out (default: bench/results/search.json,"
        " search-postgres.json with --backend postgres)",
    )
    parser.add_argument(
        "--wratio-sample",
        type=int,
        default=50,
        help="queries WRatio runs on for corpora over 500k papers (default: %(default)s)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="re-run the N slowest paperbot queries per size with timers and cProfile",
    )
    parser.add_argument(
        "--misses", type=int, default=40, help="paperbot misses kept in the JSON per size"
    )
    parser.add_argument(
        "--skip-baselines",
        action="store_true",
        help="paperbot alone, without plain FTS5 and WRatio (minutes each at 1M papers)",
    )
    args = parser.parse_args(argv)
    if args.results is None:
        name = "search.json" if args.backend == "sqlite" else f"search-{args.backend}.json"
        args.results = BENCH / "results" / name
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
