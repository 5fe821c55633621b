"""Every benchmark, one table: each figure beside its baseline from the same run, as a
ratio, with the target of the issue that set it and whether it is met.

    python -m bench.run            # everything (about an hour here), results in bench/results
    python -m bench.run --quick    # small sizes, a few minutes, results in bench/results/quick
    python -m bench.run --table    # no run: the table of the results already written
    python -m bench.run --table --readme   # ... and put it in README.md's Benchmarks

It runs the benchmarks one after another (two cores: two at once measure both badly),
each as its own process writing its JSON, then reads those files back into one table,
printed and written as ``summary.json`` and ``summary.md`` (the README's Benchmarks
table) beside them. A benchmark that fails is a row saying so; the others still run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.corpus import REPO, git_commit

BENCH = Path(__file__).resolve().parent
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Where README.md holds the table (`--readme`).
README_START = "<!-- bench.run table: python -m bench.run --table --readme -->"
README_END = "<!-- end of the bench.run table -->"


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    area: str
    measure: str
    paperbot: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None  # None: no target
    source: str = ""  # the JSON it came from, its commit and load average

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: ""}[self.met]


@dataclass(frozen=True)
class Step:
    """One benchmark: its module, arguments by mode, the JSON it writes."""

    name: str
    module: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    results: str
    rows: Callable[[dict[str, Any], str], Iterator[Row]]
    needs_postgres: bool = False
    cache: bool = True  # takes --cache (the corpus files)
    # The flag and file name of a profile it writes, kept beside its results.
    profile: tuple[str, str] | None = None


# --- reading each benchmark's JSON ------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:,.1f} ms"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else ""


def _where(meta: dict[str, Any], name: str) -> str:
    load = meta.get("load_average_1min")
    if isinstance(load, dict):
        load = max(load.values())
    load = load if load is not None else meta.get("load_average_1min_end")
    return f"{name} @ {meta.get('commit', '?')}, load {load if load is not None else '?'}"


# Search p99 by corpus size: search_bench's own 20 ms at 100k; issue 12's 30 ms at 1M and 50 ms
# at 2.5M (this 2-core machine).
_P99_TARGETS = {100_000: 20.0, 1_000_000: 30.0, 2_500_000: 50.0}


def search_rows(data: dict[str, Any], name: str) -> Iterator[Row]:
    for run in data.get("sizes", {}).values():
        methods = run["methods"]
        mine, fts, wratio = methods["paperbot"], methods["fts5-or"], methods.get("wratio")
        where = _where({**run["meta"], "load_average_1min": run.get("load_average_1min")}, name)
        label = f"{run['papers']:,} papers, {run.get('backend', 'sqlite')}"
        target = _P99_TARGETS.get(run["papers"])
        yield Row(
            "search",
            f"p50 / p99, {label}",
            f"{mine['p50_ms']:.1f} / {mine['p99_ms']:.1f} ms",
            f"FTS5 OR {fts['p50_ms']:.1f} / {fts['p99_ms']:.1f} ms",
            f"{_ratio(mine['p50_ms'], fts['p50_ms'])} / {_ratio(mine['p99_ms'], fts['p99_ms'])}",
            f"p99 <= {target:g} ms" if target else "",
            mine["p99_ms"] <= target if target else None,
            where,
        )
        others = f"FTS5 OR {fts['mrr10']:.3f} / {fts['hit1']:.2f}"
        if wratio:
            others += f"; WRatio {wratio['mrr10']:.3f} / {wratio['hit1']:.2f}"
        yield Row(
            "search",
            f"MRR@10 / hit@1, {label}",
            f"{mine['mrr10']:.3f} / {mine['hit1']:.2f}",
            others,
            _ratio(mine["mrr10"], fts["mrr10"]),
            "above both baselines",
            mine["mrr10"] >= fts["mrr10"] and (not wratio or mine["mrr10"] >= wratio["mrr10"]),
            where,
        )
        first, most = run["first_query_ms"], 500 if run["papers"] > 1_000_000 else 300
        yield Row("search", f"first search after opening, {label}", _ms(first),
                  target=f"<= {most} ms", met=first <= most, source=where)  # fmt: skip


def ingest_rows(data: dict[str, Any], name: str) -> Iterator[Row]:
    # The newest run of each size (runs are kept by label).
    newest: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for run in data.values():
        meta = run.get("meta", {})
        for size, figures in run.items():
            if size == "meta" or not isinstance(figures, dict) or "paperbot" not in figures:
                continue
            if size not in newest or meta.get("date", "") > newest[size][0].get("date", ""):
                newest[size] = (meta, figures)
    for meta, figures in newest.values():
        mine, bare = figures["paperbot"], figures.get("bare_sqlite3")
        rate = mine["papers_per_s"]
        yield Row(
            "import",
            f"`paperbot import` of one {figures['papers']:,}-paper file: papers/s",
            f"{rate:,}/s",
            f"bare sqlite3 {bare['papers_per_s']:,}/s" if bare else "",
            _ratio(rate, bare["papers_per_s"]) if bare else "",
            ">= 5,000/s",
            rate >= 5000,
            _where(
                {
                    **meta,
                    "load_average_1min_end": figures.get(
                        "load_average_1min_end", meta.get("load_average_1min_end")
                    ),
                },
                name,
            ),
        )
        yield Row(
            "import",
            f"peak RSS of that import, {figures['papers']:,} papers",
            f"{mine['peak_rss_mb']:,} MB",
            f"bare sqlite3 {bare['peak_rss_mb']:,} MB" if bare else "",
            _ratio(mine["peak_rss_mb"], bare["peak_rss_mb"]) if bare else "",
            "<= 400 MB",
            mine["peak_rss_mb"] <= 400,
            _where(meta, name),
        )
    yield from day_rows(data, name)


def day_rows(data: dict[str, Any], name: str) -> Iterator[Row]:
    """A day's papers written into a big database (``import_bench --days-into``)."""
    newest: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for run in data.values():
        meta = run.get("meta", {})
        for size, figures in run.items():
            if not size.startswith("day-") or not isinstance(figures, dict):
                continue
            if size not in newest or meta.get("date", "") > newest[size][0].get("date", ""):
                newest[size] = (meta, figures)
    for meta, figures in newest.values():
        seconds, bare = figures["seconds"], figures["bare_sqlite3_s"]
        target = figures.get("target_s")
        yield Row(
            "import",
            f"a day's {figures['per_day']:,} new papers into {figures['papers']:,}, "
            f"{len(seconds)} days",
            " / ".join(f"{x:.2f}" for x in seconds) + " s",
            f"bare sqlite3 {max(bare) * 1000:.0f} ms",
            _ratio(max(seconds), max(bare)),
            f"<= {target:g} s" if target else "",
            figures.get("met"),
            _where({**meta, "load_average_1min_end": figures.get("load_average_1min_end")}, name),
        )
        alone = figures.get("single_write_ms")
        if alone:
            yield Row(
                "import",
                f"one paper written alone into {figures['papers']:,}: median / slowest",
                f"{alone['median']:.1f} / {alone['max']:.1f} ms",
                source=_where(
                    {**meta, "load_average_1min_end": figures.get("load_average_1min_end")}, name
                ),
            )


