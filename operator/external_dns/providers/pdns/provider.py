"""PowerDNS Authoritative provider: ExternalDNS's ``--provider=pdns`` over the PowerDNS HTTP API.

PowerDNS stores whole rrsets, so one endpoint maps to one rrset: creates and updates are ``REPLACE`` (TTL
300 when unset), deletes are ``DELETE``, all of a zone's changes go in one PATCH. PowerDNS validates a PATCH
as a whole and rejects it with 422 if any rrset is bad; the batch is then split in halves, never inside a record
group (a record with its ownership TXT), until only the bad groups fail, each with PowerDNS's own message
(providers/splitting.py).

Canonical form (what :meth:`PDNSProvider.records` returns): names and targets without trailing dots, targets
sorted, ALIAS read as CNAME (an apex CNAME is written as ALIAS, since a CNAME cannot live next to the SOA), TXT
values with their quotes, TTL as stored; ``adjust_endpoints`` turns an unset TTL into the 300 the provider writes.
:meth:`PDNSProvider.records_at` gives the same form at a few names, one GET filtered by name each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote

import aiohttp

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint, normalize_name
from external_dns.errors import AmbiguousProviderError, BatchRejected, ProviderError, TransientProviderError
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.http import HttpClient, RetryPolicy, Sleep
from external_dns.providers.pointreads import read_each
from external_dns.providers.splitting import apply_bisecting

logger = logging.getLogger(__name__)

#: The TTL written for endpoints without one (ExternalDNS's pdns defaultTTL).
DEFAULT_TTL = 300
#: Types whose targets are names, which PowerDNS wants fully qualified (with the trailing dot).
NAME_TARGET_TYPES = frozenset({"CNAME", "DNAME", "MX", "SRV", "NS", "PTR", "ALIAS"})
#: Attempts per request for connection errors and 5xx, with 250 ms x 2^i between them (as ExternalDNS).
ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PDNSConfig:
    """The ``--pdns-*`` settings."""

    server: str = "http://localhost:8081"
    server_id: str = "localhost"
    api_key: str = field(default="", repr=False)
    skip_tls_verify: bool = False
    domain_filter: DomainFilter | None = None


class PDNSRejected(ProviderError):
    """PowerDNS refused a request as invalid (400/422); ``message`` is its ``error`` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"PowerDNS rejected the request (HTTP {status}): {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class RRsetChange:
    """One rrset of a PATCH body, with the endpoints it was made from (to report failures on)."""

    body: Mapping[str, Any]
    endpoints: tuple[Endpoint, ...]


