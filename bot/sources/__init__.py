"""Upstream paper sources (Hugging Face daily papers, arXiv) on an injected httpx client."""

from bot.sources._http import CONNECT_TIMEOUT, RateLimiter, get, retry_after_seconds
from bot.sources.arxiv import (
    ARXIV_INTERVAL,
    DEFAULT_API_URL,
    DEFAULT_RSS_URL,
    ArxivClient,
    parse_atom,
    parse_listing_record,
    parse_rss,
)
from bot.sources.hf import (
    DEFAULT_HF_URL,
    HFClient,
    parse_daily_item,
    parse_daily_response,
    parse_paper,
)

__all__ = [
    "ARXIV_INTERVAL",
    "CONNECT_TIMEOUT",
    "DEFAULT_API_URL",
    "DEFAULT_HF_URL",
    "DEFAULT_RSS_URL",
    "ArxivClient",
    "HFClient",
    "RateLimiter",
    "get",
    "parse_atom",
    "parse_daily_item",
    "parse_daily_response",
    "parse_listing_record",
    "parse_paper",
    "parse_rss",
    "retry_after_seconds",
]
