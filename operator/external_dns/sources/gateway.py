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

from external_dns.endpoint import Endpoint, RecordType, suitable_type
from external_dns.errors import InvalidEndpoint
from external_dns.hostnames import NameRule, name_problem
from external_dns.selectors import Requirement, Selector, parse_selector
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
    merge_endpoints,
    object_ref,
    passes_filters,
    validate_hostname,
)
from external_dns.sources.fqdn_template import settings_templates

GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY_KIND = "Gateway"


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
class ParentRef:
    """A parentRef with the Gateway API defaults filled in (group, kind, the route's namespace)."""

    group: str
    kind: str
    namespace: str
    name: str
    section_name: str = ""
    port: int | None = None

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What ``status.parents`` and ``spec.parentRefs`` are matched on (not section or port)."""
        return (self.group, self.kind, self.namespace, self.name)

    @property
    def display(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ParentStatus:
    ref: ParentRef
    accepted: bool
    accepted_text: str  # the Accepted condition as people read it: "Accepted=False" / "no Accepted condition"


@dataclass(frozen=True, slots=True)
class Listener:
    """One Gateway listener, with what decides whether a route may attach to it."""

    name: str
    protocol: str
    port: int | None
    hostname: str
    allowed_from: str
    namespace_selector: Selector | None
    allowed_kinds: tuple[tuple[str, str], ...]  # (group, kind)


@dataclass(frozen=True, slots=True)
class Gateway:
    namespace: str
    name: str
    listeners: tuple[Listener, ...]
    targets: tuple[str, ...]

    @property
    def display(self) -> str:
        return f"{self.namespace}/{self.name}"


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
        _parent_ref(reader.mapping(item, f"spec.parentRefs[{i}]"), namespace, reader, f"spec.parentRefs[{i}]")
        for i, item in enumerate(reader.items(spec.get("parentRefs"), "spec.parentRefs"))
    ]
    parents: list[ParentStatus] = []
    for i, item in enumerate(reader.items(status.get("parents"), "status.parents")):
        entry = reader.mapping(item, f"status.parents[{i}]")
        path = f"status.parents[{i}].parentRef"
        ref = _parent_ref(reader.mapping(entry.get("parentRef"), path), namespace, reader, path)
        accepted, text = _accepted(reader.items(entry.get("conditions"), f"status.parents[{i}].conditions"))
        parents.append(ParentStatus(ref, accepted, text))
    return _Route(
        kind=kind,
        namespace=namespace,
        name=reader.text(metadata.get("name"), "metadata.name"),
        hostnames=tuple(dict.fromkeys(hostnames)),
        parent_refs=tuple(parent_refs),
        parents=tuple(parents),
    )


def _parent_ref(raw: Mapping[str, Any], route_namespace: str, reader: FieldReader, path: str) -> ParentRef:
    port = raw.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool)):
        reader.problem(f"{path}.port", "expected a number")
        port = None
    return ParentRef(
        group=reader.text(raw.get("group"), f"{path}.group") or GATEWAY_GROUP,
        kind=reader.text(raw.get("kind"), f"{path}.kind") or GATEWAY_KIND,
        namespace=reader.text(raw.get("namespace"), f"{path}.namespace") or route_namespace,
        name=reader.text(raw.get("name"), f"{path}.name"),
        section_name=reader.text(raw.get("sectionName"), f"{path}.sectionName"),
        port=port,
    )


def _accepted(conditions: list[Any]) -> tuple[bool, str]:
    """The first ``Accepted`` condition decides, as in ExternalDNS (no observedGeneration check)."""
    for condition in conditions:
        if isinstance(condition, Mapping) and condition.get("type") == "Accepted":
            status = condition.get("status")
            text = f"Accepted={status}"
            if condition.get("reason"):
                text += f", reason {condition.get('reason')}"
            return status == "True", text
    return False, "has no Accepted condition"


def parse_gateway(gateway: KubeObject, reader: FieldReader, annotation_prefix: str = ALPHA_PREFIX) -> Gateway:
    """The parts of a Gateway that route matching reads; bad fields go to ``reader.problems``."""
    metadata = reader.mapping(gateway.get("metadata"), "metadata")
    spec = reader.mapping(gateway.get("spec"), "spec")
    status = reader.mapping(gateway.get("status"), "status")
    listeners = [
        _listener(reader.mapping(item, f"spec.listeners[{i}]"), reader, f"spec.listeners[{i}]")
        for i, item in enumerate(reader.items(spec.get("listeners"), "spec.listeners"))
    ]
    annotations = parse_annotations(metadata.get("annotations"), annotation_prefix)
    reader.problems.extend(annotations.problems)
    targets = list(annotations.targets)
    if not targets:
        for i, item in enumerate(reader.items(status.get("addresses"), "status.addresses")):
            value = reader.text(reader.mapping(item, f"status.addresses[{i}]").get("value"), f"status.addresses[{i}]")
            if value and value not in targets:
                targets.append(value)
    return Gateway(
        namespace=reader.text(metadata.get("namespace"), "metadata.namespace"),
        name=reader.text(metadata.get("name"), "metadata.name"),
        listeners=tuple(listeners),
        targets=tuple(targets),
    )


def _listener(raw: Mapping[str, Any], reader: FieldReader, path: str) -> Listener:
    allowed = reader.mapping(raw.get("allowedRoutes"), f"{path}.allowedRoutes")
    namespaces = reader.mapping(allowed.get("namespaces"), f"{path}.allowedRoutes.namespaces")
    allowed_from = reader.text(namespaces.get("from"), f"{path}.allowedRoutes.namespaces.from") or "Same"
    selector = None
    if allowed_from == "Selector":
        selector = _label_selector(namespaces.get("selector"), reader, f"{path}.allowedRoutes.namespaces.selector")
    kinds: list[tuple[str, str]] = []
    for i, item in enumerate(reader.items(allowed.get("kinds"), f"{path}.allowedRoutes.kinds")):
        entry = reader.mapping(item, f"{path}.allowedRoutes.kinds[{i}]")
        group = reader.text(entry.get("group"), f"{path}.allowedRoutes.kinds[{i}].group") or GATEWAY_GROUP
        kinds.append((group, reader.text(entry.get("kind"), f"{path}.allowedRoutes.kinds[{i}].kind")))
    port = raw.get("port")
    return Listener(
        name=reader.text(raw.get("name"), f"{path}.name"),
        protocol=reader.text(raw.get("protocol"), f"{path}.protocol"),
        port=port if isinstance(port, int) and not isinstance(port, bool) else None,
        hostname=reader.text(raw.get("hostname"), f"{path}.hostname"),
        allowed_from=allowed_from,
        namespace_selector=selector,
        allowed_kinds=tuple(kinds),
    )


_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def _label_selector(raw: object, reader: FieldReader, path: str) -> Selector | None:
    """A metav1.LabelSelector (``matchLabels`` and ``matchExpressions``); None when it is invalid."""
    if raw is None:
        reader.problem(path, "allowedRoutes.namespaces.from is Selector but no selector is given")
        return None
    selector = reader.mapping(raw, path)
    requirements = [
        Requirement(str(key), "=", frozenset({value}))
        for key, value in reader.mapping(selector.get("matchLabels"), f"{path}.matchLabels").items()
        if isinstance(value, str)
    ]
    for i, item in enumerate(reader.items(selector.get("matchExpressions"), f"{path}.matchExpressions")):
        expression = reader.mapping(item, f"{path}.matchExpressions[{i}]")
        operator = _OPERATORS.get(str(expression.get("operator")))
        if operator is None:
            reader.problem(f"{path}.matchExpressions[{i}].operator", f"unknown operator {expression.get('operator')!r}")
            return None
        values = frozenset(v for v, _ in reader.texts(expression.get("values"), f"{path}.matchExpressions[{i}]"))
        requirements.append(Requirement(str(expression.get("key")), operator, values))
    return Selector(tuple(requirements))


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