class PDNSProvider:
    """The PowerDNS provider (see the module docstring for the canonical record form)."""

    name = "pdns"
    #: How long the zone list is reused before it is listed again.
    zone_cache_seconds = 300.0

    def __init__(
        self,
        config: PDNSConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        backoff_seconds: float = 0.25,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._config = config
        self._http = HttpClient(
            "PowerDNS",
            RetryPolicy(attempts=ATTEMPTS, backoff=backoff_seconds),
            session=session,
            verify_tls=not config.skip_tls_verify,
            sleep=sleep,
        )
        self._base = f"{config.server.rstrip('/')}/api/v1/servers/{quote(config.server_id, safe='')}"
        self._zones: list[Zone] | None = None
        self._zones_at = 0.0

    # -- the Provider protocol ---------------------------------------------------------------------------

    async def zones(self) -> list[Zone]:
        """The server's zones that pass the domain filter (cached)."""
        if self._zones is not None and time.monotonic() - self._zones_at < self.zone_cache_seconds:
            return list(self._zones)
        listing = await self._request("GET", "/zones")
        zones = [Zone(name=str(item["name"]).rstrip("."), id=str(item["id"])) for item in listing or []]
        domain_filter = self._config.domain_filter
        self._zones = [zone for zone in zones if domain_filter is None or domain_filter.match(zone.name)]
        self._zones_at = time.monotonic()
        return list(self._zones)

    async def records(self, zone: Zone) -> list[Endpoint]:
        """The zone's rrsets as endpoints; disabled records are ignored, ALIAS is reported as CNAME."""
        detail = await self._request("GET", self._zone_path(zone))
        return _endpoints_from((detail or {}).get("rrsets") or [])

    async def records_at(self, zone: Zone, names: Collection[str]) -> list[Endpoint]:
        """What :meth:`records` returns at the normalised ``names`` (providers/base.ReadingNames): one zone GET per
        name in the zone, filtered by PowerDNS to that name (``rrset_name``, PowerDNS 4.7 and later)."""
        return await read_each(zone, names, partial(self._records_at_name, zone))

    async def _records_at_name(self, zone: Zone, name: str) -> list[Endpoint]:
        detail = await self._request("GET", self._zone_path(zone), params={"rrset_name": _fqdn(name)})
        # A server older than 4.7 ignores the filter and answers the whole zone: the same records, more slowly.
        rrsets = (detail or {}).get("rrsets") or []
        return _endpoints_from(rrset for rrset in rrsets if normalize_name(rrset["name"]) == name)

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        """An unset TTL becomes the 300 that is written, so the record read back compares equal."""
        return [endpoint if endpoint.ttl else endpoint.with_(ttl=DEFAULT_TTL) for endpoint in endpoints]

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        """One PATCH for the zone; if PowerDNS rejects it, it is split until only the bad groups fail."""
        rrsets = _rrset_changes(zone, changes)
        if not rrsets:
            return ApplyOutcome()
        return await apply_bisecting([_record_groups(rrsets)], partial(self._patch_groups, zone), _group_endpoints)

    async def close(self) -> None:
        """Close the HTTP session if this provider created it."""
        await self._http.close()

    # -- HTTP --------------------------------------------------------------------------------------------

    async def _patch_groups(self, zone: Zone, groups: Sequence[list[RRsetChange]]) -> None:
        """One PATCH for the groups; a 400/422 is PowerDNS refusing what is in it (the batch is then split)."""
        try:
            await self._patch(zone, [rrset for group in groups for rrset in group])
        except PDNSRejected as exc:
            if exc.status in (400, 422):
                raise BatchRejected(exc.message) from exc
            raise  # not about the content (an unknown zone, say): splitting would not help

    async def _patch(self, zone: Zone, rrsets: Iterable[RRsetChange]) -> None:
        body = {"rrsets": [rrset.body for rrset in rrsets]}
        await self._request("PATCH", self._zone_path(zone), body=body)

    def _zone_path(self, zone: Zone) -> str:
        return f"/zones/{quote(zone.id, safe='')}"

    async def _request(
        self, method: str, path: str, *, body: object = None, params: Mapping[str, str] | None = None
    ) -> Any:
        """One API call (retried by the shared client on connection errors and 5xx); returns the decoded JSON."""
        headers = {"X-API-Key": self._config.api_key, "Accept": "application/json"}
        reply = await self._http.request(method, self._base + path, params=params, json=body, headers=headers)
        data = reply.json()
        if reply.status in (401, 403):
            raise ProviderError(
                f"PowerDNS at {self._config.server} refused the API key (HTTP {reply.status}); check --pdns-api-key"
            )
        if reply.status < 400:
            return data
        message = _error_message(data) or reply.reason
        if reply.status < 500:
            raise PDNSRejected(reply.status, message)
        error = AmbiguousProviderError if reply.answer_lost else TransientProviderError
        raise error(f"PowerDNS {method} {path} failed after {ATTEMPTS} attempts: HTTP {reply.status}: {message}")


# -- reading ---------------------------------------------------------------------------------------------


def _endpoints_from(rrsets: Iterable[Mapping[str, Any]]) -> list[Endpoint]:
    """Listed rrsets as endpoints (the canonical form in the module docstring); an rrset whose every record is
    disabled is left out."""
    endpoints = []
    for rrset in rrsets:
        # Sorted: an rrset's records have no order, and a zone listing and a lookup by name give them differently.
        targets = tuple(
            sorted(
                str(record["content"]).rstrip(".")
                for record in rrset.get("records") or []
                if not record.get("disabled")
            )
        )
        if not targets:
            continue
        record_type = str(rrset["type"])
        endpoints.append(
            Endpoint(
                dns_name=str(rrset["name"]).rstrip("."),
                record_type="CNAME" if record_type == "ALIAS" else record_type,
                targets=targets,
                ttl=int(rrset.get("ttl") or 0),
            )
        )
    return endpoints


# -- building the PATCH ----------------------------------------------------------------------------------


def _rrset_changes(zone: Zone, changes: Changes) -> list[RRsetChange]:
    """The rrsets of the batch: REPLACE for creates and updates, DELETE for deletes and renamed old keys."""
    replaced: dict[tuple[str, str], RRsetChange] = {}
    for endpoint in [*changes.create, *changes.update_new]:
        change = _replace(zone, endpoint)
        replaced[(change.body["name"], change.body["type"])] = change
    deleted: dict[tuple[str, str], RRsetChange] = {}
    new_keys = {endpoint.key for endpoint in changes.update_new}
    stale_old = [endpoint for endpoint in changes.update_old if endpoint.key not in new_keys]
    for endpoint in [*changes.delete, *stale_old]:
        change = _delete(zone, endpoint)
        key = (change.body["name"], change.body["type"])
        # A REPLACE of the same rrset already says everything; sending both would make the order matter.
        if key not in replaced:
            deleted[key] = change
    return [*replaced.values(), *deleted.values()]


def _replace(zone: Zone, endpoint: Endpoint) -> RRsetChange:
    record_type = _wire_type(zone, endpoint)
    records = [{"content": _wire_target(record_type, target), "disabled": False} for target in endpoint.targets]
    body = {
        "name": _fqdn(endpoint.dns_name),
        "type": record_type,
        "ttl": endpoint.ttl or DEFAULT_TTL,
        "changetype": "REPLACE",
        "records": records,
    }
    return RRsetChange(body=body, endpoints=(endpoint,))


def _delete(zone: Zone, endpoint: Endpoint) -> RRsetChange:
    body = {"name": _fqdn(endpoint.dns_name), "type": _wire_type(zone, endpoint), "changetype": "DELETE"}
    return RRsetChange(body=body, endpoints=(endpoint,))


def _record_groups(rrsets: list[RRsetChange]) -> list[list[RRsetChange]]:
    """Rrsets grouped by the name they are about: an ownership TXT goes with the record it owns."""
    groups: dict[str, list[RRsetChange]] = {}
    for rrset in rrsets:
        endpoint = rrset.endpoints[0]
        owner = endpoint.labels.get(OWNED_RECORD_LABEL) or endpoint.dns_name
        groups.setdefault(normalize_name(owner), []).append(rrset)
    return list(groups.values())


def _group_endpoints(group: list[RRsetChange]) -> list[Endpoint]:
    return [endpoint for rrset in group for endpoint in rrset.endpoints]


def _wire_type(zone: Zone, endpoint: Endpoint) -> str:
    """CNAME at the apex (or with ``alias=true``, ExternalDNS's --prefer-alias) is written as ALIAS."""
    if endpoint.record_type != "CNAME":
        return endpoint.record_type
    at_apex = normalize_name(endpoint.dns_name) == normalize_name(zone.name)
    return "ALIAS" if at_apex or endpoint.provider_specific.get("alias") == "true" else "CNAME"


def _wire_target(record_type: str, target: str) -> str:
    if record_type in NAME_TARGET_TYPES and not target.endswith("."):
        return target + "."
    return target


def _fqdn(name: str) -> str:
    return name.rstrip(".") + "."


def _error_message(data: object) -> str:
    if isinstance(data, Mapping):
        return str(data.get("error") or "")
    return ""
