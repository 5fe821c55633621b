"""The data paperbot passes around: papers, search hits, and platform-neutral replies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

__all__ = [
    "Action",
    "ActionKind",
    "Caller",
    "Card",
    "Choice",
    "Delivery",
    "DeliveryStatus",
    "Destination",
    "Digest",
    "DigestItem",
    "Discussion",
    "Home",
    "Link",
    "LinkKind",
    "Paper",
    "Period",
    "Recommendation",
    "Reply",
    "Signal",
    "Source",
    "Subscription",
    "UpsertCounts",
    "merge",
]


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper, keyed by its bare arXiv id; every field but ``id`` may be unknown.

    ``day`` is the day the paper was featured (Hugging Face daily papers) or listed (arXiv
    new submissions); trending windows are made of days. ``upvotes`` is None when the
    source does not count upvotes (arXiv), which is not the same as zero.
    """

    id: str
    version: int | None = None
    title: str = ""
    abstract: str = ""
    authors: tuple[str, ...] = ()
    published_at: dt.datetime | None = None
    day: dt.date | None = None
    categories: tuple[str, ...] = ()
    upvotes: int | None = None
    comments: int | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    thumbnail: str | None = None
    source: str = ""

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.id}"

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.id}"


_PAPER_FIELDS = [f.name for f in fields(Paper)]


def merge(old: Paper, new: Paper) -> Paper:
    """Combine what we knew of a paper with a record that just arrived.

    The rules (a higher version replaces, the same or an older one fills blanks, counts
    never go down, the first day stays) are what ``PaperStore`` promises on upsert.
    """
    # Only a higher version replaces what we know; records of the same version (an HF
    # and an arXiv record of one paper) just fill each other's blanks. That keeps the
    # merge independent of the order files arrive in, so a re-import changes nothing.
    newer = (new.version or 0) > (old.version or 0)
    merged: dict[str, Any] = {}
    for name in _PAPER_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if name == "upvotes" or name == "comments" or name == "github_stars":
            merged[name] = max((x for x in (a, b) if x is not None), default=None)
        elif name == "day" or name == "published_at":
            # The first day a paper was featured or listed is the day it trended.
            merged[name] = min((x for x in (a, b) if x is not None), default=None)
        elif name == "source":
            merged[name] = ",".join(sorted(set(filter(None, f"{a},{b}".split(",")))))
        elif name == "version":
            merged[name] = max((x for x in (a, b) if x is not None), default=None)
        else:
            merged[name] = (b or a) if newer else (a or b)
    return replace(old, **merged)


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What an ingest did: papers added, changed, already known as they are, rejected."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.new + other.new,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.bad + other.bad,
        )

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + self.bad


class Period(StrEnum):
    """A trending window."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def days(self) -> int:
        return {"day": 1, "week": 7, "month": 30}[self.value]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A paper picked for someone, with its score and a one-line reason."""

    paper: Paper
    score: float
    reason: str


class LinkKind(StrEnum):
    """What a card's link points at; adapters find a link by its kind, never its label."""

    ARXIV = "arxiv"
    PDF = "pdf"
    HUGGING_FACE = "hf"
    CODE = "code"
    PROJECT = "project"


@dataclass(frozen=True, slots=True)
class Link:
    kind: LinkKind
    label: str
    url: str


class ActionKind(StrEnum):
    """What a button under a paper does; every front end shows the same ones."""

    ABSTRACT = "abstract"  # show the whole abstract, to whoever asked
    SAVE = "save"
    LIKE = "like"
    DISMISS = "dismiss"
    SIMILAR = "similar"  # the papers closest to it
    DISCUSS = "discuss"  # a thread under the post, one per paper per channel
    PDF = "pdf"  # a link, opened by the platform

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]

    @property
    def is_link(self) -> bool:
        return self is ActionKind.PDF


_ACTION_LABELS = {
    ActionKind.ABSTRACT: "Abstract",
    ActionKind.SAVE: "Save",
    ActionKind.LIKE: "Like",
    ActionKind.DISMISS: "Not interested",
    ActionKind.SIMILAR: "Similar",
    ActionKind.DISCUSS: "Discuss",
    ActionKind.PDF: "PDF",
}


@dataclass(frozen=True, slots=True)
class Action:
    """A button under one paper: its kind, the paper, and for a link its address."""

    kind: ActionKind
    paper_id: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class Card:
    """One paper as every adapter shows it; adapters only lay it out.

    All text is plain (no markup): adapters escape it for their platform.
    """

    paper_id: str
    title: str
    url: str
    authors: str
    date: str
    upvotes: int | None
    categories: tuple[str, ...]
    summary: str
    abstract: str
    reason: str = ""
    links: tuple[Link, ...] = ()
    thumbnail: str | None = None
    actions: tuple[Action, ...] = ()
    # The detail view of one paper: every author, both dates, the whole abstract.
    detailed: bool = False
    all_authors: tuple[str, ...] = ()
    published: str = ""  # when the first version appeared on arXiv, YYYY-MM-DD

    @property
    def meta(self) -> tuple[str, ...]:
        """The line under the title, in parts: authors, date, upvotes, categories."""
        parts = [self.authors]
        if self.date:
            parts.append(self.date)
        if self.upvotes is not None:
            parts.append(f"▲ {self.upvotes}")
        if self.categories:
            parts.append(", ".join(self.categories if self.detailed else self.categories[:3]))
        return tuple(p for p in parts if p)

    def link(self, kind: LinkKind) -> Link | None:
        return next((link for link in self.links if link.kind is kind), None)


