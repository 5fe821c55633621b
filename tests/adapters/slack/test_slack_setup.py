"""Settings, `paperbot run slack`, OAuth installs into our database (on any replica), and
the manifest."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from pathlib import Path
from typing import Literal

import httpx
import pytest
from slack_sdk.oauth.installation_store import Installation

from adapters.cli import main
from adapters.slack.app import SCOPES, build_slack, run_slack, serve_http, serve_socket
from adapters.slack.installation_store import DatabaseStateStore, PaperbotInstallationStore
from bot.api import PaperService
from bot.config import load_slack
from bot.delivery.outbound import Outbound
from bot.delivery.scheduler import Scheduler
from bot.errors import ConfigError
from bot.models import Destination, Subscription
from bot.store import Store
from tests.adapters.slack.fake_web_api import FakeSlack
from tests.adapters.slack.harness import Harness, settings_for
from tests.fakes import FakeClock

SLACK_VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_API_URL",
    "SLACK_ANYONE_MANAGES",
)
MANIFEST = Path(__file__).parents[3] / "adapters" / "slack" / "manifest.yml"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1.2"}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
    ],
)
def test_missing_settings_fail_fast_naming_the_variable(
    env: pytest.MonkeyPatch, given: dict[str, str], missing: str
) -> None:
    for name, value in given.items():
        env.setenv(name, value)
    with pytest.raises(ConfigError, match=missing):
        load_slack()


def test_modes_and_secrets(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_SIGNING_SECRET", "shh")
    env.setenv("SLACK_CLIENT_ID", "1.2")
    env.setenv("SLACK_CLIENT_SECRET", "also-shh")
    slack = load_slack()
    assert slack.oauth and not slack.socket_mode
    assert "shh" not in repr(slack) and slack.api_url == "https://slack.com/api/"
    env.setenv("SLACK_APP_TOKEN", "xapp-1")
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert load_slack().socket_mode and not load_slack().oauth


def test_run_slack_without_settings_exits_with_the_name(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["--database-url", f"sqlite:///{tmp_path}/db.sqlite3", "run", "slack"])
    assert code == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err
    assert not (tmp_path / "db.sqlite3").exists()  # failed before opening anything


async def test_run_slack_posts_through_its_scheduler_until_stopped(
    fake_slack: FakeSlack, desk: PaperService, fresh_store: Store
) -> None:
    clock = FakeClock(dt.datetime(2026, 7, 2, 9, 0, 30, tzinfo=dt.UTC))
    await fresh_store.add_subscription(
        Subscription(
            id=0,
            destination=Destination("slack", "T1", "C1"),
            owner="U1",
            count=2,
            weekdays=frozenset(range(7)),
            created_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
        )
    )
    stop = asyncio.Event()

    async def sleep(seconds: float) -> None:  # the first wait ends the run
        stop.set()

    def scheduler_for(port: Outbound) -> Scheduler:
        return Scheduler(fresh_store, port, clock=clock, sleep=sleep)

    run = run_slack(
        desk,
        fresh_store,
        settings_for(fake_slack),
        scheduler_for=scheduler_for,
        host="127.0.0.1",
        port=0,
        stop=stop,
    )
    await asyncio.wait_for(run, 10)
    [post] = fake_slack.of("chat.postMessage")
    assert post["channel"] == "C1" and post["blocks"][0]["type"] == "header"


def command_envelope(fake_slack: FakeSlack, n: int) -> dict[str, object]:
    command = {
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/papers",
        "text": "help",
        "response_url": fake_slack.response_url(),
        "trigger_id": f"1.2.{n}",
    }
    return {
        "envelope_id": f"env-{n}",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": command,
    }


async def test_socket_mode_answers_a_command(
    fake_slack: FakeSlack, desk: PaperService, fresh_store: Store
) -> None:

    settings = settings_for(fake_slack, app_token="xapp-1", signing_secret=None)
    fake_slack.envelopes.append(command_envelope(fake_slack, 1))
    bot = build_slack(desk, fresh_store, settings)
    async with serve_socket(bot.bolt, settings):
        [ack] = await fake_slack.wait_for("socket_ack")
        [answer] = await fake_slack.wait_for("respond")
    assert ack["envelope_id"] == "env-1"
    assert "/papers search" in answer["text"]
    assert fake_slack.calls[0].method == "apps.connections.open"
    assert fake_slack.calls[0].token == "xapp-1"


@pytest.mark.parametrize("how", ["disconnect", "close", "reset"])
async def test_socket_mode_reconnects_when_the_socket_drops_and_answers_each_command_once(
    fake_slack: FakeSlack,
    desk: PaperService,
    fresh_store: Store,
    how: Literal["disconnect", "close", "reset"],
) -> None:
    settings = settings_for(fake_slack, app_token="xapp-1", signing_secret=None)
    bot = build_slack(desk, fresh_store, settings)
    # A short ping, so a socket that died without a word is noticed in a moment.
    async with serve_socket(bot.bolt, settings, ping_interval=0.2) as connected:
        await fake_slack.wait_for("socket_open")
        await fake_slack.envelope(command_envelope(fake_slack, 1))
        await fake_slack.wait_for("respond")
        await fake_slack.wait_for("socket_ack")  # Bolt acks a moment after the answer
        await fake_slack.drop_socket(how)
        await fake_slack.wait_for("socket_open", 2)
        # A fresh address for the new connection, asked with the app token.
        opens = [c for c in fake_slack.calls if c.method == "apps.connections.open"]
        assert len(opens) == 2 and opens[1].token == "xapp-1"
        await fake_slack.envelope(command_envelope(fake_slack, 2))
        answers = await fake_slack.wait_for("respond", 2)
        await fake_slack.wait_for("socket_ack", 2)
        assert await connected()
    acks = [a["envelope_id"] for a in fake_slack.of("socket_ack")]
    assert acks == ["env-1", "env-2"]
    assert len(answers) == 2 and all("/papers search" in a["text"] for a in answers)


# -- OAuth: install, store the installation in our database, then answer there ----------


# slack_sdk 3.48 sends oauth.v2.access credentials with aiohttp.BasicAuth, which aiohttp
# 3.13 deprecates; that is theirs to change, and nothing else may warn here.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_oauth_install_stores_the_workspace_and_serves_it(
    fake_slack: FakeSlack, desk: PaperService, fresh_store: Store
) -> None:

    settings = settings_for(fake_slack, bot_token=None, client_id="1.2", client_secret="cs")
    bot = build_slack(desk, fresh_store, settings)
    async with (
        serve_http(bot.bolt, "127.0.0.1", 0) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        page = await http.get("/slack/install")
        assert page.status_code == 200
        assert "client_id=1.2" in page.text and "scope=commands,chat:write," in page.text
        state = re.search(r"state=([\w-]+)", page.text)
        cookie = page.headers["set-cookie"].split(";")[0]  # Secure: carried by hand
        assert state is not None
        done = await http.get(
            "/slack/oauth_redirect",
            params={"code": "abc", "state": state.group(1)},
            headers={"Cookie": cookie},
        )
        assert done.status_code == 200, done.text
        assert fake_slack.of("oauth.v2.access")[0]["code"] == "abc"
        stored = await fresh_store.find_bot("slack", "", "T9")
        assert stored is not None and stored["bot_token"] == "xoxb-installed"

        harness = Harness(bot, fake_slack, http, desk, fresh_store)
        await harness.command("help", team="T9")
        [answer] = await fake_slack.wait_for("respond")
        assert "/papers search" in answer["text"]
        # Daily posts there use the installed token.
        outbound_client = await bot.outbound._client_for("T9")
        assert outbound_client is not None and outbound_client.token == "xoxb-installed"
        assert await bot.outbound._client_for("T404") is None


async def test_installation_store_round_trip(store: Store) -> None:
    installs = PaperbotInstallationStore(store)
    installation = Installation(
        app_id="A1",
        enterprise_id=None,
        team_id="T7",
        team_name="Seven",
        bot_token="xoxb-7",
        bot_id="B7",
        bot_user_id="UB7",
        bot_scopes=["commands", "chat:write"],
        user_id="U7",
        installed_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
    )
    await installs.async_save(installation)
    bot = await installs.async_find_bot(enterprise_id=None, team_id="T7")
    assert bot is not None and bot.bot_token == "xoxb-7" and bot.bot_scopes == list(SCOPES[:2])
    found = await installs.async_find_installation(enterprise_id=None, team_id="T7")
    assert found is not None and found.user_id == "U7" and found.team_name == "Seven"
    assert (
        await installs.async_find_installation(enterprise_id=None, team_id="T7", user_id="U8")
        is None
    )
    await installs.async_delete_all(enterprise_id=None, team_id="T7")
    assert await installs.async_find_bot(enterprise_id=None, team_id="T7") is None
    assert await store.find_installation("slack", "", "T7") is None


async def test_oauth_state_is_good_once_for_ten_minutes(store: Store) -> None:
    clock = FakeClock(dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC))
    states = DatabaseStateStore(store, clock=clock)
    state = await states.async_issue()
    assert await DatabaseStateStore(store, clock=clock).async_consume(state) is True
    assert await states.async_consume(state) is False
    assert await states.async_consume("made-up") is False
    late = await states.async_issue()
    clock.advance(minutes=10)
    assert await states.async_consume(late) is False


# slack_sdk 3.48 sends oauth.v2.access credentials with aiohttp.BasicAuth, which aiohttp
# 3.13 deprecates; that is theirs to change, and nothing else may warn here.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_an_install_begun_on_one_replica_finishes_on_another(
    fake_slack: FakeSlack, desk: PaperService, fresh_store: Store
) -> None:
    # Two replicas behind a load balancer: two Bolt apps sharing one database, the
    # install page served by one, Slack's redirect back reaching the other.
    settings = settings_for(fake_slack, bot_token=None, client_id="1.2", client_secret="cs")
    one = build_slack(desk, fresh_store, settings)
    other = build_slack(desk, fresh_store, settings)
    async with (
        serve_http(one.bolt, "127.0.0.1", 0) as port_one,
        serve_http(other.bolt, "127.0.0.1", 0) as port_other,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_one}") as first,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_other}") as second,
    ):
        page = await first.get("/slack/install")
        state = re.search(r"state=([\w-]+)", page.text)
        assert state is not None
        cookie = {"Cookie": page.headers["set-cookie"].split(";")[0]}  # Secure: by hand
        params = {"code": "abc", "state": state.group(1)}
        done = await second.get("/slack/oauth_redirect", params=params, headers=cookie)
        assert done.status_code == 200, done.text
        stored = await fresh_store.find_bot("slack", "", "T9")
        assert stored is not None and stored["bot_token"] == "xoxb-installed"
        # Either replica now serves the new workspace with its token.
        for bot in (one, other):
            client = await bot.outbound._client_for("T9")
            assert client is not None and client.token == "xoxb-installed"
        # A state is good once, whichever replica it comes back to.
        again = await first.get("/slack/oauth_redirect", params=params, headers=cookie)
        assert again.status_code != 200
        assert len(fake_slack.of("oauth.v2.access")) == 1


def test_manifest_asks_for_exactly_the_scopes_the_app_uses() -> None:
    text = MANIFEST.read_text()
    block = text.split("bot:", 1)[1].split("settings:", 1)[0]
    scopes = re.findall(r"^\s+- ([\w:.]+)\s*$", block, flags=re.M)
    assert tuple(scopes) == SCOPES
    assert "command: /papers" in text and "home_tab_enabled: true" in text
    assert "/slack/events" in text


def test_no_warning_about_a_token_that_is_used(
    fake_slack: FakeSlack,
    desk: PaperService,
    fresh_store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")  # Bolt reads it on its own
    with caplog.at_level(logging.WARNING):
        build_slack(desk, fresh_store, settings_for(fake_slack))
    assert "will be unused" not in caplog.text
