"""The values that cross the planner, the registry, the reconciler and the providers: zones and change batches.

:class:`ZoneRouter` answers which zones a name goes to (workers, status and explain agree on it).

They sit below all of those (as ExternalDNS's ``plan.Changes`` sits in ``plan/`` and providers import it), so the
planner and the registry never import a provider module. ``external_dns.providers.base`` re-exports them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from external_dns.endpoint import Endpoint, normalize_name

#: A zone's normalised name: the zones are few, and every name planned or written asks whether one contains it.
_zone_name = functools.lru_cache(maxsize=256)(normalize_name)


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone a provider serves. ``name`` has no trailing dot; ``""`` is the root (it holds every name).

    ``private`` marks a split-horizon zone (Route 53 private hosted zones): a name is written to every private
    zone that contains it as well as to the most specific public one, as ExternalDNS does.
    """

    name: str
    id: str = ""
    private: bool = False

    @property
    def label(self) -> str:
        """The zone's name for logs and metrics (``.`` for the root)."""
        return self.name or "."

    def contains(self, dns_name: str) -> bool:
        name = normalize_name(dns_name)
        zone = _zone_name(self.name)
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

    def records(self) -> list[Endpoint]:
        """Every record the batch mentions, the replaced ones included."""
        return [*self.create, *self.update_old, *self.update_new, *self.delete]

    def without(self, names: set[str]) -> Changes:
        """The batch less every change at one of ``names`` (an update goes with its replaced record)."""
        if not names:
            return self
        pairs = [
            (old, new) for old, new in zip(self.update_old, self.update_new, strict=True) if new.key.name not in names
        ]
        return Changes(
            create=[ep for ep in self.create if ep.key.name not in names],
            update_old=[old for old, _ in pairs],
            update_new=[new for _, new in pairs],
            delete=[ep for ep in self.delete if ep.key.name not in names],
        )


@dataclass(slots=True)
class ApplyOutcome:
    """What the provider did with a batch: the records it rejected, each with the provider's own message.

    Raising from ``apply_changes`` means nothing of the batch is known to be applied; returning an outcome means
    everything not listed in ``failed`` was applied. ``ambiguous`` says that some of ``failed`` may have been
    applied after all (an answer was lost): the caller must re-read the zone before planning those names again.
    ``deferred`` were not sent because the provider asked to wait (:class:`~external_dns.errors.ProviderBusy`):
    they are retried like failures, but nothing is wrong with them, so no error is reported on their objects.
    """

    failed: list[tuple[Endpoint, str]] = field(default_factory=list)
    ambiguous: bool = False
    deferred: list[Endpoint] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ZoneChanges:
    """What a zone's records became since a version (providers/base.FollowingChanges).

    Either ``steps``: one (removed, added) pair per change the provider made, oldest first, each record with one
    target (a change removes or adds single values of a record set; an added value's TTL is the set's now); or
    ``whole``: every record of the zone, when the provider sent it whole instead (it keeps no history that far
    back). No steps and no ``whole``: nothing changed.
    """

    version: int
    steps: tuple[tuple[tuple[Endpoint, ...], tuple[Endpoint, ...]], ...] = ()
    whole: list[Endpoint] | None = None


class ZoneRouter:
    """Maps a DNS name to the zones its records go to: the most specific public zone that contains it, and
    every private (split-horizon) zone that contains it, as ExternalDNS's Route 53 provider does."""

    def __init__(self, zones: Iterable[Zone]) -> None:
        self.zones = sorted(zones, key=lambda z: (-z.name.count("."), -len(z.name), z.name, z.id))

    def zones_for(self, name: str) -> list[Zone]:
        matching = [zone for zone in self.zones if zone.contains(name)]
        public = next((zone for zone in matching if not zone.private), None)
        return [zone for zone in matching if zone.private or zone is public]
