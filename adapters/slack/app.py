"""Build the Bolt app and run it: Socket Mode or HTTP, one workspace or OAuth, plus posts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.health import (
    HEALTH_PATH,
    Connected,
    Handler,
    health_handler,
    serve_health,
)
from adapters.slack.installation_store import DatabaseStateStore, PaperbotInstallationStore
from adapters.slack.listeners import register
from adapters.slack.outbound import ClientFor, SlackOutbound
from bot.api import InstallationStore, PaperService, Scheduler
from bot.config import SlackSettings
from bot.delivery.outbound import Outbound
from bot.errors import ConfigError, PaperbotError

__all__ = [
    "EVENTS_PATH",
    "INSTALL_PATH",
    "REDIRECT_PATH",
    "SCOPES",
    "SlackBot",
    "build_slack",
    "run_slack",
    "serve_http",
]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# Keep in step with manifest.yml.
SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "users:read",
    "channels:history",
    "groups:history",
    "im:history",
)


class SlackBot:
    """The Bolt app and the outbound port of one running bot, sharing their tokens."""

    def __init__(self, bolt: AsyncApp, outbound: SlackOutbound) -> None:
        self.bolt = bolt
        self.outbound = outbound


class _OneToken(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and, given the client paperbot made from that very
    token, warns at every start that the token "will be unused". Nothing is unused: the
    client carries it. That one record is dropped; every other one passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_BOLT_LOG = logging.getLogger("slack_bolt.AsyncApp")
_BOLT_LOG.addFilter(_OneToken())


def build_slack(service: PaperService, store: InstallationStore, slack: SlackSettings) -> SlackBot:
    """The Bolt app with paperbot's listeners, and a port that posts with the same tokens."""
    base_url = slack.api_url
    secret = slack.signing_secret.get_secret_value() if slack.signing_secret else None
    client_for: ClientFor
    if slack.oauth:
        installations = PaperbotInstallationStore(store)
        settings = AsyncOAuthSettings(
            client_id=slack.client_id,
            client_secret=slack.client_secret.get_secret_value() if slack.client_secret else None,
            scopes=list(SCOPES),
            installation_store=installations,
            # In the database: the redirect may reach another replica than the install.
            state_store=DatabaseStateStore(store),
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
        )
        # The flow calls oauth.v2.access with its own client: it needs the base URL too.
        flow = AsyncOAuthFlow(client=AsyncWebClient(base_url=base_url), settings=settings)
        bolt = AsyncApp(
            signing_secret=secret, client=AsyncWebClient(base_url=base_url), oauth_flow=flow
        )

        async def client_for(workspace: str) -> AsyncWebClient | None:
            bot = await installations.async_find_bot(enterprise_id=None, team_id=workspace)
            if bot is None or not bot.bot_token:
                return None
            return AsyncWebClient(token=bot.bot_token, base_url=base_url)

    else:
        token = slack.bot_token.get_secret_value() if slack.bot_token else None
        client = AsyncWebClient(token=token, base_url=base_url)
        bolt = AsyncApp(signing_secret=secret, client=client)

        async def client_for(workspace: str) -> AsyncWebClient | None:
            return client

    register(bolt, service, anyone_manages=slack.anyone_manages)
    return SlackBot(bolt, SlackOutbound(client_for))


@asynccontextmanager
async def serve_http(
    bolt: AsyncApp, host: str, port: int, *, health: Handler | None = None
) -> AsyncIterator[int]:
    """Serve ``POST /slack/events`` (and the OAuth pages, and ``GET /health`` when given
    its handler) until exit; yields the port."""
    app = bolt.web_app(path=EVENTS_PATH, port=port)
    if health is not None:
        app.router.add_get(HEALTH_PATH, health)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        log.info("serving Slack events on http://%s:%d%s", host, bound, EVENTS_PATH)
        yield bound
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serve_socket(
    bolt: AsyncApp, slack: SlackSettings, *, ping_interval: float = 10
) -> AsyncIterator[Connected]:
    """Connect to Slack over Socket Mode until exit (no public URL needed); yields
    whether the socket is still connected, for ``GET /health``.

    The socket is pinged every ``ping_interval`` seconds (Bolt's default); slack_sdk
    reconnects at once when Slack asks it to or closes the socket, and within about two
    intervals of a connection that died without a word.
    """
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    if slack.app_token is None:
        raise ConfigError("SLACK_APP_TOKEN is required for Socket Mode")
    handler = AsyncSocketModeHandler(
        bolt,
        slack.app_token.get_secret_value(),
        web_client=AsyncWebClient(base_url=slack.api_url),
        ping_interval=ping_interval,
    )
    try:
        # Ask for the socket's address once here: the client's own connect() would try
        # an unreachable Slack again every 10 s, forever, logging a traceback each time.
        handler.client.wss_uri = await handler.client.issue_new_wss_url()
    except (aiohttp.ClientConnectionError, SlackApiError) as exc:
        await handler.close_async()
        if isinstance(exc, SlackApiError):
            error = exc.response.get("error", exc)
            raise ConfigError(f"SLACK_APP_TOKEN: Slack refused it ({error})") from None
        reason = exc.os_error.strerror if isinstance(exc, aiohttp.ClientConnectorError) else exc
        raise PaperbotError(f"cannot reach Slack at {slack.api_url}: {reason}") from None
    await handler.connect_async()
    log.info("connected to Slack over Socket Mode")
    try:
        yield handler.client.is_connected
    finally:
        await handler.close_async()


async def run_slack(
    service: PaperService,
    store: InstallationStore,
    slack: SlackSettings,
    *,
    scheduler_for: Callable[[Outbound], Scheduler],
    port: int = 3000,
    health_port: int | None = None,
    host: str = "0.0.0.0",
    stop: asyncio.Event | None = None,
) -> None:
    """Run the bot and its daily posts in this process until ``stop`` is set.

    HTTP mode answers ``GET /health`` on its port; ``health_port`` serves it (also) on
    a port of its own, the only way to ask a Socket Mode app. Says on standard output
    when it is up. Raises ``PaperbotError`` when Slack cannot be reached (Socket Mode)
    or a port cannot be served.
    """
    bot = build_slack(service, store, slack)
    scheduler = scheduler_for(bot.outbound)
    stop = stop or asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        if slack.socket_mode:
            connected = await stack.enter_async_context(serve_socket(bot.bolt, slack))
            health = health_handler(service, connected)
            up = "paperbot: Slack app is up in Socket Mode"
        else:
            health = health_handler(service)
            try:
                serving = serve_http(bot.bolt, host, port, health=health)
                bound = await stack.enter_async_context(serving)
            except OSError as exc:  # the port is taken, or not ours to use
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                raise PaperbotError(f"cannot serve Slack events on port {port}: {reason}") from None
            install = f"; workspaces install it at {INSTALL_PATH}" if slack.oauth else ""
            up = (
                f"paperbot: Slack app is up in HTTP mode on port {bound} "
                f"(events at POST {EVENTS_PATH}){install}"
            )
        if health_port is not None:
            checked = await stack.enter_async_context(serve_health(health, host, health_port))
            up += f"; health at port {checked}"
        print(up, flush=True)
        await scheduler.run(stop)
