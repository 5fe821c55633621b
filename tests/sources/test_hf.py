"""Hugging Face daily papers: every recorded payload shape, and the client over a mock."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import SourceResponseError, SourceUnavailable
from bot.sources import HFClient, parse_daily_item, parse_daily_response, parse_paper

HF = Path(__file__).resolve().parents[1] / "data" / "hf"
UTC = dt.UTC


def load(name: str) -> Any:
    return json.loads((HF / name).read_text(encoding="utf-8"))


def test_2024_items_use_media_url_and_the_listing_time():
    papers, errors = parse_daily_response(load("daily_papers_2024-05-27.json"))
    assert errors == []
    assert [p.id for p in papers] == [
        "2405.15738",
        "2405.15574",
        "2405.15071",
        "2405.15032",
        "2405.15682",
    ]
    first = papers[0]
    # arXiv's hard line wrap inside the title is gone.
    assert first.title == (
        "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    )
    assert "\n" not in first.abstract and "  " not in first.abstract
    assert first.abstract.startswith("High-resolution Large Multimodal Models (LMMs) encounter")
    assert first.authors[:3] == ("Chunjiang Ge", "Sijie Cheng", "Ziming Wang")
    assert len(first.authors) == 9
    assert first.published_at == dt.datetime(2024, 5, 24, 17, 34, 15, tzinfo=UTC)
    assert first.day == dt.date(2024, 5, 27)  # the item's publishedAt: when it was listed
    assert first.upvotes == 32
    assert first.comments == 3
    assert first.thumbnail == (
        "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2405.15738.png"
    )
    assert first.source == "hf"
    assert first.version is None
    assert first.github_repo is None and first.ai_summary is None and first.ai_keywords == ()


def test_repr_restored_items_parse_and_the_asked_day_wins():
    data = load("daily_papers_2024-12-11.json")
    papers, errors = parse_daily_response(data)
    assert errors == []
    assert len(papers) == 5
    # Listed a minute before midnight UTC; asking for the day pins it to that day.
    assert papers[4].id == "2412.04653"
    assert papers[4].day == dt.date(2024, 12, 10)
    dated, _ = parse_daily_response(data, day=dt.date(2024, 12, 11))
    assert {p.day for p in dated} == {dt.date(2024, 12, 11)}
    assert dated[0].title == "STIV: Scalable Text and Image Conditioned Video Generation"


def test_wrapped_response_of_2025_01_10():
    papers, errors = parse_daily_response(load("daily_papers_2025-01-10_wrapped.json"))
    assert errors == []
    assert [p.title for p in papers][:2] == [
        "The GAN is dead; long live the GAN! A Modern GAN Baseline",
        "An Empirical Study of Autoregressive Pre-training from Videos",
    ]
    assert papers[3].title == (
        "Are VLMs Ready for Autonomous Driving? An Empirical Study from the "
        "Reliability, Data, and Metric Perspectives"
    )
    # The first item was listed on the evening of the 9th (UTC); the wrapper's date rules.
    assert {p.day for p in papers} == {dt.date(2025, 1, 10)}


def test_mid_2025_items_carry_code_links_and_ai_fields():
    papers, errors = parse_daily_response(load("daily_papers_2025-07-15.json"), day=None)
    assert errors == []
    first = papers[0]
    assert first.id == "2507.10548"
    assert first.github_repo == "https://github.com/mxllc/EmbRACE-3K"
    assert first.github_stars == 2
    assert first.project_page == "https://mxllc.github.io/EmbRACE-3K/"
    assert first.ai_summary.startswith("A new dataset, EmRACE-3K, evaluates vision-language")
    assert first.ai_keywords[:2] == ("vision-language models", "embodied settings")
    assert isinstance(first.ai_keywords, tuple)
    assert first.upvotes == 18
    assert first.comments == 5
    assert first.published_at == dt.datetime(2025, 7, 14, 17, 59, 46, tzinfo=UTC)
    assert papers[1].github_repo is None and papers[1].github_stars is None


def test_submitted_on_daily_at_beats_the_day_argument():
    papers, _ = parse_daily_response(load("daily_papers_2025-07-15.json"), day=dt.date(2025, 7, 16))
    assert {p.day for p in papers} == {dt.date(2025, 7, 15)}


def test_2026_items():
    papers, errors = parse_daily_response(load("daily_papers_2026-03-03.json"))
    assert errors == []
    assert [p.id for p in papers] == [
        "2603.00141",
        "2603.02138",
        "2603.00889",
        "2603.01223",
        "2602.21320",
    ]
    assert papers[0].title == "From Scale to Speed: Adaptive Test-Time Scaling for Image Editing"
    assert all(p.day == dt.date(2026, 3, 3) for p in papers)
    assert all("\n" not in p.abstract for p in papers)
    assert papers[4].github_stars == 0  # zero stars is a count, not "unknown"


def test_bare_paper_object():
    paper = parse_paper(load("paper_2507.10548.json"))
    assert paper.id == "2507.10548"
    assert paper.title.startswith("EmbRACE-3K: Embodied Reasoning")
    assert paper.day == dt.date(2025, 7, 15)
    assert paper.comments is None  # only the daily list counts comments
    assert paper.thumbnail is None


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("{'paper': {...}}", "not an object"),
        ({"title": "no paper"}, "no 'paper'"),
        ({"paper": {"title": "no id"}}, "no valid arXiv id"),
        ({"paper": {"id": "not-an-id"}}, "no valid arXiv id"),
        ({"paper": []}, "not an object"),
        # An id and upvotes but no title would top trending as an untitled row.
        ({"paper": {"id": "2405.99999", "upvotes": 999999}}, r"2405\.99999 has no title"),
        ({"paper": {"id": "2405.99999", "title": "  \n "}, "title": ""}, "has no title"),
    ],
)
def test_records_that_cannot_be_papers(item, message):
    with pytest.raises(ValueError, match=message):
        parse_daily_item(item)


def test_bad_items_are_reported_and_the_rest_kept():
    good = load("daily_papers_2026-03-03.json")[0]
    papers, errors = parse_daily_response([good, "junk", {"paper": {"id": 7}}])
    assert [p.id for p in papers] == ["2603.00141"]
    assert len(errors) == 2
    assert errors[0].startswith("item 1:")


def test_a_title_on_the_item_alone_is_enough():
    paper = parse_daily_item({"paper": {"id": "2401.00001"}, "title": "From the list"})
    assert paper.title == "From the list"


def test_a_bare_paper_without_a_title_is_not_one():
    with pytest.raises(ValueError, match=r"2405\.99999 has no title"):
        parse_paper({"id": "2405.99999", "upvotes": 999999, "summary": "text"})


def test_minimal_item_and_odd_types():
    paper = parse_daily_item(
        {"paper": {"id": "2401.00001", "title": "0", "upvotes": True, "authors": "x"}}
    )
    assert paper.title == "0"
    assert paper.upvotes is None
    assert paper.authors == ()
    assert paper.published_at is None and paper.day is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
optional_keys = ("title", "summary", "authors", "publishedAt", "submittedOnDailyAt")
optional_keys += ("upvotes", "githubStars", "ai_keywords", "ai_summary", "githubRepo")
paper_like = st.fixed_dictionaries(
    {"id": st.sampled_from(["2401.00001", "2401.00001v3", "hep-th/9901001", "x"]) | json_values},
    optional=dict.fromkeys(optional_keys, json_values),
)


@given(st.fixed_dictionaries({"paper": paper_like}, optional={"publishedAt": json_values}))
def test_any_json_either_parses_or_raises_value_error(item):
    try:
        paper = parse_daily_item(item)
    except ValueError:
        return
    assert paper.id and paper.source == "hf"


# --- the client -----------------------------------------------------------------------


def paged(items: list[Any]):
    """Serve ``items`` the way HF pages them: ``p`` is the page, ``limit`` its size."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["p"])
        limit = int(request.url.params["limit"])
        return httpx.Response(200, json=items[page * limit : (page + 1) * limit])

    return handler


