"""Daily digests at scale: building 10,000 at once, and fanning them out under a rate limit."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import random
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from bench.corpus import REPO, VERSION, corpus_file, git_commit, load_real, schema_versions
from bot.delivery.digest import LOOKBACK_DAYS, DigestBuilder, Due
from bot.delivery.outbound import OutboundMessage, Outcome, SendResult
from bot.delivery.scheduler import Scheduler, TickReport
from bot.models import Destination, Digest, Signal, Source, Subscription
from bot.store.sqlite import SqliteStore
from bot.text import STOPWORDS, tokenize

BENCH = Path(__file__).resolve().parent
CORPUS_SIZE = 100_000
# Issue 12: 10,000 digests on the 100k corpus in a blink, for a running bot.
BUILD_TARGET_S = 1.0
# The fan-out may take at most this much longer (virtual time) than the limit allows.
FANOUT_SLACK = 0.10
TIMEZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Honolulu",
)
COUNTS = (1, 3, 3, 5, 5, 5, 5, 5, 10, 10, 10, 15, 20, 25)
MIN_UPVOTES = (1, 5, 10, 20, 50)
WEEKDAYS = (frozenset(range(5)),) * 4 + (frozenset(range(7)), frozenset({0, 2, 4}))


# --- the population: subscriptions and readers ------------------------------------------


@dataclass(frozen=True)
class Material:
    """What subscriptions are made of, read from the corpus file."""

    keywords: list[str]  # real HF ai_keywords of 1-3 words, one entry per use
    title_words: list[list[str]]  # content words of real titles, in order
    categories: list[str]  # one entry per paper and category (frequency-weighted)
    paper_ids: list[str]


def read_material(path: Path) -> Material:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT title, ai_keywords, categories FROM papers WHERE ai_keywords <> '[]'"
        ).fetchall()
        ids = [r[0] for r in db.execute("SELECT id FROM papers ORDER BY id")]
    keywords, titles, categories = [], [], []
    for title, kws, cats in rows:
        keywords += [k for k in json.loads(kws) if 1 <= len(tokenize(k)) <= 3]
        words = [w for w in tokenize(title) if len(w) > 3 and w.isalpha() and w not in STOPWORDS]
        if words:
            titles.append(words)
        categories += json.loads(cats)
    return Material(keywords, titles, categories, ids)


@dataclass(frozen=True)
class Reader:
    """A DM subscriber's history: (paper id, signal), oldest first."""

    signals: list[tuple[str, Signal]]


def make_population(
    n: int, material: Material, rng: random.Random, created: dt.datetime
) -> list[tuple[Subscription, Reader | None]]:
    """``n`` subscriptions: ~30% without a topic, ~20% DM digests of readers with history."""
    out: list[tuple[Subscription, Reader | None]] = []
    channels = max(1, int(n * 0.8 / 1.3))  # a few channels carry two or three topics
    for i in range(n):
        platform_ = rng.choice(("slack", "discord"))
        workspace = f"W{rng.randrange(max(1, n // 20)):04d}"
        topic = ""
        if rng.random() >= 0.3:
            if rng.random() < 0.6:
                topic = rng.choice(material.keywords)
            else:
                words = rng.choice(material.title_words)
                k = rng.randint(1, min(3, len(words)))
                j = rng.randrange(len(words) - k + 1)
                topic = " ".join(words[j : j + k])
        categories: tuple[str, ...] = ()
        if rng.random() < 0.2:
            cat = rng.choice(material.categories)
            categories = (cat.partition(".")[0],) if rng.random() < 0.3 else (cat,)
        reader = None
        if rng.random() < 0.2:
            user = f"U{i:06d}"
            destination = Destination(platform_, workspace, "", user)
            owner = user
            reader = Reader(
                [
                    (pid, Signal.SAVE if rng.random() < 0.6 else Signal.LIKE)
                    for pid in rng.sample(material.paper_ids, rng.randint(5, 30))
                ]
                + [
                    (pid, Signal.DISMISS)
                    for pid in rng.sample(material.paper_ids, rng.choice((0, 0, 0, 1, 2, 3)))
                ]
            )
        else:
            destination = Destination(platform_, workspace, f"C{rng.randrange(channels):06d}")
            owner = f"U{rng.randrange(n):06d}"
        sub = Subscription(
            id=0,
            destination=destination,
            owner=owner,
            topic=topic,
            categories=categories,
            min_upvotes=rng.choice(MIN_UPVOTES) if rng.random() < 0.15 else None,
            count=rng.choice(COUNTS),
            source=rng.choices((Source.HF, Source.ARXIV, Source.BOTH), (5, 2, 3))[0],
            at=dt.time(rng.randint(6, 10), rng.choice((0, 15, 30, 45))),
            timezone=rng.choice(TIMEZONES),
            weekdays=rng.choice(WEEKDAYS),
            created_at=created,
        )
        out.append((sub, reader))
    return out


