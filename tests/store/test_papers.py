"""The storage port's contract: keys, merging, upvote history, full-text search."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from bot.errors import ConfigError, StoreError
from bot.models import Paper
from bot.store import PaperStore, SqliteStore, TextQuery, open_store
from bot.store.sqlite.migrations import MIGRATIONS
from tests.conftest import refusing_database

T0 = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def paper(pid: str = "2510.06131", **kw: object) -> Paper:
    base: dict[str, object] = {
        "title": "Attention Is All You Need",
        "abstract": "We propose the Transformer, based solely on attention mechanisms.",
        "authors": ("Ashish Vaswani", "Noam Shazeer"),
        "day": dt.date(2026, 6, 1),
        "upvotes": 10,
        "categories": ("cs.CL", "cs.LG"),
        "source": "hf",
    }
    base.update(kw)
    return Paper(id=pid, **base)  # type: ignore[arg-type]


async def test_round_trip_keeps_every_field(store: PaperStore) -> None:
    p = paper(
        version=2,
        published_at=dt.datetime(2026, 5, 30, 17, 34, tzinfo=dt.UTC),
        comments=3,
        github_repo="https://github.com/x/y",
        github_stars=42,
        project_page="https://x.github.io",
        ai_summary="A summary.",
        ai_keywords=("transformer", "attention"),
        thumbnail="https://cdn/x.png",
    )
    counts = await store.upsert_papers([p], observed_at=T0)
    assert (counts.new, counts.updated, counts.unchanged) == (1, 0, 0)
    assert await store.get_paper("2510.06131") == p
    assert await store.count_papers() == 1


async def test_same_paper_again_is_unchanged(store: PaperStore) -> None:
    await store.upsert_papers([paper()], observed_at=T0)
    counts = await store.upsert_papers([paper()], observed_at=T0 + dt.timedelta(hours=1))
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 1)


async def test_newer_version_replaces_metadata_but_never_lowers_upvotes(
    store: PaperStore,
) -> None:
    await store.upsert_papers([paper(version=1, upvotes=30)], observed_at=T0)
    revised = paper(version=2, title="Attention Is All You Need (revised)", upvotes=12)
    counts = await store.upsert_papers([revised], observed_at=T0 + dt.timedelta(days=1))
    assert counts.updated == 1
    stored = await store.get_paper("2510.06131")
    assert stored is not None
    assert stored.title == "Attention Is All You Need (revised)"
    assert stored.version == 2
    assert stored.upvotes == 30


async def test_older_version_only_fills_blanks(store: PaperStore) -> None:
    await store.upsert_papers([paper(version=3, ai_summary=None)], observed_at=T0)
    old = paper(version=1, title="An early title", ai_summary="From the old record.")
    await store.upsert_papers([old], observed_at=T0)
    stored = await store.get_paper("2510.06131")
    assert stored is not None
    assert stored.title == "Attention Is All You Need"
    assert stored.ai_summary == "From the old record."
    assert stored.version == 3


async def test_hf_and_arxiv_records_of_one_paper_merge(store: PaperStore) -> None:
    await store.upsert_papers([paper(source="hf", categories=())], observed_at=T0)
    listing = paper(source="arxiv", upvotes=None, categories=("cs.CL",), day=dt.date(2026, 6, 3))
    await store.upsert_papers([listing], observed_at=T0)
    stored = await store.get_paper("2510.06131")
    assert stored is not None
    assert stored.source == "arxiv,hf"
    assert stored.upvotes == 10
    assert stored.categories == ("cs.CL",)
    assert stored.day == dt.date(2026, 6, 1)  # the first day it was featured


async def test_upvote_history_is_kept_in_time(store: PaperStore) -> None:
    for hours, votes in [(0, 5), (24, 20), (48, 20), (72, 64)]:
        await store.upsert_papers(
            [paper(upvotes=votes)], observed_at=T0 + dt.timedelta(hours=hours)
        )
    at = store.upvotes_before
    assert await at(["2510.06131"], T0 - dt.timedelta(seconds=1)) == {}
    assert await at(["2510.06131"], T0) == {"2510.06131": 5}
    assert await at(["2510.06131"], T0 + dt.timedelta(hours=50)) == {"2510.06131": 20}
    assert await at(["2510.06131"], T0 + dt.timedelta(days=9)) == {"2510.06131": 64}


async def test_duplicates_inside_one_batch_become_one_paper(store: PaperStore) -> None:
    counts = await store.upsert_papers(
        [paper(version=1, upvotes=3), paper(version=2, upvotes=9)], observed_at=T0
    )
    assert counts.new == 1
    assert (await store.get_paper("2510.06131")).version == 2  # type: ignore[union-attr]


async def test_papers_between_and_latest_day(store: PaperStore) -> None:
    assert await store.latest_day() is None
    days = [dt.date(2026, 6, d) for d in (1, 2, 5)]
    await store.upsert_papers(
        [paper(f"2606.0000{i}", day=d) for i, d in enumerate(days, 1)], observed_at=T0
    )
    assert await store.latest_day() == dt.date(2026, 6, 5)
    found = await store.papers_between(dt.date(2026, 6, 2), dt.date(2026, 6, 5))
    assert [p.id for p in found] == ["2606.00003", "2606.00002"]


async def test_full_text_follows_updates(store: PaperStore) -> None:
    await store.upsert_papers([paper()], observed_at=T0)
    q = TextQuery(groups=(("transformer",),))
    assert [pid for pid, _ in await store.text_search(q, limit=5)] == ["2510.06131"]
    await store.upsert_papers(
        [paper(version=2, abstract="Now about recurrent networks only.")], observed_at=T0
    )
    assert await store.text_search(q, limit=5) == []
    assert await store.text_search(TextQuery(groups=(("recurrent",),)), limit=5)
    vocabulary = await store.vocabulary()
    assert "recurrent" in vocabulary and "transformer" not in vocabulary


async def test_vocabulary_follows_writes_after_it_was_loaded(store: PaperStore) -> None:
    await store.upsert_papers([paper()], observed_at=T0)
    before = await store.vocabulary()
    assert before["transformer"] == 1
    await store.upsert_papers([paper("2601.00002", title="Transformer circuits")], observed_at=T0)
    await store.upsert_papers(
        [paper(version=2, abstract="Now about recurrent networks only.")], observed_at=T0
    )
    after = await store.vocabulary()
    # Paper 1 lost "transformer" and "mechanisms" with its new abstract; paper 2 has both.
    assert after["transformer"] == after["mechanisms"] == 1
    assert after["circuits"] == after["recurrent"] == 1
    assert after["attention"] == 2
    assert before["transformer"] == 1 and "circuits" not in before  # callers' copy stays


async def test_a_big_batch_with_a_paper_seen_on_two_days_keeps_both_observations(
    store: PaperStore,
) -> None:
    # Big enough to go through SQLite's staging table; each paper twice, a day apart.
    ids = [f"2601.{n:05d}" for n in range(150)]
    first = [paper(i, title=f"Flow study {n}", upvotes=1) for n, i in enumerate(ids)]
    later = [
        paper(i, version=2, title=f"Flow matching study {n}", upvotes=5) for n, i in enumerate(ids)
    ]
    day2 = T0 + dt.timedelta(days=1)
    counts = await store.upsert_observed([(T0, first), (day2, later)])
    assert (counts.new, counts.updated) == (150, 150)
    stored = await store.get_papers(ids)
    assert {p.title for p in stored.values()} == {f"Flow matching study {n}" for n in range(150)}
    assert {p.upvotes for p in stored.values()} == {5}
    assert await store.upvotes_before(ids[:1], T0) == {ids[0]: 1}
    assert await store.upvotes_before(ids[:1], day2) == {ids[0]: 5}
    assert await store.term_counts(["flow", "matching"]) == {"flow": 150, "matching": 150}
    found = await store.text_search(TextQuery(groups=(("matching",),)), limit=200)
    assert len(found) == 150


async def test_term_counts_and_spelling_candidates_read_the_stored_vocabulary(
    store: PaperStore,
) -> None:
    await store.upsert_papers([paper()], observed_at=T0)
    other = paper("2601.00002", title="Transformer circuits", abstract="")
    await store.upsert_papers([other], observed_at=T0)
    counts = await store.term_counts(["transformer", "circuits", "attention", "nowhere"])
    assert counts == {"transformer": 2, "circuits": 1, "attention": 1}
    # Words sharing the first two letters or the last two, near the length, by class.
    assert "transformer" in await store.spelling_candidates("trnsformer", max_edits=2, common=True)
    assert "transformer" in await store.spelling_candidates("xransformer", max_edits=2, common=True)
    rare = await store.spelling_candidates("circiuts", max_edits=2, common=False)
    assert rare.get("circuits") == 1
    assert "circuits" not in await store.spelling_candidates("circiuts", max_edits=2, common=True)
    # A word a paper loses is gone from both, in the same transaction as the paper.
    await store.upsert_papers(
        [paper("2601.00002", version=2, title="Recurrent loops", abstract="")], observed_at=T0
    )
    assert await store.term_counts(["circuits", "transformer"]) == {"transformer": 1}
    assert "circuits" not in await store.spelling_candidates("circiuts", max_edits=2, common=False)


async def test_a_vocabulary_word_a_failed_write_added_is_not_kept(
    store: PaperStore, break_upvote_history: Callable[[], None]
) -> None:
    break_upvote_history()
    with pytest.raises(StoreError):
        await store.upsert_papers([paper(title="Quokkanet")], observed_at=T0)
    assert await store.term_counts(["quokkanet"]) == {}


async def test_text_query_features(store: PaperStore) -> None:
    await store.upsert_papers(
        [
            paper("2601.00001", title="Flow matching for robots", upvotes=5),
            paper("2601.00002", title="Matching flow fields", upvotes=50, categories=("cs.CV",)),
            paper(
                "2601.00003",
                title="A survey of flow matching",
                authors=("Yann LeCun",),
                day=dt.date(2025, 1, 1),
            ),
        ],
        observed_at=T0,
    )

    async def ids(**kw: object) -> set[str]:
        return {pid for pid, _ in await store.text_search(TextQuery(**kw), limit=10)}  # type: ignore[arg-type]

    assert await ids(phrases=(("flow", "matching"),)) == {"2601.00001", "2601.00003"}
    assert await ids(phrases=(("flow", "matching"),), excluded=("survey",)) == {"2601.00001"}
    assert await ids(authors=(("yann", "lecun"),)) == {"2601.00003"}
    assert await ids(groups=(("flow",),), categories=("cs",)) == {
        "2601.00001",
        "2601.00003",
        "2601.00002",
    }
    assert await ids(groups=(("flow",),), categories=("cs.CV",)) == {"2601.00002"}
    assert await ids(groups=(("flow",),), since=dt.date(2026, 1, 1)) == {
        "2601.00001",
        "2601.00002",
    }
    assert await ids(groups=(("flow",),), min_upvotes=20) == {"2601.00002"}
    assert await ids(groups=(("robo",),), prefix_last=True) == {"2601.00001"}
    assert await ids(groups=(("robo",),)) == set()
    assert await ids(groups=(("robots",), ("survey",)), match_any=True) == {
        "2601.00001",
        "2601.00003",
    }
    assert await ids(groups=(("flow",),), columns=("authors",)) == set()
    assert await ids(excluded=("survey",), categories=("cs",)) == {"2601.00001", "2601.00002"}


async def test_an_unscored_search_still_keeps_the_best_when_not_all_fit(
    store: PaperStore,
) -> None:
    # Twelve papers say "flow" once, one says it in its title and thrice more: asked for
    # fewer than match, the store must still pick the best; for all of them, any order.
    once = [paper(f"2601.{n:05d}", title=f"Study {n}", abstract="A flow.") for n in range(12)]
    best = paper("2601.00099", title="Flow", abstract="Flow, flow and flow.")
    await store.upsert_papers([*once, best], observed_at=T0)
    flow = TextQuery(groups=(("flow",),), unscored=True)
    assert [pid for pid, _ in await store.text_search(flow, limit=1)] == ["2601.00099"]
    assert len(await store.text_search(flow, limit=13)) == 13


async def test_near_phrases_are_found_close_together(store: PaperStore) -> None:
    close = paper("2601.00001", title="Flow", abstract="Models of the flow field matter.")
    far = paper("2601.00002", title="Flow", abstract="Models are many; each flow field is one.")
    await store.upsert_papers([close, far], observed_at=T0)
    near = TextQuery(phrases=(("models",), ("flow", "field")), near=2)
    found = {pid for pid, _ in await store.text_search(near, limit=5)}
    # A store may ignore ``near`` (PostgreSQL does): then both papers hold the phrases.
    assert found == (
        {"2601.00001"} if isinstance(store, SqliteStore) else {"2601.00001", "2601.00002"}
    )


async def test_tokens_with_fts_syntax_are_only_text(store: PaperStore) -> None:
    await store.upsert_papers([paper()], observed_at=T0)
    hostile = ['"', "NEAR(", "*", "AND", "OR", "NOT", "title:", ")", "^"]
    # And what a tsquery would read as syntax: quotes, escapes, operators, weights.
    hostile += ["'", "\\", "a:*", "!", "<->", "&", "|", ":A", "x" * 5000, "é" * 2000]
    for token in hostile:
        assert await store.text_search(TextQuery(groups=((token,),)), limit=5) == []
        phrase = TextQuery(phrases=(("attention", token),), authors=((token,),), prefix_last=True)
        assert await store.text_search(phrase, limit=5) == []
        others = TextQuery(groups=(("attention", token),), excluded=(token,), columns=("title",))
        assert [pid for pid, _ in await store.text_search(others, limit=5)] == ["2510.06131"]


async def test_a_failed_write_leaves_nothing(
    store: PaperStore, break_upvote_history: Callable[[], None]
) -> None:
    await store.upsert_papers([paper("2601.00001")], observed_at=T0)
    # Make the second statement of the write fail, after the first has run.
    break_upvote_history()
    with pytest.raises(StoreError):
        await store.upsert_papers([paper("2601.00002"), paper("2601.00003")], observed_at=T0)
    assert await store.count_papers() == 1
    assert await store.get_paper("2601.00002") is None


async def test_each_connection_keeps_the_page_cache_it_is_given(tmp_path: Path) -> None:
    # PAPERBOT_DB_CACHE_MB bounds the memory a big database's pages take in the process.
    async with open_store(f"sqlite:///{tmp_path}/c.sqlite3", cache_mb=3) as s:
        store = cast(SqliteStore, s)
        for db in (store._reader, store._writer):
            assert await (await db.execute("PRAGMA cache_size")).fetchone() == (-3 * 1024,)


async def test_migrations_run_once_and_are_recorded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m.sqlite3"
    for _ in range(2):
        async with open_store(url) as s:
            await s.upsert_papers([paper()], observed_at=T0)
    with sqlite3.connect(tmp_path / "m.sqlite3") as db:
        recorded = db.execute("SELECT version FROM schema_migrations").fetchall()
        assert recorded == [(n,) for n in sorted(MIGRATIONS)]  # each once, in order
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT count(*) FROM papers").fetchone() == (1,)


async def test_a_database_from_before_the_stored_vocabulary_gets_it_at_upgrade(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    async with open_store(f"sqlite:///{path}") as s:
        await s.upsert_papers([paper(), paper("2601.00002", title="Circuits")], observed_at=T0)
    with sqlite3.connect(path) as db:  # as migration 8 left it
        db.executescript("DROP TABLE vocabulary; DELETE FROM schema_migrations WHERE version = 9;")
    async with open_store(f"sqlite:///{path}") as s:
        assert await s.term_counts(["attention", "circuits"]) == {"attention": 2, "circuits": 1}
        assert "circuits" in await s.spelling_candidates("circiuts", max_edits=2, common=False)


async def test_unknown_database_url_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="PAPERBOT_DATABASE_URL"):
        async with open_store("mysql://localhost/x"):
            pass


async def test_unopenable_database_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open"):
        async with open_store(f"sqlite:///{blocker}/sub/db.sqlite3"):
            pass


async def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError, match="cannot use"):
        async with open_store(f"sqlite:///{junk}"):
            pass


FTS_TRIGGERS = {"papers_ai", "papers_ad", "papers_au", "titles_ai", "titles_ad", "titles_au"}


def _triggers(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}


async def test_a_big_first_import_is_searched_like_any_other(tmp_path: Path) -> None:
    # 1,200 new papers into an empty table: written at once, the indexes rebuilt after.
    many = [paper(f"2601.{k:05d}", version=1, title=f"Quasar survey {k}") for k in range(1200)]
    path = tmp_path / "big.sqlite3"
    async with open_store(f"sqlite:///{path}") as store:
        await store.upsert_papers(many, observed_at=T0)
        quasar = TextQuery(groups=(("quasar",),), columns=("title",))
        assert len(await store.text_search(quasar, limit=5000)) == 1200
        assert len(await store.text_search(TextQuery(groups=(("vaswani",),)), limit=5000)) == 1200
        # Later writes are indexed one by one again.
        await store.upsert_papers([paper("2602.00001", title="Pulsar timing")], observed_at=T0)
        assert await store.text_search(TextQuery(groups=(("pulsar",),)), limit=5)
        revised = paper("2601.00007", version=2, title="Magnetar survey")
        await store.upsert_papers([revised], observed_at=T0)
        assert len(await store.text_search(quasar, limit=5000)) == 1199
    assert _triggers(path) >= FTS_TRIGGERS


async def test_a_big_import_that_fails_leaves_nothing_and_keeps_the_indexes_in_step(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.sqlite3"
    url = await refusing_database(path, "2601.01100")
    many = [paper(f"2601.{k:05d}", title=f"Quasar survey {k}") for k in range(1200)]
    async with open_store(url) as store:
        with pytest.raises(StoreError, match="disk full"):
            await store.upsert_papers(many, observed_at=T0)
        assert await store.count_papers() == 0
    assert _triggers(path) >= FTS_TRIGGERS | {"refuse"}
