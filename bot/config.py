"""Typed settings from the environment; secrets are ``SecretStr`` and never printed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from platformdirs import user_data_path
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError

__all__ = ["Settings", "default_database_url", "load"]

DEFAULT_CATEGORIES = ("cs.AI", "cs.CL", "cs.CV", "cs.LG")


def default_database_url() -> str:
    """A SQLite file in the user's data directory (``~/.local/share/paperbot`` on Linux)."""
    return f"sqlite:///{Path(user_data_path('paperbot')) / 'paperbot.sqlite3'}"


class Settings(BaseSettings):
    """Core settings, read from ``PAPERBOT_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="PAPERBOT_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    hf_url: str = "https://huggingface.co"
    arxiv_url: str = "https://export.arxiv.org"
    arxiv_rss_url: str = "https://rss.arxiv.org"
    # arXiv listing categories `paperbot fetch` reads when none are given.
    # Comma-separated, e.g. PAPERBOT_ARXIV_CATEGORIES=cs.CL,cs.LG
    arxiv_categories: Annotated[tuple[str, ...], NoDecode] = DEFAULT_CATEGORIES
    # Seconds to wait for an upstream before giving up on one request.
    http_timeout: float = Field(default=20.0, gt=0)
    # Retries of a failed upstream request (429, 5xx, network), with backoff.
    http_retries: int = Field(default=3, ge=0, le=10)
    log_level: str = "WARNING"
    # A daily post missed while the bot was down is still sent this many hours late.
    grace_hours: float = Field(default=6.0, ge=0, le=48)
    # Fetch new papers before a post when the last fetch is older than this (minutes).
    refresh_minutes: float = Field(default=60.0, ge=1)

    @field_validator("arxiv_categories", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(c.strip() for c in value.split(",") if c.strip())
        return value


def load() -> Settings:
    """Read settings; a malformed value fails fast naming its variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "PAPERBOT_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigError(f"{name}: {first['msg']}") from None
