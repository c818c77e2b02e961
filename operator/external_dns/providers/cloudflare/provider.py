"""Cloudflare DNS provider: ExternalDNS's ``--provider=cloudflare`` over the Cloudflare v4 REST API.

Cloudflare stores one record per value, each with its own id; ExternalDNS (and this provider) groups them into
one endpoint per (name, type) and turns an update into a per-target diff: records whose value is gone are
deleted, new values are created, kept values are patched only if their TTL or proxied flag changed.

Canonical form (what :meth:`CloudflareProvider.records` returns and what ``adjust_endpoints`` produces, so
that a resync plans nothing):

* TTL: Cloudflare's ``1`` means "automatic"; it is reported as ``0`` (ExternalDNS's "not configured"). A
  desired TTL of 0 or 1 is written as 1. A proxied record always has an automatic TTL, so its TTL is 0.
* Every endpoint carries the provider-specific property ``external-dns.kubernetes.io/cloudflare-proxied``
  (``"true"``/``"false"``): the endpoint's own property if it parses as a boolean, else
  ``--cloudflare-proxied``; always false for types Cloudflare cannot proxy (LOC, MX, NS, SPF, TXT, SRV).
* MX targets are ``"<priority> <host>"`` and SRV targets ``"<priority> <weight> <port> <target>"`` as
  everywhere in ExternalDNS; Cloudflare keeps the priority in a separate field, folded in on read and split
  on write.
* Targets are sorted, whatever order Cloudflare lists the records in; :meth:`CloudflareProvider.records_at`
  gives the same form at a few names, one listing filtered by name each.

Credentials are sent as headers only and never appear in logs, exceptions or the config's repr.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import aiohttp

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint, normalize_name
from external_dns.errors import AmbiguousProviderError, ConfigError, TransientProviderError
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.cloudflare.api import (
    AUTO_TTL,
    CloudflareAPI,
    CloudflareRecord,
    CloudflareRefused,
    Credentials,
)
from external_dns.providers.http import HttpClient, RetryPolicy, Sleep
from external_dns.providers.pointreads import read_each

logger = logging.getLogger(__name__)

#: The provider-specific property ExternalDNS uses for Cloudflare's orange cloud.
PROXIED_PROPERTY = "external-dns.kubernetes.io/cloudflare-proxied"
#: Types Cloudflare cannot proxy: proxied is forced false (ExternalDNS: recordTypeProxyNotSupported).
NOT_PROXIABLE_TYPES = frozenset({"LOC", "MX", "NS", "SPF", "TXT", "SRV"})
#: Cloudflare caps zone listings at 50 per page.
ZONES_PER_PAGE = 50

#: One endpoint's operations against the API, deferred until its turn.
Work = tuple[Endpoint, Callable[[], Awaitable[None]]]


@dataclass(frozen=True, slots=True)
class CloudflareConfig:
    """The ``--cloudflare-*`` settings; credentials: ``CF_API_TOKEN`` or ``CF_API_KEY`` + ``CF_API_EMAIL``."""

    api_token: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)
    api_email: str = ""
    proxied: bool = False
    records_per_page: int = 100
    zone_id_filter: tuple[str, ...] = ()
    domain_filter: DomainFilter | None = None
    api_url: str = "https://api.cloudflare.com/client/v4"
    max_retries: int = 5


class CloudflareProvider:
    """The Cloudflare provider (see the module docstring for the canonical record form)."""

    name = "cloudflare"
    #: How long the zone list is reused before it is listed again (zones come and go rarely).
    zone_cache_seconds = 300.0

    def __init__(
        self,
        config: CloudflareConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        backoff_seconds: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not config.api_token and not (config.api_key and config.api_email):
            raise ConfigError("cloudflare: set CF_API_TOKEN, or both CF_API_KEY and CF_API_EMAIL")
        self._config = config
        policy = RetryPolicy(attempts=max(config.max_retries, 0) + 1, backoff=backoff_seconds)
        credentials = Credentials(config.api_token, config.api_key, config.api_email)
        http = HttpClient("Cloudflare", policy, session=session, sleep=sleep)
        self._api = CloudflareAPI(config.api_url, credentials, http)
        self._zones: list[Zone] | None = None
        self._zones_at = 0.0

    # -- the Provider protocol ---------------------------------------------------------------------------

    async def zones(self) -> list[Zone]:
        """Every zone the credentials can see, after the zone id and domain filters (cached)."""
        if self._zones is not None and time.monotonic() - self._zones_at < self.zone_cache_seconds:
            return list(self._zones)
        zones = [
            Zone(name=str(item["name"]).rstrip("."), id=str(item["id"]))
            async for item in self._api.paginate("/zones", ZONES_PER_PAGE)
        ]
        self._zones = [zone for zone in zones if self._zone_wanted(zone)]
        self._zones_at = time.monotonic()
        return list(self._zones)

    async def records(self, zone: Zone) -> list[Endpoint]:
        """The zone's records, one endpoint per (name, type) with every value as a target."""
        grouped: dict[tuple[str, str], list[CloudflareRecord]] = {}
        for record in await self._api.list_records(zone, self._config.records_per_page):
            grouped.setdefault((record.name, record.type), []).append(record)
        return [_endpoint_from(records) for records in grouped.values()]

    async def records_at(self, zone: Zone, names: Collection[str]) -> list[Endpoint]:
        """What :meth:`records` returns at the normalised ``names`` (providers/base.ReadingNames): the zone's
        records listed with Cloudflare's ``name`` filter, one request per name in the zone (and page)."""
        return await read_each(zone, names, partial(self._records_at_name, zone))

    async def _records_at_name(self, zone: Zone, name: str) -> list[Endpoint]:
        grouped: dict[str, list[CloudflareRecord]] = {}
        for record in await self._api.list_records(zone, self._config.records_per_page, name=name):
            # Kept to the name here too, so that a filter the API ignored could not widen the answer.
            if normalize_name(record.name) == name:
                grouped.setdefault(record.type, []).append(record)
        return [_endpoint_from(records) for records in grouped.values()]

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        """Add the proxied property every read record carries, and the automatic TTL of proxied records."""
        adjusted = []
        for endpoint in endpoints:
            proxied = self._should_be_proxied(endpoint)
            ttl = 0 if proxied or endpoint.ttl == AUTO_TTL else endpoint.ttl
            properties = {**endpoint.provider_specific, PROXIED_PROPERTY: _flag(proxied)}
            adjusted.append(endpoint.with_(ttl=ttl, provider_specific=properties))
        return adjusted

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        """Apply the batch record by record; a refused endpoint is reported and the others carry on."""
        existing: dict[tuple[str, str], list[CloudflareRecord]] = {}
        if changes.update_new or changes.delete:
            # Deletes and updates need record ids, which only a fresh listing gives reliably.
            for record in await self._api.list_records(zone, self._config.records_per_page):
                existing.setdefault((normalize_name(record.name), record.type), []).append(record)
        work: list[Work] = []
        for endpoint in changes.create:
            work.append((endpoint, _bind(self._create_all, zone, endpoint)))
        for endpoint in changes.update_new:
            current = existing.get(_record_key(endpoint), [])
            work.append((endpoint, _bind(self._update, zone, endpoint, current)))
        for endpoint in changes.delete:
            current = existing.get(_record_key(endpoint), [])
            work.append((endpoint, _bind(self._delete_matching, zone, endpoint, current)))
        return await _run_all(_record_groups(work, changes.delete))

    async def close(self) -> None:
        """Close the HTTP session if this provider created it."""
        await self._api.close()

    # -- record operations -------------------------------------------------------------------------------

    async def _create_all(self, zone: Zone, endpoint: Endpoint) -> None:
        for target in endpoint.targets:
            await self._api.request("POST", f"/zones/{zone.id}/dns_records", body=self._record_body(endpoint, target))

    async def _delete_matching(self, zone: Zone, endpoint: Endpoint, current: list[CloudflareRecord]) -> None:
        wanted = {_canonical(endpoint.record_type, target) for target in endpoint.targets}
        for record in current:
            if _canonical(record.type, record.target) in wanted:
                await self._api.request("DELETE", f"/zones/{zone.id}/dns_records/{record.id}")

    async def _update(self, zone: Zone, endpoint: Endpoint, current: list[CloudflareRecord]) -> None:
        # Diff against what Cloudflare holds now rather than update_old, so a drifted zone converges too.
        desired = {_canonical(endpoint.record_type, target): target for target in endpoint.targets}
        proxied = self._should_be_proxied(endpoint)
        ttl = _api_ttl(endpoint.ttl, proxied)
        seen: set[str] = set()
        for record in current:
            value = _canonical(record.type, record.target)
            path = f"/zones/{zone.id}/dns_records/{record.id}"
            if value not in desired or value in seen:
                await self._api.request("DELETE", path)
            elif record.ttl != ttl or record.proxied != proxied:
                await self._api.request("PATCH", path, body={"ttl": ttl, "proxied": proxied})
            seen.add(value)
        for value, target in desired.items():
            if value not in seen:
                body = self._record_body(endpoint, target)
                await self._api.request("POST", f"/zones/{zone.id}/dns_records", body=body)

    def _record_body(self, endpoint: Endpoint, target: str) -> dict[str, Any]:
        proxied = self._should_be_proxied(endpoint)
        body: dict[str, Any] = {
            "type": endpoint.record_type,
            "name": endpoint.dns_name.rstrip("."),
            "ttl": _api_ttl(endpoint.ttl, proxied),
            "proxied": proxied,
        }
        parts = target.split()
        if endpoint.record_type == "MX" and len(parts) == 2:
            body["priority"], body["content"] = int(parts[0]), parts[1].rstrip(".")
        elif endpoint.record_type == "SRV" and len(parts) == 4:
            priority, weight, port, host = parts
            body["data"] = {
                "priority": int(priority),
                "weight": int(weight),
                "port": int(port),
                "target": host.rstrip("."),
            }
        else:
            body["content"] = target
        return body

    def _should_be_proxied(self, endpoint: Endpoint) -> bool:
        if endpoint.record_type in NOT_PROXIABLE_TYPES:
            return False
        value = endpoint.provider_specific.get(PROXIED_PROPERTY)
        parsed = _parse_bool(value) if value is not None else None
        if value is not None and parsed is None:
            logger.warning("Ignoring %s=%r on %s: not a boolean", PROXIED_PROPERTY, value, endpoint.dns_name)
        return self._config.proxied if parsed is None else parsed

    def _zone_wanted(self, zone: Zone) -> bool:
        ids = self._config.zone_id_filter
        if ids and not any(zone.id.endswith(wanted) for wanted in ids if wanted):
            return False
        domain_filter = self._config.domain_filter
        return domain_filter is None or domain_filter.match(zone.name)

    # -- HTTP --------------------------------------------------------------------------------------------


