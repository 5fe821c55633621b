"""Settings: every wrong or missing variable named at once, and `.env.example` and the
README's configuration tables listing every variable the settings read."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from bot.config import (
    DiscordSettings,
    Settings,
    SlackSettings,
    check_database_url,
    load,
    load_discord,
    load_slack,
    split_categories,
)
from bot.errors import ConfigError

ROOT = Path(__file__).parent.parent
MODELS: tuple[type[BaseSettings], ...] = (Settings, SlackSettings, DiscordSettings)


def variable(model: type[BaseSettings], field: str) -> str:
    """The environment variable that sets ``field`` of ``model``."""
    alias = model.model_fields[field].validation_alias
    if isinstance(alias, str):
        return alias
    return f"{model.model_config.get('env_prefix', '')}{field}".upper()


SETTINGS = {variable(m, f): (m, f) for m in MODELS for f in m.model_fields}


@pytest.fixture(autouse=True)
def no_settings(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith(("PAPERBOT_", "SLACK_", "DISCORD_")):
            monkeypatch.delenv(name)
    return monkeypatch


# --- the core settings ----------------------------------------------------------------

WRONG = {
    "PAPERBOT_DATABASE_URL": ("mysql://db", "'mysql://db' is not a database URL"),
    "PAPERBOT_HF_URL": ("huggingface.co", "'huggingface.co' is not an http(s) URL"),
    "PAPERBOT_ARXIV_URL": ("ftp://arxiv.org", "'ftp://arxiv.org' is not an http(s) URL"),
    "PAPERBOT_ARXIV_RSS_URL": ("rss", "'rss' is not an http(s) URL"),
    "PAPERBOT_ARXIV_CATEGORIES": ("cs.CL,cs/LG", "'cs/LG' is not an arXiv category"),
    "PAPERBOT_HTTP_TIMEOUT": ("0", "'0': input should be greater than 0"),
    "PAPERBOT_HTTP_RETRIES": ("11", "'11': input should be less than or equal to 10"),
    "PAPERBOT_LOG_LEVEL": ("LOUD", "'LOUD' is not one of DEBUG, INFO, WARNING, ERROR"),
    "PAPERBOT_GRACE_HOURS": ("nan", "'nan': input should be a finite number"),
    "PAPERBOT_REFRESH_MINUTES": ("soon", "'soon': input should be a valid number"),
    "PAPERBOT_DB_POOL_SIZE": ("1", "'1': input should be greater than or equal to 2"),
    "PAPERBOT_DB_CACHE_MB": ("0", "'0': input should be greater than or equal to 1"),
}


def test_every_core_setting_has_a_wrong_value_here() -> None:
    assert set(WRONG) == {variable(Settings, f) for f in Settings.model_fields}


@pytest.mark.parametrize("name", list(WRONG))
def test_a_wrong_value_is_named_with_what_it_takes(
    no_settings: pytest.MonkeyPatch, name: str
) -> None:
    value, said = WRONG[name]
    no_settings.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load()
    assert str(info.value).startswith(f"{name}: {said}")


def test_every_wrong_value_is_named_at_once(no_settings: pytest.MonkeyPatch) -> None:
    for name, (value, _) in WRONG.items():
        no_settings.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load()
    message = str(info.value)
    assert "\n" not in message
    assert [name for name in WRONG if name in message] == list(WRONG)


def test_defaults_empty_values_and_forgiving_spellings(no_settings: pytest.MonkeyPatch) -> None:
    assert load() == Settings()
    no_settings.setenv("PAPERBOT_LOG_LEVEL", " info ")
    no_settings.setenv("PAPERBOT_HTTP_TIMEOUT", "")  # empty: the default
    no_settings.setenv("PAPERBOT_ARXIV_CATEGORIES", " cs.CL , math ,")
    settings = load()
    assert settings.log_level == "INFO"
    assert settings.http_timeout == 20.0
    assert settings.arxiv_categories == ("cs.CL", "math")


def test_database_urls_and_categories() -> None:
    good = [
        "sqlite://",
        "sqlite:///papers.db",
        "sqlite:////var/lib/paperbot/papers.db",
        "postgresql://db",
        "postgres://paperbot:secret@db.internal:5433/paperbot?sslmode=require",
        "postgresql:///paperbot?host=/run/postgresql",
    ]
    for url in good:
        assert check_database_url(url) == url
    for url in ["sqlite:///", "sqlite:/papers.db", "papers.db", "mysql://db"]:
        with pytest.raises(ValueError, match="is not a database URL"):
            check_database_url(url)
    # A PostgreSQL URL that cannot be used says why, and never repeats its password.
    for url, why in [
        ("postgresql://bot:hunter2@/paperbot", "names no server"),
        ("postgresql://bot:hunter2@db:port/paperbot", "port must be a number"),
    ]:
        with pytest.raises(ValueError, match=why) as error:
            check_database_url(url)
        assert "hunter2" not in str(error.value) and "bot:***@" in str(error.value)
    assert split_categories("cs.AI+cs.LG,math") == ("cs.AI+cs.LG", "math")
    with pytest.raises(ValueError, match="at least one"):
        split_categories(" , ")


# --- Slack and Discord ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({}, ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_APP_TOKEN"]),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, ["SLACK_SIGNING_SECRET"]),
        ({"SLACK_SIGNING_SECRET": "s"}, ["SLACK_BOT_TOKEN"]),
        ({"SLACK_CLIENT_ID": "1.2"}, ["SLACK_SIGNING_SECRET", "SLACK_CLIENT_SECRET"]),
        ({"SLACK_CLIENT_SECRET": "shh", "SLACK_SIGNING_SECRET": "s"}, ["SLACK_CLIENT_ID"]),
        ({"SLACK_APP_TOKEN": "xapp-1"}, ["SLACK_BOT_TOKEN"]),
        ({"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "  "}, ["SLACK_BOT_TOKEN"]),
    ],
)
def test_slack_names_every_missing_variable(
    no_settings: pytest.MonkeyPatch, given: dict[str, str], named: list[str]
) -> None:
    for name, value in given.items():
        no_settings.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_slack()
    for name in named:
        assert name in str(info.value)


def test_slack_wrong_values_are_named_and_secrets_never_shown(
    no_settings: pytest.MonkeyPatch,
) -> None:
    no_settings.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    no_settings.setenv("SLACK_SIGNING_SECRET", "also-secret")
    no_settings.setenv("SLACK_ANYONE_MANAGES", "maybe")
    no_settings.setenv("SLACK_API_URL", "slack.com")
    with pytest.raises(ConfigError) as info:
        load_slack()
    message = str(info.value)
    assert message.startswith("SLACK_API_URL: 'slack.com' is not an http(s) URL; ")
    assert "SLACK_ANYONE_MANAGES: 'maybe': input should be a valid boolean" in message
    assert "secret" not in message


def test_discord_names_the_token_with_any_other_wrong_variable(
    no_settings: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigError, match=r"^DISCORD_TOKEN is required \(the bot token"):
        load_discord()
    no_settings.setenv("DISCORD_TOKEN", " ")
    no_settings.setenv("DISCORD_API_URL", "discord.com")
    no_settings.setenv("PAPERBOT_DISCORD_GUILD", "-4")
    with pytest.raises(ConfigError) as info:
        load_discord()
    assert str(info.value) == (
        "DISCORD_TOKEN is required (the bot token of your application); "
        "DISCORD_API_URL: 'discord.com' is not an http(s) URL; "
        "PAPERBOT_DISCORD_GUILD: '-4': input should be greater than 0"
    )
    no_settings.setenv("DISCORD_TOKEN", "a-token")
    no_settings.delenv("DISCORD_API_URL")
    no_settings.setenv("PAPERBOT_DISCORD_GUILD", "4242")
    discord = load_discord()
    assert discord.guild == 4242 and discord.token is not None
    assert "a-token" not in repr(discord)


# --- every variable, written down -----------------------------------------------------


def readme_variables() -> set[str]:
    """The variables the README's configuration tables name (first column)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def example_values() -> dict[str, str]:
    """``NAME=value`` lines of `.env.example`, commented out or not."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"(?m)^#? ?([A-Z][A-Z0-9_]+)=(.*)$", text))


def test_env_example_lists_every_variable_of_the_readme_and_the_settings() -> None:
    listed = set(example_values())
    assert readme_variables() - listed == set()
    assert set(SETTINGS) - listed == set()


def test_the_readme_tables_list_every_setting() -> None:
    assert set(SETTINGS) - readme_variables() == set()


def test_env_example_shows_the_defaults() -> None:
    for name, value in example_values().items():
        if name not in SETTINGS or not value:
            continue
        model, field = SETTINGS[name]
        key = model.model_fields[field].validation_alias or field
        parsed = getattr(model.model_validate({key: value}), field)
        assert parsed == model.model_fields[field].get_default(call_default_factory=True), name
