"""Test support: a local emulated Kubernetes API server (see `cluster`) and pytest fixtures.

The names from `external_dns.testing.cluster` are imported lazily, so that
``python -m external_dns.testing.cluster`` does not find its own module pre-imported by the package.
"""

from typing import TYPE_CHECKING, Any

from external_dns.testing.emulator import ApiServerEmulator
from external_dns.testing.patches import PatchType
from external_dns.testing.store import ApiError, ObjectStore, ResourceType

if TYPE_CHECKING:
    from external_dns.testing.cluster import (
        ClusterRequestError,
        LocalCluster,
        local_cluster,
        local_cluster_in_thread,
        resource_path,
        write_kubeconfig,
    )

_CLUSTER_NAMES = frozenset(
    {
        "ClusterRequestError",
        "LocalCluster",
        "local_cluster",
        "local_cluster_in_thread",
        "resource_path",
        "write_kubeconfig",
    }
)


def __getattr__(name: str) -> Any:
    if name in _CLUSTER_NAMES:
        from external_dns.testing import cluster

        return getattr(cluster, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ApiError",
    "ApiServerEmulator",
    "ClusterRequestError",
    "LocalCluster",
    "ObjectStore",
    "PatchType",
    "ResourceType",
    "local_cluster",
    "local_cluster_in_thread",
    "resource_path",
    "write_kubeconfig",
]
