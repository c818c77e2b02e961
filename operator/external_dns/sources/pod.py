"""The Pod source: records for Pods that ask for them (ExternalDNS's ``source/pod.go``).

* ``internal-hostname`` annotation -> the pod IP (``status.podIP``);
* ``hostname`` annotation -> the ExternalIP and IPv6 InternalIP addresses of the pod's Node (whatever
  ``hostNetwork`` is: ExternalDNS's docs say pod IP for other pods, its code does this, and the code wins);
* ``--pod-source-domain=d`` -> ``<pod-name>.d`` with the pod IP;
* ``--fqdn-template`` names -> every address in ``status.podIPs``;
* a ``target`` annotation replaces the targets of all but the template names.

``--ignore-non-host-network-pods`` skips pods without ``spec.hostNetwork``. The ``ttl`` annotation is read. As
in ExternalDNS, pod records carry no resource label. ExternalDNS merges one name asked for by several pods
into one record; a per-object source cannot, so that merge is left to whoever unites the sources' endpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from external_dns.endpoint import (
    Endpoint,
    RecordType,
    endpoints_for_hostname,
    merge_endpoints,
    normalize_name,
    suitable_type,
)
from external_dns.errors import InvalidEndpoint
from external_dns.sources.annotations import parse_annotations
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
from external_dns.sources.fqdn_template import settings_templates


def pod_endpoints(pod: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> SourceResult:
    """The records a Pod asks for, the problems found in it, or why it is skipped."""
    reason = passes_filters(pod, settings)
    if reason:
        return SourceResult.ignored(reason)
    reader = FieldReader()
    spec = reader.mapping(pod.get("spec"), "spec")
    if settings.ignore_non_host_network_pods and spec.get("hostNetwork") is not True:
        return SourceResult.ignored("pod does not use the host network and --ignore-non-host-network-pods is set")
    metadata = reader.mapping(pod.get("metadata"), "metadata")
    annotations = parse_annotations(metadata.get("annotations"), settings.annotation_prefix)
    status = reader.mapping(pod.get("status"), "status")
    pod_ip = reader.text(status.get("podIP"), "status.podIP")
    override = list(annotations.targets)
    names: dict[str, list[str]] = {}

    def add(hostname: str, targets: list[str]) -> None:
        bucket = names.setdefault(normalize_name(hostname), [])
        bucket.extend(t for t in targets if t and t not in bucket)

    for hostname in annotations.internal_hostnames:
        add(hostname, override or [pod_ip])
    if annotations.hostnames:
        node_targets = override or _node_targets(spec, lookups, reader)
        for hostname in annotations.hostnames:
            add(hostname, node_targets)
    problems: list[InvalidEndpoint] = [*reader.problems, *annotations.problems]
    if settings.pod_source_domain:
        name = f"{reader.text(metadata.get('name'), 'metadata.name')}.{settings.pod_source_domain}"
        if problem := validate_hostname(name, "--pod-source-domain"):
            problems.append(problem)
        else:
            add(name, override or [pod_ip])
    templates = settings_templates(settings)
    if templates:
        template_names, template_problems = templates.checked_hostnames(pod)
        problems += template_problems
        for hostname in template_names:
            add(hostname, pod_ips(pod))
    endpoints = _endpoints(pod, names, annotations.ttl)
    if endpoints or problems:
        return SourceResult(endpoints, problems)
    if names:
        return SourceResult.ignored("pod has no address yet (status.podIP, or its node's addresses, are empty)")
    return SourceResult.ignored("pod asks for no record (no hostname or internal-hostname annotation)")


def pod_ips(pod: KubeObject) -> list[str]:
    """Every address in ``status.podIPs``, else ``status.podIP``: the template hook's targets."""
    status = pod.get("status")
    if not isinstance(status, Mapping):
        return []
    addresses = [
        entry["ip"]
        for entry in status.get("podIPs") or []
        if isinstance(entry, Mapping) and isinstance(entry.get("ip"), str) and entry["ip"]
    ]
    pod_ip = status.get("podIP")
    return addresses or ([pod_ip] if isinstance(pod_ip, str) and pod_ip else [])


def pod_targets(pod: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> list[str]:
    """The template hook (see fqdn_template.with_templates): the pod's addresses."""
    return pod_ips(pod)


def _node_targets(spec: Mapping[str, Any], lookups: ClusterLookups, reader: FieldReader) -> list[str]:
    """The pod's node's ExternalIPs and IPv6 InternalIPs (IPv6 internal addresses are usually routable)."""
    node_name = reader.text(spec.get("nodeName"), "spec.nodeName")
    node = lookups.node(node_name) if node_name else None
    if node is None:
        return []
    status = node.get("status")
    addresses = status.get("addresses") if isinstance(status, Mapping) else None
    targets: list[str] = []
    for entry in addresses if isinstance(addresses, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("address"), str):
            continue
        address = entry["address"]
        ipv6 = suitable_type(address) is RecordType.AAAA
        if entry.get("type") == "ExternalIP" or (entry.get("type") == "InternalIP" and ipv6):
            targets.append(address)
    return targets


def _endpoints(pod: KubeObject, names: dict[str, list[str]], ttl: int) -> list[Endpoint]:
    ref = object_ref(pod, kind="Pod", api_version="v1")
    endpoints: list[Endpoint] = []
    for hostname in sorted(names):
        endpoints += endpoints_for_hostname(hostname, names[hostname], ttl=ttl, ref=ref)
    return merge_endpoints(endpoints)
