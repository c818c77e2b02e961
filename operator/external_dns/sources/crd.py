"""The DNSEndpoint source: records spelled out in a DNSEndpoint (ExternalDNS's ``source/crd.go``).

Each ``spec.endpoints[]`` item is one endpoint as written (name, type, targets, TTL, set identifier, labels,
provider-specific properties); no annotations are read, so there is no controller check. Each item is validated
on its own: an invalid item is skipped with a problem naming ``spec.endpoints[i].<field>`` and the others are
kept. Target rules follow ExternalDNS: NAPTR targets must end with ``.``; A, AAAA, NS and PTR targets must not;
CNAME and DNAME may (the dot is dropped here, as every source does); TXT is free text; MX and SRV must have
their ``<preference> <host>`` / ``<priority> <weight> <port> <host>`` shape. Empty targets pass through (for
``--default-targets``; without them an item with no targets gets a problem).
Every endpoint carries the resource label ``crd/<ns>/<name>``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from external_dns.endpoint import RESOURCE_LABEL, Endpoint, ObjectRef, RecordType, normalize_name
from external_dns.errors import InvalidEndpoint
from external_dns.hostnames import NameRule, name_problem
from external_dns.sources.base import (
    ClusterLookups,
    FieldReader,
    KubeObject,
    SourceResult,
    SourceSettings,
    object_ref,
    passes_filters,
    validate_hostname,
)
from external_dns.sources.limits import MAX_ENDPOINTS_PER_OBJECT

TTL_MAXIMUM = 2**31 - 1
_KNOWN_TYPES = frozenset(t.value for t in RecordType)
#: Types whose targets are host names and must not end with a dot (ExternalDNS's crd.go rule).
_NO_DOT_TYPES = frozenset({RecordType.A, RecordType.AAAA, RecordType.NS, RecordType.PTR})


def dnsendpoint_endpoints(obj: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> SourceResult:
    """The endpoints a DNSEndpoint spells out, a problem for each invalid item, or why it is skipped.

    ``lookups`` is unused (a DNSEndpoint is self-contained) but keeps every source's signature alike.
    """
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if (kind and kind != settings.crd_kind) or (api_version and api_version != settings.crd_api_version):
        return SourceResult.ignored(
            f"{api_version}/{kind} is not the configured {settings.crd_api_version}/{settings.crd_kind}"
        )
    reason = passes_filters(obj, settings, check_controller=False)
    if reason:
        return SourceResult.ignored(reason)
    reader = FieldReader()
    metadata = reader.mapping(obj.get("metadata"), "metadata")
    spec = reader.mapping(obj.get("spec"), "spec")
    resource = f"crd/{metadata.get('namespace', '')}/{metadata.get('name', '')}"
    ref = object_ref(obj, kind=settings.crd_kind, api_version=settings.crd_api_version)
    endpoints: list[Endpoint] = []
    items = reader.items(spec.get("endpoints"), "spec.endpoints")
    if len(items) > MAX_ENDPOINTS_PER_OBJECT:
        reader.problem(
            "spec.endpoints",
            f"lists {len(items)} endpoints, more than the limit of {MAX_ENDPOINTS_PER_OBJECT} per DNSEndpoint; "
            f"only the first {MAX_ENDPOINTS_PER_OBJECT} are published",
        )
        items = items[:MAX_ENDPOINTS_PER_OBJECT]
    for index, item in enumerate(items):
        endpoint = _parse_item(item, f"spec.endpoints[{index}]", resource, ref)
        if isinstance(endpoint, Endpoint):
            if not endpoint.targets and not settings.default_targets:
                # Nothing would be published: say so instead of dropping the item in silence.
                reader.problem(f"spec.endpoints[{index}].targets", "is empty and no --default-targets is set")
            endpoints.append(endpoint)
        else:
            reader.problems.append(endpoint)
    return SourceResult(endpoints, reader.problems)


def _parse_item(item: object, path: str, resource: str, ref: ObjectRef) -> Endpoint | InvalidEndpoint:
    """One ``spec.endpoints[]`` item as an Endpoint, or the first problem that makes it invalid."""
    if item is None:
        return InvalidEndpoint(path, "expected an object, got nothing")
    reader = FieldReader()
    entry = reader.mapping(item, path)
    name = reader.text(entry.get("dnsName"), f"{path}.dnsName")
    record_type = reader.text(entry.get("recordType"), f"{path}.recordType")
    targets = [t for t, _ in reader.texts(entry.get("targets"), f"{path}.targets")]
    set_identifier = reader.text(entry.get("setIdentifier"), f"{path}.setIdentifier")
    labels = _labels(reader, entry.get("labels"), f"{path}.labels")
    provider_specific = _provider_specific(reader, entry.get("providerSpecific"), f"{path}.providerSpecific")
    ttl = _ttl(reader, entry.get("recordTTL"), f"{path}.recordTTL")
    if reader.problems:
        return reader.problems[0]
    if not name:
        return InvalidEndpoint(f"{path}.dnsName", "is required")
    if problem := validate_hostname(name, f"{path}.dnsName"):
        return problem
    if record_type not in _KNOWN_TYPES:
        expected = ", ".join(sorted(_KNOWN_TYPES))
        return InvalidEndpoint(f"{path}.recordType", f"{record_type or '(empty)'!r} is not one of {expected}")
    kind = RecordType(record_type)
    for index, target in enumerate(targets):
        if problem := _target_problem(kind, target, f"{path}.targets[{index}]"):
            return problem
    if kind in (RecordType.CNAME, RecordType.DNAME):
        targets = [t.removesuffix(".") for t in targets]
    return Endpoint(
        dns_name=normalize_name(name),
        record_type=kind.value,
        targets=tuple(targets),
        ttl=ttl,
        set_identifier=set_identifier,
        labels={**labels, RESOURCE_LABEL: resource},
        provider_specific=provider_specific,
        refs=(ref,),
    )


def _target_problem(kind: RecordType, target: str, path: str) -> InvalidEndpoint | None:
    """ExternalDNS's per-type target checks, plus IP syntax for A/AAAA (a provider would reject those later)."""
    has_dot = target.endswith(".")
    if kind is RecordType.NAPTR and not has_dot:
        return InvalidEndpoint(path, f"NAPTR target {target!r} must end with '.'")
    if kind in _NO_DOT_TYPES and has_dot:
        return InvalidEndpoint(path, f"{kind.value} target {target!r} must not end with '.'")
    if kind in (RecordType.A, RecordType.AAAA):
        return _address_problem(kind, target, path)
    if kind in (RecordType.CNAME, RecordType.DNAME, RecordType.NS, RecordType.PTR):
        rule = NameRule.HOSTNAME if kind is RecordType.NS else NameRule.DNS_NAME
        problem = name_problem(target, rule, wildcard=False)
        return InvalidEndpoint(path, f"target is not a valid name: {problem}") if problem else None
    if kind is RecordType.MX:
        return _shaped(target, path, numbers=1, shape="<preference> <host>")
    if kind is RecordType.SRV:
        return _shaped(target, path, numbers=3, shape="<priority> <weight> <port> <host>")
    return None


