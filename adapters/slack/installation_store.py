"""Bolt's async installation and OAuth state stores, both on paperbot's database."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.api import InstallationStore

__all__ = ["DatabaseStateStore", "PaperbotInstallationStore"]

log = logging.getLogger(__name__)
PLATFORM = "slack"


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    # slack_sdk's dicts hold datetimes; its constructors take timestamps just as well.
    return {k: v.timestamp() if isinstance(v, dt.datetime) else v for k, v in record.items()}


class PaperbotInstallationStore(AsyncInstallationStore):
    """Installations and bots in the ``installations`` tables (migration 5)."""

    def __init__(self, store: InstallationStore, *, clock: Any = None) -> None:
        self._store = store
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    @property
    def logger(self) -> Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        bot = installation.to_bot() if installation.bot_token else None
        await self._store.save_installation(
            PLATFORM,
            installation.enterprise_id or "",
            installation.team_id or "",
            installation.user_id or "",
            _jsonable(installation.to_dict_for_copying()),
            bot=_jsonable(bot.to_dict_for_copying()) if bot else None,
            now=self._clock(),
        )

    async def async_save_bot(self, bot: Bot) -> None:
        # Bolt saves bots only through async_save; keep one path that writes both.
        raise NotImplementedError("bots are saved with their installation")

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        team = "" if is_enterprise_install else team_id or ""
        data = await self._store.find_bot(PLATFORM, enterprise_id or "", team)
        return Bot(**data) if data else None  # type: ignore[arg-type]

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        team = "" if is_enterprise_install else team_id or ""
        data = await self._store.find_installation(PLATFORM, enterprise_id or "", team, user_id)
        return Installation(**data) if data else None  # type: ignore[arg-type]

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._store.delete_bot(PLATFORM, enterprise_id or "", team_id or "")

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await self._store.delete_installation(PLATFORM, enterprise_id or "", team_id or "", user_id)


class DatabaseStateStore(AsyncOAuthStateStore):
    """OAuth ``state`` values, each valid once for ten minutes, kept in the database.

    The install page and the redirect back from Slack are two requests, which a load
    balancer may send to two replicas: the one that checks the state must see the one
    that issued it.
    """

    def __init__(
        self,
        store: InstallationStore,
        *,
        expiration_seconds: int = 600,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._store = store
        self._ttl = dt.timedelta(seconds=expiration_seconds)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    @property
    def logger(self) -> Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        await self._store.issue_state(state, expires_at=self._clock() + self._ttl)
        return state

    async def async_consume(self, state: str) -> bool:
        return await self._store.consume_state(state, now=self._clock())
