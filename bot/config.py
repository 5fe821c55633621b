"""Typed settings from the environment; secrets are ``SecretStr`` and never printed.

Every setting is checked when it is read: one ``ConfigError`` names each wrong or
missing variable at once, with what it takes (the command line exits 2 on it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple
from urllib.parse import urlsplit

from platformdirs import user_data_path
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError

__all__ = [
    "LOG_LEVELS",
    "DiscordSettings",
    "Settings",
    "Shards",
    "SlackSettings",
    "check_database_url",
    "default_database_url",
    "load",
    "load_discord",
    "load_slack",
    "parse_shards",
    "redact_url",
    "split_categories",
]

DEFAULT_CATEGORIES = ("cs.AI", "cs.CL", "cs.CV", "cs.LG")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
# The shape of an arXiv category or of a listing of several (cs.CL, math, cs.AI+cs.LG).
_CATEGORY = re.compile(r"[A-Za-z-]+(?:\.[A-Za-z-]+)?(?:\+[A-Za-z-]+(?:\.[A-Za-z-]+)?)*")


def default_database_url() -> str:
    """A SQLite file in the user's data directory (``~/.local/share/paperbot`` on Linux)."""
    return f"sqlite:///{Path(user_data_path('paperbot')) / 'paperbot.sqlite3'}"


def check_database_url(url: str) -> str:
    """``url`` if it names a database paperbot can open; ``ValueError`` saying why not
    (never repeating a password the URL holds)."""
    if url == "sqlite://" or (url.startswith("sqlite:///") and len(url) > len("sqlite:///")):
        return url
    if url.startswith(("postgresql://", "postgres://")):
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
        except ValueError:
            raise ValueError(
                f"{redact_url(url)!r} is not a PostgreSQL URL: its port must be a number"
            ) from None
        if parts.hostname or "host=" in parts.query:
            return url
        raise ValueError(
            f"{redact_url(url)!r} names no server; use postgresql://user:password@host:port/database"
        )
    raise ValueError(
        f"{redact_url(url)!r} is not a database URL; use sqlite:///relative/path, "
        "sqlite:////absolute/path, sqlite:// (in memory) or postgresql://host/database"
    )


def redact_url(url: str) -> str:
    """``url`` with the password it may hold replaced by ``***``."""
    scheme, sep, rest = url[:200].partition("://")
    if not sep:
        return url[:80]
    userinfo, at, host = rest.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.partition(":")[0] + ":***"
    return f"{scheme}://{userinfo}{at}{host}"