async def populate(
    store: SqliteStore, population: Sequence[tuple[Subscription, Reader | None]], now: dt.datetime
) -> list[Subscription]:
    subs = []
    for sub, reader in population:
        stored = await store.add_subscription(sub)
        subs.append(stored)
        if reader is not None:
            d = stored.destination
            for k, (pid, signal) in enumerate(reader.signals):
                when = now - dt.timedelta(days=len(reader.signals) - k)
                await store.add_signal(d.platform, d.workspace, d.user, pid, signal, now=when)
    return subs


def kind_of(sub: Subscription) -> str:
    if sub.is_dm:
        return "dm"
    return "topic" if sub.topic else "trending"


# --- part 1: building -------------------------------------------------------------------


class StallWatch:
    """The longest time the event loop ran nothing else: what a chat gateway's heartbeat,
    sharing the loop with the scheduler, would have waited."""

    def __init__(self, every: float = 0.01) -> None:
        self.every = every
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self.every)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last - self.every)
            last = now

    async def __aenter__(self) -> StallWatch:
        self._task = asyncio.create_task(self._watch())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def _inline(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)


async def timed_build(
    builder: DigestBuilder, due: list[Due], profiler: cProfile.Profile | None = None
) -> tuple[float, float, float, list[Digest]]:
    """Wall seconds, CPU seconds (of the process), the longest event-loop stall, and the
    digests. CPU time says what wall time would be on an idle machine."""
    async with StallWatch() as watch:
        if profiler:
            profiler.enable()
        start, cpu = time.perf_counter(), time.process_time()
        digests = await builder.build(due)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        if profiler:
            profiler.disable()
    return seconds, cpu, watch.longest, digests


def digest_stats(subs: Sequence[Subscription], digests: Sequence[Digest]) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    for sub, digest in zip(subs, digests, strict=True):
        k = by_kind.setdefault(kind_of(sub), {"digests": 0, "empty": 0, "items": 0, "asked": 0})
        k["digests"] += 1
        k["empty"] += not digest.items
        k["items"] += len(digest.items)
        k["asked"] += sub.count
    # A place with several subscriptions: the same paper in two of its posts that day?
    given = Counter(
        (sub.destination.key, item.paper_id)
        for sub, digest in zip(subs, digests, strict=True)
        for item in digest.items
    )
    repeats = {pair: n for pair, n in given.items() if n > 1}
    places = Counter(sub.destination.key for sub in subs)
    return {
        "digests": len(digests),
        "empty": sum(k["empty"] for k in by_kind.values()),
        "by_kind": dict(sorted(by_kind.items())),
        "places_with_several_subscriptions": sum(1 for n in places.values() if n > 1),
        "papers_repeated_in_a_place": sum(n - 1 for n in repeats.values()),
        "places_with_repeats": len({place for place, _ in repeats}),
        "repeat_sample": [f"{place} {pid} x{n}" for (place, pid), n in list(repeats.items())[:5]],
    }


def write_profile(
    profiler: cProfile.Profile, out: Path, top: int, heading: str
) -> list[dict[str, Any]]:
    """The ``top`` functions of bot/ by cumulative and by own time, as text to ``out``;
    the cumulative ones also as data for the JSON."""
    report = io.StringIO()
    report.write(heading + "\n")
    stats = pstats.Stats(profiler, stream=report)
    # Only bot/: the event loop's and this script's frames would fill the top lines.
    for order, name in (("cumulative", "cumulative"), ("tottime", "own")):
        report.write(f"\n=== top {top} functions under bot/ by {name} time ===\n")
        stats.sort_stats(order).print_stats(r"/bot/", top)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.getvalue(), encoding="utf-8")
    rows = []
    entries = stats.stats  # type: ignore[attr-defined]
    for func, (_cc, calls, own, cumulative, _callers) in entries.items():
        if "/bot/" in func[0]:
            where = f"{Path(func[0]).relative_to(REPO)}:{func[1]}({func[2]})"
            rows.append({"function": where, "calls": calls, "own_s": own, "cum_s": cumulative})
    rows.sort(key=lambda r: -r["cum_s"])
    return [{**r, "own_s": round(r["own_s"], 3), "cum_s": round(r["cum_s"], 3)} for r in rows[:top]]