# -- helpers ---------------------------------------------------------------------------------------------


def _bind(operation: Callable[..., Awaitable[None]], *args: object) -> Callable[[], Awaitable[None]]:
    """A zero-argument callable running ``operation(*args)`` (defers the call until its turn)."""
    return lambda: operation(*args)


def _record_groups(work: list[Work], deletes: Sequence[Endpoint]) -> list[list[Work]]:
    """The work grouped by record (a record with its ownership TXT), the TXT written first and deleted last.

    Cloudflare has no transaction: so that a refusal never leaves a record nobody owns, the ownership TXT is
    created before its record, and a group stops at its first refusal.
    """
    deleted = {id(endpoint) for endpoint in deletes}
    groups: dict[str, list[Work]] = {}
    for item in work:
        endpoint = item[0]
        groups.setdefault(normalize_name(endpoint.labels.get(OWNED_RECORD_LABEL) or endpoint.dns_name), []).append(item)

    def order(item: Work) -> int:
        is_ownership = OWNED_RECORD_LABEL in item[0].labels
        return int(is_ownership) if id(item[0]) in deleted else int(not is_ownership)

    return [sorted(group, key=order) for group in groups.values()]


async def _run_all(groups: list[list[Work]]) -> ApplyOutcome:
    """Run each group's operations in order; a refusal fails the rest of its group, a transient failure ends the
    batch.

    A transient failure before anything was applied is raised (the whole batch is retried later); after some
    endpoints landed, the rest are reported failed, so the caller knows exactly what was applied.
    """
    outcome = ApplyOutcome()
    applied_any = False
    for index, group in enumerate(groups):
        for position, (endpoint, operation) in enumerate(group):
            try:
                await operation()
            except CloudflareRefused as exc:
                logger.warning("Cloudflare refused %s: %s", endpoint.describe(), exc.message)
                outcome.failed.append((endpoint, exc.message))
                skipped = f"not sent: {endpoint.describe()} was refused: {exc.message}"
                outcome.failed.extend((rest, skipped) for rest, _ in group[position + 1 :])
                break
            except TransientProviderError as exc:
                if not applied_any:
                    raise
                pending = [*group[position:], *(item for later in groups[index + 1 :] for item in later)]
                outcome.failed.extend((rest, str(exc)) for rest, _ in pending)
                outcome.ambiguous = isinstance(exc, AmbiguousProviderError)
                return outcome
            applied_any = True
    return outcome


