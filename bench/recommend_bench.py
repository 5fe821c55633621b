"""Personal recommendations, offline: does a reader's next paper reach their top 10?"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.corpus import REPO, Corpus, corpus_file, git_commit, load_real
from bot.models import Paper
from bot.ranking.columns import Columns
from bot.ranking.personal import DEFAULT_WEIGHTS, PaperMatrix, Weights, rank_for_reader
from bot.ranking.profile import Profile
from bot.ranking.tfidf import MIN_WEIGHT, make_idf
from bot.ranking.window import Window
from bot.store.sqlite import SqliteStore
from bot.text import STOPWORDS, tokenize

BENCH = Path(__file__).resolve().parent
KINDS = ("keyword", "author", "catword")
MIN_CANDIDATES = 100
# Interests narrower than "large language models": a group this size is one reader's.
GROUP_SIZES = range(4, 61)
TREND_SWEEP = (0.0, 0.02, 0.05, 0.1, 0.2, 0.5)
NEG_SWEEP = (0.0, 0.25, 0.5, 1.0, 2.0)
PRUNE_SWEEP = (0.0, 0.03)

Ranking = tuple[list[str], float]  # ids best first; ms


@dataclass(frozen=True)
class Reader:
    """A simulated reader: what they kept (newest first), and the paper they want next."""

    kind: str
    key: str
    kept: tuple[Paper, ...]
    held_out: Paper
    candidates: tuple[Paper, ...]
    dismissed: tuple[Paper, ...] = ()
    avoid: frozenset[str] = frozenset()  # candidates of the dismissed interest


def _keys(paper: Paper, kind: str) -> set[str]:
    if kind == "keyword":
        return {k.lower() for k in paper.ai_keywords}
    if kind == "author":
        return set(paper.authors)
    words = {t for t in tokenize(paper.title) if len(t) > 3 and t not in STOPWORDS}
    return {f"{c} {w}" for c in paper.categories for w in words}


def make_readers(papers: Sequence[Paper], count: int, seed: int, days: int) -> list[Reader]:
    """``count`` readers, an equal share of each kind, each a group of 4-8 papers sharing
    a keyword, an author, or a category and a title word; the last one by day is held out
    and ranked among every other paper of the ``days`` days up to its day."""
    rng = random.Random(seed)
    dated = sorted((p for p in papers if p.day), key=_by_day)
    by_day: dict[dt.date, list[Paper]] = defaultdict(list)
    for p in dated:
        by_day[_day(p)].append(p)
    readers: list[Reader] = []
    for n, kind in enumerate(KINDS):
        groups: dict[str, list[Paper]] = defaultdict(list)
        for p in dated:
            for key in _keys(p, kind):
                groups[key].append(p)
        keys = sorted(k for k, g in groups.items() if len(g) in GROUP_SIZES)
        rng.shuffle(keys)
        want = count * (n + 1) // len(KINDS) - count * n // len(KINDS)
        for key in keys:
            if want == 0:
                break
            group = groups[key]
            picked = sorted(rng.sample(group, min(rng.randint(4, 8), len(group))), key=_by_day)
            held, kept = picked[-1], picked[-2::-1]
            own = {p.id for p in picked}
            window = [_day(held) - dt.timedelta(days=d) for d in range(days)]
            others = [p for d in window for p in by_day.get(d, ()) if p.id not in own]
            if len(others) + 1 < MIN_CANDIDATES:
                continue
            readers.append(Reader(kind, key, tuple(kept), held, (held, *others)))
            want -= 1
    return readers


def _day(p: Paper) -> dt.date:
    return p.day or dt.date.min


def _by_day(p: Paper) -> tuple[dt.date, str]:
    return _day(p), p.id


def with_dismissals(readers: Sequence[Reader], papers: Sequence[Paper], seed: int) -> list[Reader]:
    """Keyword readers who also dismissed the 3 newest earlier papers of another keyword
    found in their window; ``avoid`` holds that keyword's candidates."""
    rng = random.Random(seed)
    by_keyword: dict[str, list[Paper]] = defaultdict(list)
    for p in sorted((p for p in papers if p.day), key=_by_day):
        for k in _keys(p, "keyword"):
            by_keyword[k].append(p)
    out = []
    for r in readers:
        if r.kind != "keyword":
            continue
        start = min(_day(p) for p in r.candidates)
        mine = _keys(r.held_out, "keyword") | {r.key}
        near: dict[str, set[str]] = defaultdict(set)
        for p in r.candidates[1:]:
            ks = _keys(p, "keyword")
            if not ks & mine:
                for k in ks:
                    near[k].add(p.id)
        options = sorted(
            k
            for k, ids in near.items()
            if len(ids) >= 2 and sum(_day(p) < start for p in by_keyword[k]) >= 3
        )
        if options:
            other = rng.choice(options)
            earlier = [p for p in by_keyword[other] if _day(p) < start][-3:]
            out.append(replace(r, dismissed=tuple(earlier), avoid=frozenset(near[other])))
    return out


