"""Stopping `paperbot run slack` while commands it acknowledged are still running."""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path

import httpx
import pytest

from tests.adapters.cli.conftest import PROCESS_TIMEOUT, start_paperbot
from tests.adapters.slack.fake_web_api import SECRET, FakeSlack, signed_headers, slash_command

SEARCHES = ("diffusion", "language model agents", "retrieval", "robot", "speech") * 4


async def _search(http: httpx.AsyncClient, fake: FakeSlack, text: str, user: str) -> int:
    body = slash_command(fake.response_url(), f"search {text}", user=user)
    headers = signed_headers(SECRET, body, "application/x-www-form-urlencoded")
    return (await http.post("/slack/events", content=body, headers=headers)).status_code


@pytest.mark.parametrize(
    ("stop", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 0)],
    ids=["ctrl-c", "docker-stop"],
)
async def test_a_bot_stopped_right_after_acknowledging_still_answers_every_command(
    fake_slack: FakeSlack, snapshot_db: str, tmp_path: Path, stop: signal.Signals, code: int
) -> None:
    # Slack is told "got it" before a command runs; a restart in that moment (Ctrl-C, or
    # `docker stop`'s SIGTERM) must not leave the user with no answer, or close the
    # database under the command and log its traceback.
    db = tmp_path / "bot.sqlite3"
    shutil.copyfile(snapshot_db.removeprefix("sqlite:///"), db)
    env = {
        "PAPERBOT_DATABASE_URL": f"sqlite:///{db}",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_API_URL": fake_slack.api_url,
    }
    process = await start_paperbot("run", "slack", "--port", "0", env=env)
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), PROCESS_TIMEOUT)).decode()
        port = int(line.split(" on port ")[1].split()[0])
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            statuses = await asyncio.gather(
                *(_search(http, fake_slack, q, f"U{n}") for n, q in enumerate(SEARCHES))
            )
        assert statuses == [200] * len(SEARCHES)
    finally:
        process.send_signal(stop)  # at once, as a deploy would
        _, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    assert process.returncode == code
    answers = fake_slack.of("respond")
    assert len(answers) == len(SEARCHES)
    assert not [a for a in answers if "went wrong" in str(a.get("text", ""))]
    assert "Traceback" not in err.decode()
