"""The steps every source's endpoints go through after the source function, in order, as ExternalDNS composes its
source wrappers: ``--fqdn-template`` (Service and Ingress only: fqdn_template.with_templates), default targets
(``--default-targets``), the target-net filter (``--target-net-filter`` / ``--exclude-target-net``), the minimum
TTL (``--min-ttl``), then the checks no source may skip (checks.checked). :func:`pipeline` builds the chain;
each step is a pure function of the endpoints and the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from external_dns.endpoint import Endpoint, endpoints_for_hostname
from external_dns.sources.base import ClusterLookups, KubeObject, SourceResult, SourceSettings
from external_dns.sources.checks import checked
from external_dns.sources.target_filter import filter_targets, with_min_ttl

SourceFunction = Callable[[KubeObject, SourceSettings, ClusterLookups], SourceResult]


def with_default_targets(endpoints: Sequence[Endpoint], targets: Sequence[str]) -> list[Endpoint]:
    """ExternalDNS's --default-targets: an endpoint without targets gets them (one endpoint per fitting type)."""
    if not targets:
        return [ep for ep in endpoints if ep.targets]
    result: list[Endpoint] = []
    for ep in endpoints:
        if ep.targets:
            result.append(ep)
            continue
        for filled in endpoints_for_hostname(
            ep.dns_name, targets, ttl=ep.ttl, set_identifier=ep.set_identifier, provider_specific=ep.provider_specific
        ):
            result.append(filled.with_(labels=dict(ep.labels), refs=ep.refs))
    return result


def targets_and_ttl(derive: SourceFunction) -> SourceFunction:
    """``derive`` followed by default targets, the target-net filter and the minimum TTL."""

    def derive_then_adjust(obj: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> SourceResult:
        result = derive(obj, settings, lookups)
        if result.ignored_reason:
            return result
        endpoints = with_default_targets(result.endpoints, settings.default_targets)
        endpoints = with_min_ttl(filter_targets(endpoints, settings.target_filter), settings.min_ttl)
        return SourceResult(endpoints, result.problems)

    return derive_then_adjust


def pipeline(derive: SourceFunction) -> SourceFunction:
    """A source function with every common step after it (templates are applied before, by the caller)."""
    return checked(targets_and_ttl(derive))
