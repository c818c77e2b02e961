"""The Ingress source: which records an Ingress asks for (ExternalDNS's ``source/ingress.go``).

Hostnames: ``spec.rules[].host`` (unless ``--ignore-ingress-rules-spec``), ``spec.tls[].hosts[]`` (unless
``--ignore-ingress-tls-spec``) and the ``hostname`` annotation (unless ``--ignore-hostname-annotation``),
narrowed by the ``ingress-hostname-source`` annotation. Targets: the ``target`` annotation, else every
``status.loadBalancer.ingress[]`` IP and hostname. ``--ingress-class`` keeps Ingresses whose
``spec.ingressClassName`` (or, when that is unset, ``kubernetes.io/ingress.class`` annotation) is listed.
"""

from __future__ import annotations

from collections.abc import Mapping

from external_dns.endpoint import Endpoint, merge_endpoints
from external_dns.errors import InvalidEndpoint
from external_dns.sources.annotations import HostnameSource, parse_annotations
from external_dns.sources.base import (
    ClusterLookups,
    FieldReader,
    KubeObject,
    SourceResult,
    SourceSettings,
    annotations_of,
    build_endpoints,
    find_annotation,
    load_balancer_targets,
    object_ref,
    passes_filters,
    validate_hostname,
)

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def ingress_endpoints(ingress: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> SourceResult:
    """The endpoints an Ingress asks for, the problems found in it, or why it is skipped.

    ``lookups`` is unused (an Ingress needs no other object) but keeps every source's signature alike.
    """
    reason = passes_filters(ingress, settings) or _class_filter(ingress, settings)
    if reason:
        return SourceResult.ignored(reason)
    reader = FieldReader()
    metadata = reader.mapping(ingress.get("metadata"), "metadata")
    spec = reader.mapping(ingress.get("spec"), "spec")
    annotations = parse_annotations(metadata.get("annotations"), settings.annotation_prefix)
    targets = annotations.targets or load_balancer_targets(reader, reader.mapping(ingress.get("status"), "status"))
    defined_hosts: list[str] = []
    if not settings.ignore_ingress_rules_spec:
        defined_hosts += _rule_hosts(reader, spec.get("rules"))
    if not settings.ignore_ingress_tls_spec:
        defined_hosts += _tls_hosts(reader, spec.get("tls"))
    annotation_hosts = [] if settings.ignore_hostname_annotation else list(annotations.hostnames)
    problems = [*reader.problems, *annotations.problems]

    match annotations.ingress_hostname_source:
        case HostnameSource.ALL:
            hostnames = defined_hosts + annotation_hosts
        case HostnameSource.DEFINED_HOSTS_ONLY:
            hostnames = defined_hosts
        case HostnameSource.ANNOTATION_ONLY:
            hostnames = annotation_hosts
        case _:
            # ExternalDNS publishes nothing for an unknown value; do the same, but say why.
            found = find_annotation(annotations_of(ingress), "ingress-hostname-source", settings.annotation_prefix)
            key = found[0] if found else "ingress-hostname-source"
            message = "must be defined-hosts-only or annotation-only; no records are published"
            problems.append(_annotation_problem(key, message))
            hostnames = []

    resource = f"ingress/{metadata.get('namespace', '')}/{metadata.get('name', '')}"
    ref = object_ref(ingress, kind="Ingress", api_version="networking.k8s.io/v1")
    options = annotations.record_options
    endpoints: list[Endpoint] = []
    for hostname in hostnames:
        endpoints += build_endpoints(hostname, targets, options, resource=resource, ref=ref)
    return SourceResult(merge_endpoints(endpoints), problems)


def _class_filter(ingress: KubeObject, settings: SourceSettings) -> str:
    """Why ``--ingress-class`` skips this Ingress; ``""`` when it is kept."""
    if not settings.ingress_classes:
        return ""
    spec = ingress.get("spec")
    class_name = spec.get("ingressClassName") if isinstance(spec, Mapping) else None
    if class_name:
        if class_name in settings.ingress_classes:
            return ""
        return f"ingressClassName {class_name!r} is not in --ingress-class {sorted(settings.ingress_classes)}"
    annotated = annotations_of(ingress).get(INGRESS_CLASS_ANNOTATION)
    if annotated in settings.ingress_classes:
        return ""
    return f"ingress class {annotated or '(none)'!r} is not in --ingress-class {sorted(settings.ingress_classes)}"


def _rule_hosts(reader: FieldReader, rules: object) -> list[str]:
    hosts: list[str] = []
    for index, item in enumerate(reader.items(rules, "spec.rules")):
        rule = reader.mapping(item, f"spec.rules[{index}]")
        host = reader.text(rule.get("host"), f"spec.rules[{index}].host")
        if host:
            hosts += _valid_host(reader, host, f"spec.rules[{index}].host")
    return hosts


def _tls_hosts(reader: FieldReader, tls: object) -> list[str]:
    hosts: list[str] = []
    for index, item in enumerate(reader.items(tls, "spec.tls")):
        section = reader.mapping(item, f"spec.tls[{index}]")
        for host, path in reader.texts(section.get("hosts"), f"spec.tls[{index}].hosts"):
            if host:
                hosts += _valid_host(reader, host, path)
    return hosts


def _valid_host(reader: FieldReader, host: str, path: str) -> list[str]:
    problem = validate_hostname(host, path)
    if problem is not None:
        reader.problems.append(problem)
        return []
    return [host]


def _annotation_problem(key: str, message: str) -> InvalidEndpoint:
    return InvalidEndpoint(f'metadata.annotations["{key}"]', message)
