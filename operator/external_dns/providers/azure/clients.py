"""The two Azure SDK clients behind one small interface: Azure DNS and Azure Private DNS.

Both speak Azure Resource Manager and differ only in paths, models and how a conditional write is asked for
(``if_match`` / ``if_none_match`` against ``etag`` + ``match_condition``). :class:`RecordSetStore` hides that, so
the provider is written once. The SDK's own retry policy handles throttling (429 with Retry-After) and 5xx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from azure.core import MatchConditions
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.dns import models as dns_models
from azure.mgmt.dns.aio import DnsManagementClient
from azure.mgmt.privatedns import models as private_models
from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

from external_dns.endpoint import Endpoint
from external_dns.providers.azure import records


@dataclass(frozen=True, slots=True)
class HeldRecordSet:
    """A record set as Azure holds it: relative name, type, TTL, targets and the etag of this version."""

    relative_name: str
    record_type: str
    ttl: int
    targets: tuple[str, ...]
    etag: str


class RecordSetStore(Protocol):
    """What the provider needs of an Azure DNS flavour."""

    types: frozenset[str]

    async def zones(self) -> list[tuple[str, str]]:
        """(zone name, resource id) of the resource group's zones."""
        ...

    async def record_sets(self, zone: str, name_suffix: str | None = None) -> list[HeldRecordSet]:
        """Every record set of the zone, page by page (``nextLink``); with ``name_suffix``, those Azure lists for
        that ``$recordsetnamesuffix``: the relative names ending in it (the caller keeps the one it wants)."""
        ...

    async def get(self, zone: str, relative: str, record_type: str) -> HeldRecordSet | None: ...

    async def put(self, zone: str, relative: str, endpoint: Endpoint, etag: str | None) -> str:
        """Write the record set; ``etag`` None creates it only if absent, else only if unchanged. New etag."""
        ...

    async def delete(self, zone: str, relative: str, record_type: str, etag: str) -> None: ...

    async def close(self) -> None: ...


def _held(record_set: Any, properties: Any) -> HeldRecordSet:
    record_type = str(record_set.type).rsplit("/", 1)[-1].upper()
    return HeldRecordSet(
        relative_name=str(record_set.name),
        record_type=record_type,
        ttl=int(properties.ttl or 0),
        targets=records.targets_of(properties, record_type),
        etag=str(record_set.etag or ""),
    )


class PublicZones:
    """Azure DNS (Microsoft.Network/dnsZones) through azure-mgmt-dns's async client."""

    types = records.PUBLIC_TYPES

    def __init__(
        self, credential: AsyncTokenCredential, subscription: str, group: str, endpoint: str, **options: Any
    ) -> None:
        self._client = DnsManagementClient(credential, subscription, base_url=endpoint, **options)
        self._group = group

    async def zones(self) -> list[tuple[str, str]]:
        return [(str(zone.name), str(zone.id)) async for zone in self._client.zones.list_by_resource_group(self._group)]

    async def record_sets(self, zone: str, name_suffix: str | None = None) -> list[HeldRecordSet]:
        pager = self._client.record_sets.list_all_by_dns_zone(self._group, zone, record_set_name_suffix=name_suffix)
        return [_held(record_set, record_set) async for record_set in pager]

    async def get(self, zone: str, relative: str, record_type: str) -> HeldRecordSet | None:
        try:
            found = await self._client.record_sets.get(self._group, zone, relative, record_type)
        except ResourceNotFoundError:
            return None
        return _held(found, found)

    async def put(self, zone: str, relative: str, endpoint: Endpoint, etag: str | None) -> str:
        parameters = dns_models.RecordSet(ttl=records.ttl_for(endpoint), **records.values_for(dns_models, endpoint))
        written = await self._client.record_sets.create_or_update(
            self._group, zone, relative, endpoint.record_type, parameters,
            if_match=etag, if_none_match=None if etag else "*",
        )  # fmt: skip
        return str(written.etag or "")

    async def delete(self, zone: str, relative: str, record_type: str, etag: str) -> None:
        await self._client.record_sets.delete(self._group, zone, relative, record_type, if_match=etag or None)

    async def close(self) -> None:
        await self._client.close()


class PrivateZones:
    """Azure Private DNS (Microsoft.Network/privateDnsZones) through azure-mgmt-privatedns's async client."""

    types = records.PRIVATE_TYPES

    def __init__(
        self, credential: AsyncTokenCredential, subscription: str, group: str, endpoint: str, **options: Any
    ) -> None:
        self._client = PrivateDnsManagementClient(credential, subscription, base_url=endpoint, **options)
        self._group = group

    async def zones(self) -> list[tuple[str, str]]:
        pager = self._client.private_zones.list_by_resource_group(self._group)
        return [(str(zone.name), str(zone.id)) async for zone in pager]

    async def record_sets(self, zone: str, name_suffix: str | None = None) -> list[HeldRecordSet]:
        pager = self._client.record_sets.list(self._group, zone, recordsetnamesuffix=name_suffix)
        return [_held(record_set, record_set.properties) async for record_set in pager]

    async def get(self, zone: str, relative: str, record_type: str) -> HeldRecordSet | None:
        try:
            found = await self._client.record_sets.get(self._group, zone, record_type, relative)
        except ResourceNotFoundError:
            return None
        return _held(found, found.properties)

    async def put(self, zone: str, relative: str, endpoint: Endpoint, etag: str | None) -> str:
        properties = private_models.RecordSetProperties(
            ttl=records.ttl_for(endpoint), **records.values_for(private_models, endpoint)
        )
        condition = MatchConditions.IfNotModified if etag else MatchConditions.IfMissing
        written = await self._client.record_sets.create_or_update(
            self._group, zone, endpoint.record_type, relative, private_models.RecordSet(properties=properties),
            etag=etag, match_condition=condition,
        )  # fmt: skip
        return str(written.etag or "")

    async def delete(self, zone: str, relative: str, record_type: str, etag: str) -> None:
        condition: Mapping[str, Any] = {"etag": etag, "match_condition": MatchConditions.IfNotModified} if etag else {}
        await self._client.record_sets.delete(self._group, zone, record_type, relative, **condition)

    async def close(self) -> None:
        await self._client.close()
