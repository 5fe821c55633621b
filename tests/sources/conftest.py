"""Helpers for the source tests: recorded fixtures, a fake clock, a mock transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


class Recorder:
    """Serves responses from a handler and remembers every request it saw."""

    def __init__(self) -> None:
        self.handler: Handler = lambda request: httpx.Response(500)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


@pytest.fixture
def server() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(server: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
        yield http


def _serve_file(path: Path, status: int = 200) -> Handler:
    body = path.read_bytes()
    return lambda request: httpx.Response(status, content=body)


@pytest.fixture
def serve_file() -> Callable[..., Handler]:
    """``serve_file(path, status=200)``: a handler answering every request with that file."""
    return _serve_file
