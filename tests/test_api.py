"""The facade adapters call: trending, search, paper, recommend, help, errors."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.api import PaperService
from bot.commands import parse_text
from bot.errors import InvalidInput, NotFound, SourceUnavailable, Unavailable, UserError
from bot.models import Paper, Period
from bot.ranking.topics import Topic
from bot.store import PaperStore

T0 = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)


async def test_offline_snapshot_anchors_on_newest_day_and_says_so(
    service: PaperService, clock: list[dt.datetime]
) -> None:
    clock[0] = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)  # months after the snapshot
    reply = await service.trending("week")
    assert len(reply.cards) == 10
    # The newest upvoted (Hugging Face) day of the snapshot is 2026-06-30.
    assert reply.notes and "2026-06-30" in reply.notes[0]
    days = {c.date for c in reply.cards}
    assert all("2026-06-24" <= d <= "2026-06-30" for d in days)
    assert "2026-06-30" in reply.text  # the plain-text fallback says it too


async def test_trending_day_week_month_differ(service: PaperService) -> None:
    day = await service.trending("day")
    month = await service.trending("month")
    assert {c.date for c in day.cards} == {"2026-06-30"}
    assert len({c.date for c in month.cards}) > 1
    upvotes = [c.upvotes or 0 for c in month.cards]
    assert max(upvotes) >= 100


async def test_trending_on_a_topic_gives_reasons(service: PaperService) -> None:
    reply = await service.trending("month", "diffusion")
    assert reply.cards
    for card in reply.cards:
        assert "diffusion" in (card.title + card.abstract).lower()
        assert "diffusion" in card.reason
    assert "'diffusion'" in reply.title


async def test_bad_period_is_a_clear_error(service: PaperService) -> None:
    with pytest.raises(InvalidInput, match="day, week or month"):
        await service.trending("fortnight")


async def test_empty_database_says_what_to_do(store: PaperStore) -> None:
    with pytest.raises(UserError, match="paperbot fetch"):
        await PaperService(store).trending()


async def test_paper_by_any_spelling(service: PaperService) -> None:
    for ref in ["2405.15738", "2405.15738v3", "https://arxiv.org/pdf/2405.15738"]:
        reply = await service.paper(ref)
        (card,) = reply.cards
        assert card.title.startswith("ConvLLaVA")
        assert card.url == "https://arxiv.org/abs/2405.15738"
        assert {link.label for link in card.links} >= {"arXiv", "PDF", "Hugging Face"}


async def test_unknown_paper_is_looked_up_upstream_once(store: PaperStore) -> None:
    calls: list[str] = []

    async def lookup(pid: str) -> Paper | None:
        calls.append(pid)
        return Paper(id=pid, title="Fetched on demand", abstract="A. B.", day=dt.date(2026, 6, 1))

    service = PaperService(store, lookup=lookup, clock=lambda: T0)
    assert (await service.paper("2606.00001")).cards[0].title == "Fetched on demand"
    assert (await service.paper("2606.00001v2")).cards[0].title == "Fetched on demand"
    assert calls == ["2606.00001"]  # the second time it came from the database


async def test_unknown_paper_offline_is_a_not_found(store: PaperStore) -> None:
    async def offline(pid: str) -> Paper | None:
        raise SourceUnavailable("cannot reach export.arxiv.org", source="arxiv")

    service = PaperService(store, lookup=offline)
    with pytest.raises(NotFound, match="could not be reached"):
        await service.paper("2606.00001")
    with pytest.raises(InvalidInput, match="not an arXiv id"):
        await service.paper("not-an-id")


async def test_recommend_for_a_topic_and_categories(service: PaperService) -> None:
    recs = await service.recommend(
        Topic("reinforcement learning", categories=("cs.CL",)), period=Period.MONTH, limit=5
    )
    assert len(recs) == 5
    for r in recs:
        assert "cs.CL" in r.paper.categories
        assert r.reason
    scores = [r.score for r in recs]
    assert scores == sorted(scores, reverse=True)


async def test_recommend_with_no_topic_is_trending_with_min_upvotes(service: PaperService) -> None:
    recs = await service.recommend(Topic(min_upvotes=30), period="week", limit=5)
    assert recs and all((r.paper.upvotes or 0) >= 30 for r in recs)
    assert all(r.reason.startswith("trending") for r in recs)


async def test_cards_carry_everything_an_adapter_shows(service: PaperService) -> None:
    card = (await service.paper("2606.19338")).cards[0]
    assert card.authors.startswith("Shengyuan Ding")
    assert card.date == "2026-06-18"
    assert card.upvotes == 34
    assert card.categories == ("cs.CV",)
    assert card.summary  # the HF one-line summary
    assert "Project" in {link.label for link in card.links}


async def test_commands_route_and_reject(service: PaperService) -> None:
    assert "trending" in (await service.run_text("/papers help")).text
    week = await service.run_text("/papers trending week")
    assert week.title.startswith("Trending")
    topic = await service.run_text("/papers trending llm agents")
    assert "llm agents" in topic.title
    assert (await service.run_text("/papers paper 2405.15738")).cards
    with pytest.raises(InvalidInput, match="Unknown command"):
        await service.run_text("/papers frobnicate")
    with pytest.raises(InvalidInput, match="Which paper"):
        await service.run_text("/papers paper")
    with pytest.raises(InvalidInput, match="Type something"):
        await service.run_text("/papers search   ")


async def test_a_paper_has_a_page_of_its_own(service: PaperService) -> None:
    reply = await service.run_text("paper 2405.15738")
    [card] = reply.cards
    assert card.detailed and len(card.all_authors) > 3  # every author, not "and N others"
    assert card.abstract in reply.text and "Authors: " + ", ".join(card.all_authors) in reply.text
    for label in ("arXiv", "PDF", "Hugging Face"):
        assert f"{label}: https://" in reply.text
    assert "Upvotes: 32" in reply.text and "Dates: on arXiv 2024-05-24" in reply.text
    assert reply.text.count(card.title) == 1
    listed = (await service.run_text("paper 2606.19338")).text  # an arXiv listing
    assert "Categories: cs." in listed


async def test_trending_a_past_day(service: PaperService) -> None:
    day = await service.run_text("trending day 2025-03-12")
    assert day.title == "Trending on Wednesday 12 March 2025"
    assert day.cards and {c.date for c in day.cards} == {"2025-03-12"}
    week = await service.run_text("trending week 2025-03-12 count 3")
    assert week.title == "Trending the week to 12 March 2025" and len(week.cards) == 3
    with pytest.raises(InvalidInput, match="has not happened yet"):
        await service.run_text("trending 2030-01-01")


async def test_topic_trending_lists_upvoted_papers_only(service: PaperService) -> None:
    reply = await service.run_text("trending month robot")
    assert reply.cards and all(c.upvotes for c in reply.cards)


async def test_search_headers_keep_filters_and_hints_are_whole_commands(
    service: PaperService,
) -> None:
    reply = await service.run_text("search cat:cs.RO robot")
    assert reply.title == "Results for 'cat:cs.RO robot'"
    long = "diffusion models for image generation with transformers and latent spaces"
    footer = (await service.run_text(f"search {long}")).footer
    assert footer.endswith(f"More: /papers search {long} page:2") and "…" not in footer


async def test_stale_data_says_how_old_and_what_to_run(service: PaperService) -> None:
    # The test clock is 2026-07-01; the snapshot's newest upvoted day is 2026-06-30.
    reply = await service.run_text("trending day")
    assert reply.notes == (
        "the newest papers here are from 2026-06-30, 1 days ago; `paperbot fetch` brings today's",
    )


async def test_a_topic_matches_british_and_american_spellings(
    service: PaperService, clock: list[dt.datetime]
) -> None:
    clock[0] = dt.datetime(2025, 3, 14, 12, tzinfo=dt.UTC)
    for topic in ("normalisation", "normalization"):
        reply = await service.run_text(f"trending week {topic}")
        assert "2503.10622" in [c.paper_id for c in reply.cards], topic


async def test_a_stopping_bot_says_it_is_restarting_instead_of_failing(
    fresh_store: PaperStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = PaperService(fresh_store)
    started, release = asyncio.Event(), asyncio.Event()
    real = type(fresh_store).text_search

    async def slow_search(self: PaperStore, *args: object, **kw: object) -> object:
        started.set()
        await release.wait()  # outlasts the drain
        return await real(self, *args, **kw)  # type: ignore[arg-type]

    # A search still running when the drain runs out and the database closes under it.
    monkeypatch.setattr(type(fresh_store), "text_search", slow_search)
    search = asyncio.create_task(service.run(parse_text("search diffusion"), None))
    await started.wait()
    assert not await service.drain(0.01)
    # Meanwhile, a new command is not started at all.
    with pytest.raises(Unavailable, match="restarting"):
        await service.run(parse_text("trending"), None)
    await fresh_store.close()
    release.set()
    with pytest.raises(Unavailable, match="restarting: try again"):
        await search
