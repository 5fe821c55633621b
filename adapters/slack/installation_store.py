"""Bolt's async installation store on paperbot's database, and an in-process OAuth state."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from logging import Logger
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.api import InstallationStore

__all__ = ["MemoryStateStore", "PaperbotInstallationStore"]

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


class MemoryStateStore(AsyncOAuthStateStore):
    """OAuth ``state`` values, valid once for ten minutes in this process.

    The install and its redirect happen within minutes in one running bot, so nothing
    needs to outlive a restart; a user who restarts the flow gets a new state.
    """

    def __init__(self, expiration_seconds: int = 600) -> None:
        self._issued: dict[str, float] = {}
        self._ttl = expiration_seconds

    @property
    def logger(self) -> Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        now = time.monotonic()
        self._issued = {s: t for s, t in self._issued.items() if now - t < self._ttl}
        state = secrets.token_urlsafe(24)
        self._issued[state] = now
        return state

    async def async_consume(self, state: str) -> bool:
        issued = self._issued.pop(state, None)
        return issued is not None and time.monotonic() - issued < self._ttl