def digest_rows(data: dict[str, Any], name: str) -> Iterator[Row]:
    build, fanout = data.get("build"), data.get("fanout")
    if build:
        # Each part keeps the meta of the run that wrote it (they may run apart).
        where = _where(build.get("meta", {}), name)
        n = build["subscriptions"]
        again = build.get("after_new_papers_s")
        yield Row(
            "digests",
            f"build {n:,} digests, running builder",
            f"{build['running_builder_s']:.2f} s",
            f"window indexed again {again:.2f} s" if again else "",
            _ratio(build["running_builder_s"], again) if again else "",
            f"<= {build['target_s']:g} s",
            build["running_builder_met"],
            where,
        )
        yield Row(
            "digests",
            f"build {n:,} digests, new builder (first after start, no target)",
            f"{build['first_build_s']:.2f} s",
            source=where,
        )
        stalls = [
            build["longest_loop_stall_s"],
            build.get("running_builder_stall_s"),
            build.get("after_new_papers_stall_s"),
        ]
        yield Row(
            "digests",
            "longest event-loop stall during a build: new / running / after new papers",
            " / ".join(f"{s * 1000:.0f} ms" for s in stalls if s is not None),
            target="<= 50 ms",
            met=all(s <= 0.05 for s in stalls if s is not None),
            source=where,
        )
    if fanout:
        where = _where(fanout.get("meta", {}), name)
        yield Row(
            "digests",
            f"fan-out of {fanout['subscriptions']:,} digests at {fanout['rate_per_s']}/s "
            "(virtual time)",
            f"{fanout['virtual_s']:.1f} s",
            f"minimum the limit allows {fanout['minimum_s']:.1f} s",
            _ratio(fanout["virtual_s"], fanout["minimum_s"]),
            f"<= {fanout['target_s']:.1f} s",
            fanout["met"],
            where,
        )
        yield Row(
            "digests",
            "fan-out: delivered / twice / missing",
            f"{fanout['delivered']:,} / {fanout['delivered_twice']} / {fanout['missing']}",
            target="all, 0, 0",
            met=fanout["delivered_twice"] == fanout["missing"] == 0,
            source=where,
        )


