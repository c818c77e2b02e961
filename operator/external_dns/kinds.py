"""The source table: every ``--source`` and what the glue needs to know about it, in one place.

Each row (:class:`SourceSpec`) names the resource a source reads, the pure function that turns one object into
endpoints, the other resources it looks things up in (``needs``) and, for a change to one of those, which of its
own objects read it (``readers``); the reports it makes on the objects it looks up (Gateway problems go on the
Gateway); whether its objects carry a status (DNSEndpoint); and the kind named by the ``resource`` label of its
records (deletion events for records whose object is gone). The application, config (the ``--source``
choices), reporting and explain read this table instead of testing source names. Source modules are imported
only when their source is enabled.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from external_dns.desired import ObjectKey
from external_dns.endpoint import ObjectRef
from external_dns.kube import resource_path
from external_dns.selectors import parse_selector
from external_dns.sources.base import (
    ClusterLookups,
    KubeObject,
    SourceResult,
    SourceSettings,
    annotations_of,
    find_annotation,
    labels_of,
    object_ref,
)
from external_dns.sources.steps import pipeline
from external_dns.store import READS_RELATED, Obj, ObjectStore, gateway_tag, object_id, reads_related_objects

SourceFunction = Callable[[KubeObject, SourceSettings, ClusterLookups], SourceResult]

#: The ``--source`` values, as ExternalDNS spells them (config.py takes its choices from here).
SourceName = Literal[
    "service",
    "ingress",
    "crd",
    "node",
    "pod",
    "gateway-httproute",
    "gateway-grpcroute",
    "gateway-tlsroute",
    "gateway-tcproute",
    "gateway-udproute",
]


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource as the API server serves it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str = "") -> str:
        return resource_path(self.group, self.version, self.plural, namespace if self.namespaced else None)


@dataclass(frozen=True, slots=True)
class ObjectReport:
    """Problems to report on an object a source looks up (a Gateway), under its own key."""

    key: ObjectKey
    ref: ObjectRef
    problems: list[str]


#: (this kind's objects, plural of a changed looked-up object, that object, its previous version where it matters)
#: -> the objects that read it.
Readers = Callable[[ObjectStore, str, Obj, Obj | None], Iterable[Obj]]
#: Resources whose readers are chosen by the object's labels: a change's previous version matters too (a pod
#: relabelled away from a Service's selector changes that Service's records).
READ_BY_LABELS = frozenset({"pods"})
#: A looked-up object and the source settings -> what to report on it (None: not this operator's business).
RelatedReport = Callable[[Obj, SourceSettings], ObjectReport | None]


def no_object(store: ObjectStore, plural: str, changed: Obj, previous: Obj | None) -> Iterable[Obj]:
    """A source that looks nothing up has no readers."""
    return ()


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One row of the source table."""

    name: SourceName
    resource: Callable[[SourceSettings], Resource]
    load: Callable[[], SourceFunction]
    #: The resource label prefix of its records (``service/ns/name``; "" for none) and the kind it stands for.
    label: str
    ref_kind: str
    ref_api_version: str
    needs: frozenset[str] = frozenset()
    readers: Readers = no_object
    related_reports: Mapping[str, RelatedReport] = field(default_factory=dict)
    #: --fqdn-template applies through the template wrapper (other sources apply it themselves, or never).
    templated: bool = False
    #: Its objects carry a status saying what DNS holds (DNSEndpoint).
    writes_status: bool = False
    #: An object skipped for a reason other than the user's own filters gets an event saying why.
    explains_ignored: bool = False

    def ref_for(self, namespace: str | None, name: str) -> ObjectRef:
        """A reference good enough for an event on an object of this kind (no uid: it may be gone)."""
        return ObjectRef(self.ref_kind, self.ref_api_version, namespace, name)


@dataclass(frozen=True, slots=True)
class SourceKind:
    """An enabled ``--source``: its row of the table, its resource, its (template-wrapped) function and the
    resources it reads (the row's ``needs``, plus what enabled options add, e.g. Namespaces for their
    annotations)."""

    spec: SourceSpec
    resource: Resource
    derive: SourceFunction
    needs: frozenset[str]

    @property
    def name(self) -> str:
        return self.spec.name


