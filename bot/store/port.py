"""The storage port: what the rest of paperbot may ask of a database, and nothing more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from bot.models import (
    Delivery,
    Destination,
    Digest,
    Paper,
    Signal,
    Subscription,
    UpsertCounts,
)
from bot.store.copy import CopyableStore

__all__ = [
    "DeliveryStore",
    "DiscussionStore",
    "InstallationStore",
    "PaperStore",
    "SignalStore",
    "Store",
    "SubscriptionStore",
    "TextQuery",
]


@dataclass(frozen=True, slots=True)
class TextQuery:
    """A full-text query in backend-neutral form; every string is a folded token.

    ``groups`` are ANDed (ORed when ``match_any``, at least ``min_groups`` of them when
    that is set); the alternatives inside one group are ORed (a word and its spelling
    corrections). ``phrases`` must appear as adjacent tokens, ``authors`` as adjacent
    tokens in the author names, and no ``excluded`` token may appear. With
    ``prefix_last`` the last token of the last group also matches as a prefix (for a
    title typed half-way). ``columns`` restricts groups and phrases to ``title`` /
    ``abstract`` / ``authors``. With ``near`` the phrases must be that many tokens or
    fewer apart, in one column (FTS5's NEAR: a phrase with its stopwords left out); a
    store may ignore it and ask for all the phrases anywhere.

    With ``unscored`` the caller weighs the papers itself and wants a bounded cost: when
    no more than ``limit`` papers match, a store may return them all in any order with
    score 0; when more do, it may choose the best among some hundreds of the newest
    matches rather than score every match (what costs when only common words are asked
    for). With ``unranked``, any ``limit`` matching papers will do (the caller only fills
    a page). The remaining fields filter on metadata.
    """

    groups: tuple[tuple[str, ...], ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    authors: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    min_upvotes: int | None = None
    prefix_last: bool = False
    match_any: bool = False
    # At least this many of ``groups`` must match (0: all of them, or one if match_any).
    min_groups: int = 0
    columns: tuple[str, ...] = ()
    near: int = 0
    unscored: bool = False
    unranked: bool = False

    @property
    def has_text(self) -> bool:
        return bool(self.groups or self.phrases or self.authors)


class PaperStore(Protocol):
    """Contract for a paper database.

    A store MUST:
    - key papers by bare arXiv id (``2510.06131``), whatever version was written;
    - on upsert keep the newest metadata: a higher version replaces what is known, a
      record of the same or an older version only fills blanks (so the result does not
      depend on the order records arrive in), counts (upvotes, comments, stars) never go
      down, and each new upvote count is recorded with its time;
    - write each ``upsert_papers`` call atomically: all of it or none, also inside a
      caller's transaction (a call that fails there undoes its own writes);
    - keep full-text search in step with the papers table;
    - return ``Paper`` objects equal to what was stored (round trip), dates aware UTC.

    A store MAY cache (for example the vocabulary and the count) but a cache MUST show
    every committed write of this store, and never one that was rolled back nor, to
    other tasks, one not yet committed.
    """

    async def upsert_papers(
        self, papers: Sequence[Paper], *, observed_at: dt.datetime
    ) -> UpsertCounts: ...

    async def upsert_observed(
        self, groups: Sequence[tuple[dt.datetime, Sequence[Paper]]]
    ) -> UpsertCounts:
        """``upsert_papers`` of each (observed at, papers) group in turn, oldest first,
        all in one transaction: all of them are saved, or none."""
        ...

    async def get_paper(self, paper_id: str) -> Paper | None: ...

    async def get_papers(self, paper_ids: Sequence[str]) -> dict[str, Paper]: ...

    async def count_papers(self) -> int: ...

    async def all_papers(self) -> list[Paper]:
        """Every paper, oldest day first (for exports)."""
        ...

    async def latest_day(self, *, with_upvotes: bool = False) -> dt.date | None:
        """The newest ``day`` of any paper (of any upvoted one), or None when there is none."""
        ...

    async def papers_between(self, start: dt.date, end: dt.date) -> list[Paper]:
        """Papers whose ``day`` is in ``[start, end]`` (both inclusive)."""
        ...

    async def upvotes_before(self, paper_ids: Sequence[str], when: dt.datetime) -> dict[str, int]:
        """The last upvote count observed at or before ``when``, per paper that has one."""
        ...

    async def text_search(self, query: TextQuery, *, limit: int) -> list[tuple[str, float]]:
        """Ids of matching papers with a relevance score (higher is better), best first."""
        ...

    async def vocabulary(self) -> dict[str, int]:
        """Every indexed token with the number of papers containing it (the whole of it:
        for IDF over every word; a search asks for its own words with ``term_counts``)."""
        ...

    async def term_counts(self, terms: Collection[str]) -> dict[str, int]:
        """The number of papers containing each of ``terms`` that some paper holds (a
        term no paper holds is left out); read from the index, whatever its size, at
        the cost of those terms alone."""
        ...

    async def spelling_candidates(
        self, term: str, *, max_edits: int, common: bool
    ) -> dict[str, int]:
        """Indexed words that may be ``term`` misspelt, for the caller to measure, each
        with the number of papers containing it: words within ``max_edits`` letters of
        its length, found in more than one paper when ``common``, else in one; never a
        number.

        A backend MAY return words farther off and MAY leave out words too unlike
        ``term`` to be one edit or two away: SQLite offers the words that begin or end
        with the same two letters (a stored index of the vocabulary, forwards and
        backwards); PostgreSQL the words that share enough trigrams with it
        (``pg_trgm``). Either reads its index, never the whole vocabulary.
        """
        ...

    async def close(self) -> None: ...


class SubscriptionStore(Protocol):
    """Contract for subscriptions.

    A store MUST assign ids itself, keep at most one DM subscription per reader per
    platform and workspace (``add_subscription`` raises ``StoreError`` on a second one),
    and return subscriptions equal to what was stored.
    """

    async def add_subscription(self, sub: Subscription) -> Subscription:
        """Store ``sub`` (its ``id`` is ignored) and return it with its new id."""
        ...

    async def get_subscription(self, sub_id: int) -> Subscription | None: ...

    async def subscriptions(
        self, *, destination: Destination | None = None, active: bool | None = None
    ) -> list[Subscription]:
        """Subscriptions of one place (or all), oldest first; ``active`` filters."""
        ...

    async def dm_subscription(
        self, platform: str, workspace: str, user: str
    ) -> Subscription | None: ...

    async def update_subscription(self, sub: Subscription) -> None: ...

    async def remove_subscription(self, sub_id: int) -> bool:
        """Remove it (and its delivery records, not what was delivered); False if absent."""
        ...


class DeliveryStore(Protocol):
    """Contract for scheduled posts: exactly one delivery per subscription and slot.

    ``record_intent`` MUST, in one transaction, create the pending delivery and reserve
    its papers for the destination; it returns None (changing nothing) when the slot
    already has a delivery. A paper reserved or sent to a destination is never reserved
    for it again, unless a failed delivery released it.
    """

    async def record_intent(
        self,
        sub: Subscription,
        slot: dt.datetime,
        digest: Digest,
        *,
        now: dt.datetime,
    ) -> Delivery | None: ...

    async def record_skip(
        self, sub: Subscription, slot: dt.datetime, reason: str, *, now: dt.datetime
    ) -> bool:
        """Note a slot that will not be posted; False if the slot already had a record."""
        ...

    async def get_delivery(self, sub_id: int, slot: dt.datetime) -> Delivery | None: ...

    async def last_slots(self) -> dict[int, dt.datetime]:
        """For each subscription, the newest slot with a delivery record of any status."""
        ...

    async def last_sent(self, sub_ids: Sequence[int]) -> dict[int, dt.datetime]:
        """For each of ``sub_ids`` that posted, when its newest post was sent."""
        ...

    async def open_deliveries(self, *, due_by: dt.datetime) -> list[Delivery]:
        """Pending ones, and retries due by ``due_by``, oldest slot first."""
        ...

    async def claim_deliveries(
        self,
        owner: str,
        *,
        due_by: dt.datetime,
        now: dt.datetime,
        lease: dt.timedelta,
        limit: int,
    ) -> list[Delivery]:
        """Claim up to ``limit`` open deliveries (pending, or retries due by ``due_by``),
        oldest slot first, for ``owner`` until ``now + lease``; each claimed one is
        pending from here on, so a crash while sending leaves it "maybe sent".

        A delivery is claimed by exactly one caller at a time, across processes: one
        another owner holds under a live lease is not returned. A claim ends with an
        outcome (``mark_sent``, ``mark_retry``, ``mark_failed``) or when its lease runs
        out. ``Delivery.interrupted`` is True for one that was claimed before and is still
        pending: its sender may have posted it before dying. A backend that serves one
        process (SQLite) MAY treat every other owner's claim as ended.
        """
        ...

    async def hold(self, key: str, *, until: dt.datetime) -> None:
        """Nothing is sent to ``key`` (a destination, or ``platform:*`` for all of a
        platform) before ``until``; a later hold extends it, an earlier one changes
        nothing. Every process honours it: how one replica's rate limit binds the rest."""
        ...

    async def holds(self, keys: Sequence[str], *, now: dt.datetime) -> dict[str, dt.datetime]:
        """The holds of ``keys`` that last beyond ``now``."""
        ...

    async def reserve_scheduler(self, owner: str) -> None:
        """Called once by a process that runs the scheduler. A backend whose deliveries
        cannot be shared between processes MUST raise ``StoreError`` when another process
        already runs one on the same database (saying to use PostgreSQL for replicas);
        one that can share them lets it run, and MAY end at once the claims of owners it
        knows to be gone (PostgreSQL: whose process no longer holds their lock)."""
        ...

    async def mark_sent(self, delivery_id: int, *, now: dt.datetime) -> None: ...

    async def mark_sent_many(self, sent: Sequence[tuple[int, dt.datetime]]) -> None:
        """``mark_sent`` for each (delivery id, when it was sent), in one transaction."""
        ...

    async def mark_pending(self, delivery_id: int) -> None:
        """About to send again: from now on a crash leaves it "maybe sent"."""
        ...

    async def mark_retry(self, delivery_id: int, *, at: dt.datetime, error: str) -> None: ...

    async def mark_failed(self, delivery_id: int, *, error: str) -> None:
        """Give up on it and release its papers, so a later post may carry them."""
        ...

    async def delivered(self, paper_ids: Sequence[str]) -> dict[str, set[str]]:
        """For each destination, which of ``paper_ids`` were reserved for or sent to it."""
        ...


class SignalStore(Protocol):
    """Contract for what readers say about papers (save, like, dismiss)."""

    async def add_signal(
        self,
        platform: str,
        workspace: str,
        user: str,
        paper_id: str,
        signal: Signal,
        *,
        now: dt.datetime,
    ) -> bool:
        """Record it; False when it was already there."""
        ...

    async def remove_signal(
        self, platform: str, user: str, paper_id: str, signal: Signal
    ) -> bool: ...

    async def user_signals(self, platform: str, user: str) -> dict[Signal, list[str]]:
        """A reader's papers by signal, newest first, across workspaces."""
        ...

    async def readers_signals(
        self, readers: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[Signal, list[str]]]:
        """``user_signals`` of many (platform, user) pairs at once; every pair is a key."""
        ...

    async def workspace_signals(
        self, platform: str, workspace: str, *, since: dt.datetime
    ) -> list[tuple[str, int]]:
        """Papers saved or liked in a workspace since then, with how many readers."""
        ...

    async def get_meta(self, key: str) -> str | None: ...

    async def set_meta(self, key: str, value: str) -> None: ...


class InstallationStore(Protocol):
    """Contract for chat-platform installations (a workspace adding the app by OAuth).

    Records are the platform's own, as JSON-ready dicts; the store only keys them. A
    store MUST replace a record saved again under the same keys, use "" for an absent
    ``enterprise`` or ``user``, and keep a workspace's bot apart from its installers.
    """

    async def save_installation(
        self,
        platform: str,
        enterprise: str,
        workspace: str,
        user: str,
        data: dict[str, object],
        *,
        bot: dict[str, object] | None,
        now: dt.datetime,
    ) -> None:
        """Store one user's installation and, when given, the workspace's bot with it."""
        ...

    async def find_installation(
        self, platform: str, enterprise: str, workspace: str, user: str | None = None
    ) -> dict[str, object] | None:
        """That user's installation, or the workspace's latest when ``user`` is None."""
        ...

    async def find_bot(
        self, platform: str, enterprise: str, workspace: str
    ) -> dict[str, object] | None: ...

    async def delete_installation(
        self, platform: str, enterprise: str, workspace: str, user: str | None = None
    ) -> None:
        """Forget that user's installation, or every one of the workspace's."""
        ...

    async def delete_bot(self, platform: str, enterprise: str, workspace: str) -> None: ...

    async def issue_state(self, state: str, *, expires_at: dt.datetime) -> None:
        """Keep an OAuth ``state`` until it expires (any replica may see it come back)."""
        ...

    async def consume_state(self, state: str, *, now: dt.datetime) -> bool:
        """True once for a state issued and not expired; it is gone afterwards."""
        ...


class DiscussionStore(Protocol):
    """Contract for discussion threads: at most one per paper per channel.

    ``claim_discussion`` MUST be atomic across processes: exactly one caller gets None
    (the claim: it opens the thread, then records it with ``set_discussion``, or gives
    the claim up with ``release_discussion`` when it could not); every other caller gets
    the thread recorded, or "" while the claimant is still opening it.
    """

    async def claim_discussion(
        self, place: Destination, paper_id: str, *, now: dt.datetime
    ) -> str | None: ...

    async def set_discussion(self, place: Destination, paper_id: str, thread: str) -> None: ...

    async def release_discussion(self, place: Destination, paper_id: str) -> None:
        """Give up a claim whose thread was never recorded (a recorded one stays)."""
        ...


class Store(
    PaperStore,
    SubscriptionStore,
    DeliveryStore,
    SignalStore,
    InstallationStore,
    DiscussionStore,
    CopyableStore,
    Protocol,
):
    """Everything paperbot keeps, and how any backend keeps it consistent.

    A store MUST:
    - begin a write only through ``transaction()``: every write method opens one itself,
      or joins the one its task holds, so that a caller can make several writes one
      atomic change;
    - never let a read see another task's uncommitted writes: the task holding a
      transaction reads its own writes; every other read sees committed data only;
    - raise ``StoreError`` for every failure of the database (opening it, reading,
      writing, committing), never the driver's own exceptions, keeping the messages
      that say what could not be done ("could not save 3 papers: ...").
    """

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """A write transaction of the calling task: ``async with store.transaction():``.

        The block's writes are committed together when the outermost block ends, and
        all rolled back when it raises (the exception goes on). Opened again by the same
        task it joins the open one: a nested block that raises undoes its own writes
        and passes the exception on to the enclosing block, which rolls back the rest
        unless it catches it. The transaction belongs to the task that opened it, not
        to tasks it starts: other tasks' writes wait until it ends, so a block must not
        await another task that writes to the store. Keep blocks short: other writers
        wait for them.
        """
        ...
