"""Benchmark corpora: the real papers, and larger ones recombined from them, cached as SQLite."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import random
import re
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters.cli.progress import progress_bar
from bench.snapshot import build_snapshot
from bot.ingest.files import read_file
from bot.ingest.records import SNAPSHOT
from bot.models import Paper
from bot.store import open_store
from bot.store.copy import copy_store
from bot.store.sqlite import SqliteStore
from bot.store.sqlite.migrations import MIGRATIONS

__all__ = [
    "BATCH",
    "REPO",
    "VERSION",
    "Corpus",
    "corpus_file",
    "git_commit",
    "is_target_candidate",
    "load_real",
    "postgres_corpus",
    "schema_versions",
    "synthetic_papers",
]

# Bump when the recipe below changes: cached corpora are keyed by it.
VERSION = 2
BATCH = 20_000
REPO = Path(__file__).resolve().parents[1]
# Stable across runs: only these real papers may be query targets, and none of them
# lends text to synthetic papers, so each target stays the one paper its query names.
_TARGET_SHARE = 5
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "or")]
_OBSERVED = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Corpus:
    """The real papers, where they came from, and a fingerprint of their text."""

    papers: list[Paper]
    origin: str
    fingerprint: str


def load_real(shared: Path) -> Corpus:
    """The real papers from ``shared`` (``shared/data``), else the bundled snapshot."""
    if (shared / "hf_daily_papers").is_dir():
        papers, origin = build_snapshot(shared), str(shared)
    else:
        path = REPO / "bot" / "data" / SNAPSHOT
        papers, errors = read_file(path)
        if errors:
            raise SystemExit(f"cannot read the bundled snapshot {path}: {errors[:3]}")
        origin = f"{path} (shared data not found at {shared})"
    digest = hashlib.sha256()
    for p in papers:
        digest.update(f"{p.id}\t{p.title}\t{len(p.abstract)}\n".encode())
    return Corpus(papers, origin, digest.hexdigest()[:10])


def git_commit() -> str:
    """The commit benchmarked, with ``+dirty`` when bot/ has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "bot"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}+dirty" if dirty else head or "unknown"


def is_target_candidate(paper: Paper) -> bool:
    """True for the fifth of the real papers that queries may target (never a donor)."""
    return zlib.crc32(paper.id.encode()) % _TARGET_SHARE == 0


