"""Ranking: the one trending score, topic rankings over a window, personal recommendations."""
