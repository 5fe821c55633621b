"""Polite HTTP for the paper sources: retries with backoff, Retry-After, rate limits."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, Protocol

import httpx

from bot.errors import SourceResponseError, SourceUnavailable

__all__ = [
    "CONNECT_TIMEOUT",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "MAX_TIMEOUT_RETRIES",
    "Impatient",
    "Limiter",
    "RateLimiter",
    "Sleep",
    "get",
    "retry_after_seconds",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]

# A server asking us to wait longer than this is better treated as down for now; the
# caller (a scheduled fetch, a user command) can try again later.
MAX_RETRY_AFTER = 60.0

# Connecting gets this long, at most: a host that takes longer is unreachable for now.
# (Reading an answer gets PAPERBOT_HTTP_TIMEOUT.)
CONNECT_TIMEOUT = 5.0
# No single backoff wait is longer than this, however many retries are allowed.
MAX_BACKOFF = 30.0
# A server that let a whole read timeout pass gets one more try, not ``retries`` more:
# each costs PAPERBOT_HTTP_TIMEOUT, and one that did not answer twice will not answer.
MAX_TIMEOUT_RETRIES = 1

# 429 and 5xx are the statuses a later attempt can change; other 4xx will not.
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# No connection could be made (DNS failure, refused, no route, the connect timeout):
# another try a second later fails the same way, so these are not retried; the
# caller says at once that the upstream is unreachable.
_UNREACHABLE = (httpx.ConnectError, httpx.ConnectTimeout)
# Connected, but the exchange broke off or timed out: worth another try. Other
# transport errors (UnsupportedProtocol, LocalProtocolError, ProxyError) come from our
# own configuration, and retrying them only wastes time.
_RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class Limiter(Protocol):
    """What a request waits on before it is sent."""

    async def wait(self) -> None: ...


class RateLimiter:
    """Spaces calls to :meth:`wait` at least ``interval`` seconds apart (arXiv asks for 3 s).

    One limiter is shared by every request to the same service, including concurrent
    ones: a lock makes them queue.
    """

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None
        self._lock = asyncio.Lock()
        self._queued = 0

    def expected_wait(self) -> float:
        """Seconds a caller arriving now would wait: the callers queued ahead of it, and
        what is left of the interval since the last request."""
        left = 0.0 if self._last is None else self._last + self.interval - self._clock()
        return max(left, 0.0) + self._queued * self.interval

    async def wait(self) -> None:
        """Return once a request may be sent, sleeping if the previous one was too recent."""
        self._queued += 1
        try:
            await self._lock.acquire()
        finally:
            self._queued -= 1
        try:
            now = self._clock()
            if self._last is not None:
                delay = self._last + self.interval - now
                if delay > 0:
                    log.debug("rate limit: waiting %.2f s", delay)
                    await self._sleep(delay)
                    # Never book a slot earlier than the one we waited for, even when the
                    # clock did not move (a fake clock, a coarse timer).
                    now = max(self._clock(), self._last + self.interval)
            self._last = now
        finally:
            self._lock.release()


class Impatient:
    """A limiter's queue for someone waiting for an answer: a caller that would wait more
    than ``seconds`` (many people looking papers up at once, or a long fetch) is told
    the service is busy at once instead, and the fetch that posts the daily lists is
    never held up behind them."""

    def __init__(self, limiter: RateLimiter, seconds: float, *, source: str) -> None:
        self.limiter = limiter
        self.seconds = seconds
        self.source = source

    async def wait(self) -> None:
        if self.limiter.expected_wait() > self.seconds:
            raise SourceUnavailable(f"{self.source} is busy right now", source=self.source)
        await self.limiter.wait()


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP date).

    Returns None when the header is missing or unreadable; the result is clamped to
    ``0 .. MAX_RETRY_AFTER``.
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _one_line(exc: BaseException, client: httpx.AsyncClient | None = None) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, httpx.TimeoutException):
        # httpx timeouts often carry no message at all: say which one, and how long.
        connecting = isinstance(exc, httpx.ConnectTimeout)
        limit = None
        if client is not None:
            limit = client.timeout.connect if connecting else client.timeout.read
        if limit and (not text or "timed out" in text.lower()):
            text = f"no {'connection' if connecting else 'answer'} within {limit:g} s"
        text = f"{type(exc).__name__}: {text or 'timed out'}"
    return (text or type(exc).__name__)[:200]


def _unavailable(
    url: httpx.URL,
    exc: BaseException,
    source: str,
    env_var: str | None,
    client: httpx.AsyncClient | None = None,
) -> SourceUnavailable:
    hint = f"offline? set {env_var} to use a mirror" if env_var else "offline?"
    return SourceUnavailable(
        f"cannot reach {url.host or url}: {_one_line(exc, client)} ({hint})", source=source
    )


async def get(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: Mapping[str, str | int] | None = None,
    source: str,
    env_var: str | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    sleep: Sleep = asyncio.sleep,
    limiter: Limiter | None = None,
    accept: Collection[int] = (),
) -> httpx.Response:
    """GET ``url`` through ``client`` (whose timeouts apply), retrying what may pass.

    A host that cannot be connected to (DNS failure, refused, the connect timeout) is
    not retried: ``SourceUnavailable`` at once. 429, 5xx and a connection that broke
    off are retried up to ``retries`` times, a read timeout at most
    ``MAX_TIMEOUT_RETRIES`` times, waiting ``backoff * 2**n`` seconds (at most
    ``MAX_BACKOFF``) or what ``Retry-After`` asks (at most ``MAX_RETRY_AFTER``). A 2xx,
    or a status listed in ``accept`` (a 404 the caller handles, an error feed it wants
    to read), is returned. Raises ``SourceUnavailable`` when the host cannot be reached
    or does not answer, and ``SourceResponseError`` for any other final status.
    ``env_var`` names the setting that moves this base URL, for the error message.
    """
    request_url = httpx.URL(url)
    # Log host and path only: queries may hold what a user typed.
    where = f"{request_url.host}{request_url.path}"
    timeouts = 0
    for attempt in range(retries + 1):
        last = attempt == retries
        delay = min(backoff * 2**attempt, MAX_BACKOFF)
        if limiter is not None:
            await limiter.wait()
        try:
            response = await client.get(url, params=params)
        except _UNREACHABLE as exc:
            raise _unavailable(request_url, exc, source, env_var, client) from exc
        except _RETRY_ERRORS as exc:
            timed_out = isinstance(exc, httpx.TimeoutException)
            if last or (timed_out and timeouts >= MAX_TIMEOUT_RETRIES):
                raise _unavailable(request_url, exc, source, env_var, client) from exc
            timeouts += timed_out
            log.info(
                "%s: %s; retry %d/%d in %.1f s",
                where,
                _one_line(exc, client),
                attempt + 1,
                retries,
                delay,
            )
            await sleep(delay)
            continue
        except httpx.TransportError as exc:
            raise _unavailable(request_url, exc, source, env_var, client) from exc

        status = response.status_code
        if response.is_success or status in accept:
            return response
        if status in _RETRY_STATUSES and not last:
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            delay = asked if asked is not None else delay
            log.warning(
                "%s: HTTP %d; retry %d/%d in %.1f s", where, status, attempt + 1, retries, delay
            )
            await response.aclose()
            await sleep(delay)
            continue
        raise SourceResponseError(
            f"{request_url.host} answered HTTP {status} for {request_url.path}",
            source=source,
            status=status,
        )
    raise AssertionError("unreachable: the last attempt returns or raises")
