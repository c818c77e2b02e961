"""A small async client of the Cloud DNS v1 REST API: managed zones, resource record sets, changes.

Only what ExternalDNS's Google provider uses. Listings are paged (``pageToken`` / ``nextPageToken``). A change
is atomic: Cloud DNS applies all its deletions and additions or none. Errors come as Google's JSON error body
(``error.code``, ``error.message``, ``error.errors[].reason``) and are turned into the operator's error types:

* rate limits (HTTP 429, or 403 with reason ``rateLimitExceeded`` / ``userRateLimitExceeded``) and 5xx are
  retried with exponential backoff, honouring ``Retry-After``; a POST is retried only when the server cannot
  have applied it (429/403 rate limits), never after a 5xx or a lost answer, where it may have;
* 401 refreshes the token once;
* anything else is :class:`CloudDNSRejected` with Google's own message and reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from external_dns.errors import AmbiguousProviderError, ProviderError, TransientProviderError
from external_dns.providers.google.credentials import TokenSource

logger = logging.getLogger(__name__)

#: Reasons of a 403 that mean "slow down", not "forbidden".
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
#: Longest wait honoured from a Retry-After header.
MAX_RETRY_AFTER = 60.0
_MAX_BACKOFF = 10.0

Sleep = Callable[[float], Awaitable[None]]


class CloudDNSRejected(ProviderError):
    """Cloud DNS refused a request (400 invalid, 404 notFound, 409 alreadyExists, 412 conditionNotMet, ...)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"Cloud DNS refused the request (HTTP {status} {reason}): {message}")
        self.status = status
        self.reason = reason
        self.message = message


class CloudDNSUnavailable(TransientProviderError):
    """Throttled past the retries, a 5xx, or no answer. ``maybe_applied``: a change may have gone through."""

    def __init__(self, message: str, *, maybe_applied: bool) -> None:
        super().__init__(message)
        self.maybe_applied = maybe_applied


class CloudDNSLostAnswer(CloudDNSUnavailable, AmbiguousProviderError):
    """A change was sent and its answer lost (a 5xx, a dropped connection): the zone is re-read before a retry."""


def _unavailable(message: str, *, maybe_applied: bool) -> CloudDNSUnavailable:
    error_class = CloudDNSLostAnswer if maybe_applied else CloudDNSUnavailable
    return error_class(message, maybe_applied=maybe_applied)


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: Any
    retry_after: float | None


class CloudDNSClient:
    """Calls under ``{endpoint}/projects/{project}``; ``max_attempts`` bounds retries of one call."""

    def __init__(
        self,
        endpoint: str,
        project: str,
        tokens: TokenSource,
        *,
        session: aiohttp.ClientSession | None = None,
        max_attempts: int = 5,
        backoff_seconds: float = 0.5,
        sleep: Sleep = asyncio.sleep,
        timeout: float = 30.0,
    ) -> None:
        self.project = project
        self._base = f"{endpoint.rstrip('/')}/projects/{project}"
        self._tokens = tokens
        self._session = session
        self._owns_session = session is None
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff_seconds
        self._sleep = sleep
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        #: HTTP requests sent, by "METHOD last-path-segment" (retries included), for metrics and tests.
        self.requests: dict[str, int] = {}

    async def managed_zones(self) -> AsyncIterator[Mapping[str, Any]]:
        async for zone in self._pages("/managedZones", "managedZones"):
            yield zone

    async def record_sets(self, zone: str, page_size: int, name: str | None = None) -> AsyncIterator[Mapping[str, Any]]:
        """The zone's rrsets, page by page; with ``name`` (fully qualified, with its dot), those at that name."""
        where = {"name": name} if name is not None else {}
        async for record_set in self._pages(f"/managedZones/{zone}/rrsets", "rrsets", page_size, where):
            yield record_set

    async def create_change(self, zone: str, additions: list[Any], deletions: list[Any]) -> Mapping[str, Any]:
        body = {"kind": "dns#change", "additions": additions, "deletions": deletions}
        answer: Mapping[str, Any] = await self._call("POST", f"/managedZones/{zone}/changes", body=body)
        return answer

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    async def _pages(
        self, path: str, key: str, page_size: int | None = None, where: Mapping[str, str] | None = None
    ) -> AsyncIterator[Mapping[str, Any]]:
        params: dict[str, str] = {**(where or {}), **({"maxResults": str(page_size)} if page_size else {})}
        while True:
            page = await self._call("GET", path, params=params)
            for item in page.get(key) or ():
                yield item
            token = page.get("nextPageToken")
            if not token:
                return
            params = {**params, "pageToken": str(token)}

    async def _call(self, method: str, path: str, *, params: Mapping[str, str] | None = None, body: Any = None) -> Any:
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            answer = await self._send(method, path, params, body)
            if answer.status < 300:
                return answer.body
            reason, message = _error_details(answer.body)
            if answer.status == 401 and not refreshed:
                refreshed = True
                self._tokens.invalidate()
                continue
            throttled = answer.status == 429 or (answer.status == 403 and reason in RATE_LIMIT_REASONS)
            if not throttled and answer.status < 500:
                raise CloudDNSRejected(answer.status, reason, message)
            # A 5xx to a POST may come after the change was applied: never send it again blindly.
            may_retry = throttled or method == "GET"
            if not may_retry or attempt >= self._max_attempts:
                raise _unavailable(
                    f"Cloud DNS {method} {path.rsplit('/', 1)[-1]}: HTTP {answer.status} {reason}: {message}",
                    maybe_applied=not throttled and method != "GET",
                )
            delay = answer.retry_after
            if delay is None:
                delay = min(_MAX_BACKOFF, self._backoff * 2 ** (attempt - 1))
            logger.warning(
                "Cloud DNS %s answered HTTP %d (%s); retrying in %.1fs", method, answer.status, reason, delay
            )
            await self._sleep(delay)

    async def _send(self, method: str, path: str, params: Mapping[str, str] | None, body: Any) -> _Answer:
        session = self._session
        if session is None:
            session = self._session = aiohttp.ClientSession(timeout=self._timeout)
        counter = f"{method} {path.rsplit('/', 1)[-1]}"
        self.requests[counter] = self.requests.get(counter, 0) + 1
        headers = {"Authorization": f"Bearer {await self._tokens.token()}", "Accept": "application/json"}
        try:
            async with session.request(
                method, self._base + path, params=params, json=body, headers=headers
            ) as response:
                try:
                    payload = await response.json(content_type=None)
                except ValueError:
                    payload = {"error": {"message": (await response.text())[:200]}}
                return _Answer(response.status, payload, _retry_after(response.headers.get("Retry-After")))
        except (aiohttp.ClientError, TimeoutError) as error:
            # The request may have reached Cloud DNS: for a POST that is as ambiguous as a 5xx.
            raise _unavailable(
                f"Cloud DNS {method} {path.rsplit('/', 1)[-1]}: {type(error).__name__}: {error}",
                maybe_applied=method != "GET",
            ) from None


def _error_details(body: Any) -> tuple[str, str]:
    """Google's error body: the first ``errors[].reason`` and ``error.message``."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return "", str(body)[:200]
    reasons = [str(item.get("reason", "")) for item in error.get("errors") or () if isinstance(item, Mapping)]
    return (reasons[0] if reasons else str(error.get("status", ""))), str(error.get("message", ""))


def _retry_after(header: str | None) -> float | None:
    if header is None:
        return None
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(header)))
    except ValueError:
        return None
