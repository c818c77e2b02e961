"""The Node source: one record per Node, named after it (ExternalDNS's ``source/node.go``).

Name: ``metadata.name``, or the ``--fqdn-template`` names instead (both with ``--combine-fqdn-annotation``).
Targets: the ``target`` annotation, else every ExternalIP address (plus IPv6 InternalIP addresses with
``--expose-internal-ipv6``), else every InternalIP address. Unschedulable Nodes are skipped with
``--exclude-unschedulable`` (the default). Only the ``ttl`` annotation is read besides ``target``; Nodes have
no hostname annotation. Resource label ``node/<name>``.
"""

from __future__ import annotations

from external_dns.endpoint import Endpoint, RecordType, merge_endpoints, suitable_type
from external_dns.errors import InvalidEndpoint
from external_dns.sources.annotations import parse_annotations
from external_dns.sources.base import (
    ClusterLookups,
    FieldReader,
    KubeObject,
    RecordOptions,
    SourceResult,
    SourceSettings,
    build_endpoints,
    object_ref,
    passes_filters,
    validate_hostname,
)
from external_dns.sources.fqdn_template import settings_templates


def node_endpoints(node: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> SourceResult:
    """The records a Node asks for, the problems found in it, or why it is skipped."""
    reason = passes_filters(node, settings)
    if reason:
        return SourceResult.ignored(reason)
    reader = FieldReader()
    spec = reader.mapping(node.get("spec"), "spec")
    if settings.exclude_unschedulable and spec.get("unschedulable") is True:
        return SourceResult.ignored("node is unschedulable (spec.unschedulable) and --exclude-unschedulable is set")
    metadata = reader.mapping(node.get("metadata"), "metadata")
    name = reader.text(metadata.get("name"), "metadata.name")
    annotations = parse_annotations(metadata.get("annotations"), settings.annotation_prefix)
    targets = list(annotations.targets) or _node_addresses(node, settings, reader)
    problems = [*reader.problems, *annotations.problems]
    names = _names(node, name, settings, problems)
    if not targets:
        return SourceResult([], problems, "node has no ExternalIP or InternalIP address yet (status.addresses)")
    # Nodes read no set-identifier or provider-specific annotations in ExternalDNS, only the TTL.
    options = RecordOptions(ttl=annotations.ttl)
    ref = object_ref(node, kind="Node", api_version="v1")
    endpoints: list[Endpoint] = []
    for hostname in names:
        endpoints += build_endpoints(hostname, targets, options, resource=f"node/{name}", ref=ref)
    return SourceResult(merge_endpoints(endpoints), problems)


def node_targets(node: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> list[str]:
    """The addresses a Node's records point at: the template hook (see fqdn_template.with_templates)."""
    annotations = parse_annotations((node.get("metadata") or {}).get("annotations"), settings.annotation_prefix)
    return list(annotations.targets) or _node_addresses(node, settings, FieldReader())


def _names(node: KubeObject, name: str, settings: SourceSettings, problems: list[InvalidEndpoint]) -> list[str]:
    """The node name, replaced by the template names (or joined by them with --combine-fqdn-annotation)."""
    own: list[str] = []
    if name:
        problem = validate_hostname(name, "metadata.name")
        if problem is None:
            own = [name]
        else:
            problems.append(problem)
    templates = settings_templates(settings)
    if not templates:
        return own
    template_names, template_problems = templates.checked_hostnames(node)
    problems.extend(template_problems)
    return [*own, *template_names] if settings.combine_fqdn_annotation else template_names


def _node_addresses(node: KubeObject, settings: SourceSettings, reader: FieldReader) -> list[str]:
    """ExternalIPs (+ IPv6 InternalIPs with --expose-internal-ipv6) if any, else InternalIPs."""
    status = reader.mapping(node.get("status"), "status")
    external: list[str] = []
    internal: list[str] = []
    internal_ipv6: list[str] = []
    for index, item in enumerate(reader.items(status.get("addresses"), "status.addresses")):
        entry = reader.mapping(item, f"status.addresses[{index}]")
        kind = reader.text(entry.get("type"), f"status.addresses[{index}].type")
        address = reader.text(entry.get("address"), f"status.addresses[{index}].address")
        if not address:
            continue
        if kind == "ExternalIP":
            external.append(address)
        elif kind == "InternalIP":
            internal.append(address)
            if suitable_type(address) is RecordType.AAAA:
                internal_ipv6.append(address)
    if external:
        return external + internal_ipv6 if settings.expose_internal_ipv6 else external
    return internal
