"""Every command of the table, with every subscription option, on all three front ends.

The same steps run through the terminal chat, the real Bolt app over signed HTTP and the
real discord.py client over the fake gateway, each front end on its own platform's
records in one database. After each step the test takes what a user would notice (the
papers an answer lists, or the subscriptions and signals the step left) and the three
front ends must agree, step by step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.console.app import answer
from adapters.slack.syntax import SLACK
from bot.api import PaperService
from bot.commands import COMMANDS, OPTIONS, TEXT, Kind, Rights, find
from bot.models import Caller, Subscription
from bot.store import Store
from tests.adapters.discord.conftest import Bot
from tests.adapters.discord.fake_gateway import MEMBER
from tests.adapters.slack.harness import Harness

PAPER = "2405.15738"
OTHER = "2501.06425"
CONSOLE = Caller("console", "me", "local", "terminal", is_admin=True)
ALL_OPTIONS = {
    "time": "08:30",
    "timezone": "Europe/Berlin",
    "weekdays": "mon,wed",
    "count": 3,
    "min_upvotes": 2,
    "source": "both",
    "categories": "cs.RO,cs.AI",
    "quiet": True,
}

# A step: a command and its values; "subscription" stands for the front end's own
# channel subscription, which each front end numbers differently in the shared database.
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("help", {}),
    ("trending", {"period": "month", "topic": "diffusion", "count": 3}),
    ("trending", {"period": "week", "day": "2025-03-12", "count": 5}),
    ("search", {"query": "attention is all you need"}),
    ("paper", {"paper": PAPER}),
    ("subscribe", {"topic": "robots", **ALL_OPTIONS}),
    ("subscriptions", {}),
    ("edit", {"subscription": None, "topic": "robot learning", "count": 4, "weekdays": "daily"}),
    ("edit", {"subscription": None, "clear": "categories,min_upvotes"}),
    ("preview", {"subscription": None}),
    ("pause", {"subscription": None}),
    ("resume", {"subscription": None}),
    ("digest", {"action": "on", "topic": "agents", **ALL_OPTIONS, "time": "07:00"}),
    ("digest", {"action": "pause"}),
    ("digest", {"action": "settings"}),
    ("similar", {"paper": PAPER, "count": 3}),
    ("save", {"paper": PAPER}),
    ("search", {"query": "tensor product attention"}),
    ("save", {"paper": "1"}),  # its number in the list just shown
    ("like", {"paper": OTHER}),
    ("dismiss", {"paper": "2606.19338"}),
    ("saved", {}),
    ("trending-here", {}),
    ("unsave", {"paper": PAPER}),
    ("unsubscribe", {"subscription": None}),
    ("digest", {"action": "off"}),
]


def test_every_command_and_option_of_the_table_has_a_step() -> None:
    assert {name for name, _ in STEPS} == {c.name for c in COMMANDS}
    assert set(ALL_OPTIONS) == {a.name for a in OPTIONS}
    for name in ("subscribe", "digest"):
        assert set(ALL_OPTIONS) <= {k for n, values in STEPS if n == name for k in values}


@dataclass
class Witness:
    """What a user would notice after one step."""

    papers: list[str]
    subscriptions: list[tuple[Any, ...]]
    signals: dict[str, list[str]]
    error: bool


def _subscription(s: Subscription) -> tuple[Any, ...]:
    return (
        s.is_dm, s.topic, s.at, s.timezone, sorted(s.weekdays), s.count, s.min_upvotes,
        s.source, s.categories, s.post_empty, s.active,
    )  # fmt: skip


async def _state(store: Store, platform: str, user: str) -> tuple[list[Any], dict[str, Any]]:
    subs = [s for s in await store.subscriptions() if s.destination.platform == platform]
    signals = await store.user_signals(platform, user)
    return [_subscription(s) for s in subs], {k.value: v for k, v in signals.items()}


async def _own(store: Store, platform: str) -> int:
    subs = await store.subscriptions()
    return next(s.id for s in subs if s.destination.platform == platform and not s.is_dm)


def _positional_and_options(name: str, values: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    command = find(name)
    positional = [values[a.name] for a in command.positional if a.name in values]
    options = {k: v for k, v in values.items() if command.arg(k).is_option}
    return positional, options


IDS = re.compile(r"arxiv\.org/abs/([\w.\-/]+?)(?:v\d+)?(?=[\s)>|]|$)")


async def run_console(
    service: PaperService, store: Store, name: str, values: dict[str, Any]
) -> Witness:
    positional, options = _positional_and_options(name, values)
    line = TEXT.example(name, *positional, **options)
    text = await answer(service, line, colour=False, width=100, caller=CONSOLE)
    subs, signals = await _state(store, "console", CONSOLE.user)
    error = text.startswith(("Sorry", "Unknown", "Which", "Only", "No subscription"))
    return Witness(IDS.findall(text), subs, signals, error)


async def run_slack(slack: Harness, name: str, values: dict[str, Any]) -> Witness:
    positional, options = _positional_and_options(name, values)
    line = SLACK.example(name, *positional, **options).removeprefix("/papers ")
    before = len(slack.fake.of("respond"))
    await slack.command(line)
    reply = (await slack.fake.wait_for("respond", before + 1))[before]
    ids = [
        b["block_id"].removeprefix("paper:")
        for b in reply.get("blocks", [])
        if b.get("block_id", "").startswith("paper:")
    ]
    subs, signals = await _state(slack.store, "slack", "U1")
    error = reply["text"].startswith(("Sorry", "Unknown", "Which", "Only", "No subscription"))
    return Witness(ids, subs, signals, error)


async def run_discord(bot: Bot, name: str, values: dict[str, Any]) -> Witness:
    command = find(name)
    group = "papers-channel" if command.rights is Rights.MANAGERS else "papers"
    typed = {k: (int(v) if command.arg(k).kind in {Kind.INTEGER} else v) for k, v in values.items()}
    token = await bot.command(name, group=group, **typed)
    answers = bot.gateway.answers(token)
    ids = [
        e["url"].rsplit("/", 1)[-1]
        for a in answers
        for e in a.get("embeds", [])
        if "arxiv.org/abs/" in e.get("url", "")
    ]
    text = " ".join(a.get("content", "") for a in answers)
    subs, signals = await _state(bot.store, "discord", MEMBER)
    error = text.startswith(("Sorry", "Unknown", "Which", "Only", "No subscription"))
    return Witness(ids, subs, signals, error)


async def test_the_three_front_ends_agree_step_by_step(slack: Harness, bot: Bot) -> None:
    store = slack.store
    assert bot.store is store  # one database, three platforms' records in it
    fronts: dict[str, Callable[[str, dict[str, Any]], Any]] = {
        "console": lambda n, v: run_console(slack.service, store, n, v),
        "slack": lambda n, v: run_slack(slack, n, v),
        "discord": lambda n, v: run_discord(bot, n, v),
    }
    for name, values in STEPS:
        seen = {}
        for front, run in fronts.items():
            given = dict(values)
            if "subscription" in given:
                given["subscription"] = str(await _own(store, front))
            seen[front] = await run(name, given)
        console, slack_, discord_ = seen["console"], seen["slack"], seen["discord"]
        assert not any(w.error for w in seen.values()), (name, values, seen)
        assert console == slack_ == discord_, (name, values, seen)
        if name == "edit" and "topic" in values:  # it did what it says, not only alike
            assert [s[1] for s in console.subscriptions] == ["robot learning"]
        if name == "edit" and "clear" in values:
            assert [(s[6], s[8]) for s in console.subscriptions] == [(None, ())]