def recommend_rows(data: dict[str, Any], name: str) -> Iterator[Row]:
    methods = data["methods"]
    mine, rand, top = methods["paperbot"], methods["random"], methods["most-upvoted"]
    best = max(rand["hit@10"], top["hit@10"])
    yield Row(
        "recommender",
        f"hit@10 / MRR, {data['readers']} simulated readers",
        f"{mine['hit@10']:.3f} / {mine['mrr']:.3f}",
        f"random {rand['hit@10']:.3f} / {rand['mrr']:.3f}; "
        f"most-upvoted {top['hit@10']:.3f} / {top['mrr']:.3f}",
        _ratio(mine["hit@10"], best),
        "above both baselines",
        mine["hit@10"] > best and mine["mrr"] > max(rand["mrr"], top["mrr"]),
        _where({**data, "load_average_1min": data.get("speed", {}).get("load_average_1m")}, name),
    )


def memory_rows(data: dict[str, Any], name: str) -> Iterator[Row]:
    where = _where(data, name)
    for run in data.get("runs", []):
        yield Row(
            "memory",
            f"peak RSS of `paperbot run slack`, {run['label']} papers",
            f"{run['peak_rss_mb']:.0f} MB",
            target=f"<= {run['target_mb']} MB" if run.get("target_mb") else "",
            met=run.get("met") if run.get("target_mb") else None,
            source=where,
        )
        once, twenty = run["one_at_a_time_ms"], run["twenty_at_once_ms"]
        yield Row(
            "round trip",
            f"Slack slash command to its ack, p50 / p99, 20 at once ({run['label']})",
            f"{twenty['p50']:.1f} / {twenty['p99']:.1f} ms",
            f"one at a time {once['p50']:.1f} / {once['p99']:.1f} ms",
            _ratio(twenty["p99"], once["p99"]),
            "ack <= 3,000 ms (Slack's limit)",
            twenty["p99"] <= 3000,
            where,
        )


def roundtrip_rows(data: dict[str, Any], name: str) -> Iterator[Row]:
    where, users = _where(data, name), data["users"]
    for platform in ("slack", "discord"):
        figures = data[platform]
        crowd, alone = figures[f"{users}_at_once"], figures["one_at_a_time"]
        first, answer = crowd["first_response_ms"], crowd["answer_ms"]
        yield Row(
            "round trip",
            f"{platform.title()} /papers search, {users} users at once: first response "
            "p50 / p99; answer p50 / p99",
            f"{first['p50']:.0f} / {first['p99']:.0f} ms; {answer['p50']:.0f} / "
            f"{answer['p99']:.0f} ms",
            f"one at a time: answer {alone['answer_ms']['p50']:.0f} / "
            f"{alone['answer_ms']['p99']:.0f} ms",
            _ratio(answer["p99"], alone["answer_ms"]["p99"]),
            f"first response <= {data['limit_ms']:,.0f} ms (the platform's limit)",
            first["p99"] <= data["limit_ms"],
            where,
        )