NODES = Resource("", "v1", "nodes", "Node", namespaced=False)
PODS = Resource("", "v1", "pods", "Pod")
ENDPOINT_SLICES = Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice")
NAMESPACES = Resource("", "v1", "namespaces", "Namespace", namespaced=False)
GATEWAYS = Resource("gateway.networking.k8s.io", "v1", "gateways", "Gateway")
AUXILIARY = {
    "nodes": NODES,
    "pods": PODS,
    "endpointslices": ENDPOINT_SLICES,
    "namespaces": NAMESPACES,
    "gateways": GATEWAYS,
}


# --- which objects read which --------------------------------------------------------------------------------


def service_readers(store: ObjectStore, plural: str, changed: Obj, previous: Obj | None) -> list[Obj]:
    """Only NodePort and headless Services read nodes, pods or EndpointSlices (the store tags them, so that a
    Node change parses only those); a slice names its Service; a pod is read by the Services of its namespace
    whose selector selects it, before or after the change (a namespace's every pod is not re-read for each)."""
    from external_dns.sources.service import reads_pod

    namespace = str((changed.get("metadata") or {}).get("namespace") or "")
    if plural == "endpointslices":
        service = ((changed.get("metadata") or {}).get("labels") or {}).get("kubernetes.io/service-name")
        held = store.get(namespace, service) if service else None
        return [held] if held is not None and reads_related_objects(held) else []
    if plural == "pods":
        versions = [changed] if previous is None else [changed, previous]
        return [s for s in store.tagged(READS_RELATED, namespace) if any(reads_pod(s, pod) for pod in versions)]
    return store.tagged(READS_RELATED)


def pod_readers(store: ObjectStore, plural: str, changed: Obj, previous: Obj | None) -> list[Obj]:
    """A pod reads only the node it runs on (the store tags each pod with its node)."""
    node = str((changed.get("metadata") or {}).get("name") or "")
    return store.tagged(node) if node else []


def route_readers(store: ObjectStore, plural: str, changed: Obj, previous: Obj | None) -> list[Obj]:
    """A route reads the Gateways its spec.parentRefs name (the store tags it with them) and its own Namespace."""
    namespace, name = object_id(changed)
    if plural == "namespaces":
        return store.in_namespace(name)
    return store.tagged(gateway_tag(namespace, name))


# --- the table ----------------------------------------------------------------------------------------------------


def _service() -> SourceFunction:
    from external_dns.sources.service import service_endpoints

    return service_endpoints


def _ingress() -> SourceFunction:
    from external_dns.sources.ingress import ingress_endpoints

    return ingress_endpoints


def _crd() -> SourceFunction:
    from external_dns.sources.crd import dnsendpoint_endpoints

    return dnsendpoint_endpoints


def _crd_resource(settings: SourceSettings) -> Resource:
    group, _, version = settings.crd_api_version.rpartition("/")
    return Resource(group, version, settings.crd_kind.lower() + "s", settings.crd_kind)


def _node() -> SourceFunction:
    from external_dns.sources.node import node_endpoints

    return node_endpoints


def _pod() -> SourceFunction:
    from external_dns.sources.pod import pod_endpoints

    return pod_endpoints


def _route(name: str) -> SourceFunction:
    from external_dns.sources.gateway import ROUTE_KINDS

    # The route functions take GatewayLookups; the application's lookups provide them.
    function: SourceFunction = ROUTE_KINDS[name].endpoints  # type: ignore[assignment]
    return function


def _route_resource(name: str, settings: SourceSettings) -> Resource:
    from external_dns.sources.gateway import ROUTE_KINDS

    route = ROUTE_KINDS[name]
    return Resource(route.group, route.version, route.plural, route.kind)


def _fixed(resource: Resource) -> Callable[[SourceSettings], Resource]:
    return lambda _settings: resource