async def test_daily_papers_pages_until_a_short_page(server, client, fake_time):
    server.handler = paged(load("daily_papers_2026-03-03.json"))
    hf = HFClient(client, sleep=fake_time.sleep)
    papers = await hf.daily_papers(dt.date(2026, 3, 3), limit=2)
    assert [p.id for p in papers] == [
        "2603.00141",
        "2603.02138",
        "2603.00889",
        "2603.01223",
        "2602.21320",
    ]
    assert [r.url.params["p"] for r in server.requests] == ["0", "1", "2"]
    assert {r.url.params["date"] for r in server.requests} == {"2026-03-03"}
    assert server.requests[0].url.host == "huggingface.co"
    assert server.requests[0].url.path == "/api/daily_papers"


async def test_daily_papers_full_last_page_needs_one_more_request(server, client):
    server.handler = paged(load("daily_papers_2026-03-03.json")[:4])
    papers = await HFClient(client).daily_papers(dt.date(2026, 3, 3), limit=2)
    assert len(papers) == 4
    assert len(server.requests) == 3


async def test_daily_papers_stops_when_the_server_ignores_paging(server, client, serve_file):
    server.handler = serve_file(HF / "daily_papers_2026-03-03.json")
    papers = await HFClient(client).daily_papers(dt.date(2026, 3, 3), limit=5)
    assert len(papers) == 5
    assert len(server.requests) == 2


