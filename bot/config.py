"""Typed settings from the environment; secrets are ``SecretStr`` and never printed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from platformdirs import user_data_path
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError

__all__ = [
    "DiscordSettings",
    "Settings",
    "SlackSettings",
    "default_database_url",
    "load",
    "load_discord",
    "load_slack",
]

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


class SlackSettings(BaseSettings):
    """The Slack adapter's settings, read from ``SLACK_*`` variables by ``load_slack``.

    Socket Mode when ``app_token`` is set, else HTTP; one workspace with ``bot_token``,
    or any number installed through OAuth with ``client_id`` and ``client_secret``.
    """

    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore")

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    api_url: str = "https://slack.com/api/"
    # When true anyone in a channel may change its subscriptions, not only their
    # creators and workspace admins.
    anyone_manages: bool = False

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def oauth(self) -> bool:
        return self.bot_token is None and self.client_id is not None


def load_slack() -> SlackSettings:
    """Read the Slack settings; fail fast naming the first missing variable."""
    try:
        slack = SlackSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "SLACK_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigError(f"{name}: {first['msg']}") from None
    if slack.socket_mode:
        # Socket Mode apps are installed into one workspace by hand.
        if slack.bot_token is None:
            raise ConfigError("SLACK_BOT_TOKEN is required with SLACK_APP_TOKEN (Socket Mode)")
        return slack
    if slack.signing_secret is None:
        raise ConfigError("SLACK_SIGNING_SECRET is required to verify requests from Slack")
    if slack.bot_token is None and slack.client_id is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN is required (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
            "to install into several workspaces)"
        )
    if slack.oauth and slack.client_secret is None:
        raise ConfigError("SLACK_CLIENT_SECRET is required with SLACK_CLIENT_ID")
    return slack


class DiscordSettings(BaseSettings):
    """The Discord adapter's settings: ``DISCORD_TOKEN``, ``DISCORD_API_URL`` and
    ``PAPERBOT_DISCORD_GUILD`` (sync commands to that one server, for development)."""

    model_config = SettingsConfigDict(extra="ignore")

    token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    api_url: str = Field(default="https://discord.com/api/v10", validation_alias="DISCORD_API_URL")
    guild: int | None = Field(default=None, validation_alias="PAPERBOT_DISCORD_GUILD")


def load_discord() -> DiscordSettings:
    """Read the Discord settings; fail fast naming the first missing or bad variable."""
    names = {"token": "DISCORD_TOKEN", "api_url": "DISCORD_API_URL"}
    try:
        discord = DiscordSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = str(first["loc"][0]) if first["loc"] else "settings"
        raise ConfigError(f"{names.get(loc, loc)}: {first['msg']}") from None
    if discord.token is None or not discord.token.get_secret_value().strip():
        raise ConfigError("DISCORD_TOKEN is required (the bot token of your application)")
    return discord
