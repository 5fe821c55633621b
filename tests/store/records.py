"""Small records the store tests write: a subscription of one Slack channel, a digest."""

from __future__ import annotations

import datetime as dt

from bot.models import Destination, Digest, DigestItem, Subscription

T0 = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
ROOM = Destination("slack", "T1", "C1")


def sub(**kw: object) -> Subscription:
    """A subscription of ``ROOM`` created at ``T0``, with any field changed."""
    fields: dict[str, object] = {"id": 0, "destination": ROOM, "owner": "U1", "created_at": T0}
    fields.update(kw)
    return Subscription(**fields)  # type: ignore[arg-type]


def digest(*ids: str) -> Digest:
    return Digest("Papers", tuple(DigestItem(i, "why") for i in ids))
