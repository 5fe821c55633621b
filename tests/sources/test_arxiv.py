"""arXiv: API Atom (2026 and 2016 formats), listing RSS and records, and the client."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import httpx
import pytest

from bot.errors import SourceResponseError, SourceUnavailable
from bot.sources import ArxivClient, RateLimiter, parse_atom, parse_listing_record, parse_rss

ARXIV = Path(__file__).resolve().parents[1] / "data" / "arxiv"
API = ARXIV / "api_2026"
LEGACY = ARXIV / "api_legacy_2016"
FEED = ARXIV / "rss_cs.CL_2026-06-08_handmade.xml"
WEEKEND = ARXIV / "rss_cs.CL_weekend_handmade.xml"
UTC = dt.UTC


def atom(name: str, folder: Path = API) -> list:
    return parse_atom((folder / name).read_bytes())


def test_paper_titled_zero():
    [paper] = atom("id_2104.12255v1_s0_m100_6ae69987ffe1.xml")
    assert paper.id == "2104.12255"
    assert paper.version == 1
    assert paper.title == "0"
    assert paper.authors == ("Quan Thoi Minh Nguyen",)
    assert paper.categories == ("cs.CR",)
    assert paper.published_at == dt.datetime(2021, 4, 20, 16, 7, 14, tzinfo=UTC)
    assert paper.abstract.startswith("What is the funniest number in cryptography? 0.")
    assert paper.source == "arxiv"
    assert paper.upvotes is None and paper.day is None


def test_old_style_ids():
    [astro] = atom("id_astro-ph_0601001_s0_m100_3150dca9dc76.xml")
    assert (astro.id, astro.version) == ("astro-ph/0601001", 1)
    assert astro.authors == ("Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski")
    assert "Gould & Morgan (2003)" in astro.abstract  # entities decoded
    assert astro.abstract.startswith("We derive")  # leading whitespace gone
    [quant] = atom("id_quant-ph_0201082v1_s0_m100_86989fe779ef.xml")
    assert (quant.id, quant.version) == ("quant-ph/0201082", 1)
    assert quant.categories == ("quant-ph", "cs.PL")


def test_mojibake_author_is_repaired():
    [paper] = atom("id_1707.08567_s0_m100_6a1afebfc6a3.xml")
    assert len(paper.authors) == 34
    assert "Dirk Wübben" in paper.authors
    assert paper.authors[-1] == "Hirosuke Yamamoto"


def test_unknown_ids_give_no_entries():
    assert atom("id_0000.0000_s0_m100_8b51d9633a68.xml") == []
    [paper] = atom("id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.xml")
    assert paper.id == "1707.08567"


def test_error_feed_raises_with_arxivs_message():
    with pytest.raises(SourceResponseError, match="incorrect id format for abc"):
        atom("id_abc_s0_m100_b79c8dcf6bc3.xml")


def test_search_results():
    papers = atom("q_testing_s0_m10_bc5a6c384fe9.xml")
    assert len(papers) == 10
    assert len({p.id for p in papers}) == 10
    for paper in papers:
        assert paper.title and paper.abstract and paper.authors and paper.categories
        assert "\n" not in paper.title + paper.abstract
        assert paper.published_at is not None and paper.published_at.tzinfo is not None


def test_legacy_2016_format():
    [paper] = atom("id_list_1111.2011v2.xml", LEGACY)
    assert (paper.id, paper.version) == ("1111.2011", 2)
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert paper.authors == ("James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic")
    # The primary category comes first and is not repeated.
    assert paper.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert paper.published_at == dt.datetime(2011, 11, 8, 18, 48, 36, tzinfo=UTC)
    papers = atom("search_query_au_del_maestro_AND_ti_quantum_criticality.xml", LEGACY)
    assert len(papers) == 2
    assert all(any("Del Maestro" in a for a in p.authors) for p in papers)


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"not xml at all", b""])
def test_not_an_atom_feed(body):
    with pytest.raises(SourceResponseError):
        parse_atom(body)


def test_rss_keeps_new_and_cross_and_skips_replacements():
    papers = parse_rss(FEED.read_bytes())
    assert [p.id for p in papers] == ["2606.06840", "2606.07441", "2606.07172"]
    first = papers[0]
    assert first.title == "Characterize Then Distill: Mechanistic Reasoning in Large Output Spaces"
    assert first.version == 1
    assert first.authors == ("Debjyoti Saha Roy", "Byron C. Wallace", "Javed A. Aslam")
    assert first.categories == ("cs.CL", "cs.AI", "cs.LG")
    assert first.abstract.startswith("Modern reasoning models offer")
    assert "Announce Type" not in first.abstract
    assert first.day == dt.date(2026, 6, 8)
    assert papers[2].categories[0] == "cs.CV"  # a cross-list keeps its own primary


def test_atom_and_rss_entries_without_a_title_are_left_out(caplog):
    entry = (API / "id_2104.12255v1_s0_m100_6ae69987ffe1.xml").read_text(encoding="utf-8")
    untitled = re.sub(r"<title>0</title>", "<title> </title>", entry)
    assert untitled != entry and parse_atom(untitled) == []
    feed = FEED.read_text(encoding="utf-8")
    first = re.search(r"<item>.*?<title>(.*?)</title>", feed, re.DOTALL)
    assert first is not None
    feed = feed.replace(f"<title>{first[1]}</title>", "<title></title>", 1)
    assert [p.id for p in parse_rss(feed)] == ["2606.07441", "2606.07172"]
    assert "2606.06840: it has no title" in caplog.text


def test_rss_weekend_feed_is_empty():
    assert parse_rss(WEEKEND.read_text(encoding="utf-8")) == []


def test_rss_item_without_announce_element_uses_the_description():
    feed = FEED.read_text(encoding="utf-8")
    stripped = "\n".join(line for line in feed.splitlines() if "arxiv:announce_type" not in line)
    assert [p.id for p in parse_rss(stripped)] == ["2606.06840", "2606.07441", "2606.07172"]


def test_rss_authors_joined_with_and():
    feed = FEED.read_text(encoding="utf-8").replace(
        "Byron C. Wallace, Javed A. Aslam", "Byron C. Wallace and Javed A. Aslam"
    )
    assert parse_rss(feed)[0].authors == ("Debjyoti Saha Roy", "Byron C. Wallace", "Javed A. Aslam")


def test_listing_records():
    lines = (ARXIV / "listing_sample_2026-06-08.jsonl").read_text(encoding="utf-8").splitlines()
    papers = [parse_listing_record(json.loads(line), day=dt.date(2026, 6, 8)) for line in lines]
    assert [p.id for p in papers] == [
        "2606.06625",
        "2606.06633",
        "2606.06700",
        "2606.06882",
        "2606.06497",
    ]
    assert papers[2].title == "The Economics of Proof-of-Useful-Work"
    assert papers[2].authors == ("Rafael Pass",)
    assert papers[2].categories == ("cs.GT", "cs.CR", "econ.TH")
    assert all(p.day == dt.date(2026, 6, 8) and p.source == "arxiv" for p in papers)


@pytest.mark.parametrize(
    "record",
    [
        None,
        [],
        {"title": "x"},
        {"id": "abc", "title": "x"},
        {"id": "2606.06625", "summary": "no title", "upvotes": 999999},
        {"id": "2606.06625", "title": ["", " "], "summary": "a blank one"},
    ],
)
def test_listing_records_that_cannot_be_papers(record):
    with pytest.raises(ValueError):
        parse_listing_record(record)


# --- the client -----------------------------------------------------------------------


@pytest.fixture
def arxiv(client, fake_time):
    limiter = RateLimiter(3.0, clock=fake_time.clock, sleep=fake_time.sleep)
    return ArxivClient(client, limiter=limiter, sleep=fake_time.sleep)


async def test_by_ids(server, arxiv, serve_file):
    server.handler = serve_file(API / "id_2104.12255v1_s0_m100_6ae69987ffe1.xml")
    [paper] = await arxiv.by_ids(["https://arxiv.org/abs/2104.12255v1"])
    assert paper.title == "0"
    request = server.requests[0]
    assert (request.url.host, request.url.path) == ("export.arxiv.org", "/api/query")
    assert request.url.params["id_list"] == "2104.12255v1"
    assert request.url.params["max_results"] == "1"


async def test_by_ids_old_style_and_several(server, arxiv, serve_file):
    server.handler = serve_file(API / "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.xml")
    papers = await arxiv.by_ids(["0808.05394", "1707.08567", "1707.08567"])
    assert [p.id for p in papers] == ["1707.08567"]
    assert server.requests[0].url.params["id_list"] == "0808.05394,1707.08567"
    assert server.requests[0].url.params["max_results"] == "2"
    server.handler = serve_file(API / "id_astro-ph_0601001_s0_m100_3150dca9dc76.xml")
    [astro] = await arxiv.by_ids(["astro-ph/0601001"])
    assert astro.id == "astro-ph/0601001"
    assert server.requests[1].url.params["id_list"] == "astro-ph/0601001"


async def test_by_ids_nothing_asked(server, arxiv):
    assert await arxiv.by_ids([]) == []
    assert server.requests == []


async def test_error_feed_with_http_400(server, arxiv, serve_file):
    server.handler = serve_file(API / "id_abc_s0_m100_b79c8dcf6bc3.xml", status=400)
    with pytest.raises(SourceResponseError, match="incorrect id format") as info:
        await arxiv.by_ids(["abc"])
    assert info.value.status == 400
    assert len(server.requests) == 1  # a bad query is not retried


async def test_http_400_without_an_error_feed(server, arxiv):
    server.handler = lambda request: httpx.Response(400, text="Bad Request")
    with pytest.raises(SourceResponseError) as info:
        await arxiv.by_ids(["2104.12255"])
    assert info.value.status == 400


async def test_search_sends_user_text_as_plain_terms(server, arxiv, serve_file):
    server.handler = serve_file(API / "q_testing_s0_m10_bc5a6c384fe9.xml")
    papers = await arxiv.search('Self-attention "AND" ti:(x OR y', start=10, max_results=10)
    assert len(papers) == 10
    params = server.requests[0].url.params
    assert params["search_query"] == (
        "all:self-attention AND all:and AND all:ti AND all:x AND all:or AND all:y"
    )
    assert (params["start"], params["max_results"]) == ("10", "10")


async def test_search_with_nothing_to_search(server, arxiv):
    assert await arxiv.search('  "" () ') == []
    assert server.requests == []


async def test_listing(server, arxiv, serve_file):
    server.handler = serve_file(FEED)
    papers = await arxiv.listing("cs.CL")
    assert [p.id for p in papers] == ["2606.06840", "2606.07441", "2606.07172"]
    assert str(server.requests[0].url) == "https://rss.arxiv.org/rss/cs.CL"


async def test_listing_on_a_weekend(server, arxiv, serve_file):
    server.handler = serve_file(WEEKEND)
    assert await arxiv.listing("cs.CL") == []


@pytest.mark.parametrize("category", ["", "../api/query", "cs.CL?x=1", "cs CL"])
async def test_listing_rejects_what_is_not_a_category(server, arxiv, category):
    with pytest.raises(ValueError):
        await arxiv.listing(category)
    assert server.requests == []


async def test_requests_are_spaced_three_seconds_apart(server, arxiv, fake_time, serve_file):
    seen_at: list[float] = []
    handler = serve_file(API / "id_2104.12255v1_s0_m100_6ae69987ffe1.xml")

    def timed(request: httpx.Request) -> httpx.Response:
        seen_at.append(fake_time.now)
        return handler(request)

    server.handler = timed
    await arxiv.by_ids(["2104.12255"])
    await arxiv.search("zero")
    await arxiv.by_ids(["2104.12255"])
    assert seen_at == [0.0, 3.0, 6.0]


async def test_default_limiter_uses_the_injected_sleep(server, client, fake_time, serve_file):
    server.handler = serve_file(API / "id_2104.12255v1_s0_m100_6ae69987ffe1.xml")
    arxiv = ArxivClient(client, sleep=fake_time.sleep)
    await arxiv.by_ids(["2104.12255"])
    await arxiv.by_ids(["2104.12255"])
    assert len(fake_time.sleeps) == 1
    assert fake_time.sleeps[0] == pytest.approx(3.0, abs=0.5)


async def test_unreachable_rss_names_its_setting(server, client, fake_time):
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out")

    server.handler = timeout
    arxiv = ArxivClient(client, rss_url="https://rss.example.org/", sleep=fake_time.sleep)
    with pytest.raises(SourceUnavailable) as info:
        await arxiv.listing("cs.CL")
    assert str(info.value).startswith("cannot reach rss.example.org: ")
    assert "PAPERBOT_ARXIV_RSS_URL" in str(info.value)
    assert server.requests[0].url.host == "rss.example.org"