def strip(paper: Paper, fields: str) -> Paper:
    """The paper as a representation variant sees it."""
    if fields == "title+abstract":
        return replace(paper, ai_keywords=(), categories=())
    if fields == "+keywords":
        return replace(paper, categories=())
    return paper


# Candidate matrices by (reader, fields, candidate pruning), in one column space per
# reader and fields: configurations that weigh candidates alike rank on the same matrix.
_MATRICES: dict[tuple[int, str, float], PaperMatrix] = {}
_COLUMNS: dict[tuple[int, str], Columns] = {}


def paperbot(
    idf: Callable[[str], float],
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    fields: str = "all",
    min_weight: float = MIN_WEIGHT,
    candidate_min_weight: float = MIN_WEIGHT,
) -> Callable[[Reader], Ranking]:
    """What a DM digest does, with trending from log upvotes: the candidates in one
    ``PaperMatrix`` (their terms under ``candidate_min_weight`` pruned), ranked for the
    reader's profile (built from terms of at least ``min_weight``)."""

    def rank(r: Reader) -> Ranking:
        columns = _COLUMNS.setdefault((id(r), fields), Columns())
        kept = [(strip(p, fields), "saved") for p in r.kept]
        gone = [strip(p, fields) for p in r.dismissed]
        profile = Profile.build(kept, gone, idf, min_weight=min_weight, columns=columns)
        start = time.perf_counter()
        key = (id(r), fields, candidate_min_weight)
        matrix = _MATRICES.get(key)
        if matrix is None:
            cands = Window([strip(p, fields) for p in r.candidates], columns=columns)
            matrix = _MATRICES[key] = PaperMatrix(cands, idf, min_weight=candidate_min_weight)
        logs = np.log1p(matrix.upvotes)
        trend = logs / (logs.max() or 1.0)
        recs = matrix.rank(profile, trend=trend, limit=len(matrix), weights=weights)
        return [x.paper.id for x in recs], (time.perf_counter() - start) * 1000

    return rank


def random_order(seed: int) -> Callable[[Reader], Ranking]:
    rng = random.Random(seed)

    def rank(r: Reader) -> Ranking:
        start = time.perf_counter()
        ids = [p.id for p in r.candidates]
        rng.shuffle(ids)
        return ids, (time.perf_counter() - start) * 1000

    return rank


def most_upvoted(r: Reader) -> Ranking:
    start = time.perf_counter()
    ranked = sorted(r.candidates, key=lambda p: (-(p.upvotes or 0), p.id))
    return [p.id for p in ranked], (time.perf_counter() - start) * 1000


def evaluate(readers: Sequence[Reader], method: Callable[[Reader], Ranking]) -> dict[str, Any]:
    rows = []
    for r in readers:
        ids, ms = method(r)
        rank = ids.index(r.held_out.id) + 1
        rows.append((r.kind, rank <= 10, 1 / rank, len(r.avoid & set(ids[:10])), ms))

    def summary(sel: list[tuple[str, bool, float, int, float]]) -> dict[str, float]:
        n = len(sel) or 1
        return {
            "readers": len(sel),
            "hit@10": round(sum(s[1] for s in sel) / n, 4),
            "mrr": round(sum(s[2] for s in sel) / n, 4),
            "avoided@10": round(sum(s[3] for s in sel) / n, 3),
            "ms": round(sum(s[4] for s in sel) / n, 3),
        }

    res = summary(rows)
    res["by_kind"] = {k: summary([s for s in rows if s[0] == k]) for k in KINDS}
    return res


