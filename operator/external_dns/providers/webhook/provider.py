"""Webhook provider: ExternalDNS's ``--provider=webhook``, a client of an out-of-process DNS provider over HTTP.

The remote side speaks ExternalDNS's webhook protocol (``provider/webhook/webhook.go``; JSON in
``providers/webhook/wire.py``): ``GET /`` negotiates the media type and returns the provider's domain filter,
``GET /records`` lists every record, ``POST /records`` applies a change batch (204), ``POST /adjustendpoints``
canonicalises desired endpoints.

Why one root zone: the protocol is whole-world. The remote provider has no notion of zones on the wire: it
returns all its records in one list and takes one batch for all of them. So :meth:`WebhookProvider.zones`
reports a single ``Zone(name="")``, the root, which contains every name; the reconciler then plans and applies
everything as one zone, exactly as ExternalDNS does with a webhook. The remote's domain filter (from the
negotiation) is exposed as :attr:`WebhookProvider.domain_filter` for the planner to AND with the user's.

Limitation, adjust_endpoints: our ``Provider.adjust_endpoints`` is synchronous and called on every plan, but
the webhook's adjustment is an HTTP call. :meth:`WebhookProvider.adjust_endpoints` therefore does only the
canonicalisation that can be done locally (ExternalDNS's ``RetainProviderProperties`` for ``--provider=webhook``:
provider-specific properties are kept only when slash-less or ``webhook/``-prefixed), and
:meth:`WebhookProvider.adjust_endpoints_remote` makes the real ``POST /adjustendpoints`` call for callers that
can await it. A remote provider that rewrites endpoints (a default TTL, say) will cause repeated updates until
the protocol's ``adjust_endpoints`` becomes async and calls the remote.

Errors: connection errors, timeouts and HTTP 500-510 raise TransientProviderError (ExternalDNS's SoftError);
those that can come after the request was sent (a 5xx, a timeout, a dropped connection) are
AmbiguousProviderError, since the remote may have applied all or part of a batch; any other unexpected status
raises ProviderError.

One bad record never fails a whole batch: a batch answered 400/422, or with an ambiguous failure, is split in
halves (providers/splitting.py) until only the culprit's group fails. After an ambiguous failure each send first
re-reads ``GET /records`` and drops the changes already applied (groups.py), so no create is
sent twice; the outcome is marked ambiguous when a failed group may have landed, and the reconciler re-reads.

The negotiation is retried (5 tries, exponential backoff) on
connection errors and 5xx only; 3xx/4xx or a wrong response Content-Type fail it at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

import aiohttp
from prometheus_client import Counter

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import Endpoint
from external_dns.errors import AmbiguousProviderError, BatchRejected, ProviderError, TransientProviderError
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.http import HttpClient, HttpReply, RetryPolicy, Sleep
from external_dns.providers.splitting import apply_bisecting
from external_dns.providers.webhook.groups import ChangeGroup, Listing, batch_of, change_groups, listing_of
from external_dns.providers.webhook.wire import (
    MEDIA_TYPE,
    WebhookJSONError,
    changes_to_json,
    decode,
    domain_filter_from_json,
    encode,
    endpoints_from_json,
    endpoints_to_json,
)

logger = logging.getLogger(__name__)

#: Negotiation tries before giving up (ExternalDNS: maxRetries = 5).
NEGOTIATION_TRIES = 5
#: Statuses ExternalDNS treats as soft (retryable) errors.
TRANSIENT_STATUSES = range(500, 511)
#: Statuses meaning the remote refused what a change batch holds (nothing applied): the batch is split.
REJECTED_STATUSES = frozenset({400, 422})
#: The only provider-specific prefix forwarded to a webhook (RetainProviderProperties with provider "webhook").
PROPERTY_PREFIX = "webhook/"

T = TypeVar("T")


class Call(StrEnum):
    """The protocol's calls, as counted in metrics."""

    NEGOTIATE = "negotiate"
    RECORDS = "records"
    APPLY_CHANGES = "applychanges"
    ADJUST_ENDPOINTS = "adjustendpoints"


# ExternalDNS's external_dns_webhook_provider_<call>_{requests,errors} metrics (exposed with the _total suffix).
_REQUESTS = {
    call: Counter(
        f"webhook_provider_{call.value}_requests",
        f"Requests of the webhook {call.value} call.",
        namespace="external_dns",
    )
    for call in Call
}
_ERRORS = {
    call: Counter(
        f"webhook_provider_{call.value}_errors", f"Failed webhook {call.value} calls.", namespace="external_dns"
    )
    for call in Call
}


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """The ``--webhook-provider-*`` settings; the client timeout is read + write timeout, as upstream."""

    url: str = "http://localhost:8888"
    read_timeout: float = 5.0
    write_timeout: float = 10.0
    #: Largest response body accepted, in bytes (0 = unlimited).
    max_body_size: int = 33554432


