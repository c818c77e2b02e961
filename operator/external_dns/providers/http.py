"""The HTTP client the REST providers share (Cloudflare, PowerDNS, webhook): one retry loop instead of three.

:meth:`HttpClient.request` sends a request and retries it on connection errors, timeouts, 429 and 5xx with
exponential backoff, honouring a ``Retry-After`` header (capped, so a confused server cannot stall a zone worker
for hours). It returns the last answer whatever its status, so each provider keeps its own mapping of statuses
to errors; a request that never got an answer raises :class:`TransientProviderError`, or
:class:`AmbiguousProviderError` when a write was sent and its answer lost (it may have been applied).
:attr:`HttpReply.answer_lost` tells the same of a returned 5xx: a write answered 5xx may have been applied too.
"""

from __future__ import annotations

import asyncio
import email.utils
import json as jsonlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp

from external_dns.errors import AmbiguousProviderError, ProviderError, TransientProviderError

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

#: Longest wait honoured from a Retry-After header.
MAX_RETRY_AFTER = 60.0
#: Methods that change nothing: a lost answer to them is never ambiguous.
READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a request is retried: ``attempts`` in all, ``backoff`` x 2^i between them."""

    attempts: int = 3
    backoff: float = 0.25
    #: Whether 429 and 5xx answers are retried (connection errors and timeouts always are, up to ``attempts``).
    retry_statuses: bool = True


@dataclass(frozen=True, slots=True)
class HttpReply:
    """An answer: status, headers and the whole body. ``answer_lost``: a write may have been applied although
    this answer (or an earlier attempt's) says it failed."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    answer_lost: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self) -> Any:
        """The decoded JSON body, or None when the body is not JSON."""
        try:
            return jsonlib.loads(self.body) if self.body else None
        except ValueError:
            return None


class AttemptObserver(Protocol):
    """Told of each attempt a request makes, and of each one that failed (an exception or a retried status)."""

    def attempted(self) -> None: ...

    def failed(self) -> None: ...


class HttpClient:
    """A session plus the retry policy; ``name`` ("PowerDNS", "Cloudflare", ...) starts log and error messages."""

    def __init__(
        self,
        name: str,
        policy: RetryPolicy,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float | None = 30.0,
        verify_tls: bool = True,
        max_body_size: int = 0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self.policy = policy
        self._session = session
        self._owns_session = session is None
        self._timeout = timeout
        self._verify_tls = verify_tls
        self._max_body_size = max_body_size
        self._sleep = sleep

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: object = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        observer: AttemptObserver | None = None,
    ) -> HttpReply:
        """Send, retrying as the policy (this client's unless given) says; see the module docstring for what is
        returned and raised. ``observer`` hears of every attempt and every failed one (for per-call metrics)."""
        policy = policy or self.policy
        write = method.upper() not in READS
        lost = False
        problem = ""
        attempts = max(1, policy.attempts)
        for attempt in range(attempts):
            delay = policy.backoff * 2**attempt
            if observer is not None:
                observer.attempted()
            try:
                reply = await self._send(method, url, params, json, data, headers)
            except (aiohttp.ClientError, TimeoutError) as error:
                lost = lost or (write and not isinstance(error, aiohttp.ClientConnectorError))
                problem = f"{type(error).__name__}: {error}"
            except ProviderError:
                if observer is not None:
                    observer.failed()
                raise
            else:
                lost = lost or (write and reply.status >= 500)
                retryable = reply.status == 429 or reply.status >= 500
                if not (retryable and policy.retry_statuses) or attempt + 1 == attempts:
                    return HttpReply(reply.status, reply.reason, reply.headers, reply.body, answer_lost=lost)
                delay = retry_after(reply.headers.get("Retry-After"), delay)
                problem = f"HTTP {reply.status}"
            if observer is not None:
                observer.failed()
            if attempt + 1 < attempts:
                logger.warning("%s %s %s failed (%s); retrying in %.2fs", self.name, method, url, problem, delay)
                await self._sleep(delay)
        error_class = AmbiguousProviderError if lost else TransientProviderError
        raise error_class(f"{self.name} {method} {url} failed after {attempts} attempts: {problem}")

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json: object,
        data: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> HttpReply:
        # No redirects: none of these APIs answers with one on purpose, and following one could leak credentials.
        async with self._ensure_session().request(
            method, url, params=params, json=json, data=data, headers=headers, allow_redirects=False
        ) as response:
            body = await self._read(response)
            return HttpReply(response.status, str(response.reason or ""), dict(response.headers), body)

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        limit = self._max_body_size
        if not limit:
            return await response.read()
        body = bytearray()
        async for chunk in response.content.iter_chunked(65536):
            body += chunk
            if len(body) > limit:
                raise ProviderError(f"{self.name} {response.url} sent a body over the {limit}-byte limit")
        return bytes(body)

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # ssl=False skips certificate verification (e.g. --pdns-skip-tls-verify); True verifies as usual.
            connector = aiohttp.TCPConnector(ssl=self._verify_tls)
            timeout = aiohttp.ClientTimeout(total=self._timeout)
            self._session = aiohttp.ClientSession(connector=connector, timeout=timeout)
            self._owns_session = True
        return self._session


def retry_after(header: str | None, fallback: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), else the backoff delay."""
    if not header:
        return fallback
    try:
        seconds = float(header)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return fallback
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