async def bench_build(
    store: SqliteStore, subs: list[Subscription], slot: dt.datetime, args: argparse.Namespace
) -> dict[str, Any]:
    due = [Due(sub, slot) for sub in subs]
    # DM digests need the FTS vocabulary (for IDF). The first build after start reads
    # it; a running bot keeps it cached and current through its own writes. Timed apart.
    start = time.perf_counter()
    vocabulary = len(await store.vocabulary())
    await store.count_papers()
    vocabulary_s = time.perf_counter() - start
    print(f"  vocabulary ({vocabulary:,} words) read in {vocabulary_s:.2f} s", flush=True)
    # A new builder (the first build after start) weighs every reader's saved papers;
    # the scheduler keeps its builder, which weighs them again only when they change.
    builder = DigestBuilder(store)
    seconds, cpu, stall, digests = await timed_build(builder, due)
    print(
        f"  build, new builder: {seconds:.2f} s, CPU {cpu:.2f} s, loop blocked up to {stall:.2f} s",
        flush=True,
    )
    kept_s, kept_cpu, kept_stall, kept = await timed_build(builder, due)
    print(f"  build, running builder: {kept_s:.2f} s, CPU {kept_cpu:.2f} s", flush=True)
    # The first tick after a fetch: the papers changed, the window is indexed again.
    builder._indexed = None
    fetched_s, _, fetched_stall, fetched = await timed_build(builder, due)
    print(f"  build, running builder after new papers: {fetched_s:.2f} s", flush=True)
    profiler = cProfile.Profile()
    # cProfile sees one thread: the profiled build ranks on the event loop's.
    with mock.patch("bot.delivery.digest.asyncio.to_thread", _inline):
        profiled, *_, again = await timed_build(DigestBuilder(store), due, profiler)
    print(f"  build under cProfile (new builder): {profiled:.2f} s", flush=True)
    if not digests == again == kept == fetched:
        print("  WARNING: the builds gave different digests")
    heading = (
        f"cProfile of DigestBuilder.build for {len(due):,} subscriptions, {CORPUS_SIZE:,}-paper "
        f"corpus, vocabulary cached, new builder: {profiled:.2f} s under the profiler, "
        f"{seconds:.2f} s without (bench/digest_bench.py, commit {git_commit()})"
    )
    top = write_profile(profiler, args.profile_out, args.profile_top, heading)
    newest = await store.latest_day() or slot.date()
    first = min(newest, await store.latest_day(with_upvotes=True) or newest)
    window = await store.papers_between(first - dt.timedelta(days=LOOKBACK_DAYS), newest)
    return {
        "subscriptions": len(due),
        "slot": slot.isoformat(),
        "seconds": round(seconds, 3),
        "cpu_s": round(cpu, 3),
        "per_subscription_ms": round(seconds / len(due) * 1000, 3),
        "vocabulary_s": round(vocabulary_s, 3),
        "first_build_s": round(seconds + vocabulary_s, 3),
        "target_s": BUILD_TARGET_S,
        "met": seconds <= BUILD_TARGET_S,
        "first_build_met": seconds + vocabulary_s <= BUILD_TARGET_S,
        "running_builder_s": round(kept_s, 3),
        "running_builder_cpu_s": round(kept_cpu, 3),
        "running_builder_met": kept_s <= BUILD_TARGET_S,
        "longest_loop_stall_s": round(stall, 3),
        "running_builder_stall_s": round(kept_stall, 3),
        "after_new_papers_s": round(fetched_s, 3),
        "after_new_papers_stall_s": round(fetched_stall, 3),
        "window_papers": len(window),
        "profiled_s": round(profiled, 3),
        "profile_file": str(args.profile_out),
        "profile_top_cumulative": top,
        **digest_stats(subs, digests),
    }


