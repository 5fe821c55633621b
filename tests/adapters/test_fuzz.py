"""Whatever a user types, on every front end: the right answer or a short error, never a
crash. Hypothesis writes the input from the command table's own words and values, and
from anything at all."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console.app import answer, terminal_caller
from adapters.discord.syntax import group_of
from bot.api import PaperService
from bot.commands import COMMANDS, Arg, Command, Kind
from bot.errors import UserError
from tests.adapters.discord.conftest import Bot
from tests.adapters.slack.harness import Harness

# Examples share each test's fixtures (a fresh database, the fake platforms).
fuzz = functools.partial(
    settings, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Longer than this is not a short error.
SHORT = 400
SORRY = "something went wrong"

WORDS = sorted(
    {c.name for c in COMMANDS}
    | {a for c in COMMANDS for a in c.aliases}
    | {w for c in COMMANDS for a in c.args for w in (*a.words, *a.bare, *a.choices)}
    | {"/papers", "share", "help"}
)
ODD = [
    "",
    " ",
    '"',
    '""',
    '"unclosed phrase',
    "-",
    "--",
    "#",
    "#0",
    "#-1",
    "0",
    "-1",
    "99999999999999999999",
    "1e9",
    "25:99",
    "24:00",
    "9pm",
    "Mars/Olympus",
    "UTC+25",
    "2026-02-30",
    "9999-12-31",
    "0000-01-01",
    "cs.",
    "cs..AI",
    "author:",
    'author:""',
    "-survey",
    "<@U123>",
    "<!channel>",
    "@everyone",
    "*bold*",
    "`code`",
    "\u202e",
    "\x00",
    "é" * 300,
    "🙂",
    "2406.12345",
    "2406.12345v99",
    "https://arxiv.org/abs/2406.12345",
    "https://huggingface.co/papers/",
    "hep-th/9901001",
]
word = st.one_of(
    st.sampled_from(WORDS), st.sampled_from(ODD), st.text(max_size=20), st.integers().map(str)
)
texts = st.lists(word, max_size=12).map(" ".join)


@fuzz(max_examples=300)
@given(text=texts)
async def test_any_typed_text_gets_an_answer_or_a_short_error(
    desk: PaperService, text: str
) -> None:
    # The core every front end calls: a reply, or a user error that says what to do.
    try:
        reply = await desk.run_text(text, terminal_caller())
    except UserError as exc:
        message = str(exc)
        assert message and len(message) <= SHORT, message
    else:
        assert reply.text or reply.cards


@fuzz(max_examples=100)
@given(text=texts)
async def test_the_console_never_fails_on_its_side(
    desk: PaperService, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        out = await answer(
            desk, f"/papers {text}", colour=False, width=100, caller=terminal_caller()
        )
    assert out.strip()
    assert SORRY not in out
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@fuzz(max_examples=40)
@given(text=texts)
async def test_any_slash_command_text_on_slack(
    slack: Harness, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake = slack.fake
    before = len(fake.of("respond")) + len(fake.of("chat.postMessage"))
    with caplog.at_level(logging.ERROR):
        response = await slack.command(text)
        assert response.status_code == 200

        async def answered() -> None:
            async with fake._changed:
                await fake._changed.wait_for(
                    lambda: len(fake.of("respond")) + len(fake.of("chat.postMessage")) > before
                )

        await asyncio.wait_for(answered(), 10)
    answers = (fake.of("respond") + fake.of("chat.postMessage"))[before:]
    assert all(SORRY not in str(a.get("text", "")) for a in answers)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _value(arg: Arg) -> st.SearchStrategy[Any]:
    """What Discord lets through for the option: its type and range, any text."""
    if arg.kind is Kind.INTEGER:
        return st.integers(arg.low if arg.low is not None else -(2**53), arg.high or 2**53)
    if arg.kind is Kind.FLAG:
        return st.booleans()
    if arg.kind is Kind.CHOICE:
        return st.one_of(st.sampled_from(arg.choices or ("x",)), st.text(min_size=1, max_size=20))
    return st.one_of(
        st.sampled_from([o for o in ODD if o.strip()]), st.text(min_size=1, max_size=100)
    )


@st.composite
def interactions(draw: st.DrawFn) -> tuple[Command, dict[str, Any]]:
    command = draw(st.sampled_from(COMMANDS))
    values = {}
    for arg in command.args:
        if arg.required or draw(st.booleans()):
            values[arg.name] = draw(_value(arg))
    return command, values


@fuzz(max_examples=40)
@given(case=interactions())
async def test_any_options_of_any_command_on_discord(
    bot: Bot, case: tuple[Command, dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    command, values = case
    with caplog.at_level(logging.ERROR):
        token = await bot.command(command.name, group=group_of(command), **values)
    answers = bot.gateway.answers(token)
    assert answers
    assert all(SORRY not in a.get("content", "") for a in answers)
    errors = [a for a in answers if a.get("content") and not a.get("embeds")]
    assert all(len(a["content"]) <= 2000 for a in errors)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