def soak_rows(data: dict[str, Any], name: str) -> Iterator[Row]:
    where = _where(data, name)
    for platform, run in (("Slack", data), ("Discord", data.get("discord"))):
        if run is None:  # a soak from before Discord was driven too
            continue
        rss = run["rss_mb"]
        yield Row(
            "soak",
            f"{platform}, {data['minutes']:g} min under load and faults: commands served, "
            "answer p50 / p99",
            f"{run['answered']:,} of {run['commands_sent']:,}; "
            f"{run['answer_ms']['p50']:.0f} / {run['answer_ms']['p99']:.0f} ms",
            target="all answered",
            met=run["answered"] == run["commands_sent"],
            source=where,
        )
        errors = run.get("failed_requests", 0) + run["answers_saying_something_went_wrong"]
        yield Row(
            "soak",
            f"{platform} errors: failed requests + 'something went wrong' answers; "
            "tracebacks in the log",
            f"{errors}; {run['tracebacks_in_log']}",
            target="0; 0",
            met=errors == 0 and run["tracebacks_in_log"] == 0,
            source=where,
        )
        yield Row(
            "soak",
            f"{platform} daily posts due / delivered / missing / doubled",
            f"{run['posts_due']} / {run['posts_delivered']} / {run['posts_missing']} / "
            f"{run['posts_doubled']}",
            target="all / 0 / 0",
            met=run["posts_missing"] == run["posts_doubled"] == 0,
            source=where,
        )
        if "gateway_drops" in run:
            drops = len(run["gateway_drops"])
            yield Row(
                "soak",
                "Discord gateway dropped / resumed / identified",
                f"{drops} / {run['gateway_resumes']} / {run['gateway_identifies']}",
                target="every drop resumed, 1 identify",
                met=run["gateway_resumes"] == drops and run["gateway_identifies"] == 1,
                source=where,
            )
        yield Row(
            "soak",
            f"{platform} bot's resident memory at start / end (peak)",
            f"{rss['start']:.0f} / {rss['end']:.0f} MB ({rss['peak']:.0f})",
            target="<= 400 MB",
            met=rss["peak"] <= 400,
            source=where,
        )


# --- the steps ---------------------------------------------------------------------------


def steps(quick: bool) -> list[Step]:
    return [
        Step("search", "bench.search_bench",
             ("--sizes", "real,100k,1m,2.5m", "--queries", "200"),
             ("--sizes", "real", "--queries", "100"), "search.json", search_rows),
        Step("search-postgres", "bench.search_bench",
             ("--backend", "postgres", "--postgres-url", POSTGRES_URL, "--sizes", "real,100k",
              "--queries", "200"),
             ("--backend", "postgres", "--postgres-url", POSTGRES_URL, "--sizes", "real",
              "--queries", "50"),
             "search-postgres.json", search_rows, needs_postgres=True),
        Step("import", "bench.import_bench",
             ("--sizes", "100k,1m", "--days-into", "1m,2.5m", "--label", "bench.run"),
             ("--sizes", "100k", "--days-into", "100k", "--label", "bench.run"),
             "ingest-import.json", ingest_rows),
        Step("digests", "bench.digest_bench", (), ("--subs", "2000"), "digest.json", digest_rows,
             profile=("--profile-out", "digest_profile.txt")),
        Step("recommender", "bench.recommend_bench", (), ("--readers", "60"), "recommend.json",
             recommend_rows),
        Step("memory", "bench.memory_bench", ("--sizes", "100k,1m,2.5m"),
             ("--sizes", "real", "--queries", "60"), "memory.json", memory_rows),
        Step("round trip", "bench.roundtrip_bench", (), ("--commands", "60"), "roundtrip.json",
             roundtrip_rows, cache=False),
        Step("soak", "bench.soak", ("--minutes", "20"), ("--minutes", "2"), "soak.json",
             soak_rows, cache=False),
    ]  # fmt: skip