async def test_daily_papers_uses_the_asked_day_when_hf_has_no_submission_time(server, client):
    server.handler = paged(load("daily_papers_2024-12-11.json"))
    papers = await HFClient(client).daily_papers(dt.date(2024, 12, 11))
    assert {p.day for p in papers} == {dt.date(2024, 12, 11)}


async def test_empty_day(server, client):
    server.handler = lambda request: httpx.Response(200, json=[])
    assert await HFClient(client).daily_papers(dt.date(2026, 3, 7)) == []
    assert len(server.requests) == 1


async def test_mirror_base_url(server, client):
    server.handler = lambda request: httpx.Response(200, json=[])
    await HFClient(client, "http://127.0.0.1:8080/hf/").daily_papers(dt.date(2026, 3, 3))
    assert str(server.requests[0].url).startswith("http://127.0.0.1:8080/hf/api/daily_papers?")


async def test_server_error_then_success(server, client, fake_time):
    body = (HF / "daily_papers_2025-07-15.json").read_bytes()
    answers = iter([httpx.Response(502), httpx.Response(200, content=body)])
    server.handler = lambda request: next(answers)
    papers = await HFClient(client, sleep=fake_time.sleep).daily_papers(dt.date(2025, 7, 15))
    assert len(papers) == 5
    assert fake_time.sleeps == [1.0]


async def test_malformed_json(server, client):
    server.handler = lambda request: httpx.Response(200, content=b'[{"paper": {"id": "24')
    with pytest.raises(SourceResponseError, match="malformed JSON"):
        await HFClient(client).daily_papers(dt.date(2026, 3, 3))


async def test_json_that_is_not_a_list(server, client):
    server.handler = lambda request: httpx.Response(200, json={"error": "Invalid date"})
    with pytest.raises(SourceResponseError, match="expected a list"):
        await HFClient(client).daily_papers(dt.date(2026, 3, 3))


async def test_unreachable_hf_names_the_mirror_setting(server, client, fake_time):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    server.handler = refuse
    with pytest.raises(SourceUnavailable, match="set PAPERBOT_HF_URL"):
        await HFClient(client, sleep=fake_time.sleep).daily_papers(dt.date(2026, 3, 3))


async def test_paper_found(server, client, serve_file):
    server.handler = serve_file(HF / "paper_2507.10548.json")
    paper = await HFClient(client).paper("https://arxiv.org/abs/2507.10548v2")
    assert paper is not None
    assert paper.title.startswith("EmbRACE-3K")
    assert server.requests[0].url.path == "/api/papers/2507.10548"


async def test_paper_not_on_hf(server, client):
    server.handler = lambda request: httpx.Response(404, json={"error": "Paper not found"})
    assert await HFClient(client).paper("2401.99999") is None


async def test_paper_with_an_invalid_id():
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as c:
        with pytest.raises(ValueError, match="not an arXiv id"):
            await HFClient(c).paper("../../etc/passwd")
