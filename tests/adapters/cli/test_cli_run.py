"""`paperbot run slack|discord` as a real process: what it needs, what it says when it is
up, and one line when the platform cannot be reached."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adapters.cli.conftest import PROCESS_TIMEOUT, paperbot, start_paperbot
from tests.adapters.discord.fake_discord import FakeDiscord

ROOT = Path(__file__).parents[3]

NOWHERE = "http://127.0.0.1:9"  # nothing listens on the discard port


def test_run_slack_names_every_missing_variable_at_once(filled_db: str) -> None:
    result = paperbot("run", "slack", env={"PAPERBOT_DATABASE_URL": filled_db})
    assert result.returncode == 2
    assert result.stderr == (
        "paperbot: configuration: missing SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN (or "
        "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install into several workspaces); or, "
        "for Socket Mode, set SLACK_APP_TOKEN and SLACK_BOT_TOKEN (see adapters/slack/README.md)\n"
    )


def test_run_discord_names_every_missing_or_wrong_variable_at_once(filled_db: str) -> None:
    env = {"PAPERBOT_DATABASE_URL": filled_db, "PAPERBOT_DISCORD_GUILD": "my-server"}
    result = paperbot("run", "discord", env=env)
    assert result.returncode == 2
    assert result.stderr == (
        "paperbot: configuration: DISCORD_TOKEN is required (the bot token of your "
        "application); PAPERBOT_DISCORD_GUILD: 'my-server': input should be a valid integer, "
        "unable to parse string as an integer\n"
    )


def test_an_unreachable_discord_is_one_line(filled_db: str) -> None:
    env = {"PAPERBOT_DATABASE_URL": filled_db, "DISCORD_API_URL": NOWHERE, "DISCORD_TOKEN": "x"}
    result = paperbot("run", "discord", env=env)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()  # nor any voice-library warning
    assert line.startswith(f"paperbot: cannot reach Discord at {NOWHERE}: ")
    assert "unexpected error" not in line and "ClientConnectorError" not in line


def test_an_unreachable_slack_in_socket_mode_ends_in_one_line(filled_db: str) -> None:
    env = {
        "PAPERBOT_DATABASE_URL": filled_db,
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_API_URL": f"{NOWHERE}/api/",
    }
    result = paperbot("run", "slack", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Unclosed" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"paperbot: cannot reach Slack at {NOWHERE}/api/: ")


async def first_line_then_stop(process: asyncio.subprocess.Process) -> tuple[str, str]:
    """The first line the process prints, then stop it; that line and its stderr."""
    assert process.stdout is not None and process.stderr is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), PROCESS_TIMEOUT)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)  # as Ctrl-C would
        _, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    return line.decode(), err.decode()


async def test_run_slack_says_once_that_it_is_up(filled_db: str) -> None:
    env = {
        "PAPERBOT_DATABASE_URL": filled_db,
        "SLACK_SIGNING_SECRET": "shh",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_API_URL": f"{NOWHERE}/api/",  # not asked at start in HTTP mode
    }
    process = await start_paperbot("run", "slack", "--port", "0", env=env)
    line, err = await first_line_then_stop(process)
    assert line.startswith("paperbot: Slack app is up in HTTP mode on port ")
    assert line.endswith(" (events at POST /slack/events)\n")
    assert "Traceback" not in err


def test_a_port_that_is_not_one_is_refused(filled_db: str) -> None:
    result = paperbot("run", "slack", "--port", "99999")
    assert result.returncode == 2
    assert "--port: '99999' is not a port number (0 to 65535)" in result.stderr


async def test_run_discord_says_once_that_it_is_up_with_its_invite(
    filled_db: str, fake_discord: FakeDiscord
) -> None:
    env = {
        "PAPERBOT_DATABASE_URL": filled_db,
        "DISCORD_API_URL": f"{fake_discord.url}/api/v10",
        "DISCORD_TOKEN": "test-token",
    }
    process = await start_paperbot("run", "discord", env=env)
    line, err = await first_line_then_stop(process)
    assert line == (
        "paperbot: Discord bot paperbot is up on 1 shard, in 1 server; invite it with "
        "https://discord.com/oauth2/authorize?client_id=900000000000000002"
        "&scope=bot+applications.commands&permissions=309237730304\n"
    )
    assert "voice" not in err and "PyNaCl" not in err
    assert "WARNING" not in err


def test_a_port_in_use_is_one_line(filled_db: str) -> None:
    env = {"PAPERBOT_DATABASE_URL": filled_db, "SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "x"}
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = paperbot("run", "slack", "--port", str(port), env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"paperbot: cannot serve Slack events on port {port}: Address already in use"
    )


@pytest.mark.parametrize(("platform", "library"), [("discord", "discord"), ("slack", "slack_bolt")])
def test_a_platform_without_its_library_names_the_extra(platform: str, library: str) -> None:
    # A terminal-only install (pip install .) has neither chat library.
    code = (
        f"import sys; sys.modules[{library!r}] = None\n"
        "from adapters.cli import main\n"
        f"sys.exit(main(['run', {platform!r}]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "SLACK_"))}
    env |= {"DISCORD_TOKEN": "x", "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert f"pip install 'paperbot[{platform}]'" in result.stderr
    assert f"{library} is not installed" in result.stderr and "Traceback" not in result.stderr
