"""`GET /health` of a running Discord bot, for a container's health check.

discord.py holds no HTTP server (the bot talks to Discord over the gateway), so
``paperbot run discord --health-port N`` serves this one page beside it: whether the
database answers and whether the client is connected (ready, not closed). 200 when
both are, 503 otherwise; `paperbot health --url` reads it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord
from aiohttp import web

from bot.api import PaperService
from bot.errors import PaperbotError

__all__ = ["HEALTH_PATH", "health_app", "serve_health"]

log = logging.getLogger(__name__)

HEALTH_PATH = "/health"


def health_app(client: discord.Client, service: PaperService) -> web.Application:
    """The page: ``{"platform": "Discord", "connected": bool, "database": "ok" | why}``."""

    async def health(request: web.Request) -> web.Response:
        database = await service.health()
        connected = client.is_ready() and not client.is_closed()
        body = {"platform": "Discord", "connected": connected, "database": database}
        return web.json_response(body, status=200 if connected and database == "ok" else 503)

    app = web.Application()
    app.router.add_get(HEALTH_PATH, health)
    return app


@asynccontextmanager
async def serve_health(
    client: discord.Client, service: PaperService, host: str, port: int
) -> AsyncIterator[int]:
    """Serve ``GET /health`` until exit; yields the port. Raises ``PaperbotError`` when
    the port cannot be served."""
    # No access log: a health check every few seconds would fill it.
    runner = web.AppRunner(health_app(client, service), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:  # the port is taken, or not ours to use
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise PaperbotError(f"cannot serve {HEALTH_PATH} on port {port}: {reason}") from None
        bound = runner.addresses[0][1] if runner.addresses else port
        log.info("serving health checks on http://%s:%d%s", host, bound, HEALTH_PATH)
        yield bound
    finally:
        await runner.cleanup()
