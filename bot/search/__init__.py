"""Search: the one-box query grammar, the full-text plan, spellings and re-ranking."""

from bot.search.engine import Hit, Plan, plan, rerank, run_search
from bot.search.query import MAX_QUERY_CHARS, Query, parse_date_bound, parse_query
from bot.search.spelling import corrections, find_corrections, spelling_forms, variants

__all__ = [
    "MAX_QUERY_CHARS",
    "Hit",
    "Plan",
    "Query",
    "corrections",
    "find_corrections",
    "parse_date_bound",
    "parse_query",
    "plan",
    "rerank",
    "run_search",
    "spelling_forms",
    "variants",
]
