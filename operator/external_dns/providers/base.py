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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import Endpoint, normalize_name


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone a provider serves. ``name`` has no trailing dot; ``""`` is the root (it holds every name).

    ``private`` marks a split-horizon zone (Route 53 private hosted zones): a name is written to every private
    zone that contains it as well as to the most specific public one, as ExternalDNS does.
    """

    name: str
    id: str = ""
    private: bool = False

    def contains(self, dns_name: str) -> bool:
        name = normalize_name(dns_name)
        zone = normalize_name(self.name)
        return not zone or name == zone or name.endswith("." + zone)


@dataclass(slots=True)
class Changes:
    """A batch for one zone. ``update_old[i]`` is the current record that ``update_new[i]`` replaces."""

    create: list[Endpoint] = field(default_factory=list)
    update_old: list[Endpoint] = field(default_factory=list)
    update_new: list[Endpoint] = field(default_factory=list)
    delete: list[Endpoint] = field(default_factory=list)

    def has_changes(self) -> bool:
        return bool(self.create or self.delete or self.update_new != self.update_old)

    def __len__(self) -> int:
        return len(self.create) + len(self.update_new) + len(self.delete)


@dataclass(slots=True)
class ApplyOutcome:
    """What the provider did with a batch: the records it rejected, each with the provider's own message.

    Raising from ``apply_changes`` means nothing of the batch is known to be applied; returning an outcome means
    everything not listed in ``failed`` was applied. ``ambiguous`` says that some of ``failed`` may have been
    applied after all (an answer was lost): the caller must re-read the zone before planning those names again.
    """

    failed: list[tuple[Endpoint, str]] = field(default_factory=list)
    ambiguous: bool = False


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
class DomainFiltering(Protocol):
    """A provider that announces which names it accepts (webhook negotiation); AND-ed into the plan's filters."""

    @property
    def domain_filter(self) -> DomainFilter: ...
