"""Azure DNS and Azure Private DNS: ExternalDNS's ``--provider=azure`` and ``--provider=azure-private-dns``.

Zones are the resource group's zones (``--azure-resource-group`` or azure.json) that pass ``--domain-filter``
and ``--zone-id-filter``. Azure writes one record set per request, so changes are applied record set by record
set and one refused record never holds back another. Every write is conditional on the etag read with the
zone: an update or delete sends ``If-Match``, a create ``If-None-Match: *``, so a record changed in Azure since
it was read is detected, not overwritten. On such a conflict (HTTP 412) the record set is read again: if it
already is what was asked (an earlier attempt whose answer was lost), that is success; otherwise the record is
reported and the zone's next resync re-reads it. An ownership TXT is created before the record it owns and
deleted after it, so a record never exists in Azure without its owner.

:meth:`AzureProvider.records_at` reads a few names without reading the zone (startchanges.py): Azure has no list
by exact name, so each name costs one record-set list filtered by ``$recordsetnamesuffix`` (a page per 100 record
sets), whose answer, which also holds the names below that one, is kept to the name here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from functools import partial
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint, normalize_name
from external_dns.errors import InvalidEndpoint, ProviderError, TransientProviderError
from external_dns.providers.azure import records
from external_dns.providers.azure.clients import HeldRecordSet, PrivateZones, PublicZones, RecordSetStore
from external_dns.providers.azure.config import AzureConfig
from external_dns.providers.azure.credentials import credential_for
from external_dns.providers.azure.etags import EtagKey, Etags
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.pointreads import read_each

logger = logging.getLogger(__name__)

#: Record sets written at once per zone (Azure throttles per subscription; the SDK retries 429s).
CONCURRENT_WRITES = 4
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class AzureProvider:
    """Azure DNS, or Azure Private DNS with ``private=True`` (see the module docstring)."""

    def __init__(
        self,
        config: AzureConfig,
        *,
        private: bool = False,
        domain_filter: DomainFilter | None = None,
        zone_id_filter: Sequence[str] = (),
        credential: AsyncTokenCredential | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.name = "azure-private-dns" if private else "azure"
        self.config = config
        self._domain_filter = domain_filter
        self._zone_id_filter = tuple(zone_id_filter)
        self._credential = credential or credential_for(config)
        flavour = PrivateZones if private else PublicZones
        options = {"retry_total": 3, **(client_options or {})}
        self.store: RecordSetStore = flavour(
            self._credential, config.subscription_id, config.resource_group, config.endpoint_url, **options
        )
        self._zones: list[Zone] | None = None
        self._zones_at = 0.0
        #: The etag of each record set as last read or written (etags.py: a read never replaces a newer one).
        self._etags = Etags()

    async def zones(self) -> list[Zone]:
        duration = self.config.zones_cache_duration
        if self._zones is None or (duration > 0 and time.monotonic() - self._zones_at > duration):
            listed = await self._call(self.store.zones())
            kept = [Zone(name.rstrip(".").lower(), zone_id) for name, zone_id in listed if self._passes(name, zone_id)]
            self._zones = sorted(kept, key=lambda zone: zone.name)
            self._zones_at = time.monotonic()
        return list(self._zones)

    def _passes(self, name: str, zone_id: str) -> bool:
        if self._zone_id_filter and not any(zone_id.endswith(f) for f in self._zone_id_filter):
            return False
        return self._domain_filter is None or self._domain_filter.match(name)

    async def records(self, zone: Zone) -> list[Endpoint]:
        """Every record set of a type this provider writes, except the zone's own NS."""
        return await self._read(zone)

    async def records_at(self, zone: Zone, names: Collection[str]) -> list[Endpoint]:
        """What :meth:`records` returns at the normalised ``names`` (providers/base.ReadingNames): one record-set
        list per name in the zone (and page), filtered by Azure to the relative names ending in that name
        (``$recordsetnamesuffix``; the apex is ``@``) and kept here to that name alone."""
        return await read_each(zone, names, partial(self._read, zone))

    async def _read(self, zone: Zone, name: str | None = None) -> list[Endpoint]:
        # Azure has no list by exact name, and Get asks for one type at a time (7 requests a name): a suffix list
        # is one request, whose answer also holds the names below this one (``x.www`` for ``www``), dropped here.
        suffix = None if name is None else records.relative_name(name, zone.name)
        began = self._etags.read_begins()
        found: list[Endpoint] = []
        for held in await self._call(self.store.record_sets(zone.name, suffix)):
            if held.record_type not in self.store.types or not held.targets:
                continue
            if held.record_type == "NS" and held.relative_name == "@":
                continue  # the zone's own delegation
            absolute = records.absolute_name(held.relative_name, zone.name)
            if name is not None and normalize_name(absolute) != name:
                continue
            self._etags.seen((zone.name, normalize_name(absolute), held.record_type), held.etag, began)
            found.append(Endpoint(absolute, held.record_type, held.targets, ttl=held.ttl))
        return found

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        return records.adjust_endpoints(endpoints)

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        """Each record set on its own; deletes, then updates, then creates (ownership TXT first)."""
        outcome = ApplyOutcome()
        limit = asyncio.Semaphore(CONCURRENT_WRITES)

        async def run_group(steps: list[tuple[Endpoint, Callable[[], Awaitable[None]]]]) -> None:
            async with limit:
                for index, (_, step) in enumerate(steps):
                    message = await self._attempt(step)
                    if message:
                        # The rest of the group depends on this step (a record waits for its TXT): not sent.
                        outcome.failed.extend((ep, message) for ep, _ in steps[index:])
                        return

        deletes = _grouped(changes.delete, txt_last=True)
        updates = [(new, old) for old, new in zip(changes.update_old, changes.update_new, strict=True) if old != new]
        creates = _grouped(changes.create, txt_last=False)
        await asyncio.gather(*(run_group([(ep, self._deleter(zone, ep)) for ep in group]) for group in deletes))
        await asyncio.gather(*(run_group([(new, self._writer(zone, new, old))]) for new, old in updates))
        await asyncio.gather(*(run_group([(ep, self._writer(zone, ep, None)) for ep in group]) for group in creates))
        return outcome

    async def close(self) -> None:
        await self.store.close()
        await self._credential.close()

    # --- one record set ------------------------------------------------------------------------------

    def _writer(self, zone: Zone, endpoint: Endpoint, old: Endpoint | None) -> Callable[[], Awaitable[None]]:
        async def write() -> None:
            key = (zone.name, normalize_name(endpoint.dns_name), endpoint.record_type)
            relative = records.relative_name(endpoint.dns_name, zone.name)
            etag = self._etags.get(key) if old is not None else None
            logger.info("%s %s record %s in Azure zone %s", "Updating" if old else "Creating",
                        endpoint.record_type, relative, zone.name)  # fmt: skip
            try:
                self._etags.now(key, await self.store.put(zone.name, relative, endpoint, etag))
            except HttpResponseError as error:
                if error.status_code != 412:
                    raise
                await self._settle_conflict(zone, key, relative, endpoint)

        return write

    def _deleter(self, zone: Zone, endpoint: Endpoint) -> Callable[[], Awaitable[None]]:
        async def delete() -> None:
            key = (zone.name, normalize_name(endpoint.dns_name), endpoint.record_type)
            relative = records.relative_name(endpoint.dns_name, zone.name)
            logger.info("Deleting %s record %s in Azure zone %s", endpoint.record_type, relative, zone.name)
            try:
                await self.store.delete(zone.name, relative, endpoint.record_type, self._etags.get(key) or "")
            except ResourceNotFoundError:
                pass  # already gone: what was wanted
            except HttpResponseError as error:
                if error.status_code != 412:
                    raise
                await self._settle_conflict(zone, key, relative, None, endpoint.record_type)
            self._etags.forget(key)

        return delete

    async def _settle_conflict(
        self, zone: Zone, key: EtagKey, relative: str, wanted: Endpoint | None, record_type: str = ""
    ) -> None:
        """After a 412: success if Azure already holds what was asked (a lost answer), else a conflict."""
        record_type = wanted.record_type if wanted is not None else record_type
        held: HeldRecordSet | None = await self.store.get(zone.name, relative, record_type)
        if held is not None:
            self._etags.now(key, held.etag)
        if _matches(held, wanted):
            return
        raise ProviderError(
            f"the record set {relative} ({key[2]}) changed in Azure since it was read (etag mismatch); "
            "it is left as is and read again at the next resync"
        )

    async def _attempt(self, step: Callable[[], Awaitable[None]]) -> str:
        """Run one write; the provider's message on failure, "" on success."""
        try:
            await step()
        except InvalidEndpoint as error:
            return str(error)
        except ProviderError as error:
            return str(error)
        except HttpResponseError as error:
            return _message(error)
        except AzureError as error:
            return f"Azure request failed: {_message(error)}"
        return ""

    async def _call(self, call: Awaitable[Any]) -> Any:
        """A read: Azure's errors as the operator's (transient ones retried by the reconciler)."""
        try:
            return await call
        except HttpResponseError as error:
            if error.status_code in _TRANSIENT_STATUSES:
                raise TransientProviderError(_message(error)) from None
            raise ProviderError(_message(error)) from None
        except AzureError as error:
            raise TransientProviderError(f"Azure request failed: {_message(error)}") from None


def _grouped(endpoints: Sequence[Endpoint], *, txt_last: bool) -> list[list[Endpoint]]:
    """Endpoints grouped with their ownership TXT: the TXT first for creates, last for deletes."""
    groups: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        groups.setdefault(normalize_name(endpoint.labels.get(OWNED_RECORD_LABEL) or endpoint.dns_name), []).append(
            endpoint
        )
    return [sorted(group, key=lambda ep: (OWNED_RECORD_LABEL in ep.labels) == txt_last) for group in groups.values()]


def _matches(held: HeldRecordSet | None, wanted: Endpoint | None) -> bool:
    if wanted is None:
        return held is None
    return held is not None and held.ttl == records.ttl_for(wanted) and sorted(held.targets) == sorted(wanted.targets)


def _message(error: AzureError) -> str:
    text = str(getattr(error, "message", "") or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