def split_categories(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Comma-separated arXiv listing categories; ``ValueError`` names one that cannot be."""
    parts = value.split(",") if isinstance(value, str) else value
    categories = tuple(c.strip() for c in parts if isinstance(c, str) and c.strip())
    if not categories:
        raise ValueError("give at least one arXiv category, such as cs.CL")
    for category in categories:
        if not _CATEGORY.fullmatch(category):
            raise ValueError(f"{category[:40]!r} is not an arXiv category (such as cs.CL)")
    return categories


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value[:80]!r} is not an http(s) URL")
    return value.strip()


class Settings(BaseSettings):
    """Core settings, read from ``PAPERBOT_*`` variables."""

    # A variable set to nothing (PAPERBOT_LOG_LEVEL=) is as if unset: its default.
    model_config = SettingsConfigDict(env_prefix="PAPERBOT_", extra="ignore", env_ignore_empty=True)

    database_url: str = Field(default_factory=default_database_url)
    hf_url: str = "https://huggingface.co"
    arxiv_url: str = "https://export.arxiv.org"
    arxiv_rss_url: str = "https://rss.arxiv.org"
    # arXiv listing categories `paperbot fetch` reads when none are given.
    # Comma-separated, e.g. PAPERBOT_ARXIV_CATEGORIES=cs.CL,cs.LG
    arxiv_categories: Annotated[tuple[str, ...], NoDecode] = DEFAULT_CATEGORIES
    # Seconds to wait for an upstream's answer before giving up on one request.
    http_timeout: float = Field(default=20.0, gt=0, le=600, allow_inf_nan=False)
    # Retries of a failed upstream request (429, 5xx, a timeout), with backoff.
    http_retries: int = Field(default=3, ge=0, le=10)
    log_level: LogLevel = "WARNING"
    # A daily post missed while the bot was down is still sent this many hours late.
    grace_hours: float = Field(default=6.0, ge=0, le=48, allow_inf_nan=False)
    # Fetch new papers before a post when the last fetch is older than this (minutes).
    refresh_minutes: float = Field(default=60.0, ge=1, le=10_080, allow_inf_nan=False)
    # Connections a PostgreSQL store keeps at most (SQLite ignores it).
    db_pool_size: int = Field(default=10, ge=2, le=1000)
    # Memory each SQLite connection keeps for database pages (PostgreSQL ignores it).
    db_cache_mb: int = Field(default=16, ge=1, le=4096)

    @field_validator("arxiv_categories", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_categories(value) if isinstance(value, str | tuple | list) else value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        return check_database_url(value)

    @field_validator("hf_url", "arxiv_url", "arxiv_rss_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        level = value.strip().upper() if isinstance(value, str) else value
        if level not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not one of {', '.join(LOG_LEVELS)}")
        return level


def _describe(
    exc: ValidationError, model: type[BaseSettings], required: Mapping[str, str] | None = None
) -> str:
    """Every problem of ``exc`` on one line, each naming its variable; secrets unshown.

    ``required`` says, by variable, what a missing required one is.
    """
    prefix = model.model_config.get("env_prefix", "")
    secrets = {
        info.validation_alias if isinstance(info.validation_alias, str) else field
        for field, info in model.model_fields.items()
        if "SecretStr" in str(info.annotation)
    }
    problems = []
    for error in exc.errors():
        # Located by the field's alias when it has one (DISCORD_TOKEN), else its name.
        located = str(error["loc"][0]) if error["loc"] else ""
        name = located if located.isupper() else f"{prefix}{located}".upper()
        if error["type"] == "missing" or error.get("input", "") is None:  # None: left blank
            what = (required or {}).get(name)
            problems.append(f"{name} is required" + (f" ({what})" if what else ""))
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] != "value_error" and located not in secrets:
            # pydantic's own words ("Input should be ...") say what it takes, not what
            # it got: show the value too, but never a secret's.
            message = f"{error['input']!r}: {message[:1].lower()}{message[1:]}"
        problems.append(f"{name}: {message}")
    return "; ".join(problems)


def load() -> Settings:
    """Read settings; every malformed value fails at once, naming its variable."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(_describe(exc, Settings)) from None


def _blank_is_unset(value: Any) -> Any:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return None if isinstance(text, str) and not text.strip() else value


class SlackSettings(BaseSettings):
    """The Slack adapter's settings, read from ``SLACK_*`` variables by ``load_slack``.

    Socket Mode when ``app_token`` is set, else HTTP; one workspace with ``bot_token``,
    or any number installed through OAuth with ``client_id`` and ``client_secret``.
    """

    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore", env_ignore_empty=True)

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    api_url: str = "https://slack.com/api/"
    # When true anyone in a channel may change its subscriptions, not only their
    # creators and workspace admins.
    anyone_manages: bool = False

    _blank = field_validator(
        "bot_token", "signing_secret", "app_token", "client_id", "client_secret", mode="before"
    )(_blank_is_unset)

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def oauth(self) -> bool:
        return self.bot_token is None and self.client_id is not None


def _slack_missing(slack: SlackSettings) -> str | None:
    """What the chosen mode still needs, every variable of it, or None."""
    if slack.socket_mode:
        # Socket Mode apps are installed into one workspace by hand.
        if slack.bot_token is None:
            return "Socket Mode (SLACK_APP_TOKEN is set) needs SLACK_BOT_TOKEN too"
        return None
    missing = []
    if slack.signing_secret is None:
        missing.append("SLACK_SIGNING_SECRET")
    if slack.bot_token is None:
        if slack.client_id is None and slack.client_secret is None:
            missing.append(
                "SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install "
                "into several workspaces)"
            )
        elif slack.client_id is None:
            missing.append("SLACK_CLIENT_ID (SLACK_CLIENT_SECRET is set)")
        elif slack.client_secret is None:
            missing.append("SLACK_CLIENT_SECRET (SLACK_CLIENT_ID is set)")
    if not missing:
        return None
    return (
        f"missing {', '.join(missing)}; or, for Socket Mode, set SLACK_APP_TOKEN and "
        "SLACK_BOT_TOKEN (see adapters/slack/README.md)"
    )


def load_slack() -> SlackSettings:
    """Read the Slack settings; fail fast naming every wrong or missing variable."""
    try:
        slack = SlackSettings()
    except ValidationError as exc:
        raise ConfigError(_describe(exc, SlackSettings)) from None
    if (missing := _slack_missing(slack)) is not None:
        raise ConfigError(missing)
    return slack


class Shards(NamedTuple):
    """The Discord shards one process runs: ``ids`` of ``total`` shards in all."""

    ids: tuple[int, ...]
    total: int


# IDS/COUNT: 0-3/8, 5/8, 0,2-3/8.
_SHARDS = re.compile(r"(\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*)/(\d+)")
MAX_SHARDS = 100_000


def parse_shards(value: str) -> Shards:
    """``0-3/8`` (shards 0 to 3 of 8), ``5/8`` or ``0,2-3/8``; ``ValueError`` says why not."""
    match = _SHARDS.fullmatch("".join(value.split()))
    if match is None:
        raise ValueError(
            f"{value[:40]!r} is not IDS/COUNT; use e.g. 0-3/8 (shards 0 to 3 of 8) or 5/8"
        )
    count = int(match[2])
    if not 1 <= count <= MAX_SHARDS:
        raise ValueError(f"{value!r}: the shard count must be from 1 to {MAX_SHARDS:,}")
    ids: list[int] = []
    for part in match[1].split(","):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if first > last:
            raise ValueError(f"{value!r}: {part} runs backwards; write {last}-{first}")
        if last >= count:
            raise ValueError(
                f"{value!r}: there is no shard {last} of {count} (they are numbered 0 to "
                f"{count - 1})"
            )
        ids.extend(range(first, last + 1))
    if len(set(ids)) != len(ids):
        raise ValueError(f"{value!r}: a shard is named twice")
    return Shards(tuple(sorted(ids)), count)


class DiscordSettings(BaseSettings):
    """The Discord adapter's settings: ``DISCORD_TOKEN``, ``DISCORD_API_URL``,
    ``PAPERBOT_DISCORD_GUILD`` (sync commands to that one server, for development) and
    ``PAPERBOT_DISCORD_SHARDS`` (the shards this process runs)."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    api_url: str = Field(default="https://discord.com/api/v10", validation_alias="DISCORD_API_URL")
    guild: int | None = Field(default=None, validation_alias="PAPERBOT_DISCORD_GUILD", gt=0)
    # Unset: discord.py asks Discord how many shards the bot needs and runs them all.
    shards: Annotated[Shards | None, NoDecode] = Field(
        default=None, validation_alias="PAPERBOT_DISCORD_SHARDS"
    )

    _blank = field_validator("token", mode="before")(_blank_is_unset)

    @field_validator("shards", mode="before")
    @classmethod
    def _shards(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_shards(value) if value.strip() else None
        return value

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


class _DiscordToStart(DiscordSettings):
    """The settings ``run discord`` reads: the token is required, so that one answer
    names it together with any other wrong variable."""

    token: SecretStr = Field(validation_alias="DISCORD_TOKEN")


def load_discord() -> DiscordSettings:
    """Read the Discord settings; fail fast naming every missing or bad variable."""
    try:
        return _DiscordToStart()  # type: ignore[call-arg]  # read from the environment
    except ValidationError as exc:
        required = {"DISCORD_TOKEN": "the bot token of your application"}
        raise ConfigError(_describe(exc, DiscordSettings, required)) from None