def _address_problem(kind: RecordType, target: str, path: str) -> InvalidEndpoint | None:
    version = 4 if kind is RecordType.A else 6
    try:
        address = ipaddress.ip_address(target)
    except ValueError:
        address = None
    if address is None or address.version != version:
        return InvalidEndpoint(path, f"{kind.value} target {target!r} is not an IPv{version} address")
    return None


def _shaped(target: str, path: str, *, numbers: int, shape: str) -> InvalidEndpoint | None:
    """MX and SRV targets: ``numbers`` integers 0..65535 then a host name (ExternalDNS's Validate*Record)."""
    fields = target.split()
    valid = (
        len(fields) == numbers + 1
        and all(f.isdigit() and int(f) <= 65535 for f in fields[:numbers])
        # BIND checks these hosts with the hostname rule (check-names), so they are checked so here.
        and name_problem(fields[-1], NameRule.HOSTNAME, wildcard=False) is None
    )
    return None if valid else InvalidEndpoint(path, f"target {target!r} is not in the form {shape}")


def _ttl(reader: FieldReader, value: object, path: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        reader.problem(path, "expected a whole number of seconds")
        return 0
    if not 0 <= value <= TTL_MAXIMUM:
        reader.problem(path, f"{value} is not between 0 and {TTL_MAXIMUM}")
        return 0
    return value


def _labels(reader: FieldReader, value: object, path: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for key, label in reader.mapping(value, path).items():
        if isinstance(label, str):
            labels[str(key)] = label
        else:
            reader.problem(f'{path}["{key}"]', "label values must be strings")
    return labels


def _provider_specific(reader: FieldReader, value: object, path: str) -> dict[str, str]:
    properties: dict[str, str] = {}
    for index, item in enumerate(reader.items(value, path)):
        entry: Mapping[str, Any] = reader.mapping(item, f"{path}[{index}]")
        name = reader.text(entry.get("name"), f"{path}[{index}].name")
        property_value = reader.text(entry.get("value"), f"{path}[{index}].value")
        if name:
            properties[name] = property_value
        elif entry:
            reader.problem(f"{path}[{index}].name", "is required")
    return properties
