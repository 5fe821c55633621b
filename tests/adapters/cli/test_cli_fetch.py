"""`paperbot fetch` offline and against an upstream that never answers: one line, soon.

Nothing here times the command: a bound is the number of connections an upstream saw.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from adapters.cli import fetch_days, fetch_sources
from bot.errors import UserError
from tests.adapters.cli.conftest import PROCESS_TIMEOUT, paperbot, start_paperbot

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused


def offline(db: str, **more: str) -> dict[str, str]:
    return {
        "PAPERBOT_DATABASE_URL": db,
        "PAPERBOT_HF_URL": NOWHERE,
        "PAPERBOT_ARXIV_URL": NOWHERE,
        "PAPERBOT_ARXIV_RSS_URL": NOWHERE,
        **more,
    }


@pytest.mark.parametrize(
    ("source", "setting"),
    [
        ("hf", "PAPERBOT_HF_URL"),
        ("arxiv", "PAPERBOT_ARXIV_RSS_URL"),
        ("both", "PAPERBOT_HF_URL"),  # the first failure is said: Hugging Face is asked first
        ("hf,arxiv", "PAPERBOT_HF_URL"),
    ],
)
def test_offline_fetch_is_one_clear_line(filled_db: str, source: str, setting: str) -> None:
    # The default retries: a refused connection is not retried, and once a source
    # cannot be reached its other days and listings are not tried either.
    result = paperbot("fetch", "--source", source, "--days", "3", env=offline(filled_db))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("paperbot: cannot reach 127.0.0.1: ")
    assert line.endswith(f"(offline? set {setting} to use a mirror)")


def test_a_terminal_sees_no_progress_bar_before_the_error(filled_db: str) -> None:
    # TTY_COMPATIBLE=1 makes rich draw on a pipe as on a terminal (the import test
    # shows the bar this way).
    env = offline(filled_db, TTY_COMPATIBLE="1", TTY_INTERACTIVE="0", NO_COLOR="1")
    result = paperbot("fetch", "--source", "hf", env=env)
    assert result.returncode == 1
    assert "1/1" not in result.stderr and "fetching" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("paperbot: cannot reach 127.0.0.1")


async def test_an_upstream_that_never_answers_is_given_up_on_after_two_tries(
    filled_db: str, silent_upstream: tuple[str, list[int]]
) -> None:
    url, accepted = silent_upstream
    env = offline(
        filled_db, PAPERBOT_HF_URL=url, PAPERBOT_HTTP_TIMEOUT="0.5", PAPERBOT_HTTP_RETRIES="10"
    )
    process = await start_paperbot("fetch", "--source", "hf", "--days", "5", env=env)
    out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    assert process.returncode == 1
    # One day asked twice (a timed-out read is retried once, whatever the retries), the
    # other four days not asked at all.
    assert len(accepted) == 2
    assert err.decode().splitlines() == [
        "paperbot: cannot reach 127.0.0.1: ReadTimeout: no answer within 0.5 s "
        "(offline? set PAPERBOT_HF_URL to use a mirror)"
    ]
    assert out == b""


def test_wrong_fetch_arguments_name_the_option(filled_db: str) -> None:
    wrong = paperbot("fetch", "--source", "bioRxiv", env=offline(filled_db))
    assert wrong.returncode == 1
    assert wrong.stderr == "paperbot: --source takes hf, arxiv or both, not 'bioRxiv'\n"
    category = paperbot("fetch", "--category", "cs CL", env=offline(filled_db))
    assert category.stderr == (
        "paperbot: --category: 'cs CL' is not an arXiv category (such as cs.CL)\n"
    )


def test_fetch_sources() -> None:
    assert fetch_sources("both") == fetch_sources("hf,arxiv") == {"hf", "arxiv"}
    assert fetch_sources("HF") == {"hf"} and fetch_sources(" arxiv ") == {"arxiv"}
    for wrong in ["", ",", "hf,bioRxiv", "all"]:
        with pytest.raises(UserError, match="--source takes hf, arxiv or both"):
            fetch_sources(wrong)


def test_fetch_days() -> None:
    today = dt.date(2026, 6, 3)
    assert fetch_days(None, None, today) == [today]
    assert fetch_days(None, 3, today) == [dt.date(2026, 6, d) for d in (1, 2, 3)]
    assert fetch_days("2026-05-31", None, today)[0] == dt.date(2026, 5, 31)
    assert len(fetch_days("2026-05", None, today)) == 34
    for since, days in [("2026-07-01", None), ("soon", None), (None, 0), ("2026-06-01", 2)]:
        with pytest.raises(UserError):
            fetch_days(since, days, today)