def _timed(fn: Callable[..., object], *args: Any, **kwargs: Any) -> tuple[float, float]:
    """Wall and CPU milliseconds of one call (CPU time tells a busy machine from slow code)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args, **kwargs)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def speed(papers: Sequence[Paper], idf: Callable[[str], float], seed: int) -> dict[str, float]:
    """500 candidates against a profile of 50 saved and 10 dismissed papers, 30 times."""
    rng = random.Random(seed)
    pool = [p for p in papers if p.abstract]
    liked = [(p, "saved") for p in rng.sample(pool, 50)]
    gone = rng.sample(pool, 10)
    cands = rng.sample(pool, 500)
    builds, cold, warm = [], [], []
    for _ in range(30):
        builds.append(_timed(Profile.build, liked, gone, idf)[0])
        columns = Columns()
        profile = Profile.build(liked, gone, idf, columns=columns)
        cold.append(_timed(rank_for_reader, cands, profile, idf=idf))
        # The next reader of the same digest run: the candidates are already weighed.
        matrix = PaperMatrix(Window(cands, columns=columns), idf)
        warm.append(_timed(matrix.rank, profile)[0])
    return {
        "rank_wall_median_ms": round(statistics.median(w for w, _ in cold), 2),
        "rank_wall_max_ms": round(max(w for w, _ in cold), 2),
        "rank_cpu_median_ms": round(statistics.median(c for _, c in cold), 2),
        "rank_weighed_median_ms": round(statistics.median(warm), 2),
        "profile_build_median_ms": round(statistics.median(builds), 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


async def load_idf(corpus: Corpus, cache: Path) -> Callable[[str], float]:
    # The same IDF inputs the bot uses: the store's own vocabulary and paper count.
    async with SqliteStore.open(await corpus_file(corpus, None, cache)) as store:
        return make_idf(await store.vocabulary(), await store.count_papers())


def line(name: str, res: dict[str, Any], *, ms: bool = True) -> str:
    kinds = " ".join(f"{res['by_kind'][k]['hit@10']:>8.3f}" for k in KINDS)
    text = f"{name:<26} {res['hit@10']:>7.3f} {res['mrr']:>7.3f} {kinds}"
    return text + f" {res['ms']:>8.2f}" if ms else text


def print_tables(data: dict[str, Any]) -> None:
    head = f"{'method':<26} {'hit@10':>7} {'MRR':>7} " + " ".join(f"{k:>8}" for k in KINDS)
    print("\nHeld-out next paper (hit@10 per reader kind on the right)")
    print(f"{head} {'ms/rank':>8}\n{'-' * (len(head) + 9)}")
    for name, res in data["methods"].items():
        print(line(name, res))
    print(f"\npaperbot variants: representation, pruning, trending weight\n{head}")
    print("-" * len(head))
    for name, res in data["variants"].items():
        print(line(name, res, ms=False))
    print("\nReaders who also dismissed another interest: that interest's papers in the top 10")
    print(f"{'method':<26} {'hit@10':>7} {'MRR':>7} {'avoided@10':>11}")
    for name, res in data["dismissal"].items():
        print(f"{name:<26} {res['hit@10']:>7.3f} {res['mrr']:>7.3f} {res['avoided@10']:>11.2f}")
    s = data["speed"]
    print(
        f"\n500 candidates x 50 saved + 10 dismissed papers (median of 30, load average "
        f"{s['load_average_1m']} on {data['cpus']} CPUs):\n"
        f"  rank_for_reader      {s['rank_wall_median_ms']:6.1f} ms wall "
        f"({s['rank_cpu_median_ms']:.1f} ms CPU, max {s['rank_wall_max_ms']:.1f} ms wall)\n"
        f"  candidates weighed   {s['rank_weighed_median_ms']:6.1f} ms wall "
        "(the next reader of a digest run: ranked on one PaperMatrix)\n"
        f"  Profile.build        {s['profile_build_median_ms']:6.1f} ms wall"
    )


async def main(args: argparse.Namespace) -> None:
    corpus = load_real(args.shared)
    print(f"paperbot {git_commit()}; real papers: {len(corpus.papers):,} from {corpus.origin}")
    idf = await load_idf(corpus, args.cache)
    readers = make_readers(corpus.papers, args.readers, args.seed, args.days)
    dismissing = with_dismissals(readers, corpus.papers, args.seed)
    mean_cands = sum(len(r.candidates) for r in readers) / max(len(readers), 1)
    print(
        f"readers: {len(readers)} ({len(dismissing)} with dismissals); "
        f"{mean_cands:.0f} candidates each on average ({args.days} days)",
        flush=True,
    )
    w = DEFAULT_WEIGHTS
    methods = {
        "paperbot": paperbot(idf),
        "random": random_order(args.seed),
        "most-upvoted": most_upvoted,
    }
    variants: dict[str, Callable[[Reader], Ranking]] = {
        f"fields={f}": paperbot(idf, fields=f) for f in ("title+abstract", "+keywords")
    }
    variants["no pruning (both sides)"] = paperbot(idf, min_weight=0.0, candidate_min_weight=0.0)
    variants |= {
        f"candidates pruned <{c}": paperbot(idf, candidate_min_weight=c) for c in PRUNE_SWEEP
    }
    variants |= {f"trend={t}": paperbot(idf, replace(w, trend=t)) for t in TREND_SWEEP}
    data: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "commit": git_commit(),
        "real_papers": len(corpus.papers),
        "real_origin": corpus.origin,
        "seed": args.seed,
        "window_days": args.days,
        "readers": len(readers),
        "mean_candidates": round(mean_cands, 1),
        "weights": asdict(w),
        "min_weight": MIN_WEIGHT,
    }
    data["speed"] = speed(corpus.papers, idf, args.seed)  # first: a small heap, less GC
    data["methods"] = {name: evaluate(readers, m) for name, m in methods.items()}
    data["variants"] = {name: evaluate(readers, m) for name, m in variants.items()}
    data["dismissal"] = {
        f"paperbot neg={n}": evaluate(dismissing, paperbot(idf, replace(w, neg=n)))
        for n in NEG_SWEEP
    }
    print_tables(data)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.results}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared" / "data", help="shared/data"
    )
    parser.add_argument("--readers", type=int, default=300, help="default: %(default)s")
    parser.add_argument("--days", type=int, default=7, help="candidate window (default: 7)")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    parser.add_argument("--cache", type=Path, default=BENCH / ".cache", help="corpus files")
    parser.add_argument(
        "--results", type=Path, default=BENCH / "results" / "recommend.json", help="JSON out"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
