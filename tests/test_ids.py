"""One paper, however its arXiv id is written."""

from __future__ import annotations

import pytest

from bot.ids import ArxivId, find_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2510.06131", ArxivId("2510.06131")),
        ("2510.06131v2", ArxivId("2510.06131", 2)),
        ("arXiv:2510.06131", ArxivId("2510.06131")),
        ("https://arxiv.org/abs/2510.06131v1", ArxivId("2510.06131", 1)),
        ("http://arxiv.org/pdf/2510.06131v3.pdf", ArxivId("2510.06131", 3)),
        ("arxiv.org/pdf/2510.06131", ArxivId("2510.06131")),
        ("https://huggingface.co/papers/2510.06131", ArxivId("2510.06131")),
        ("https://www.arxiv.org/abs/2510.06131?context=cs", ArxivId("2510.06131")),
        ("  1412.6980 ", ArxivId("1412.6980")),
        ("astro-ph/0601001", ArxivId("astro-ph/0601001")),
        ("quant-ph/0201082v1", ArxivId("quant-ph/0201082", 1)),
        ("math.GT/0309136", ArxivId("math.GT/0309136")),
        ("https://arxiv.org/abs/hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
    ],
)
def test_every_spelling_names_the_bare_id(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "attention is all you need",
        "2510.0613",  # four digits after 2014
        "1412.69801",  # five digits before 2015
        "2513.06131",  # month 13
        "https://example.com/abs/2510.06131",
        "2510.06131 and more",
        "x" * 10_000,
    ],
)
def test_things_that_are_not_ids(text: str) -> None:
    assert parse_arxiv_id(text) is None


def test_find_id_inside_feed_text() -> None:
    assert find_arxiv_id("oai:arXiv.org:2510.06131v2") == ArxivId("2510.06131", 2)
    assert find_arxiv_id("arXiv:2606.12345v1 Announce Type: new") == ArxivId("2606.12345", 1)
    assert find_arxiv_id("http://arxiv.org/abs/quant-ph/0201082v1") == ArxivId(
        "quant-ph/0201082", 1
    )
    assert find_arxiv_id("no id here 12.34") is None


def test_versions_print_back() -> None:
    assert str(ArxivId("2510.06131", 2)) == "2510.06131v2"
    assert str(ArxivId("2510.06131")) == "2510.06131"
