"""The terminal chat, driven line by line as a user would type."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re

from adapters.console import render_reply, run_console
from adapters.console.app import PROMPT, Ask, answer
from adapters.console.outbound import ConsoleOutbound
from bot.api import PaperService
from bot.delivery.outbound import OutboundMessage
from bot.delivery.scheduler import Scheduler
from bot.models import (
    Card,
    Delivery,
    DeliveryStatus,
    Destination,
    Digest,
    Paper,
    Reply,
    Subscription,
)
from bot.replies import card_for
from bot.store import Store
from tests.fakes import FakeClock

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def scripted(*lines: str) -> Ask:
    pending = list(lines)

    async def ask(prompt: str) -> str | None:
        return pending.pop(0) if pending else None

    return ask


async def test_a_short_session(service: PaperService) -> None:
    out = io.StringIO()
    await run_console(
        service,
        ask=scripted(
            "/papers help",
            "",
            "trending day",
            "/papers search tensor product attention",
            "/papers paper 9999.99999",
            "/papers frobnicate",
            "quit",
            "/papers help",  # never read: the user left
        ),
        out=out,
        colour=False,
    )
    text = out.getvalue()
    assert text.count("/papers trending [day|week|month]") == 1
    assert "Trending" in text
    assert "1. Tensor Product Attention Is All You Need" in text
    assert "No paper 9999.99999 found." in text or "not an arXiv id" in text
    assert "Unknown command 'frobnicate'" in text
    assert not ANSI.search(text)


async def test_end_of_input_leaves_quietly(service: PaperService) -> None:
    out = io.StringIO()
    await run_console(service, ask=scripted(), out=out, colour=False)
    assert out.getvalue().startswith("paperbot")


def test_colour_and_wrapping() -> None:
    card = Card(
        paper_id="2601.00001",
        title="A title long enough to need wrapping on a narrow terminal window, really",
        url="https://arxiv.org/abs/2601.00001",
        authors="A. Author",
        date="2026-01-01",
        upvotes=12,
        categories=("cs.CL",),
        summary="Short summary.",
        abstract="Short summary. More.",
        reason="trending: 12 upvotes",
    )
    reply = Reply(text="plain", title="Trending", cards=(card,))
    plain = render_reply(reply, colour=False, width=40)
    assert all(len(line) <= 40 for line in plain.splitlines())
    coloured = render_reply(reply, colour=True, width=40)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == plain


def test_paper_text_cannot_drive_the_terminal() -> None:
    card = Card(
        paper_id="2601.00001",
        title="Evil \x1b[2J\x1b[31mtitle\x07",
        url="https://arxiv.org/abs/2601.00001",
        authors="X",
        date="",
        upvotes=None,
        categories=(),
        summary="",
        abstract="",
    )
    text = render_reply(Reply(text="", title="t", cards=(card,)), colour=False)
    assert "\x1b" not in text and "\x07" not in text


async def test_a_subscription_posts_into_the_terminal(
    desk: PaperService, clock: list[dt.datetime], fresh_store: Store
) -> None:
    clock[0] = dt.datetime(2026, 7, 1, 8, 59, tzinfo=dt.UTC)  # the desk's clock
    fake = FakeClock(clock[0])
    out = io.StringIO()
    never = asyncio.Event()

    async def idle(_: float) -> None:  # the background loop waits; the test ticks
        await never.wait()

    scheduler = Scheduler(fresh_store, ConsoleOutbound(out), clock=fake, sleep=idle)
    lines = ["/papers subscribe diffusion at 09:00 daily count 2", "/papers digest on count 1"]

    async def ask(prompt: str) -> str | None:
        if lines:
            return lines.pop(0)
        fake.set(dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC))
        await scheduler.tick()
        return None

    await run_console(desk, ask=ask, out=out, colour=False, scheduler=scheduler)
    text = out.getvalue()
    assert "Subscribed this channel: #1 'diffusion' · 09:00 UTC · daily · 2 papers" in text
    # Titled by the day it is posted (the papers are the snapshot's, from the day before).
    assert "── subscription #1 ──" in text and "Papers on 'diffusion' for Wednesday 01 July" in text
    assert "── your DM digest ──" in text
    post = text.split("── subscription #1 ──")[1]
    assert post.count("why: matches 'diffusion'") == 2


async def test_a_paper_has_a_page_of_its_own_and_latex_reads_as_text(
    service: PaperService,
) -> None:
    page = await answer(service, "paper 2405.15738", colour=False, width=88)
    assert page.startswith("ConvLLaVA: Hierarchical Backbones")
    assert page.count("ConvLLaVA: Hierarchical Backbones") == 1
    assert "Chunjiang Ge, Sijie Cheng" in page and "Bo Zheng" in page  # every author
    assert "Dates: on arXiv 2024-05-24; featured or listed 2024-05-27" in page
    assert "PDF: https://arxiv.org/pdf/2405.15738" in page
    card = card_for(Paper(id="2601.00001", title="$\\mu$Flow: M$^3$ at 360$^\\circ$"), reason="")
    assert "μFlow: M³ at 360°" in render_reply(Reply(text="", cards=(card,)))


async def test_a_post_on_a_terminal_draws_the_prompt_again() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    port = ConsoleOutbound(out)
    sub = Subscription(id=3, destination=Destination("console", "local", "terminal"), owner="me")
    delivery = Delivery(
        3,
        3,
        dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC),
        "k",
        DeliveryStatus.PENDING,
        Digest("Today"),
    )
    await port.send(OutboundMessage(delivery, sub, Reply(text="Today's papers", title="Today")))
    assert out.getvalue().endswith(f"\n{PROMPT}")