def postgres_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), 2).close()
    except OSError:
        return False
    return True


def run_step(step: Step, out: Path, cache: Path, quick: bool) -> tuple[int, float]:
    args = [*(step.quick if quick else step.full)]
    if step.cache:
        args += ["--cache", str(cache)]
    args += ["--results", str(out / step.results)]
    if step.profile:
        args += [step.profile[0], str(out / step.profile[1])]
    start = time.perf_counter()
    print(f"\n=== {step.name}: python -m {step.module} {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", step.module, *args], cwd=REPO, check=False)
    return done.returncode, time.perf_counter() - start


def collect(out: Path, chosen: list[Step], failed: dict[str, int]) -> list[Row]:
    rows: list[Row] = []
    for step in chosen:
        path = out / step.results
        if step.name in failed:
            rows.append(Row(step.name, "benchmark run", f"failed (exit {failed[step.name]})"))
            continue
        if not path.exists():
            rows.append(Row(step.name, "benchmark run", "not run (no results yet)"))
            continue
        try:
            rows += list(step.rows(json.loads(path.read_text()), path.name))
        except (KeyError, TypeError, ValueError) as exc:
            rows.append(Row(step.name, "results", f"unreadable ({type(exc).__name__}: {exc})"))
    return rows


COLUMNS = ("area", "measure", "paperbot", "baseline", "ratio", "target", "verdict", "source")


def markdown(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "| " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    for row in rows:
        cells = [str(getattr(row, c)).replace("|", "\\|") for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def print_table(rows: list[Row]) -> None:
    shown = ("measure", "paperbot", "baseline", "ratio", "target", "verdict")
    widths = {c: max(len(c), *(len(str(getattr(r, c))) for r in rows)) for c in shown}
    print("  ".join(f"{c:<{widths[c]}}" for c in shown))
    print("  ".join("-" * widths[c] for c in shown))
    for row in rows:
        print("  ".join(f"{getattr(row, c)!s:<{widths[c]}}" for c in shown).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--table", action="store_true", help="no run: the table of the results")
    parser.add_argument("--only", default="", help="comma-separated steps (default: all)")
    parser.add_argument("--cache", type=Path, default=BENCH / ".cache", help="corpus files")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument(
        "--readme", action="store_true", help="write the table into README.md's Benchmarks"
    )
    args = parser.parse_args(argv)
    out = args.out or (BENCH / "results" / "quick" if args.quick else BENCH / "results")
    out.mkdir(parents=True, exist_ok=True)
    wanted = {s for s in args.only.split(",") if s}
    chosen = [s for s in steps(args.quick) if not wanted or s.name in wanted]
    failed: dict[str, int] = {}
    took: dict[str, float] = {}
    if not args.table:
        for step in chosen:
            if step.needs_postgres and not postgres_answers():
                print(f"\n=== {step.name}: no PostgreSQL on 127.0.0.1:5432, skipped")
                continue
            code, took[step.name] = run_step(step, out, args.cache, args.quick)
            if code:
                failed[step.name] = code
    rows = collect(out, chosen, failed)
    print()
    print_table(rows)
    summary = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "quick": args.quick,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "seconds_by_step": {k: round(v, 1) for k, v in took.items()},
        "rows": [{**asdict(r), "verdict": r.verdict} for r in rows],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "summary.md").write_text(markdown(rows))
    print(f"\nwrote {out / 'summary.json'} and {out / 'summary.md'}")
    if args.readme:
        readme = REPO / "README.md"
        text = readme.read_text(encoding="utf-8")
        start, end = text.index(README_START), text.index(README_END)
        table = f"{README_START}\n{markdown(rows)}{README_END}"
        readme.write_text(text[:start] + table + text[end + len(README_END) :], encoding="utf-8")
        print(f"wrote the table into {readme}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
