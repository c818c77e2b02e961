"""The provider protocol: the only seam between the reconciler and a DNS service.

A provider answers three questions, as in ExternalDNS: which zones it serves, which records a zone holds, and how
to apply a batch of changes to one zone. ``adjust_endpoints`` exists so that plans do not contain needless,
possibly failing, updates: it canonicalises desired endpoints into the form ``records`` returns (default TTL,
provider-specific properties the provider always reports, ...), so that a resync with no object change plans
nothing. It must be pure and cheap: the reconciler calls it on every planned name.

Records passed to and returned from a provider are provider-level: the registry's ownership TXT records are
ordinary TXT endpoints here, with their value in ``targets[0]`` including the literal double quotes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol, runtime_checkable

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import Endpoint
from external_dns.model import ApplyOutcome, Changes, Zone, ZoneChanges

__all__ = [
    "ApplyOutcome",
    "Changes",
    "CountingRecords",
    "DomainFiltering",
    "FollowingChanges",
    "Provider",
    "ReadingNames",
    "RemotelyAdjusting",
    "Zone",
    "ZoneChanges",
]


@runtime_checkable
class Provider(Protocol):
    """A DNS service. Implementations raise TransientProviderError for throttling/timeouts/5xx and
    ProviderError for refusals; they never log credentials."""

    #: The provider's flag value (``rfc2136``, ``aws``, ...): used in metrics and logs.
    name: str

    async def zones(self) -> list[Zone]:
        """The zones this provider manages, after the zone filters. Cheap to call repeatedly (cached)."""
        ...

    async def records(self, zone: Zone) -> list[Endpoint]:
        """Every record in the zone (TXT included), one endpoint per (name, type, set identifier)."""
        ...

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        """Apply the batch; a record and its ownership TXT are kept in one request where the API allows."""
        ...

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        """Desired endpoints in the canonical form ``records`` would return them in (see module docstring)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class RemotelyAdjusting(Protocol):
    """A provider whose canonical form is only known remotely (ExternalDNS webhook providers).

    The reconciler awaits this instead of ``adjust_endpoints`` when a provider offers it.
    """

    async def adjust_endpoints_remote(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]: ...


@runtime_checkable
class CountingRecords(Protocol):
    """A provider that can say cheaply how many records a zone holds (Route 53: one GetHostedZone, whatever the
    zone's size), so that the periodic resync reads the zone whole only when the count differs from the cache's,
    or once every ``--zone-full-read-interval``. A provider without it is read whole every ``--interval``.

    The count must be what ``len(records(zone))`` would be now; None when the provider cannot tell yet (the zone
    was never read whole), which makes the caller read it whole.
    """

    async def record_count(self, zone: Zone) -> int | None: ...


@runtime_checkable
class FollowingChanges(Protocol):
    """A provider that can say cheaply what changed in a zone since a version of it (RFC2136: the SOA serial and
    IXFR), so that a warm standby keeps its zone caches current while another replica writes, and its takeover
    reads no zone whole. A provider without it has its zones read whole ahead of a takeover (peering.py).

    The records, their form and the TXT registry's records included, are exactly what ``records`` returns: a cache
    read with ``versioned_records`` and patched with every ``changes_since`` holds what ``records`` would read.
    """

    async def versioned_records(self, zone: Zone) -> tuple[list[Endpoint], int]:
        """``records`` and the zone's version they were read at."""
        ...

    async def changes_since(self, zone: Zone, version: int) -> ZoneChanges | None:
        """What changed since ``version``; None when the provider cannot tell (refused, history gone, version
        ahead of the zone's): the caller reads the zone whole. Raises ProviderError when the provider cannot be
        asked (the caller tries again later)."""
        ...


@runtime_checkable
class ReadingNames(Protocol):
    """A provider that can read the records at a few names of a zone without reading it whole (RFC2136: a query
    per name; Route 53: a page of ListResourceRecordSets from the name), so that a change made while the operator
    starts is planned before the zone's whole read is done (startchanges.py). A provider without it has such a
    change wait for the whole read.

    The records, their form and the TXT registry's records included, are exactly what ``records`` returns at
    those names: a plan made from them is the plan the whole read would give.
    """

    async def records_at(self, zone: Zone, names: Collection[str]) -> list[Endpoint]:
        """Every record of ``zone`` whose normalised name is one of ``names`` (a name outside the zone, or with no
        records, has none). Raises ProviderError when the provider cannot be asked now."""
        ...


@runtime_checkable
class DomainFiltering(Protocol):
    """A provider that announces which names it accepts (webhook negotiation); AND-ed into the plan's filters."""

    @property
    def domain_filter(self) -> DomainFilter: ...
