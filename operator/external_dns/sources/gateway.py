"""The Gateway API route sources: which records an HTTPRoute, GRPCRoute, TLSRoute, TCPRoute or UDPRoute asks
for (ExternalDNS's ``source/gateway.go``).

A route publishes its hostnames only through the Gateways that accepted it. For each entry of
``status.parents`` (a parent that has processed the route): the parentRef must also be in ``spec.parentRefs``,
be a ``gateway.networking.k8s.io`` ``Gateway``, pass the Gateway filters (``--gateway-namespace``,
``--gateway-label-filter``, ``--gateway-name``, ``controller`` annotation) and have condition ``Accepted=True``.
Then each listener named by ``sectionName`` (or every listener) must speak the route's protocol, have the
parentRef's ``port`` if one is set, allow the route (``allowedRoutes.namespaces`` Same / All / Selector and
``allowedRoutes.kinds``), and share a hostname with the route (wildcards intersect to the more specific
name). Targets are the Gateway's ``target`` annotation, else its ``status.addresses``.

When a route yields no record, ``SourceResult.ignored_reason`` says why for each parent, in words
(ExternalDNS only logs this at debug level, which is its most-reported Gateway complaint, #4439).

ListenerSet parents (``--gateway-listener-sets``) are not supported yet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from external_dns.endpoint import Endpoint, RecordType, merge_endpoints, suitable_type
from external_dns.errors import InvalidEndpoint
from external_dns.hostnames import NameRule, name_problem
from external_dns.selectors import parse_selector
from external_dns.sources.annotations import Annotations, HostnameSource, parse_annotations
from external_dns.sources.base import (
    ALPHA_PREFIX,
    ClusterLookups,
    FieldReader,
    KubeObject,
    SourceResult,
    SourceSettings,
    StaticLookups,
    build_endpoints,
    labels_of,
    object_ref,
    passes_filters,
    validate_hostname,
)
from external_dns.sources.fqdn_template import settings_templates
from external_dns.sources.gateway_objects import (
    GATEWAY_GROUP,
    GATEWAY_KIND,
    Gateway,
    Listener,
    ParentRef,
    ParentStatus,
    accepted_condition,
    parse_gateway,
    parse_parent_ref,
)


class GatewayLookups(ClusterLookups, Protocol):
    """Cluster lookups plus the objects routes need: their Gateways and, for Selector listeners, Namespaces."""

    def gateway(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        """The Gateway ``namespace/name`` (unfiltered: the source applies the Gateway filters), or None."""
        ...

    def namespace(self, name: str) -> Mapping[str, Any] | None:
        """The Namespace ``name``, or None."""
        ...


RouteFn = Callable[[KubeObject, SourceSettings, GatewayLookups], SourceResult]


@dataclass(frozen=True, slots=True)
class RouteKind:
    """One route kind: its API coordinates, the protocol its listeners must speak, and its source function."""

    group: str
    version: str
    plural: str
    kind: str
    protocol: str
    endpoints: RouteFn

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


# --- the parsed route and gateway --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Route:
    kind: RouteKind
    namespace: str
    name: str
    hostnames: tuple[str, ...]
    parent_refs: tuple[ParentRef, ...]
    parents: tuple[ParentStatus, ...]


# --- route sources -----------------------------------------------------------------------------------------


def _route_endpoints(
    kind: RouteKind, route: KubeObject, settings: SourceSettings, lookups: GatewayLookups
) -> SourceResult:
    reason = passes_filters(route, settings)
    if reason:
        return SourceResult.ignored(reason)
    reader = FieldReader()
    parsed = _parse_route(kind, route, reader)
    metadata = reader.mapping(route.get("metadata"), "metadata")
    annotations = parse_annotations(metadata.get("annotations"), settings.annotation_prefix)
    template_names, template_problems = settings_templates(settings).checked_hostnames(route)
    problems = [*reader.problems, *annotations.problems, *template_problems]
    hosts = _route_hosts(parsed, annotations, settings, template_names, bool(settings.fqdn_templates))
    if not parsed.parent_refs:
        return _nothing(problems, f"{kind.kind} has no spec.parentRefs")
    if not parsed.parents:
        return _nothing(problems, "no gateway has processed this route yet (status.parents is empty)")
    targets_by_host: dict[str, list[str]] = {}
    reasons: list[str] = []
    for index, parent in enumerate(parsed.parents):
        why = _match_parent(parsed, index, parent, hosts, settings, lookups, targets_by_host)
        if why:
            reasons.append(why)
    if not targets_by_host:
        return _nothing(problems, "; ".join(reasons) or "no parent gateway matches this route")
    resource = f"{kind.kind.lower()}/{parsed.namespace}/{parsed.name}"
    ref = object_ref(route, kind=kind.kind, api_version=kind.api_version)
    endpoints: list[Endpoint] = []
    for host in sorted(targets_by_host):
        targets = sorted(dict.fromkeys(targets_by_host[host]))
        endpoints += build_endpoints(host, targets, annotations.record_options, resource=resource, ref=ref)
    return SourceResult(merge_endpoints(endpoints), problems)


def _nothing(problems: list[InvalidEndpoint], reason: str) -> SourceResult:
    """No records: the problems if the route is at fault, else the reason it is (for now) not published."""
    return SourceResult([], problems, "" if problems else reason)


def httproute_endpoints(route: KubeObject, settings: SourceSettings, lookups: GatewayLookups) -> SourceResult:
    """The endpoints an HTTPRoute asks for through the Gateways that accepted it."""
    return _route_endpoints(ROUTE_KINDS["gateway-httproute"], route, settings, lookups)


def grpcroute_endpoints(route: KubeObject, settings: SourceSettings, lookups: GatewayLookups) -> SourceResult:
    """The endpoints a GRPCRoute asks for (attaches to HTTP and HTTPS listeners)."""
    return _route_endpoints(ROUTE_KINDS["gateway-grpcroute"], route, settings, lookups)


def tlsroute_endpoints(route: KubeObject, settings: SourceSettings, lookups: GatewayLookups) -> SourceResult:
    """The endpoints a TLSRoute asks for (attaches to TLS listeners)."""
    return _route_endpoints(ROUTE_KINDS["gateway-tlsroute"], route, settings, lookups)


def tcproute_endpoints(route: KubeObject, settings: SourceSettings, lookups: GatewayLookups) -> SourceResult:
    """The endpoints a TCPRoute asks for (TCP and TLS listeners; hostnames from listeners and annotations)."""
    return _route_endpoints(ROUTE_KINDS["gateway-tcproute"], route, settings, lookups)


def udproute_endpoints(route: KubeObject, settings: SourceSettings, lookups: GatewayLookups) -> SourceResult:
    """The endpoints a UDPRoute asks for (UDP listeners; hostnames from listeners and annotations)."""
    return _route_endpoints(ROUTE_KINDS["gateway-udproute"], route, settings, lookups)


#: The ``--source`` names of the route sources, as ExternalDNS spells them.
ROUTE_KINDS: dict[str, RouteKind] = {
    "gateway-httproute": RouteKind(GATEWAY_GROUP, "v1", "httproutes", "HTTPRoute", "HTTP", httproute_endpoints),
    "gateway-grpcroute": RouteKind(GATEWAY_GROUP, "v1", "grpcroutes", "GRPCRoute", "HTTPS", grpcroute_endpoints),
    "gateway-tlsroute": RouteKind(GATEWAY_GROUP, "v1", "tlsroutes", "TLSRoute", "TLS", tlsroute_endpoints),
    "gateway-tcproute": RouteKind(GATEWAY_GROUP, "v1alpha2", "tcproutes", "TCPRoute", "TCP", tcproute_endpoints),
    "gateway-udproute": RouteKind(GATEWAY_GROUP, "v1alpha2", "udproutes", "UDPRoute", "UDP", udproute_endpoints),
}


def route_targets(route: KubeObject, settings: SourceSettings, lookups: GatewayLookups) -> list[str]:
    """The targets of every Gateway that accepted the route (the template hook; templates are already applied
    by the route sources themselves, through listener matching)."""
    kind = next((k for k in ROUTE_KINDS.values() if k.kind == route.get("kind")), ROUTE_KINDS["gateway-httproute"])
    result = _route_endpoints(kind, route, settings, lookups)
    return list(dict.fromkeys(t for endpoint in result.endpoints for t in endpoint.targets))


# --- hostnames ---------------------------------------------------------------------------------------------


def _route_hosts(
    route: _Route,
    annotations: Annotations,
    settings: SourceSettings,
    template_names: list[str],
    templates_configured: bool,
) -> list[str]:
    """ExternalDNS's ``hosts``: spec hostnames, template names, ``""`` (take the listener's) and the
    ``hostname`` annotation, as ``gateway-hostname-source`` selects."""
    hosts = list(route.hostnames)
    if templates_configured and (not hosts or settings.combine_fqdn_annotation):
        hosts += template_names
    annotation_hosts = [] if settings.ignore_hostname_annotation else list(annotations.hostnames)
    match annotations.gateway_hostname_source:
        case HostnameSource.ANNOTATION_ONLY:
            return annotation_hosts
        case HostnameSource.DEFINED_HOSTS_ONLY:
            return hosts
    # Absent or invalid (ExternalDNS warns and falls back to the default).
    if not route.hostnames:
        hosts.append("")
    return hosts + annotation_hosts


def matching_host(listener_host: str, route_host: str) -> str | None:
    """The most specific name both hostnames cover, or None (ExternalDNS's ``gwMatchingHost``).

    ``""`` matches anything; ``*.example.com`` matches any longer name ending in ``.example.com``. IP addresses
    and names that are not RFC 1123 never match.
    """
    a, b = _canonical_host(listener_host), _canonical_host(route_host)
    if a is None or b is None:
        return None
    if not a:
        return b
    if not b or a == b:
        return a
    if len(b) < len(a) or (len(a) == len(b) and b.startswith("*.")):
        a, b = b, a
    if a.startswith("*.") and b.endswith(a[1:]):
        return b
    return None


def _canonical_host(host: str) -> str | None:
    if not host:
        return ""
    bare = host.removeprefix("*.")
    if suitable_type(host) is not RecordType.CNAME or name_problem(bare, NameRule.HOSTNAME, wildcard=False):
        return None
    return host.lower()


# --- parent matching ---------------------------------------------------------------------------------------


def _match_parent(
    route: _Route,
    index: int,
    parent: ParentStatus,
    hosts: list[str],
    settings: SourceSettings,
    lookups: GatewayLookups,
    targets_by_host: dict[str, list[str]],
) -> str:
    """Add what one ``status.parents`` entry contributes; return why it contributes nothing (or ``""``)."""
    ref = parent.ref
    where = f"status.parents[{index}]"
    if ref.identity not in {p.identity for p in route.parent_refs}:
        return f"{where} names {ref.kind} {ref.display}, which is not in spec.parentRefs"
    if ref.group != GATEWAY_GROUP or ref.kind != GATEWAY_KIND:
        return f"{where}: parent kind {ref.group}/{ref.kind} is not supported (only {GATEWAY_GROUP}/{GATEWAY_KIND})"
    raw = lookups.gateway(ref.namespace, ref.name)
    if raw is None:
        return f"gateway {ref.display} not found"
    filtered = _gateway_filter(raw, ref, settings)
    if filtered:
        return filtered
    if not parent.accepted:
        return f"parent gateway {ref.display} has not accepted this route ({where} {parent.accepted_text})"
    gateway = parse_gateway(raw, FieldReader(), settings.annotation_prefix)
    section = ref.section_name
    listeners = [lis for lis in gateway.listeners if not section or lis.name == section]
    if not listeners:
        return f"gateway {gateway.display} has no listener named {section!r}"
    refusals: list[str] = []
    matched = False
    for listener in listeners:
        refusal = _listener_refusal(route, ref, gateway, listener, lookups)
        if refusal:
            refusals.append(f"listener {listener.name} {refusal}")
            continue
        for host in hosts:
            if not listener.hostname and not host:
                continue
            name = matching_host(listener.hostname, host)
            if name is None:
                continue
            matched = True
            targets_by_host.setdefault(name, []).extend(gateway.targets)
        if not matched:
            shown = ", ".join(repr(h) for h in hosts) or "none"
            refusals.append(
                f"listener {listener.name} hostname {listener.hostname or '(any)'!r} matches none of {shown}"
            )
    if not matched:
        return f"no listener of gateway {gateway.display} matches: " + "; ".join(refusals)
    if not gateway.targets:
        for name in list(targets_by_host):
            if not targets_by_host[name]:
                del targets_by_host[name]
        return f"gateway {gateway.display} has no addresses yet (status.addresses is empty)"
    return ""


def _gateway_filter(raw: KubeObject, ref: ParentRef, settings: SourceSettings) -> str:
    """Why the Gateway filters exclude the parent Gateway; ``""`` when they keep it."""
    if settings.gateway_namespace and ref.namespace != settings.gateway_namespace:
        return f"gateway {ref.display} is outside --gateway-namespace {settings.gateway_namespace!r}"
    if settings.gateway_label_filter and not parse_selector(settings.gateway_label_filter).matches(labels_of(raw)):
        return f"gateway {ref.display} does not match --gateway-label-filter {settings.gateway_label_filter!r}"
    if settings.gateway_name and ref.name != settings.gateway_name:
        return f"gateway {ref.display} is not --gateway-name {settings.gateway_name!r}"
    # Only the controller annotation is checked here: the other filters of passes_filters are the routes'.
    controller = passes_filters(raw, SourceSettings(annotation_prefix=settings.annotation_prefix))
    if controller:
        return f"gateway {ref.display} is skipped: {controller}"
    return ""


def _listener_refusal(
    route: _Route, ref: ParentRef, gateway: Gateway, listener: Listener, lookups: GatewayLookups
) -> str:
    """Why the listener does not take the route (protocol, port, namespaces, kinds); ``""`` when it does."""
    if not _protocol_matches(route.kind.protocol, listener.protocol):
        return f"speaks {listener.protocol}, not {route.kind.protocol} ({route.kind.kind})"
    if ref.port is not None and ref.port != listener.port:
        return f"is on port {listener.port}, not the parentRef port {ref.port}"
    match listener.allowed_from:
        case "All":
            pass
        case "Same":
            if route.namespace != gateway.namespace:
                return f"allows routes from namespace {gateway.namespace} only"
        case "Selector":
            namespace = lookups.namespace(route.namespace)
            if listener.namespace_selector is None:
                return "has an invalid allowedRoutes.namespaces.selector"
            if namespace is None:
                return f"selects namespaces by label, and namespace {route.namespace} was not found"
            if not listener.namespace_selector.matches(labels_of(namespace)):
                return f"does not select namespace {route.namespace} (allowedRoutes.namespaces.selector)"
        case other:
            return f"has unknown allowedRoutes.namespaces.from {other!r}"
    kinds = listener.allowed_kinds
    if kinds and (GATEWAY_GROUP, route.kind.kind) not in kinds:
        allowed = ", ".join(kind for _, kind in kinds)
        return f"allows route kinds {allowed}, not {route.kind.kind}"
    return ""


def _protocol_matches(route_protocol: str, listener_protocol: str) -> bool:
    """HTTP and HTTPS are one; a TCP route also attaches to a TLS listener."""
    a = "HTTP" if route_protocol == "HTTPS" else route_protocol
    b = "HTTP" if listener_protocol == "HTTPS" else listener_protocol
    if a == "TCP" and b == "TLS":
        b = "TCP"
    return a == b


# --- parsing -----------------------------------------------------------------------------------------------


def _parse_route(kind: RouteKind, route: KubeObject, reader: FieldReader) -> _Route:
    metadata = reader.mapping(route.get("metadata"), "metadata")
    spec = reader.mapping(route.get("spec"), "spec")
    status = reader.mapping(route.get("status"), "status")
    namespace = reader.text(metadata.get("namespace"), "metadata.namespace")
    hostnames: list[str] = []
    # TCP and UDP routes have no hostnames in their spec.
    if kind.protocol not in ("TCP", "UDP"):
        for host, path in reader.texts(spec.get("hostnames"), "spec.hostnames"):
            if problem := validate_hostname(host, path):
                reader.problems.append(problem)
            else:
                hostnames.append(host.rstrip("."))
    parent_refs = [
        parse_parent_ref(reader.mapping(item, f"spec.parentRefs[{i}]"), namespace, reader, f"spec.parentRefs[{i}]")
        for i, item in enumerate(reader.items(spec.get("parentRefs"), "spec.parentRefs"))
    ]
    parents: list[ParentStatus] = []
    for i, item in enumerate(reader.items(status.get("parents"), "status.parents")):
        entry = reader.mapping(item, f"status.parents[{i}]")
        path = f"status.parents[{i}].parentRef"
        ref = parse_parent_ref(reader.mapping(entry.get("parentRef"), path), namespace, reader, path)
        accepted, text = accepted_condition(reader.items(entry.get("conditions"), f"status.parents[{i}].conditions"))
        parents.append(ParentStatus(ref, accepted, text))
    return _Route(
        kind=kind,
        namespace=namespace,
        name=reader.text(metadata.get("name"), "metadata.name"),
        hostnames=tuple(dict.fromkeys(hostnames)),
        parent_refs=tuple(parent_refs),
        parents=tuple(parents),
    )


def gateway_problems(gateway: KubeObject, annotation_prefix: str = ALPHA_PREFIX) -> list[InvalidEndpoint]:
    """Problems of the Gateway itself (a malformed ``target`` annotation, wrongly typed fields), to report on
    the Gateway rather than on each route."""
    reader = FieldReader()
    parse_gateway(gateway, reader, annotation_prefix)
    return reader.problems


class StaticGatewayLookups(StaticLookups):
    """In-memory :class:`GatewayLookups` over plain lists of objects (tests, ``explain``, one-shot runs)."""

    def __init__(
        self,
        *,
        gateways: Sequence[Mapping[str, Any]] = (),
        namespaces: Sequence[Mapping[str, Any]] = (),
        **others: Sequence[Mapping[str, Any]],
    ) -> None:
        super().__init__(**others)
        self._gateways = list(gateways)
        self._namespaces = list(namespaces)

    def gateway(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return next((g for g in self._gateways if _name_of(g) == (namespace, name)), None)

    def namespace(self, name: str) -> Mapping[str, Any] | None:
        return next((n for n in self._namespaces if _name_of(n)[1] == name), None)


def _name_of(obj: Mapping[str, Any]) -> tuple[str, str]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return ("", "")
    return (str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))
