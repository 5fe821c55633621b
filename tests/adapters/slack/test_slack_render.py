"""Block Kit rendering on its own: limits, escaping and splitting for any text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.render import MAX_BLOCKS, escape, fit, render_reply
from bot.models import Action, ActionKind, Card, Link, LinkKind, Reply
from tests.adapters.slack.fake_web_api import violations

HOSTILE = st.text(alphabet=st.sampled_from("<>&!@#*_~`|abc xyz\n"), max_size=6000)


def card(n: int, text: str) -> Card:
    return Card(
        paper_id=f"2607.{n:05d}",
        title=text or "untitled",
        url=f"https://arxiv.org/abs/2607.{n:05d}",
        authors=text[:300],
        date="2026-07-01",
        upvotes=n,
        categories=("cs.CL",),
        summary=text,
        abstract=text,
        reason=text,
        links=(Link(LinkKind.PDF, "PDF", f"https://arxiv.org/pdf/2607.{n:05d}"),),
        actions=(
            *(Action(kind, f"2607.{n:05d}") for kind in ActionKind if not kind.is_link),
            Action(ActionKind.PDF, f"2607.{n:05d}", f"https://arxiv.org/pdf/2607.{n:05d}"),
        ),
    )


def test_escape_keeps_mentions_and_links_as_text() -> None:
    assert escape("<!channel> & <@U123> <https://x|y>") == (
        "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt;"
    )


@given(HOSTILE, st.integers(min_value=5, max_value=3000))
def test_fit_stays_within_the_limit_and_never_cuts_an_entity(text: str, limit: int) -> None:
    out = fit(text, limit)
    assert len(out) <= limit
    assert "<" not in out and ">" not in out
    if len(out) < len(escape(text)):
        assert not re.search(r"&(a|am|amp|l|lt|g|gt)$", out.removesuffix("…"))


@given(HOSTILE, st.integers(min_value=0, max_value=25))
def test_any_reply_fits_slacks_limits(text: str, cards: int) -> None:
    reply = Reply(
        text=text or "x",
        title=text,
        cards=tuple(card(n, text) for n in range(cards)),
        notes=(text,) if text else (),
        footer=text,
    )
    messages = render_reply(reply)
    shown = 0
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS
        assert message.text
        assert violations({"text": message.text, "blocks": message.blocks}) == []
        shown += sum(b.get("block_id", "").startswith("paper:") for b in message.blocks)
    assert shown == cards


def test_a_plain_reply_is_one_section() -> None:
    [message] = render_reply(Reply(text="Removed subscription #1."))
    assert message.blocks == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Removed subscription #1."}}
    ]
    assert message.kwargs()["unfurl_links"] is False
