"""The Kubernetes resources the operator reads: the source kinds, and the kinds sources look things up in.

Each enabled ``--source`` names a resource and the pure function that turns one of its objects into endpoints.
The auxiliary resources (nodes, pods, EndpointSlices) are watched only when an enabled source reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from external_dns.kube import resource_path
from external_dns.sources.base import ClusterLookups, KubeObject, SourceResult, SourceSettings
from external_dns.sources.checks import checked

SourceFunction = Callable[[KubeObject, SourceSettings, ClusterLookups], SourceResult]


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
class SourceKind:
    """An enabled ``--source``: its name (as in ExternalDNS), resource, function and the lookups it needs."""

    name: str
    resource: Resource
    derive: SourceFunction
    needs: frozenset[str] = frozenset()


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


def source_kind(name: str, settings: SourceSettings) -> SourceKind:
    """The SourceKind for a ``--source`` value, its function followed by the checks every source gets."""
    kind = _source_kind(name, settings)
    return SourceKind(kind.name, kind.resource, checked(kind.derive), kind.needs)


def _source_kind(name: str, settings: SourceSettings) -> SourceKind:
    """The SourceKind for a ``--source`` value; the sources' modules are imported only when enabled.

    Invalid ``--fqdn-template`` values raise ConfigError here, at startup.
    """
    from external_dns.sources.fqdn_template import compile_templates, with_templates

    templates = compile_templates(settings.fqdn_templates)
    if name == "service":
        from external_dns.sources.service import service_endpoints

        return SourceKind(
            name,
            Resource("", "v1", "services", "Service"),
            with_templates(service_endpoints, templates, settings),
            frozenset({"nodes", "pods", "endpointslices"}),
        )
    if name == "ingress":
        from external_dns.sources.ingress import ingress_endpoints

        return SourceKind(
            name,
            Resource("networking.k8s.io", "v1", "ingresses", "Ingress"),
            with_templates(ingress_endpoints, templates, settings),
        )
    if name == "crd":
        from external_dns.sources.crd import dnsendpoint_endpoints

        group, _, version = settings.crd_api_version.rpartition("/")
        plural = settings.crd_kind.lower() + "s"
        return SourceKind(name, Resource(group, version, plural, settings.crd_kind), dnsendpoint_endpoints)
    if name == "node":
        from external_dns.sources.node import node_endpoints

        return SourceKind(name, NODES, node_endpoints)
    if name == "pod":
        from external_dns.sources.pod import pod_endpoints

        return SourceKind(name, PODS, pod_endpoints, frozenset({"nodes"}))
    from external_dns.sources.gateway import ROUTE_KINDS

    route = ROUTE_KINDS.get(name)
    if route is not None:
        resource = Resource(route.group, route.version, route.plural, route.kind)
        # The route functions take GatewayLookups; the application's lookups provide them.
        return SourceKind(name, resource, route.endpoints, frozenset({"gateways", "namespaces"}))  # type: ignore[arg-type]
    raise ValueError(f"source {name!r} is not supported")


def watched_resources(sources: Sequence[SourceKind]) -> list[Resource]:
    """Every resource to LIST and watch for these sources: the source kinds, then the auxiliary ones they read."""
    resources = {kind.resource.plural: kind.resource for kind in sources}
    for name in sorted({need for kind in sources for need in kind.needs}):
        resources.setdefault(name, AUXILIARY[name])
    return list(resources.values())
