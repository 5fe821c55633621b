"""Fixtures: the fake Slack Web API on loopback, and the real Bolt app against it.

A test that made paperbot send Slack something it would refuse fails at teardown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.api import PaperService
from bot.store import Store
from tests.adapters.slack.fake_web_api import FakeSlack, serving
from tests.adapters.slack.harness import Harness, harness_for


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with serving(FakeSlack()) as fake:
        yield fake
    assert fake.rejected == [], "paperbot sent Slack something it would refuse"


@pytest.fixture
async def slack(
    fake_slack: FakeSlack, desk: PaperService, fresh_store: Store
) -> AsyncIterator[Harness]:
    """The real Bolt app in single-workspace mode on a private copy of the snapshot."""
    async for harness in harness_for(fake_slack, desk, fresh_store):
        yield harness
