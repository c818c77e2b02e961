"""An in-memory DNS provider: the demo's backend and the unit tests' stand-in for a real DNS service.

It behaves like a strict authoritative server (ExternalDNS's ``provider/inmemory``): creating a record
that exists, or updating/deleting one that does not, is refused. Unlike upstream, a refusal fails only that
endpoint (reported in :class:`ApplyOutcome`), and the rest of the batch is applied, as the reconciler expects
of every provider here.

Records are stored the way a DNS server would hold them: labels and object references are dropped on write,
because a real provider cannot store them either; the registry must find ownership in the TXT records, so the
demo exercises the same path as production. Call counters let tests and benchmarks assert that the reconciler
does not list the provider on every change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from external_dns.endpoint import Endpoint, EndpointKey, normalize_name
from external_dns.errors import ProviderError
from external_dns.providers.base import ApplyOutcome, Changes, Zone


@dataclass(slots=True)
class InMemoryCalls:
    """How often each provider method was called (mutable on purpose: the provider counts into it)."""

    zones: int = 0
    records: int = 0
    records_at: int = 0
    apply_changes: int = 0


class InMemoryProvider:
    """A :class:`~external_dns.providers.base.Provider` that keeps each zone's records in a dict.

    Apply order within a batch is deletes, then updates, then creates, each checked against the state left by
    the previous step, so a batch that replaces a record set behaves as one would expect.
    """

    def __init__(self, zones: Sequence[str], name: str = "inmemory") -> None:
        self.name = name
        self.calls = InMemoryCalls()
        self._zones = [Zone(name=normalize_name(zone), id=normalize_name(zone)) for zone in zones]
        self._records: dict[str, dict[EndpointKey, Endpoint]] = {zone.name: {} for zone in self._zones}

    async def zones(self) -> list[Zone]:
        """The configured zones, in the order given."""
        self.calls.zones += 1
        return list(self._zones)

    async def records(self, zone: Zone) -> list[Endpoint]:
        """Every record of the zone, ownership TXT records included, sorted by key for stable output."""
        self.calls.records += 1
        store = self._store(zone)
        return [store[key] for key in sorted(store)]

    async def records_at(self, zone: Zone, names: Collection[str]) -> list[Endpoint]:
        """The records of the zone at the normalised ``names`` (providers/base.ReadingNames), sorted by key."""
        self.calls.records_at += 1
        wanted = set(names)
        store = self._store(zone)
        return [store[key] for key in sorted(store) if key.name in wanted]

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        """Apply what is valid; report each refused endpoint with the reason, as a DNS server would."""
        self.calls.apply_changes += 1
        store = self._store(zone)
        outcome = ApplyOutcome()

        for endpoint in changes.delete:
            if problem := self._outside(zone, endpoint) or self._missing(store, endpoint):
                outcome.failed.append((endpoint, problem))
            else:
                del store[endpoint.key]

        for old, new in zip(changes.update_old, changes.update_new, strict=True):
            if problem := self._outside(zone, new) or self._missing(store, old):
                outcome.failed.append((new, problem))
                continue
            del store[old.key]
            store[new.key] = _as_stored(new)

        for endpoint in changes.create:
            if problem := self._outside(zone, endpoint) or self._existing(store, endpoint):
                outcome.failed.append((endpoint, problem))
            else:
                store[endpoint.key] = _as_stored(endpoint)
        return outcome

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        """Unchanged: the store returns exactly the name, type, targets, TTL and properties it was given
        (labels are not compared by the planner), so there is nothing to canonicalise."""
        return list(endpoints)

    async def close(self) -> None:
        """Nothing to release."""

    def snapshot(self) -> dict[str, tuple[Endpoint, ...]]:
        """All records per zone name, sorted by key: for the demo's output and for test assertions."""
        return {zone: tuple(store[key] for key in sorted(store)) for zone, store in self._records.items()}

    def seed(self, zone: str, endpoints: Iterable[Endpoint]) -> None:
        """Put records into a zone directly, as if someone else had written them (not counted as a call)."""
        store = self._store(Zone(name=normalize_name(zone)))
        for endpoint in endpoints:
            store[endpoint.key] = _as_stored(endpoint)

    def _store(self, zone: Zone) -> dict[EndpointKey, Endpoint]:
        try:
            return self._records[normalize_name(zone.name)]
        except KeyError:
            raise ProviderError(f"zone {zone.name!r} is not served by the {self.name} provider") from None

    @staticmethod
    def _outside(zone: Zone, endpoint: Endpoint) -> str:
        if zone.contains(endpoint.dns_name):
            return ""
        return f'{endpoint.record_type} record "{endpoint.dns_name}" is outside zone "{zone.name}"'

    @staticmethod
    def _missing(store: dict[EndpointKey, Endpoint], endpoint: Endpoint) -> str:
        if endpoint.key in store:
            return ""
        return f'{endpoint.record_type} record "{endpoint.dns_name}" does not exist'

    @staticmethod
    def _existing(store: dict[EndpointKey, Endpoint], endpoint: Endpoint) -> str:
        if endpoint.key not in store:
            return ""
        return f'{endpoint.record_type} record "{endpoint.dns_name}" already exists'


def _as_stored(endpoint: Endpoint) -> Endpoint:
    # A DNS server keeps neither labels nor the Kubernetes objects that asked for a record.
    return endpoint.with_(labels={}, refs=())
