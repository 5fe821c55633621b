"""The real `paperbot run slack` process, with known secrets and every log at DEBUG: no
line of its output, and nothing it sends back, holds a token or the signing secret."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from tests.adapters.slack.fake_web_api import FakeSlack, serving, signed_headers, slash_command

TOKEN = "xoxb-1111-2222-SeCrEtBoTtOkEn"
SIGNING = "5ecre7516n1n65ecre7516n1n6abcdef"
SECRETS = (TOKEN, SIGNING)
FORM = "application/x-www-form-urlencoded"


async def test_no_secret_in_any_log_line_or_answer(tmp_path: Path) -> None:
    async with serving(FakeSlack()) as fake:
        env = {
            **os.environ,
            "PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            "PAPERBOT_LOG_LEVEL": "DEBUG",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING,
            "SLACK_API_URL": fake.api_url,
            "PAPERBOT_HF_URL": fake.url,
            "PAPERBOT_ARXIV_URL": fake.url,
            "PAPERBOT_ARXIV_RSS_URL": fake.url,
        }
        log = tmp_path / "bot.log"
        with log.open("wb") as err:
            process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "bot", "run", "slack", "--port", "0"),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
            )
            assert process.stdout is not None
            try:
                first = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
                assert " on port " in first, first + log.read_text()
                port = int(first.split(" on port ")[1].split()[0])
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                    texts = ["help", "search diffusion", "subscribe robots at 25:99", "frobnicate"]
                    for n, text in enumerate(texts, 1):
                        body = slash_command(fake.response_url(), text)
                        response = await http.post(
                            "/slack/events",
                            content=body,
                            headers=signed_headers(SIGNING, body, FORM),
                        )
                        assert response.status_code == 200
                        await fake.wait_for("respond", n, timeout=60)
                    # Requests that fail the signature check are logged as such.
                    body = slash_command(fake.response_url(), "help")
                    for headers in (
                        signed_headers(SIGNING, body, FORM, signature="v0=" + "0" * 64),
                        {"Content-Type": FORM},
                    ):
                        response = await http.post("/slack/events", content=body, headers=headers)
                        assert response.status_code == 401
                        assert not any(s in response.text for s in SECRETS)
            finally:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
        output = log.read_text() + first
        assert "DEBUG" in output  # it did log at DEBUG
        for secret in SECRETS:
            assert secret not in output
            # Nor its distinctive part, whatever was done to the rest.
            assert secret[-12:] not in output
        answers = repr(fake.calls)
        # The bot token goes to Slack's Web API as it must; the signing secret never does.
        assert SIGNING not in answers