def _record_key(endpoint: Endpoint) -> tuple[str, str]:
    return normalize_name(endpoint.dns_name), endpoint.record_type


def _endpoint_from(listed: list[CloudflareRecord]) -> Endpoint:
    """One endpoint for the records of a (name, type), its values sorted: Cloudflare lists them in no set order, and
    a listing by name need not order them as the zone's listing does."""
    records = sorted(listed, key=lambda record: record.target)
    first = records[0]
    proxied = all(record.proxied for record in records)
    return Endpoint(
        dns_name=first.name,
        record_type=first.type,
        targets=tuple(record.target for record in records),
        ttl=0 if first.ttl == AUTO_TTL or proxied else first.ttl,
        provider_specific={PROXIED_PROPERTY: _flag(proxied)},
    )


def _canonical(record_type: str, target: str) -> str:
    """The form two values are compared in: parsed IP addresses, lower-case names without a trailing dot."""
    if record_type in {"A", "AAAA"}:
        try:
            return str(ipaddress.ip_address(target))
        except ValueError:
            return target
    if record_type == "TXT":
        return target
    return target.rstrip(".").lower()


def _api_ttl(ttl: int, proxied: bool) -> int:
    return AUTO_TTL if proxied or ttl <= AUTO_TTL else ttl


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _parse_bool(value: str) -> bool | None:
    """Go's strconv.ParseBool, which ExternalDNS uses for the proxied annotation."""
    text = value.strip()
    if text in {"1", "t", "T", "true", "TRUE", "True"}:
        return True
    if text in {"0", "f", "F", "false", "FALSE", "False"}:
        return False
    return None
