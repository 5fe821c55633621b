"""`GET /health` of a running Slack bot, for a container's or a load balancer's check.

In HTTP mode the page sits beside ``POST /slack/events`` on the same port; in Socket
Mode (no port of its own) ``paperbot run slack --health-port N`` serves it. It says
whether the database answers and whether the app is serving Slack (HTTP mode: it is,
since it answers; Socket Mode: the socket is connected). 200 when both hold, 503
otherwise; `paperbot health --url` reads it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from bot.api import PaperService
from bot.errors import PaperbotError

__all__ = ["HEALTH_PATH", "Connected", "Handler", "health_handler", "serve_health"]

log = logging.getLogger(__name__)

HEALTH_PATH = "/health"

Connected = Callable[[], Awaitable[bool]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serving() -> bool:
    """An HTTP-mode app that answers is serving Slack's events."""
    return True


def health_handler(service: PaperService, connected: Connected = serving) -> Handler:
    """The page: ``{"platform": "Slack", "connected": bool, "database": "ok" | why}``."""

    async def health(request: web.Request) -> web.Response:
        database = await service.health()
        up = await connected()
        body = {"platform": "Slack", "connected": up, "database": database}
        return web.json_response(body, status=200 if up and database == "ok" else 503)

    return health


@asynccontextmanager
async def serve_health(handler: Handler, host: str, port: int) -> AsyncIterator[int]:
    """Serve ``GET /health`` alone on ``port`` until exit; yields the port. Raises
    ``PaperbotError`` when the port cannot be served."""
    app = web.Application()
    app.router.add_get(HEALTH_PATH, handler)
    # No access log: a health check every few seconds would fill it.
    runner = web.AppRunner(app, access_log=None)
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
