"""The Kubernetes resources the operator reads: the source kinds, and the kinds sources look things up in.

Each enabled ``--source`` names a resource and the pure function that turns one of its objects into endpoints.
The auxiliary resources (nodes, pods, EndpointSlices) are watched only when an enabled source reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from external_dns.sources.base import ClusterLookups, KubeObject, SourceResult, SourceSettings

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
        from external_dns.kube import resource_path

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
AUXILIARY = {"nodes": NODES, "pods": PODS, "endpointslices": ENDPOINT_SLICES}


def source_kind(
    name: str, crd_api_version: str = "externaldns.k8s.io/v1alpha1", crd_kind: str = "DNSEndpoint"
) -> SourceKind:
    """The SourceKind for a ``--source`` value; the sources' modules are imported only when enabled."""
    if name == "service":
        from external_dns.sources.service import service_endpoints

        return SourceKind(
            name,
            Resource("", "v1", "services", "Service"),
            service_endpoints,
            frozenset({"nodes", "pods", "endpointslices"}),
        )
    if name == "ingress":
        from external_dns.sources.ingress import ingress_endpoints

        return SourceKind(name, Resource("networking.k8s.io", "v1", "ingresses", "Ingress"), ingress_endpoints)
    if name == "crd":
        from external_dns.sources.crd import dnsendpoint_endpoints

        group, _, version = crd_api_version.rpartition("/")
        plural = crd_kind.lower() + "s"
        return SourceKind(name, Resource(group, version, plural, crd_kind), dnsendpoint_endpoints)
    raise ValueError(f"source {name!r} is not supported yet")


def watched_resources(sources: Sequence[SourceKind]) -> list[Resource]:
    """Every resource to LIST and watch for these sources: the source kinds, then the auxiliary ones they read."""
    needed = sorted({need for kind in sources for need in kind.needs})
    return [kind.resource for kind in sources] + [AUXILIARY[name] for name in needed]
