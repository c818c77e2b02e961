"""Steps applied to every source's endpoints: --target-net-filter / --exclude-target-net, and --min-ttl.

These are ExternalDNS's ``TargetFilterSource`` and ``PostProcessor`` source wrappers (source/wrappers/ in
ExternalDNS v0.22), with their rules:

- a target is kept when it lies in one of the ``--target-net-filter`` networks (any target, if none is given)
  and in none of the ``--exclude-target-net`` networks. A target that is not an IP address (a CNAME's hostname)
  lies in no network: with ``--target-net-filter`` it is dropped, with only exclusions it is kept;
- an endpoint left without targets is dropped (nothing would be published for it);
- ``--min-ttl`` becomes the TTL of an endpoint whose source set none (TTL 0); a TTL that was set is kept.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from external_dns.endpoint import Endpoint

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class TargetNetFilter:
    """Which targets may be published, by network (CIDR)."""

    include: tuple[Network, ...] = ()
    exclude: tuple[Network, ...] = ()

    @classmethod
    def from_cidrs(cls, include: Sequence[str], exclude: Sequence[str]) -> TargetNetFilter:
        """From the flags' CIDR strings (already checked by config.py)."""
        return cls(
            tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in include),
            tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in exclude),
        )

    @property
    def is_enabled(self) -> bool:
        return bool(self.include or self.exclude)

    def matches(self, target: str) -> bool:
        """The target may be published: in an included network (or none given) and in no excluded one."""
        try:
            address = ipaddress.ip_address(target)
        except ValueError:
            address = None
        included = not self.include or (address is not None and any(address in net for net in self.include))
        excluded = address is not None and any(address in net for net in self.exclude)
        return included and not excluded


def filter_targets(endpoints: Sequence[Endpoint], target_filter: TargetNetFilter) -> list[Endpoint]:
    """Endpoints with only the targets the filter allows; those left with none are dropped."""
    if not target_filter.is_enabled:
        return list(endpoints)
    result: list[Endpoint] = []
    for endpoint in endpoints:
        targets = tuple(target for target in endpoint.targets if target_filter.matches(target))
        if targets:
            result.append(endpoint if targets == endpoint.targets else endpoint.with_(targets=targets))
    return result


def with_min_ttl(endpoints: Sequence[Endpoint], min_ttl: int) -> list[Endpoint]:
    """Endpoints whose source set no TTL get ``min_ttl`` (ExternalDNS's ``Endpoint.WithMinTTL``)."""
    if min_ttl <= 0:
        return list(endpoints)
    return [endpoint.with_(ttl=min_ttl) if endpoint.ttl == 0 else endpoint for endpoint in endpoints]
