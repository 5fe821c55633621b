"""Buttons, the App Home, request signing and hostile text, through the real Bolt app."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from slack_sdk.signature import SignatureVerifier

from bot.models import Paper, Signal
from tests.adapters.slack.fake_web_api import sign
from tests.adapters.slack.harness import Harness

VECTOR = Path(__file__).parents[2] / "data" / "slack"  # copied from shared/data/payloads
HOSTILE = "<!channel> <@U123> *bold* & " + "x" * 5000


async def answer_to(slack: Harness, send: Any) -> dict[str, Any]:
    before = len(slack.fake.of("respond"))
    response = await send
    assert response.status_code == 200
    return (await slack.fake.wait_for("respond", before + 1))[before]


async def trending(slack: Harness) -> dict[str, Any]:
    return await answer_to(slack, slack.command("trending"))


def first_paper(answer: dict[str, Any]) -> str:
    return next(
        b["block_id"].removeprefix("paper:")
        for b in answer["blocks"]
        if b.get("block_id", "").startswith("paper:")
    )


# -- buttons -------------------------------------------------------------------------


async def test_save_button_records_the_signal_and_answers_privately(slack: Harness) -> None:
    paper = first_paper(await trending(slack))
    answer = await answer_to(slack, slack.click("paper_save", paper))
    assert answer["text"].startswith("Saved") and answer["replace_original"] is False
    signals = await slack.store.user_signals("slack", "U1")
    assert signals[Signal.SAVE] == [paper]


async def test_like_and_not_interested_buttons(slack: Harness) -> None:
    paper = first_paper(await trending(slack))
    assert (await answer_to(slack, slack.click("paper_like", paper)))["text"].startswith("Liked")
    await answer_to(slack, slack.click("paper_dismiss", paper))
    signals = await slack.store.user_signals("slack", "U1")
    # Not interested after a like: the reader changed their mind, the like is undone.
    assert signals[Signal.LIKE] == [] and signals[Signal.DISMISS] == [paper]


async def test_abstract_button_expands_the_message_in_place(slack: Harness) -> None:
    shown = await trending(slack)
    paper = first_paper(shown)
    message = {"ts": "1.1", "text": shown["text"], "blocks": shown["blocks"]}
    answer = await answer_to(slack, slack.click("paper_abstract", paper, message=message))
    assert answer["replace_original"] is True
    assert len(answer["blocks"]) == len(shown["blocks"])
    stored = await slack.store.get_paper(paper)
    assert stored is not None
    [section] = [b for b in answer["blocks"] if b.get("block_id") == f"paper:{paper}"]
    folded = next(b for b in shown["blocks"] if b.get("block_id") == f"paper:{paper}")
    assert len(section["text"]["text"]) > len(folded["text"]["text"])
    assert stored.abstract[:60].replace("&", "&amp;") in section["text"]["text"]


async def test_abstract_of_an_ephemeral_message_comes_as_a_new_one(slack: Harness) -> None:
    paper = first_paper(await trending(slack))
    answer = await answer_to(slack, slack.click("paper_abstract", paper))
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"


async def test_pdf_button_is_acknowledged(slack: Harness) -> None:
    response = await slack.click("paper_pdf", "2510.06131")
    assert response.status_code == 200


# -- App Home ------------------------------------------------------------------------


async def test_app_home_shows_and_changes_the_dm_digest(slack: Harness) -> None:
    opened = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    assert (await slack.event(opened)).status_code == 200
    [first] = await slack.fake.wait_for("views.publish")
    assert first["user_id"] == "U1" and first["view"]["type"] == "home"
    assert "home_digest_on" in json.dumps(first["view"])

    assert (await slack.click("home_digest_on", "on", view=True)).status_code == 200
    second = (await slack.fake.wait_for("views.publish", 2))[1]
    assert "home_digest_pause" in json.dumps(second["view"])
    dm = await slack.store.dm_subscription("slack", "T1", "U1")
    assert dm is not None and dm.active


async def test_app_home_lists_saved_papers_and_removes_one(slack: Harness) -> None:
    paper = first_paper(await trending(slack))
    await answer_to(slack, slack.click("paper_save", paper))
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    [view] = await slack.fake.wait_for("views.publish")
    assert paper in json.dumps(view["view"])
    await slack.click("home_forget", paper, view=True)
    after = (await slack.fake.wait_for("views.publish", 2))[1]
    assert f"Removed {paper}" in json.dumps(after["view"])
    assert (await slack.store.user_signals("slack", "U1"))[Signal.SAVE] == []


# -- signing -------------------------------------------------------------------------


def test_signing_matches_slacks_test_vector() -> None:
    vector = json.loads((VECTOR / "signing_test_vector.json").read_text())
    headers = vector["headers"]
    ts, body = headers["X-Slack-Request-Timestamp"], vector["raw_body"]
    assert sign(vector["signing_secret"], ts, body) == vector["expected_signature"]
    verifier = SignatureVerifier(vector["signing_secret"], clock=_FixedClock(int(ts)))
    assert verifier.is_valid(body, ts, vector["expected_signature"])


class _FixedClock:
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


async def test_a_bad_signature_is_rejected(slack: Harness) -> None:
    response = await slack.command("help", signature="v0=" + "0" * 64)
    assert response.status_code == 401
    assert slack.fake.of("respond") == []


async def test_a_stale_timestamp_is_rejected(slack: Harness) -> None:
    response = await slack.command("help", timestamp=int(time.time()) - 6 * 60)
    assert response.status_code == 401
    assert slack.fake.of("respond") == []


async def test_the_documented_body_with_its_old_signature_is_rejected(slack: Harness) -> None:
    vector = json.loads((VECTOR / "signing_test_vector.json").read_text())
    slack.secret = vector["signing_secret"]
    headers = vector["headers"]
    response = await slack.post(
        vector["raw_body"],
        headers["Content-Type"],
        timestamp=int(headers["X-Slack-Request-Timestamp"]),
        signature=headers["X-Slack-Signature"],
    )
    assert response.status_code == 401  # valid signature, but from 2018


# -- hostile text --------------------------------------------------------------------


async def test_hostile_query_is_escaped(slack: Harness) -> None:
    answer = await answer_to(slack, slack.command(f"search {HOSTILE}"))
    everything = json.dumps(answer)
    assert "<!channel>" not in everything and "<@U123>" not in everything
    # The fake rejects anything over Slack's limits; reaching here means it fit.


async def test_hostile_paper_title_is_escaped_and_cut(slack: Harness) -> None:
    hostile = Paper(
        id="2607.99999",
        title=HOSTILE,
        abstract=HOSTILE,
        authors=("<@U123>", "Eve & Mallory"),
        day=dt.date(2026, 7, 1),
        upvotes=999,
        categories=("cs.CL",),
    )
    await slack.store.upsert_papers([hostile], observed_at=dt.datetime.now(dt.UTC))
    for command in ("paper 2607.99999", "trending day share"):
        answer = await answer_to(slack, slack.command(command))
        text = json.dumps(answer)
        assert "&lt;!channel&gt;" in text and "<!channel>" not in text
        assert "Eve &amp; Mallory" in text
    # The abstract expanded in place stays within a section too.
    shown = await answer_to(slack, slack.command("paper 2607.99999"))
    message = {"ts": "1.1", "text": shown["text"], "blocks": shown["blocks"]}
    await answer_to(slack, slack.click("paper_abstract", "2607.99999", message=message))


async def test_similar_and_discuss_buttons(slack: Harness) -> None:
    shared = await answer_to(slack, slack.command("search attention is all you need share"))
    paper = shared["blocks"][1]["block_id"].removeprefix("paper:")
    actions = next(b for b in shared["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]][-2:] == ["paper_discuss", "paper_pdf"]
    similar = await answer_to(slack, slack.click("paper_similar", paper))
    assert similar["response_type"] == "ephemeral"
    assert similar["blocks"][0]["text"]["text"].startswith("Papers like")
    # Discuss: a thread under the post, seeded with the paper's page; once per channel.
    post = {"ts": "1751360000.000100", "blocks": shared["blocks"], "text": shared["text"]}
    started = await answer_to(slack, slack.click("paper_discuss", paper, message=post))
    assert started["text"].startswith("Started a thread")
    [seed] = slack.fake.threads["1751360000.000100"]
    assert paper in seed["text"] or paper in str(slack.fake.of("chat.postMessage")[-1])
    again = await answer_to(slack, slack.click("paper_discuss", paper, message=post))
    assert again["text"].startswith("The discussion of")
    assert "https://test.slack.com/archives/C1/p1751360000000100" in again["text"]
    assert len(slack.fake.threads["1751360000.000100"]) == 1
