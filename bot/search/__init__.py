"""Search: the one-box query grammar, the full-text plan, typo rescue and re-ranking."""

from bot.search.engine import Hit, Plan, corrections, plan, rerank, run_search, variants
from bot.search.query import MAX_QUERY_CHARS, Query, parse_date_bound, parse_query

__all__ = [
    "MAX_QUERY_CHARS",
    "Hit",
    "Plan",
    "Query",
    "corrections",
    "parse_date_bound",
    "parse_query",
    "plan",
    "rerank",
    "run_search",
    "variants",
]