def gateway_report(gateway: Obj, settings: SourceSettings) -> ObjectReport | None:
    """Gateway-level problems go on the Gateway (once), not on each of its routes."""
    from external_dns.sources.gateway import gateway_problems

    namespace, name = object_id(gateway)
    if settings.gateway_namespace and namespace != settings.gateway_namespace:
        return None
    if settings.gateway_label_filter and not parse_selector(settings.gateway_label_filter).matches(labels_of(gateway)):
        return None
    problems = [str(problem) for problem in gateway_problems(gateway, settings.annotation_prefix)]
    has_target = find_annotation(annotations_of(gateway), "target", settings.annotation_prefix) is not None
    if not has_target and not (gateway.get("status") or {}).get("addresses"):
        problems.append(
            "no record: the gateway has no addresses yet (status.addresses is empty) and no target annotation; "
            "routes attached to it get records once it has"
        )
    ref = object_ref(gateway, kind="Gateway", api_version=GATEWAYS.api_version)
    return ObjectReport(ObjectKey("gateway", namespace, name), ref, problems)


def _route_spec(name: SourceName, kind: str, version: str) -> SourceSpec:
    return SourceSpec(
        name,
        functools.partial(_route_resource, name),
        functools.partial(_route, name),
        label=kind.lower(),
        ref_kind=kind,
        ref_api_version=f"gateway.networking.k8s.io/{version}",
        needs=frozenset({"gateways", "namespaces"}),
        readers=route_readers,
        related_reports={"gateways": gateway_report},
        explains_ignored=True,
    )


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            "service",
            _fixed(Resource("", "v1", "services", "Service")),
            _service,
            label="service",
            ref_kind="Service",
            ref_api_version="v1",
            needs=frozenset({"nodes", "pods", "endpointslices"}),
            readers=service_readers,
            templated=True,
        ),
        SourceSpec(
            "ingress",
            _fixed(Resource("networking.k8s.io", "v1", "ingresses", "Ingress")),
            _ingress,
            label="ingress",
            ref_kind="Ingress",
            ref_api_version="networking.k8s.io/v1",
            templated=True,
        ),
        SourceSpec(
            "crd",
            _crd_resource,
            _crd,
            label="crd",
            ref_kind="DNSEndpoint",
            ref_api_version="externaldns.k8s.io/v1alpha1",
            writes_status=True,
        ),
        SourceSpec("node", _fixed(NODES), _node, label="node", ref_kind="Node", ref_api_version="v1"),
        SourceSpec(
            "pod",
            _fixed(PODS),
            _pod,
            label="",  # pod records carry no resource label, as in ExternalDNS
            ref_kind="Pod",
            ref_api_version="v1",
            needs=frozenset({"nodes"}),
            readers=pod_readers,
        ),
        _route_spec("gateway-httproute", "HTTPRoute", "v1"),
        _route_spec("gateway-grpcroute", "GRPCRoute", "v1"),
        _route_spec("gateway-tlsroute", "TLSRoute", "v1"),
        _route_spec("gateway-tcproute", "TCPRoute", "v1alpha2"),
        _route_spec("gateway-udproute", "UDPRoute", "v1alpha2"),
    )
}

#: Rows by the resource label prefix their records carry.
BY_LABEL: dict[str, SourceSpec] = {spec.label: spec for spec in SOURCES.values() if spec.label}


def source_kind(name: str, settings: SourceSettings) -> SourceKind:
    """The enabled SourceKind for a ``--source`` value: its function (templated where the row says so), followed
    by the checks every source gets (sources/checks.py).

    Invalid ``--fqdn-template`` values raise ConfigError here, at startup.
    """
    spec = SOURCES.get(name)
    if spec is None:
        raise ValueError(f"source {name!r} is not supported")
    from external_dns.sources.fqdn_template import compile_templates, with_templates

    templates = compile_templates(settings.fqdn_templates)  # checked for every source, as ExternalDNS does
    derive = spec.load()
    if spec.templated:
        derive = with_templates(derive, templates, settings)
    return SourceKind(spec, spec.resource(settings), pipeline(derive), spec.needs)


def watched_resources(sources: Sequence[SourceKind]) -> list[Resource]:
    """Every resource to LIST and watch for these sources: the source kinds, then the auxiliary ones they read."""
    resources = {kind.resource.plural: kind.resource for kind in sources}
    for name in sorted({need for kind in sources for need in kind.needs}):
        resources.setdefault(name, AUXILIARY[name])
    return list(resources.values())
