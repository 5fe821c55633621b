"""Retries, Retry-After, error mapping and rate limiting of the shared source HTTP code."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import httpx
import pytest

from bot.errors import SourceResponseError, SourceUnavailable
from bot.sources import RateLimiter, get, retry_after_seconds
from bot.sources._http import CONNECT_TIMEOUT, MAX_BACKOFF, Impatient

URL = "https://huggingface.co/api/daily_papers"


def sequence(*steps: int | Exception | httpx.Response):
    """A handler answering each request with the next step; the last one repeats."""
    remaining = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        step = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(step, Exception):
            raise step
        return step if isinstance(step, httpx.Response) else httpx.Response(step, json=[])

    return handler


async def test_server_error_then_success_is_retried(server, client, fake_time):
    server.handler = sequence(500, 200)
    response = await get(client, URL, source="hf", sleep=fake_time.sleep)
    assert response.status_code == 200
    assert len(server.requests) == 2
    assert fake_time.sleeps == [1.0]


async def test_backoff_doubles_and_final_status_is_reported(server, client, fake_time):
    server.handler = sequence(503)
    with pytest.raises(SourceResponseError) as info:
        await get(client, URL, source="hf", retries=3, backoff=0.5, sleep=fake_time.sleep)
    assert info.value.status == 503
    assert info.value.source == "hf"
    assert len(server.requests) == 4
    assert fake_time.sleeps == [0.5, 1.0, 2.0]


async def test_retry_after_seconds_is_honoured(server, client, fake_time):
    server.handler = sequence(httpx.Response(429, headers={"Retry-After": "7"}), 200)
    response = await get(client, URL, source="hf", sleep=fake_time.sleep)
    assert response.status_code == 200
    assert fake_time.sleeps == [7.0]


async def test_retry_after_is_capped(server, client, fake_time):
    server.handler = sequence(httpx.Response(503, headers={"Retry-After": "86400"}), 200)
    await get(client, URL, source="hf", sleep=fake_time.sleep)
    assert fake_time.sleeps == [60.0]


def test_retry_after_http_date():
    now = dt.datetime(2026, 6, 8, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("Mon, 08 Jun 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Mon, 08 Jun 2026 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds(None) is None


async def test_client_errors_are_not_retried(server, client, fake_time):
    server.handler = sequence(403)
    with pytest.raises(SourceResponseError) as info:
        await get(client, URL, source="hf", sleep=fake_time.sleep)
    assert info.value.status == 403
    assert len(server.requests) == 1
    assert fake_time.sleeps == []


async def test_accepted_status_is_returned(server, client, fake_time):
    server.handler = sequence(404)
    response = await get(client, URL, source="hf", sleep=fake_time.sleep, accept=(404,))
    assert response.status_code == 404


async def test_a_read_timeout_is_retried_once_whatever_the_retries(server, client, fake_time):
    server.handler = sequence(httpx.ReadTimeout(""))
    with pytest.raises(SourceUnavailable) as info:
        await get(
            client, URL, source="hf", env_var="PAPERBOT_HF_URL", retries=10, sleep=fake_time.sleep
        )
    assert str(info.value) == (
        "cannot reach huggingface.co: ReadTimeout: no answer within 5 s "
        "(offline? set PAPERBOT_HF_URL to use a mirror)"
    )
    assert len(server.requests) == 2
    assert fake_time.sleeps == [1.0]


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "[Errno 111] Connection refused"),
        (httpx.ConnectTimeout(""), "ConnectTimeout: no connection within 5 s"),
    ],
)
async def test_a_host_that_cannot_be_connected_to_is_not_retried(
    server, client, fake_time, error, said
):
    server.handler = sequence(error)
    with pytest.raises(SourceUnavailable) as info:
        await get(client, URL, source="hf", env_var="PAPERBOT_HF_URL", sleep=fake_time.sleep)
    assert str(info.value) == (
        f"cannot reach huggingface.co: {said} (offline? set PAPERBOT_HF_URL to use a mirror)"
    )
    assert len(server.requests) == 1
    assert fake_time.sleeps == []


async def test_connect_error_becomes_source_unavailable(server, client, fake_time):
    server.handler = sequence(httpx.ConnectError("[Errno -3] Temporary failure in\nresolution"))
    with pytest.raises(SourceUnavailable) as info:
        await get(client, URL, source="hf", env_var="PAPERBOT_HF_URL", sleep=fake_time.sleep)
    assert str(info.value) == (
        "cannot reach huggingface.co: [Errno -3] Temporary failure in resolution "
        "(offline? set PAPERBOT_HF_URL to use a mirror)"
    )
    assert info.value.source == "hf"


@pytest.mark.parametrize("error", [httpx.ReadError("reset"), httpx.RemoteProtocolError("cut")])
async def test_a_connection_that_broke_off_is_retried(server, client, fake_time, error):
    server.handler = sequence(error, 200)
    response = await get(client, URL, source="hf", sleep=fake_time.sleep)
    assert response.status_code == 200
    assert fake_time.sleeps == [1.0]


async def test_no_backoff_wait_is_longer_than_the_cap(server, client, fake_time):
    server.handler = sequence(503)
    with pytest.raises(SourceResponseError):
        await get(client, URL, source="hf", retries=10, sleep=fake_time.sleep)
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0] + [MAX_BACKOFF] * 5
    assert MAX_BACKOFF <= 30


async def test_a_refused_connection_on_a_real_socket_is_tried_once(fake_time):
    tried: list[httpx.Request] = []

    async def count(request: httpx.Request) -> None:
        tried.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [count]}) as real:
        with pytest.raises(SourceUnavailable) as info:
            # Nothing listens on the discard port: the connection is refused.
            await get(
                real,
                "http://127.0.0.1:9/api/daily_papers",
                source="hf",
                retries=3,
                sleep=fake_time.sleep,
            )
    assert str(info.value).startswith("cannot reach 127.0.0.1: ")
    assert len(tried) == 1
    assert fake_time.sleeps == []


async def test_a_real_server_that_never_answers_gets_two_tries(fake_time, silent_upstream):
    url, accepted = silent_upstream
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.1, connect=CONNECT_TIMEOUT)) as real:
        with pytest.raises(SourceUnavailable, match=r"ReadTimeout: no answer within 0\.1 s"):
            await get(real, f"{url}/", source="hf", retries=10, sleep=fake_time.sleep)
    assert len(accepted) == 2
    assert fake_time.sleeps == [1.0]


async def test_retries_are_logged_without_the_query(server, client, fake_time, caplog):
    server.handler = sequence(500, 200)
    with caplog.at_level(logging.INFO, logger="bot.sources"):
        await get(client, URL, params={"q": "my private words"}, source="hf", sleep=fake_time.sleep)
    assert "HTTP 500" in caplog.text
    assert "huggingface.co/api/daily_papers" in caplog.text
    assert "private" not in caplog.text


async def test_rate_limiter_spaces_calls(fake_time):
    limiter = RateLimiter(3.0, clock=fake_time.clock, sleep=fake_time.sleep)
    times = []
    for _ in range(3):
        await limiter.wait()
        times.append(fake_time.now)
    assert times == [0.0, 3.0, 6.0]

    fake_time.now += 10.0  # a quiet spell: the next call may go at once
    await limiter.wait()
    assert fake_time.sleeps == [3.0, 3.0]

    fake_time.now += 1.0
    await limiter.wait()
    assert fake_time.sleeps == [3.0, 3.0, 2.0]


async def test_rate_limiter_queues_concurrent_callers(fake_time):
    limiter = RateLimiter(3.0, clock=fake_time.clock, sleep=fake_time.sleep)
    times = []

    async def call() -> None:
        await limiter.wait()
        times.append(fake_time.now)

    await asyncio.gather(call(), call(), call())
    assert times == [0.0, 3.0, 6.0]


async def test_rate_limiter_books_slots_even_if_the_clock_stands_still():
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    limiter = RateLimiter(3.0, clock=lambda: 100.0, sleep=sleep)
    for _ in range(3):
        await limiter.wait()
    assert sleeps == [3.0, 6.0]


async def test_get_waits_for_the_limiter_on_every_attempt(server, client, fake_time):
    limiter = RateLimiter(3.0, clock=fake_time.clock, sleep=fake_time.sleep)
    server.handler = sequence(500, 200)
    await get(client, URL, source="arxiv", sleep=fake_time.sleep, limiter=limiter)
    # 1 s of backoff, then 2 s more until the limiter's 3 s slot.
    assert fake_time.sleeps == [1.0, 2.0]


async def test_an_impatient_caller_is_told_busy_rather_than_queued():
    # People looking papers up share arXiv's 3 s budget with the daily fetch: once
    # more than a few seconds of requests are queued, a lookup is refused at once.
    release = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await release.wait()

    limiter = RateLimiter(3.0, clock=lambda: 100.0, sleep=sleep)
    impatient = Impatient(limiter, 6.0, source="arXiv")
    await impatient.wait()  # nothing queued: at once
    assert limiter.expected_wait() == 3.0
    queued = [asyncio.create_task(limiter.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    # One sleeping out the 3 s, two waiting behind it.
    assert limiter.expected_wait() == 9.0
    with pytest.raises(SourceUnavailable, match="arXiv is busy"):
        await impatient.wait()
    release.set()
    await asyncio.gather(*queued)
    # Their slots are booked 3 s apart (the clock here stands still): still too far.
    assert limiter.expected_wait() == 12.0
    with pytest.raises(SourceUnavailable):
        await impatient.wait()


async def test_a_cancelled_waiter_leaves_the_queue():
    release = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await release.wait()

    limiter = RateLimiter(3.0, clock=lambda: 100.0, sleep=sleep)
    await limiter.wait()
    waiters = [asyncio.create_task(limiter.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    for task in waiters:
        task.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    assert limiter.expected_wait() == 3.0