@dataclass(frozen=True, slots=True)
class Reply:
    """A platform-neutral answer: a complete plain-text fallback plus optional cards.

    ``title`` heads the reply; ``notes`` are short remarks shown under it (for example
    that the newest data is older than the window asked for); ``footer`` says how to get
    more (next page). ``text`` alone must read well where cards cannot be shown.
    """

    text: str
    title: str = ""
    cards: tuple[Card, ...] = ()
    notes: tuple[str, ...] = ()
    footer: str = ""
    meta: dict[str, str] = field(default_factory=dict)


class Source(StrEnum):
    """Where a subscription's papers come from."""

    HF = "hf"  # Hugging Face daily papers (upvoted, trending)
    ARXIV = "arxiv"  # new arXiv submissions in the listing feeds
    BOTH = "both"


class Signal(StrEnum):
    """What a reader told us about a paper."""

    SAVE = "save"
    LIKE = "like"
    DISMISS = "dismiss"


@dataclass(frozen=True, slots=True)
class Destination:
    """Where messages go: a channel of a workspace/server, or one user's DMs.

    ``workspace`` is the Slack team or Discord guild ("" for the terminal); for a DM,
    ``channel`` is empty and ``user`` names the reader.
    """

    platform: str
    workspace: str = ""
    channel: str = ""
    user: str = ""

    @property
    def is_dm(self) -> bool:
        return not self.channel

    @property
    def key(self) -> str:
        """A stable name for "this place", for remembering what was sent there."""
        where = f"dm:{self.user}" if self.is_dm else self.channel
        return f"{self.platform}:{self.workspace}:{where}"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's daily post, or a user's DM digest, with all its knobs."""

    id: int
    destination: Destination
    owner: str  # who created it (a channel's) or whose it is (a DM digest)
    topic: str = ""
    categories: tuple[str, ...] = ()
    min_upvotes: int | None = None
    count: int = 5
    source: Source = Source.HF
    at: dt.time = dt.time(9, 0)
    timezone: str = "UTC"
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    post_empty: bool = True
    active: bool = True
    paused_reason: str = ""
    created_at: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

    @property
    def is_dm(self) -> bool:
        return self.destination.is_dm


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # intent recorded, not yet known to be sent
    RETRY = "retry"  # failed for now; try again at next_attempt_at
    SENT = "sent"
    SKIPPED = "skipped"  # the slot was missed for longer than the grace window
    FAILED = "failed"  # given up on (destination gone, or too many failures)


@dataclass(frozen=True, slots=True)
class DigestItem:
    paper_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Digest:
    """What one subscription posts in one slot: papers with reasons, or a short note
    saying there was nothing new (``items`` empty)."""

    title: str
    items: tuple[DigestItem, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One subscription's post for one slot, from intent to outcome."""

    id: int
    subscription_id: int
    slot: dt.datetime
    destination: str  # Destination.key
    status: DeliveryStatus
    digest: Digest
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    error: str = ""
    # Claimed by a sender before, who gave no outcome (it died, or its lease ran out):
    # it may have gone out, so the platform is asked before it is sent again.
    interrupted: bool = False

    @property
    def key(self) -> str:
        """The idempotency key: one post per subscription and slot, ever."""
        return f"{self.subscription_id}@{self.slot.astimezone(dt.UTC):%Y-%m-%dT%H:%MZ}"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who typed a command, and where: what the core needs to answer and to check rights.

    ``is_admin`` is the platform's word (a Slack workspace admin, a Discord member with
    Manage Channels); ``channel`` is empty in a direct message with the bot.
    """

    platform: str
    user: str
    workspace: str = ""
    channel: str = ""
    is_admin: bool = False

    @property
    def place(self) -> Destination:
        return Destination(self.platform, self.workspace, self.channel)

    @property
    def inbox(self) -> Destination:
        return Destination(self.platform, self.workspace, "", self.user)


@dataclass(frozen=True, slots=True)
class Choice:
    """One autocomplete suggestion: what the user sees and the value it stands for."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Home:
    """A reader's own page (Slack's App Home): their DM digest and what they kept."""

    digest: str  # the digest described in one line, "" when they have none
    active: bool  # whether that digest is running (False when there is none)
    saved: tuple[Card, ...] = ()

    @property
    def has_digest(self) -> bool:
        return bool(self.digest)


@dataclass(frozen=True, slots=True)
class Discussion:
    """A "Discuss" click: the paper's page to seed a thread with, and the thread.

    ``thread`` is None when this click opens it (the adapter opens the thread, then
    reports it with ``PaperService.discussed``), "" while another click is opening it,
    else the platform's reference of the thread already open for the paper here.
    """

    card: Card
    thread: str | None
