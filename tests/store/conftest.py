"""Store tests run against the port, once per backend that can run here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import PaperStore, open_store


@pytest.fixture(params=["memory", "file"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[PaperStore]:
    url = "sqlite://" if request.param == "memory" else f"sqlite:///{tmp_path}/store.sqlite3"
    async with open_store(url) as s:
        yield s
