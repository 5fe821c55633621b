"""`paperbot health` as a real process, and the `GET /health` page of running bots it reads:
Slack's HTTP mode on its events port, Socket Mode and Discord on `--health-port`."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
from pathlib import Path

import httpx

from adapters.discord.app import PaperBot
from adapters.discord.health import serve_health
from bot.api import PaperService
from tests.adapters.cli.conftest import PROCESS_TIMEOUT, paperbot, start_paperbot
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.slack.fake_web_api import FakeSlack

NOWHERE = "http://127.0.0.1:9"  # nothing listens on the discard port


def test_a_database_that_answers_is_healthy(filled_db: str) -> None:
    result = paperbot("health", env={"PAPERBOT_DATABASE_URL": filled_db})
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "healthy: database answers\n",
        "",
    )


def test_health_is_not_a_first_run(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    result = paperbot("health", env={"PAPERBOT_DATABASE_URL": f"sqlite:///{path}"})
    assert result.returncode == 0 and "first run" not in result.stderr
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM papers").fetchone() == (0,)


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("")
    url = f"sqlite:///{in_the_way}/paperbot.sqlite3"
    result = paperbot("health", env={"PAPERBOT_DATABASE_URL": url})
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"paperbot: database: cannot open the database at {in_the_way}/")


def test_postgresql_named_by_the_environment_is_healthy_or_one_line(postgres_url: str) -> None:
    # As the container's HEALTHCHECK runs it: the database named by PAPERBOT_DATABASE_URL.
    result = paperbot("health", env={"PAPERBOT_DATABASE_URL": postgres_url})
    assert (result.returncode, result.stdout) == (0, "healthy: database answers\n"), result.stderr
    # A server that is not there: one line, and the URL's password is not in it.
    down = "postgresql://paperbot:hunter2@127.0.0.1:9/paperbot"
    result = paperbot("health", env={"PAPERBOT_DATABASE_URL": down})
    assert result.returncode == 1 and "hunter2" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("paperbot: database: cannot reach the PostgreSQL server at 127.0.0.1:9")


def test_a_bot_that_does_not_answer_is_one_line(filled_db: str) -> None:
    result = paperbot("health", "--url", NOWHERE, env={"PAPERBOT_DATABASE_URL": filled_db})
    assert result.returncode == 1
    assert result.stderr == f"paperbot: bot at {NOWHERE}: no answer\n"


def test_a_url_that_is_not_one_is_refused() -> None:
    result = paperbot("health", "--url", "localhost:3000")
    assert result.returncode == 2
    assert "--url: 'localhost:3000' is not an http(s) URL" in result.stderr


async def health(url: str, database: str) -> tuple[int, str, str]:
    """`paperbot health --url URL` run beside this event loop (which may serve URL)."""
    process = await start_paperbot("health", "--url", url, env={"PAPERBOT_DATABASE_URL": database})
    out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def up_line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), PROCESS_TIMEOUT)).decode()


async def stop(process: asyncio.subprocess.Process) -> str:
    """Stop it as Ctrl-C would; its standard error."""
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    return err.decode()


async def test_slack_http_mode_answers_health_on_its_port_until_its_database_fails(
    filled_db: str,
) -> None:
    env = {
        "PAPERBOT_DATABASE_URL": filled_db,
        "SLACK_SIGNING_SECRET": "shh",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_API_URL": f"{NOWHERE}/api/",  # not asked at start in HTTP mode
    }
    bot = await start_paperbot("run", "slack", "--port", "0", env=env)
    try:
        port = re.search(r"on port (\d+) ", await up_line(bot))
        assert port is not None
        url = f"http://127.0.0.1:{port.group(1)}"
        async with httpx.AsyncClient() as http:
            page = await http.get(f"{url}/health")
            assert page.status_code == 200
            assert page.json() == {"platform": "Slack", "connected": True, "database": "ok"}
            assert await health(url, filled_db) == (
                0,
                f"healthy: database answers; bot at {url} is connected to Slack\n",
                "",
            )
            # The database stops answering the health query (its table is gone).
            with sqlite3.connect(filled_db.removeprefix("sqlite:///")) as db:
                db.execute("DROP TABLE meta")
            page = await http.get(f"{url}/health")
        assert page.status_code == 503
        assert page.json()["database"] == "the database could not be read: no such table: meta"
        code, out, err = await health(url, filled_db)
        assert (code, out) == (1, "")
        assert err == (
            "paperbot: database: the database could not be read: no such table: meta; "
            f"bot at {url}: database: the database could not be read: no such table: meta\n"
        )
    finally:
        await stop(bot)


async def test_slack_socket_mode_answers_health_on_its_health_port(
    filled_db: str, fake_slack: FakeSlack
) -> None:
    env = {
        "PAPERBOT_DATABASE_URL": filled_db,
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_API_URL": fake_slack.api_url,
    }
    bot = await start_paperbot("run", "slack", "--health-port", "0", env=env)
    try:
        line = await up_line(bot)
        assert line.startswith("paperbot: Slack app is up in Socket Mode; health at port ")
        url = f"http://127.0.0.1:{line.rsplit(' ', 1)[1].strip()}"
        code, out, _ = await health(url, filled_db)
        assert code == 0
        assert out == f"healthy: database answers; bot at {url} is connected to Slack\n"
    finally:
        err = await stop(bot)
    assert "Traceback" not in err


async def test_discord_answers_health_on_its_health_port(
    filled_db: str, fake_discord: FakeDiscord
) -> None:
    env = {
        "PAPERBOT_DATABASE_URL": filled_db,
        "DISCORD_API_URL": f"{fake_discord.url}/api/v10",
        "DISCORD_TOKEN": "test-token",
    }
    bot = await start_paperbot("run", "discord", "--health-port", "0", env=env)
    try:
        port = re.search(r"; health at port (\d+);", await up_line(bot))
        assert port is not None
        url = f"http://127.0.0.1:{port.group(1)}"
        code, out, _ = await health(url, filled_db)
        assert (code, out) == (
            0,
            f"healthy: database answers; bot at {url} is connected to Discord\n",
        )
    finally:
        err = await stop(bot)
    assert "Traceback" not in err


async def test_a_discord_bot_not_yet_connected_is_unhealthy(
    filled_db: str, desk: PaperService
) -> None:
    client = PaperBot(desk)  # not logged in, so not ready
    async with serve_health(client, desk, "127.0.0.1", 0) as port:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as http:
            page = await http.get(f"{url}/health")
        assert page.status_code == 503
        assert page.json() == {"platform": "Discord", "connected": False, "database": "ok"}
        code, out, err = await health(url, filled_db)
    assert (code, out, err) == (1, "", f"paperbot: bot at {url}: not connected to Discord\n")
