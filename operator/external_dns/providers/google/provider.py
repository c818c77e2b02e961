"""Google Cloud DNS: ExternalDNS's ``--provider=google``.

Zones are the project's managed zones that pass ``--domain-filter``, ``--zone-id-filter`` (the zone's numeric
id or its name) and ``--google-zone-visibility``. A change batch becomes Cloud DNS ``changes``: an update is
the deletion of the exact current rrset plus the addition of the new one, in the same change. Changes are
grouped by the record they belong to (a record and its ownership TXT always travel in one change), and groups
are packed into changes of at most ``--google-batch-change-size`` rrsets, sent ``--google-batch-change-interval``
apart, as ExternalDNS does.

A change is atomic, so one bad record would fail every record of its change: a refused change is split in
halves, recursively, until the group at fault is alone; every other group is applied and only the culprit's
objects get the error. 409 (alreadyExists) and 412 (conditionNotMet) mean the zone moved behind our back:
they are reported like a refusal, and the next resync re-reads the zone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import partial

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint, normalize_name
from external_dns.errors import BatchRejected, ConfigError
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.google import records
from external_dns.providers.google.api import CloudDNSClient, CloudDNSRejected, Sleep
from external_dns.providers.google.credentials import ApplicationDefaultTokens, TokenSource
from external_dns.providers.pointreads import read_each
from external_dns.providers.splitting import apply_bisecting

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://dns.googleapis.com/dns/v1"


@dataclass(frozen=True, slots=True)
class GoogleConfig:
    """The ``--google-*`` flags, and the zone filters this provider honours."""

    project: str = ""
    zone_visibility: str = ""
    batch_change_size: int = 1000
    batch_change_interval: float = 1.0
    zone_id_filter: tuple[str, ...] = ()
    domain_filter: DomainFilter | None = None
    endpoint_url: str = DEFAULT_ENDPOINT
    records_per_page: int = 1000


@dataclass(slots=True)
class _Group:
    """The rrset deletions and additions of one record (and its ownership TXT), and the endpoints to blame."""

    deletions: list[records.RecordSet] = field(default_factory=list)
    additions: list[records.RecordSet] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.deletions) + len(self.additions)


class GoogleProvider:
    """Cloud DNS as a :class:`~external_dns.providers.base.Provider` (see the module docstring)."""

    name = "google"

    def __init__(
        self,
        config: GoogleConfig,
        *,
        tokens: TokenSource | None = None,
        client: CloudDNSClient | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config
        self._sleep = sleep
        if client is None:
            source = tokens or ApplicationDefaultTokens.from_environment()
            project = config.project or getattr(source, "project", "")
            if not project:
                raise ConfigError(
                    "--google-project: required (it could not be read from the credentials or the metadata server)"
                )
            client = CloudDNSClient(config.endpoint_url, project, source, sleep=sleep)
        self.client = client
        self._zones: list[Zone] | None = None

    async def zones(self) -> list[Zone]:
        """The managed zones that pass the filters, listed once."""
        if self._zones is None:
            found: list[Zone] = []
            async for managed in self.client.managed_zones():
                zone = Zone(name=str(managed.get("dnsName", "")).rstrip(".").lower(), id=str(managed.get("name", "")))
                if self._zone_passes(zone, str(managed.get("id", "")), str(managed.get("visibility", "public"))):
                    found.append(zone)
            if not found:
                logger.warning("No Cloud DNS zone in the project matches the filters")
            self._zones = sorted(found, key=lambda zone: (zone.name, zone.id))
        return list(self._zones)

    def _zone_passes(self, zone: Zone, numeric_id: str, visibility: str) -> bool:
        config = self.config
        if config.zone_visibility and visibility != config.zone_visibility:
            return False
        if config.zone_id_filter and not any(f in (numeric_id, zone.id) for f in config.zone_id_filter):
            return False
        return config.domain_filter is None or config.domain_filter.match(zone.name)

    async def records(self, zone: Zone) -> list[Endpoint]:
        """Every supported rrset of the zone except its own SOA and NS."""
        return await self._read(zone)

    async def records_at(self, zone: Zone, names: Collection[str]) -> list[Endpoint]:
        """What :meth:`records` returns at the normalised ``names`` (providers/base.ReadingNames): one rrsets list
        per name in the zone, filtered by Cloud DNS to that name."""
        return await read_each(zone, names, partial(self._read, zone))

    async def _read(self, zone: Zone, name: str | None = None) -> list[Endpoint]:
        found: list[Endpoint] = []
        filtered = None if name is None else f"{name}."
        async for record_set in self.client.record_sets(zone.id, self.config.records_per_page, filtered):
            endpoint = records.endpoint_from_record_set(record_set)
            if endpoint is None:
                continue
            if name is not None and normalize_name(endpoint.dns_name) != name:
                continue  # a server that ignores the filter answers the whole zone: the same records, more slowly
            if endpoint.record_type == "NS" and normalize_name(endpoint.dns_name) == zone.name:
                continue  # the zone's own delegation is not ours to manage
            found.append(endpoint)
        return found

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        return records.adjust_endpoints(endpoints)

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        """Send the changes in batches; a refused batch is split until only the culprit fails."""
        outcome = ApplyOutcome()
        groups = _groups(changes)
        limit = max(1, self.config.batch_change_size)
        for group in [g for g in groups if len(g) > limit]:
            logger.warning("Changes for %s exceed --google-batch-change-size; not sent", group.endpoints[0].dns_name)
            _blame(outcome, group, f"the record's changes exceed --google-batch-change-size={limit}")
        batches = _pack([g for g in groups if len(g) <= limit], limit)
        first_of_batch = {id(batch) for batch in batches[1:]}

        async def send(batch: Sequence[_Group]) -> None:
            if id(batch) in first_of_batch:
                await self._sleep(self.config.batch_change_interval)  # pace whole batches, not their halves
            try:
                await self._send(zone, list(batch))
            except CloudDNSRejected as error:
                raise BatchRejected(error.message or str(error)) from error

        # A refused change is split in halves until only the culprit fails (shared with the other providers).
        return await apply_bisecting(batches, send, lambda group: group.endpoints, outcome)

    async def _send(self, zone: Zone, batch: list[_Group]) -> None:
        deletions = [rrset for group in batch for rrset in group.deletions]
        additions = [rrset for group in batch for rrset in group.additions]
        for rrset in deletions:
            logger.info("Del records: %s %s %s %d", rrset["name"], rrset["type"], rrset["rrdatas"], rrset["ttl"])
        for rrset in additions:
            logger.info("Add records: %s %s %s %d", rrset["name"], rrset["type"], rrset["rrdatas"], rrset["ttl"])
        await self.client.create_change(zone.id, additions, deletions)

    async def close(self) -> None:
        await self.client.close()


def _groups(changes: Changes) -> list[_Group]:
    """One group per record (an ownership TXT joins the record it owns), in order of first appearance."""
    groups: dict[str, _Group] = {}

    def group_of(endpoint: Endpoint) -> _Group:
        return groups.setdefault(normalize_name(endpoint.labels.get(OWNED_RECORD_LABEL) or endpoint.dns_name), _Group())

    for endpoint in changes.delete:
        group = group_of(endpoint)
        group.deletions.append(records.record_set_for(endpoint))
        group.endpoints.append(endpoint)
    for old, new in zip(changes.update_old, changes.update_new, strict=True):
        if old == new:
            continue
        group = group_of(new)
        group.deletions.append(records.record_set_for(old))
        group.additions.append(records.record_set_for(new))
        group.endpoints.append(new)
    for endpoint in changes.create:
        group = group_of(endpoint)
        group.additions.append(records.record_set_for(endpoint))
        group.endpoints.append(endpoint)
    return list(groups.values())


def _pack(groups: list[_Group], limit: int) -> list[list[_Group]]:
    """Whole groups packed into batches of at most ``limit`` rrsets, in order."""
    batches: list[list[_Group]] = []
    current: list[_Group] = []
    size = 0
    for group in groups:
        if current and size + len(group) > limit:
            batches.append(current)
            current, size = [], 0
        current.append(group)
        size += len(group)
    if current:
        batches.append(current)
    return batches


def _blame(outcome: ApplyOutcome, group: _Group, message: str) -> None:
    outcome.failed.extend((endpoint, message) for endpoint in group.endpoints)