@dataclass(slots=True)
class WebhookCounters:
    """Requests and failures per call of one provider instance (mutable on purpose: the provider counts)."""

    requests: dict[Call, int] = field(default_factory=lambda: dict.fromkeys(Call, 0))
    errors: dict[Call, int] = field(default_factory=lambda: dict.fromkeys(Call, 0))


class WebhookProvider:
    """A :class:`~external_dns.providers.base.Provider` that forwards to a webhook (see the module docstring)."""

    name = "webhook"

    def __init__(
        self,
        config: WebhookConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        backoff_seconds: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._config = config
        self._base = config.url.rstrip("/")
        total = config.read_timeout + config.write_timeout
        # Each call is sent once, as upstream (a failure is retried by the reconciler); the negotiation is retried.
        self._http = HttpClient(
            "webhook",
            RetryPolicy(attempts=1),
            session=session,
            timeout=total if total > 0 else None,
            max_body_size=config.max_body_size,
            sleep=sleep,
        )
        self._negotiation_policy = RetryPolicy(attempts=NEGOTIATION_TRIES, backoff=backoff_seconds)
        self._domain_filter: DomainFilter | None = None
        self._negotiation_lock = asyncio.Lock()
        self.counters = WebhookCounters()

    @property
    def domain_filter(self) -> DomainFilter:
        """The remote provider's domain filter; empty (matches everything) until negotiated."""
        return self._domain_filter if self._domain_filter is not None else DomainFilter()

    @property
    def negotiated(self) -> bool:
        """Whether the media type has been negotiated with the remote."""
        return self._domain_filter is not None

    # -- the Provider protocol ---------------------------------------------------------------------------

    async def zones(self) -> list[Zone]:
        """The single root zone (the protocol is whole-world); negotiates on first use."""
        await self.negotiate()
        return [Zone(name="", id="")]

    async def records(self, zone: Zone) -> list[Endpoint]:
        """``GET /records``: every record the remote holds (within ``zone``, which is normally the root)."""
        await self.negotiate()
        reply = await self._request(Call.RECORDS, "GET", "/records", expect=200)
        endpoints = self._decode(Call.RECORDS, reply, endpoints_from_json)
        return [endpoint for endpoint in endpoints if zone.contains(endpoint.dns_name)]

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        """``POST /records`` with the whole batch; a refused or lost batch is split (see the module docstring)."""
        if not changes.has_changes():
            return ApplyOutcome()
        await self.negotiate()
        batch = Changes(
            create=self._retained(changes.create),
            update_old=self._retained(changes.update_old),
            update_new=self._retained(changes.update_new),
            delete=self._retained(changes.delete),
        )
        attempt = _ApplyAttempt(self, zone)
        try:
            outcome = await apply_bisecting([change_groups(batch)], attempt.send, ChangeGroup.endpoints)
        except ProviderError as error:
            if attempt.answer_lost and not isinstance(error, AmbiguousProviderError):
                raise AmbiguousProviderError(str(error)) from error
            raise
        # A group reported failed after a lost answer may have landed: the caller re-reads before retrying.
        outcome.ambiguous = outcome.ambiguous or (attempt.answer_lost and bool(outcome.failed))
        return outcome

    async def post_changes(self, body: bytes) -> None:
        """``POST /records`` with an encoded batch: 204, else the error its status maps to."""
        await self._request(Call.APPLY_CHANGES, "POST", "/records", body=body, expect=204)

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        """The local part of the canonicalisation: drop the properties a webhook never receives.

        The remote ``POST /adjustendpoints`` is :meth:`adjust_endpoints_remote` (see the module docstring).
        """
        return self._retained(endpoints)

    async def adjust_endpoints_remote(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        """``POST /adjustendpoints``: the remote provider's canonical form of ``endpoints``."""
        await self.negotiate()
        body = encode(endpoints_to_json(self._retained(endpoints)))
        reply = await self._request(Call.ADJUST_ENDPOINTS, "POST", "/adjustendpoints", body=body, expect=200)
        return self._decode(Call.ADJUST_ENDPOINTS, reply, endpoints_from_json)

    async def close(self) -> None:
        """Close the HTTP session if this provider created it."""
        await self._http.close()

    # -- negotiation -------------------------------------------------------------------------------------

    async def negotiate(self) -> DomainFilter:
        """``GET /`` once: check the media type and keep the remote's domain filter (retried as upstream)."""
        async with self._negotiation_lock:
            if self._domain_filter is None:
                self._domain_filter = await self._negotiate()
            return self._domain_filter

    async def _negotiate(self) -> DomainFilter:
        reply = await self._request(Call.NEGOTIATE, "GET", "/", expect=None, policy=self._negotiation_policy)
        if 200 <= reply.status < 300:
            return self._accept_negotiation(reply)
        self._count_error(Call.NEGOTIATE)
        problem = f"HTTP {reply.status}{_snippet(reply.body)}"
        if reply.status < 500:
            raise ProviderError(f"webhook negotiation with {self._base} failed: {problem}")
        raise TransientProviderError(
            f"webhook negotiation with {self._base} failed after {NEGOTIATION_TRIES} attempts: {problem}"
        )

    def _accept_negotiation(self, reply: HttpReply) -> DomainFilter:
        if reply.content_type != MEDIA_TYPE:
            self._count_error(Call.NEGOTIATE)
            raise ProviderError(
                f"webhook at {self._base} answered the negotiation with Content-Type {reply.content_type!r}, "
                f"expected {MEDIA_TYPE!r}"
            )
        domain_filter = self._decode(Call.NEGOTIATE, reply, domain_filter_from_json)
        logger.info("Negotiated with webhook %s; its domain filter: %s", self._base, domain_filter.to_json())
        if not domain_filter.is_configured:
            logger.warning(
                "Webhook %s announced no domain filter: every name the sources ask for is sent to it, as one zone "
                "'.'; set --domain-filter to limit the names",
                self._base,
            )
        return domain_filter

    # -- HTTP --------------------------------------------------------------------------------------------

    async def _request(
        self,
        call: Call,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        expect: int | None,
        policy: RetryPolicy | None = None,
    ) -> HttpReply:
        """One request (once, unless ``policy`` says otherwise). With ``expect``, any other status raises (500-510
        transient, ambiguous for a write); connection errors and timeouts raise TransientProviderError."""
        headers = {"Accept": MEDIA_TYPE}
        if body is not None:
            headers["Content-Type"] = MEDIA_TYPE
        url = self._base + path
        observer = _CallObserver(self, call)
        reply = await self._http.request(method, url, data=body, headers=headers, policy=policy, observer=observer)
        if expect is None or reply.status == expect:
            return reply
        self._count_error(call)
        message = f"webhook {method} {url} answered HTTP {reply.status}, expected {expect}{_snippet(reply.body)}"
        if reply.status in TRANSIENT_STATUSES:
            # A 5xx to a write may come after the remote applied all or part of it.
            raise (AmbiguousProviderError if reply.answer_lost else TransientProviderError)(message)
        if reply.status in REJECTED_STATUSES and call is Call.APPLY_CHANGES:
            raise BatchRejected(message)
        raise ProviderError(message)

    def _decode(self, call: Call, reply: HttpReply, parse: Callable[[object], T]) -> T:
        try:
            return parse(decode(reply.body))
        except WebhookJSONError as error:
            self._count_error(call)
            raise ProviderError(f"webhook {self._base} sent an invalid {call.value} response: {error}") from None

    def _count_error(self, call: Call) -> None:
        self.counters.errors[call] += 1
        _ERRORS[call].inc()

    @staticmethod
    def _retained(endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        return [_retain_properties(endpoint) for endpoint in endpoints]


class _CallObserver:
    """Counts one call's HTTP attempts and failures into the provider's counters and metrics."""

    def __init__(self, provider: WebhookProvider, call: Call) -> None:
        self._provider = provider
        self._call = call

    def attempted(self) -> None:
        self._provider.counters.requests[self._call] += 1
        _REQUESTS[self._call].inc()

    def failed(self) -> None:
        self._provider._count_error(self._call)


class _ApplyAttempt:
    """One ``apply_changes`` call: sends groups of changes, and after a lost answer only what has not landed."""

    def __init__(self, provider: WebhookProvider, zone: Zone) -> None:
        self._provider = provider
        self._zone = zone
        self._listing: Listing | None = None
        #: A POST failed after it was sent: the remote may hold part of what this call sent.
        self.answer_lost = False

    async def send(self, groups: Sequence[ChangeGroup]) -> None:
        """POST the groups; a lost answer is raised as a rejection, so that apply_bisecting splits the batch."""
        if self.answer_lost:
            if self._listing is None:
                self._listing = listing_of(await self._provider.records(self._zone))
            groups = [rest for group in groups if (rest := group.unapplied(self._listing))]
            if not groups:
                return  # all of it landed before the answer was lost
        body = encode(changes_to_json(batch_of(groups)))
        try:
            await self._provider.post_changes(body)
        except AmbiguousProviderError as error:
            self.answer_lost = True
            self._listing = None  # read again before the next send: this POST may have applied part of it
            raise BatchRejected(str(error)) from error


def _retain_properties(endpoint: Endpoint) -> Endpoint:
    """ExternalDNS's RetainProviderProperties for the webhook: drop other providers' ``aws/...`` and such."""
    kept = {
        name: value
        for name, value in endpoint.provider_specific.items()
        if "/" not in name or name.startswith(PROPERTY_PREFIX)
    }
    return endpoint if len(kept) == len(endpoint.provider_specific) else endpoint.with_(provider_specific=kept)


def _snippet(body: bytes) -> str:
    """The start of an error body, for messages (webhooks are told to keep them short, but not all do)."""
    text = body.decode("utf-8", errors="replace").strip()
    return f": {text[:200]}" if text else ""
