"""Sources: pure functions that turn one Kubernetes object into the endpoints it asks for.

One module per kind (``service``, ``ingress``, ``crd``; more to come), each exposing
``<kind>_endpoints(obj, settings, lookups) -> SourceResult``. The shared settings, result type, cluster lookups,
filters and validation live in :mod:`external_dns.sources.base`; annotation parsing in
:mod:`external_dns.sources.annotations`.
"""

from external_dns.selectors import parse_selector
from external_dns.sources.annotations import Annotations, HostnameSource, parse_annotations, parse_go_duration
from external_dns.sources.base import (
    ClusterLookups,
    EmptyLookups,
    SourceResult,
    SourceSettings,
    StaticLookups,
    object_ref,
    passes_filters,
    validate_hostname,
)
from external_dns.sources.crd import dnsendpoint_endpoints
from external_dns.sources.ingress import ingress_endpoints
from external_dns.sources.service import service_endpoints

__all__ = [
    "Annotations",
    "ClusterLookups",
    "EmptyLookups",
    "HostnameSource",
    "SourceResult",
    "SourceSettings",
    "StaticLookups",
    "dnsendpoint_endpoints",
    "ingress_endpoints",
    "object_ref",
    "parse_annotations",
    "parse_go_duration",
    "parse_selector",
    "passes_filters",
    "service_endpoints",
    "validate_hostname",
]
