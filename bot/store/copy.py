"""Moving a whole database to another backend (SQLite <-> PostgreSQL), resumably.

Every table a store keeps is copied in key order, in batches: a row already in the
target is left as it is, so an interrupted copy started again goes on from the last key
the target holds. Rows travel in one neutral form, the columns of ``TABLES`` with values
as the SQLite backend keeps them (text for times and JSON, integers for booleans); each
backend converts to and from its own. At the end every table's count is checked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.errors import StoreError

__all__ = ["BATCH", "TABLES", "CopyReport", "CopyableStore", "Row", "Table", "copy_store"]

log = logging.getLogger(__name__)

# A row of the neutral form: the table's columns in ``Table.columns`` order.
Row = tuple[Any, ...]
BATCH = 2000


@dataclass(frozen=True, slots=True)
class Table:
    """One table: its name, its columns in order, and how many of the first make its key."""

    name: str
    columns: tuple[str, ...]
    key: int = 1

    @property
    def key_columns(self) -> tuple[str, ...]:
        return self.columns[: self.key]


# In an order that satisfies every reference (a delivery's subscription comes first).
TABLES = (
    Table(
        "papers",
        ("id", "version", "title", "abstract", "authors", "authors_text", "published_at",
         "day", "categories", "upvotes", "comments", "github_repo", "github_stars",
         "project_page", "ai_summary", "ai_keywords", "thumbnail", "source", "first_seen",
         "updated_at"),
    ),
    Table("upvote_history", ("paper_id", "observed_at", "upvotes"), key=2),
    Table(
        "subscriptions",
        ("id", "platform", "workspace", "channel", "dm_user", "owner", "topic", "categories",
         "min_upvotes", "count", "source", "at", "timezone", "weekdays", "post_empty",
         "active", "paused_reason", "created_at", "updated_at"),
    ),
    Table(
        "deliveries",
        ("id", "subscription_id", "slot", "destination", "status", "digest", "attempts",
         "next_attempt_at", "error", "created_at", "sent_at", "claimed_by", "claimed_until"),
    ),
    Table("delivered_papers", ("destination", "paper_id", "delivery_id", "delivered_at"), key=2),
    Table("signals", ("platform", "workspace", "user", "paper_id", "signal", "created_at"), key=5),
    Table("meta", ("key", "value")),
    Table(
        "installations",
        ("platform", "enterprise", "workspace", "user", "data", "installed_at"),
        key=4,
    ),
    Table(
        "installation_bots",
        ("platform", "enterprise", "workspace", "data", "installed_at"),
        key=3,
    ),
    Table(
        "discussions",
        ("platform", "workspace", "channel", "paper_id", "thread", "created_at"),
        key=4,
    ),
    Table("holds", ("key", "until")),
    Table("oauth_states", ("state", "expires_at")),
)  # fmt: skip


class CopyableStore(Protocol):
    """What a backend does for ``copy_store``. Rows are in the neutral form above.

    ``rows`` MUST return rows in increasing key order (byte order for text keys, so both
    backends agree), those after ``after`` when it is given; ``put_rows`` MUST add the
    rows the store does not hold yet and leave the others as they are, in one
    transaction, keeping derived data (full-text indexes, the vocabulary) in step;
    ``finish_copy`` brings the store to a state its own writes would have left (id
    sequences past the copied ids, caches dropped).
    """

    async def rows(self, table: Table, *, after: Row | None, limit: int) -> list[Row]: ...

    async def put_rows(self, table: Table, rows: Sequence[Row]) -> int:
        """Add ``rows``; how many were new."""
        ...

    async def last_key(self, table: Table) -> Row | None:
        """The greatest key the store holds in ``table``, None when it is empty."""
        ...

    async def count_rows(self, table: Table) -> int: ...

    async def finish_copy(self) -> None: ...


@dataclass
class CopyReport:
    """Rows per table: in the source, copied now, in the target at the end."""

    source: dict[str, int] = field(default_factory=dict)
    copied: dict[str, int] = field(default_factory=dict)
    target: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.source == self.target


Progress = Callable[[str, int, int], None]  # table, rows done, rows in all


async def copy_store(
    source: CopyableStore,
    target: CopyableStore,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy every table of ``source`` into ``target``; resumable; ``StoreError`` when the
    counts differ at the end (the target then holds rows the source does not)."""
    report = CopyReport()
    for table in TABLES:
        total = report.source[table.name] = await source.count_rows(table)
        # Resume after the greatest key the target holds: rows before it were copied.
        after = await target.last_key(table)
        done = await target.count_rows(table)
        copied = 0
        while True:
            rows = await source.rows(table, after=after, limit=batch)
            if not rows:
                break
            new = await target.put_rows(table, rows)
            copied += new
            done += new
            after = tuple(rows[-1][: table.key])
            if progress:
                progress(table.name, min(done, total), total)
        report.copied[table.name] = copied
        log.info("copied %d rows of %s", copied, table.name)
    await target.finish_copy()
    for table in TABLES:
        report.target[table.name] = await target.count_rows(table)
    if not report.complete:
        wrong = [t for t in report.source if report.source[t] != report.target.get(t)]
        counts = ", ".join(f"{t} {report.source[t]} -> {report.target[t]}" for t in wrong)
        raise StoreError(f"the copy does not match the source: {counts}")
    return report