def _made_up_name(rng: random.Random) -> str:
    # A paper usually names its method; this keeps the vocabulary growing with the
    # corpus as a real one does (about one new word per paper at this scale).
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def synthetic_papers(real: Sequence[Paper], count: int, seed: str) -> Iterator[Paper]:
    """``count`` new papers made of pieces of the real ones that are not target candidates.

    Title: the first half of one donor title and the second half of another; abstract:
    4-9 sentences from random donor abstracts with a made-up method name inserted;
    authors, day, categories and upvotes taken from random donors. Ids are
    ``9NNNN.MMMMM``, five digits before the dot, which no arXiv id has.
    """
    rng = random.Random(seed)
    donors = [p for p in real if not is_target_candidate(p)]
    titles = [p.title.split() for p in donors]
    sentences = [s for p in donors for s in _SENTENCE.split(p.abstract) if s]
    for k in range(count):
        a, b = rng.sample(range(len(donors)), 2)
        head = titles[a][: (len(titles[a]) + 1) // 2]
        tail = titles[b][len(titles[b]) // 2 :]
        name = _made_up_name(rng)
        title = " ".join(head + tail)
        if rng.random() < 0.3:
            title = f"{name}: {title}"
        words = " ".join(rng.choice(sentences) for _ in range(rng.randint(4, 9))).split()
        words.insert(rng.randrange(len(words) + 1), name)
        meta = donors[rng.randrange(len(donors))]
        n_authors = max(1, len(donors[rng.randrange(len(donors))].authors))
        authors = tuple(
            rng.choice(donors[rng.randrange(len(donors))].authors or ("Anonymous",))
            for _ in range(n_authors)
        )
        yield Paper(
            id=f"9{k // 100_000:04d}.{k % 100_000:05d}",
            version=1,
            title=title,
            abstract=" ".join(words),
            authors=tuple(dict.fromkeys(authors)),
            published_at=meta.published_at,
            day=meta.day,
            categories=meta.categories,
            upvotes=meta.upvotes,
            comments=meta.comments,
            source=meta.source,
        )


def _schema_key() -> str:
    # A corpus built under another schema is another file: opening it with this code
    # would migrate it in place, and a run of older code would then fail on it.
    text = "\n".join(f"{n}:{sql}" for n, sql in sorted(MIGRATIONS.items()))
    return f"s{max(MIGRATIONS)}-{hashlib.sha256(text.encode()).hexdigest()[:6]}"


def schema_versions(path: Path) -> list[tuple[int, str]]:
    """The migrations recorded in a corpus file, to notice another process changing it."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return db.execute("SELECT version, applied_at FROM schema_migrations").fetchall()


def size_label(size: int | None) -> str:
    if size is None:
        return "real"
    if size % 100_000 == 0 and size >= 1_000_000:
        return f"{size / 1_000_000:g}m"  # 1m, 2.5m
    return f"{size // 1000}k"


async def corpus_file(corpus: Corpus, size: int | None, cache: Path) -> Path:
    """The SQLite file of the corpus of ``size`` papers (None: the real ones), built once."""
    label = size_label(size)
    path = cache / f"corpus-{label}-v{VERSION}-{corpus.fingerprint}-{_schema_key()}.sqlite3"
    if path.exists():
        return path
    real = corpus.papers
    extra = 0 if size is None else size - len(real)
    if extra < 0:
        raise SystemExit(f"size {size} is smaller than the {len(real)} real papers")
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in cache.glob(partial.name + "*"):
        leftover.unlink()
    print(f"[{label}] building {path.name}: {len(real):,} real + {extra:,} synthetic papers")
    start = time.perf_counter()
    # A bar on a terminal; in a log (bench.run), a line every 100,000 papers.
    with progress_bar(f"[{label}] synthetic papers") as shown:
        async with SqliteStore.open(partial) as store:
            for i in range(0, len(real), BATCH):
                await store.upsert_papers(real[i : i + BATCH], observed_at=_OBSERVED)
            batch: list[Paper] = []
            done = 0
            for paper in synthetic_papers(real, extra, f"paperbot-bench-{VERSION}-{label}"):
                batch.append(paper)
                if len(batch) == BATCH:
                    await store.upsert_papers(batch, observed_at=_OBSERVED)
                    done += len(batch)
                    batch.clear()
                    shown(done, extra)
                    if done % 100_000 == 0 and not sys.stderr.isatty():
                        rate = done / (time.perf_counter() - start)
                        print(f"[{label}]   {done:,}/{extra:,} synthetic ({rate:,.0f} papers/s)")
            if batch:
                await store.upsert_papers(batch, observed_at=_OBSERVED)
            shown(extra, extra)
    # Closing the last connection folds the WAL into the file, so one file is the corpus.
    partial.rename(path)
    mb = path.stat().st_size / 1e6
    print(f"[{label}] built in {time.perf_counter() - start:,.0f} s ({mb:,.0f} MB)")
    return path


def _postgres_schema_key() -> str:
    from bot.store.postgres.migrations import MIGRATIONS as PG_MIGRATIONS

    text = "\n".join(f"{n}:{sql}" for n, sql in sorted(PG_MIGRATIONS.items()))
    return f"s{max(PG_MIGRATIONS)}_{hashlib.sha256(text.encode()).hexdigest()[:6]}"


async def postgres_corpus(path: Path, server: str) -> str:
    """The URL of a copy of the SQLite corpus file ``path`` in its own schema of the
    PostgreSQL database ``server`` names, made once (``paperbot db copy``'s way) and
    kept: a schema per corpus file and PostgreSQL schema."""
    import asyncpg

    digest = hashlib.sha256(path.name.encode()).hexdigest()[:10]
    schema = f"bench_{digest}_{_postgres_schema_key()}"
    url = f"{server}{'&' if '?' in server else '?'}search_path={schema},public"
    admin = await asyncpg.connect(server)
    try:
        done = await admin.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'meta'", schema
        )
        if (
            done
            and await admin.fetchval(
                f'SELECT value FROM "{schema}".meta WHERE key = $1', "bench_corpus"
            )
            == path.name
        ):
            return url
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await admin.close()
    print(f"copying {path.name} into PostgreSQL schema {schema} ...", flush=True)
    start = time.perf_counter()
    async with open_store(f"sqlite:///{path}") as source, open_store(url) as target:
        report = await copy_store(source, target)
        await target.set_meta("bench_corpus", path.name)
    print(f"copied {report.copied['papers']:,} papers in {time.perf_counter() - start:,.0f} s")
    return url