# --- part 2: fan-out --------------------------------------------------------------------


class VirtualClock:
    """Shared by the scheduler (``clock``), its ``sleep`` and the fake platform.

    ``sleep`` returns at once, moving the clock to the sleeper's wake-up time unless it
    is already past it: sleeps taken one after another add up, sleeps that overlap
    (several workers waiting at once) do not.
    """

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.sleeps = 0
        self.slept = 0.0

    def __call__(self) -> dt.datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake = self.now + dt.timedelta(seconds=max(seconds, 0.0))
        self.sleeps += 1
        self.slept += max(seconds, 0.0)
        await asyncio.sleep(0)  # let other tasks run "meanwhile"
        self.now = max(self.now, wake)


class RateLimitedPort:
    """A fake platform allowing ``rate`` messages a second, on the virtual clock (in whole
    microseconds, so no float drift); past it, a global 429 saying when to come back.

    ``bucket``: a token bucket of ``burst`` tokens refilled one every ``1 / rate`` s;
    the 429 says when the next token comes. ``window``: ``rate`` messages per fixed
    second; the 429 says when the second ends (as a whole-second Retry-After does).
    """

    def __init__(self, clock: VirtualClock, *, rate: int, burst: int, limiter: str) -> None:
        self.clock = clock
        self.rate = rate
        self.interval_us = 1_000_000 // rate
        self.burst = burst
        self.limiter = limiter
        self.start = clock.now
        # The bucket as GCRA: the theoretical arrival time of the next message, in µs.
        self.tat_us = 0
        self.in_second: Counter[int] = Counter()
        self.sent: Counter[str] = Counter()
        self.calls = 0
        self.limited = 0
        self.first_at: dt.datetime | None = None
        self.last_at: dt.datetime | None = None
        self.owners_told = 0

    def _now_us(self) -> int:
        delta = self.clock.now - self.start
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

    async def send(self, message: OutboundMessage) -> SendResult:
        await asyncio.sleep(0)  # a network call lets other sends interleave
        self.calls += 1
        now = self._now_us()
        if self.limiter == "window":
            second = now // 1_000_000
            allowed_at = now if self.in_second[second] < self.rate else (second + 1) * 1_000_000
        else:
            allowed_at = self.tat_us - (self.burst - 1) * self.interval_us
        if now < allowed_at:
            self.limited += 1
            wait = (allowed_at - now) / 1e6
            return SendResult(Outcome.RATE_LIMITED, retry_after=wait, global_limit=True)
        self.tat_us = max(self.tat_us, now) + self.interval_us
        self.in_second[now // 1_000_000] += 1
        self.sent[message.key] += 1
        self.first_at = self.first_at or self.clock.now
        self.last_at = self.clock.now
        return SendResult.delivered()

    async def already_sent(self, message: OutboundMessage) -> bool:
        return message.key in self.sent

    async def notify_owner(self, subscription: Subscription, text: str) -> None:
        self.owners_told += 1


class TimedStore:
    """The store with the wall time and count of each method called, to break a tick down
    (calls awaited concurrently by the scheduler's workers overlap)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not asyncio.iscoroutinefunction(attr):
            return attr

        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await attr(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
                self.calls[name] += 1

        return timed


def same_slot(sub: Subscription, slot: dt.datetime) -> Subscription:
    """``sub`` rescheduled so that its next slot is ``slot``, in its own timezone."""
    local = slot.astimezone(ZoneInfo(sub.timezone))
    return replace(
        sub, at=local.time().replace(second=0, microsecond=0), weekdays=frozenset(range(7))
    )


def add_reports(total: TickReport, one: TickReport) -> None:
    for name in ("sent", "retried", "failed", "skipped", "recovered", "rate_limited"):
        setattr(total, name, getattr(total, name) + getattr(one, name))
    total.paused += one.paused


async def bench_fanout(
    store: SqliteStore,
    subs: list[Subscription],
    slot: dt.datetime,
    db_path: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    for sub in subs:
        await store.update_subscription(same_slot(sub, slot))
    await store.vocabulary()  # cached in a running bot; the build part times reading it
    clock = VirtualClock(slot)
    port = RateLimitedPort(clock, rate=args.rate, burst=args.burst, limiter=args.limiter)
    timed = TimedStore(store)
    scheduler = Scheduler(timed, port, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    build_s = 0.0
    build = scheduler.builder.build

    async def timed_build(due: Sequence[Due]) -> list[Digest]:
        nonlocal build_s
        start = time.perf_counter()
        try:
            return await build(due)
        finally:
            build_s += time.perf_counter() - start

    scheduler.builder.build = timed_build  # type: ignore[method-assign]
    total = TickReport()
    ticks: list[dict[str, Any]] = []
    watch = StallWatch()
    await watch.__aenter__()
    wall, cpu = time.perf_counter(), time.process_time()
    while len(ticks) < args.max_ticks:
        started, t0 = clock.now, time.perf_counter()
        report = await scheduler.tick()
        add_reports(total, report)
        ticks.append(
            {
                "at_s": (started - slot).total_seconds(),
                "virtual_s": (clock.now - started).total_seconds(),
                "wall_s": round(time.perf_counter() - t0, 3),
                "sent": report.sent,
                "rate_limited": report.rate_limited,
                "retried": report.retried,
            }
        )
        far = clock.now + dt.timedelta(days=1)
        open_ = await store.open_deliveries(due_by=far)
        if not open_:
            break
        # A retry the scheduler put off: wake when the first is due, as run() would.
        wake = min(d.next_attempt_at or clock.now for d in open_)
        clock.now = max(clock.now, wake)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await watch.__aexit__()

    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        statuses = dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))
    expected = {f"{s.id}@{slot.astimezone(dt.UTC):%Y-%m-%dT%H:%MZ}" for s in subs}
    twice = sorted(k for k, c in port.sent.items() if c > 1)
    n = len(subs)
    if args.limiter == "window":
        minimum = float((n - 1) // args.rate)
    else:
        minimum = max(n - args.burst, 0) / args.rate
    virtual = ((port.last_at or slot) - slot).total_seconds()
    return {
        "subscriptions": n,
        "rate_per_s": args.rate,
        "limiter": args.limiter,
        "burst": args.burst if args.limiter == "bucket" else None,
        "concurrency": scheduler._concurrency,
        "ticks": len(ticks),
        "tick_log": ticks,
        "virtual_s": round(virtual, 3),
        "virtual_clock_end_s": round((clock.now - slot).total_seconds(), 3),
        "minimum_s": minimum,
        "target_s": round(minimum * (1 + FANOUT_SLACK), 3),
        "met": virtual <= minimum * (1 + FANOUT_SLACK),
        "send_calls": port.calls,
        "rate_limited_429": port.limited,
        "delivered": sum(port.sent.values()),
        "delivered_keys": len(port.sent),
        "delivered_twice": len(twice),
        "delivered_twice_sample": twice[:10],
        "missing": len(expected - set(port.sent)),
        "unexpected": len(set(port.sent) - expected),
        "owners_told": port.owners_told,
        "sleeps": clock.sleeps,
        "slept_s": round(clock.slept, 3),
        "report": {
            "sent": total.sent,
            "retried": total.retried,
            "failed": total.failed,
            "skipped": total.skipped,
            "recovered": total.recovered,
            "rate_limited": total.rate_limited,
            "paused": len(total.paused),
        },
        "delivery_statuses": statuses,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "wall_build_s": round(build_s, 2),
        "longest_loop_stall_s": round(watch.longest, 3),
        "store_calls": {
            name: {"calls": timed.calls[name], "seconds": round(s, 3)}
            for name, s in timed.seconds.most_common()
        },
    }


# --- the run ----------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_table(build: dict[str, Any] | None, fanout: dict[str, Any] | None) -> None:
    rows: list[tuple[str, str, str]] = []
    if build:
        goal = f"<= {build['target_s']:g} s"
        rows += [
            (
                f"build {build['subscriptions']:,} digests (new builder, vocabulary cached)",
                f"{build['seconds']:.2f} s",
                f"{goal}: {_verdict(build['met'])}",
            ),
            (
                "  running builder (readers' profiles kept)",
                f"{build['running_builder_s']:.2f} s",
                f"{goal}: {_verdict(build['running_builder_met'])}",
            ),
            (
                "  running builder, first tick after new papers (window indexed again)",
                f"{build['after_new_papers_s']:.2f} s",
                f"ratio kept / indexed again "
                f"{build['running_builder_s'] / build['after_new_papers_s']:.2f}",
            ),
            (
                "  first build after start (+ vocabulary read)",
                f"{build['first_build_s']:.2f} s",
                f"{goal}: {_verdict(build['first_build_met'])}",
            ),
            ("  CPU time of the build", f"{build['cpu_s']:.2f} s", ""),
            ("  per subscription", f"{build['per_subscription_ms']:.2f} ms", ""),
            (
                "  longest event-loop stall: new builder; running; after new papers",
                "; ".join(
                    f"{build[k] * 1000:.0f} ms"
                    for k in (
                        "longest_loop_stall_s",
                        "running_builder_stall_s",
                        "after_new_papers_stall_s",
                    )
                ),
                "<= 50 ms: "
                + "; ".join(
                    _verdict(build[k] <= 0.05)
                    for k in (
                        "longest_loop_stall_s",
                        "running_builder_stall_s",
                        "after_new_papers_stall_s",
                    )
                ),
            ),
            ("  papers in the window (all sources)", f"{build['window_papers']:,}", ""),
            ("empty digests", f"{build['empty']:,} / {build['digests']:,}", ""),
            (
                "papers repeated in a place the same day (in places)",
                f"{build['papers_repeated_in_a_place']:,} ({build['places_with_repeats']:,})",
                f"0 (of {build['places_with_several_subscriptions']:,} places with 2+ subs)",
            ),
        ]
        for kind, k in build["by_kind"].items():
            rows.append(
                (
                    f"  {kind}: empty / digests; papers given / asked",
                    f"{k['empty']:,} / {k['digests']:,}; {k['items']:,} / {k['asked']:,}",
                    "",
                )
            )
    if fanout:
        n = fanout["subscriptions"]
        clean = fanout["delivered_twice"] == fanout["missing"] == 0
        rows += [
            (
                f"fan-out virtual time ({fanout['rate_per_s']}/s, "
                + (f"burst {fanout['burst']})" if fanout["burst"] else "1 s windows)"),
                f"{fanout['virtual_s']:.1f} s",
                f"<= {fanout['target_s']:.1f} s (minimum {fanout['minimum_s']:.1f} s + "
                f"{FANOUT_SLACK:.0%}): {_verdict(fanout['met'])}",
            ),
            ("429s received", f"{fanout['rate_limited_429']:,}", ""),
            ("messages delivered", f"{fanout['delivered']:,}", f"= {n:,}: "
             f"{_verdict(fanout['delivered'] == n)}"),
            (
                "delivered twice / missing",
                f"{fanout['delivered_twice']:,} / {fanout['missing']:,}",
                f"0 / 0: {_verdict(clean)}",
            ),
            ("ticks", f"{fanout['ticks']}", ""),
            ("wall time of the tick(s)", f"{fanout['wall_s']:.1f} s", ""),
            ("  CPU time of the tick(s)", f"{fanout['cpu_s']:.1f} s", ""),
            ("  of which building digests (wall)", f"{fanout['wall_build_s']:.1f} s", ""),
            ("  longest event-loop stall", f"{fanout['longest_loop_stall_s']:.2f} s", ""),
        ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    fig = max(len(r[1]) for r in rows)
    print(f"\n{'measure':<{width}}  {'figure':>{fig}}  target")
    print("-" * (width + fig + 40))
    for name, figure, target in rows:
        print(f"{name:<{width}}  {figure:>{fig}}  {target}".rstrip())
    if fanout:
        print("\nstore calls during the fan-out (wall s; concurrent calls overlap)")
        for name, c in list(fanout["store_calls"].items())[:10]:
            print(f"  {name:<20} {c['calls']:>7,} calls {c['seconds']:>8.2f} s")


async def main(args: argparse.Namespace) -> None:
    commit = git_commit()
    corpus = load_real(args.shared)
    print(f"paperbot {commit}; real papers: {len(corpus.papers):,} from {corpus.origin}")
    cached = await corpus_file(corpus, CORPUS_SIZE, args.cache)
    schema = schema_versions(cached)
    load = [os.getloadavg()[0]]
    build: dict[str, Any] | None = None
    fanout: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="paperbot-digest-") as tmp:
        path = Path(tmp) / "digest.sqlite3"
        start = time.perf_counter()
        # The backup API copies a consistent database even if another process has the
        # cached file open; subscriptions and deliveries are written to the copy only.
        with (
            contextlib.closing(sqlite3.connect(f"file:{cached}?mode=ro", uri=True)) as src,
            contextlib.closing(sqlite3.connect(path)) as dst,
        ):
            src.backup(dst)
        print(f"copied {cached.name} in {time.perf_counter() - start:.1f} s")
        material = read_material(path)
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            newest = dt.date.fromisoformat(db.execute("SELECT max(day) FROM papers").fetchone()[0])
        # Noon UTC is the same day from UTC-11 to UTC+11 (and past the newest day east of it).
        slot = dt.datetime.combine(newest, dt.time(12, 0), tzinfo=dt.UTC)
        rng = random.Random(args.seed)
        population = make_population(args.subs, material, rng, slot - dt.timedelta(hours=1))
        async with SqliteStore.open(path) as store:
            start = time.perf_counter()
            subs = await populate(store, population, slot - dt.timedelta(days=1))
            kinds = Counter(kind_of(s) for s in subs)
            signals = sum(len(r.signals) for _, r in population if r)
            print(
                f"{len(subs):,} subscriptions ({', '.join(f'{k} {v:,}' for k, v in kinds.items())}"
                f"), {signals:,} signals, written in {time.perf_counter() - start:.1f} s"
            )
            if "build" in args.parts:
                print(f"building digests for the {slot:%Y-%m-%d %H:%M} UTC slot ...", flush=True)
                build = await bench_build(store, subs, slot, args)
                print(f"wrote {args.profile_out}")
            if "fanout" in args.parts:
                print("fan-out through the scheduler ...", flush=True)
                fanout = await bench_fanout(store, subs, slot, path, args)
    load.append(os.getloadavg()[0])
    print_table(build, fanout)
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "commit": commit,
        "sqlite": sqlite3.sqlite_version,
        "corpus_version": VERSION,
        "corpus_file": str(cached),
        "corpus_papers": CORPUS_SIZE,
        "seed": args.seed,
        "subscriptions": dict(kinds),
        "signals": signals,
        "load_average_1min": {"start": round(load[0], 2), "end": round(load[1], 2)},
    }
    if schema_versions(cached) != schema:
        meta["warning"] = "another process migrated the corpus file during the run"
        print(f"WARNING: {meta['warning']}")
    if max(load) > 1.5:
        print(f"note: load average {max(load):.1f}: another process may have competed")
    write_json(args.results, meta, {"build": build, "fanout": fanout})


def write_json(out: Path, meta: dict[str, Any], parts: dict[str, dict[str, Any] | None]) -> None:
    """Merge into ``out`` by part, so the two parts may be run separately."""
    data: dict[str, Any] = {}
    if out.exists():
        with contextlib.suppress(json.JSONDecodeError):
            data = json.loads(out.read_text(encoding="utf-8"))
    for name, result in parts.items():
        if result is not None:
            data[name] = {"meta": meta, **result}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared" / "data", help="shared/data"
    )
    parser.add_argument("--cache", type=Path, default=BENCH / ".cache", help="corpus files")
    parser.add_argument("--subs", type=int, default=10_000, help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    parser.add_argument(
        "--parts",
        default="build,fanout",
        type=lambda s: set(s.split(",")),
        help="build, fanout or both (default: %(default)s)",
    )
    parser.add_argument("--rate", type=int, default=50, help="messages/s (default: 50)")
    parser.add_argument("--burst", type=int, default=50, help="bucket size (default: 50)")
    parser.add_argument(
        "--limiter",
        choices=("bucket", "window"),
        default="bucket",
        help="the fake platform's limit: token bucket, or fixed one-second windows",
    )
    parser.add_argument("--max-ticks", type=int, default=50, help="default: %(default)s")
    parser.add_argument("--profile-top", type=int, default=15, help="default: %(default)s")
    parser.add_argument(
        "--results", type=Path, default=BENCH / "results" / "digest.json", help="JSON out"
    )
    parser.add_argument(
        "--profile-out",
        type=Path,
        default=BENCH / "results" / "digest_profile.txt",
        help="cProfile of a build",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    # A plain `kill` then still removes the temporary copy of the corpus.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    asyncio.run(main(parse_args()))
