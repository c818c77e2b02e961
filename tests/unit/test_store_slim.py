"""What the store keeps of an object is everything the sources read: checked by recording every field they read.

Each source runs over full, realistic objects (what a real API server returns: managedFields, containers, container
statuses, a node's image list) wrapped so that every key looked up is recorded; no recorded path may lie under a
field the store drops, and each source gives the same result on the slimmed objects as on the full ones.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from external_dns.kinds import source_kind
from external_dns.sources.base import SourceSettings, StaticLookups
from external_dns.store import DROPPED_METADATA, DROPPED_STATUS, KEPT_SPEC, KEPT_STATUS, slim

MANAGED = [{"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}}}]


class Recorded(Mapping[str, Any]):
    """A read-only view of a JSON object that records the path of every key read through it."""

    def __init__(self, data: Mapping[str, Any], path: str, reads: set[str]) -> None:
        self._data, self._path, self._reads = data, path, reads

    def _wrap(self, key: str, value: Any) -> Any:
        path = f"{self._path}.{key}"
        self._reads.add(path)
        if isinstance(value, Mapping):
            return Recorded(value, path, self._reads)
        if isinstance(value, list):
            return [Recorded(v, path, self._reads) if isinstance(v, Mapping) else v for v in value]
        return value

    def __getitem__(self, key: str) -> Any:
        return self._wrap(key, self._data[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def meta(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": "default",
        "uid": f"uid-{name}",
        "resourceVersion": "7",
        "generation": 1,
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "labels": {"app": "web"},
        "managedFields": MANAGED,
        "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "uid": "rs"}],
        "finalizers": ["example.com/keep"],
        **extra,
    }


def node(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {**meta(name), "namespace": None, "annotations": {}},
        "spec": {"podCIDR": "10.244.0.0/24", "providerID": "aws:///i-1"},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": "10.0.0.5"},
                {"type": "ExternalIP", "address": "203.0.113.5"},
            ],
            "conditions": [{"type": "Ready", "status": "True"}],
            "images": [{"names": ["registry/app:1"], "sizeBytes": 123}],
            "nodeInfo": {"kubeletVersion": "v1.31.0"},
            "capacity": {"cpu": "4"},
            "allocatable": {"cpu": "4"},
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        },
    }  # fmt: skip


def pod(name: str, host_network: bool = True) -> dict[str, Any]:
    annotations = {"external-dns.alpha.kubernetes.io/hostname": f"{name}.example.com"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, annotations=annotations),
        "spec": {
            "hostNetwork": host_network,
            "nodeName": "node-1",
            "hostname": name,
            "subdomain": "web",
            "containers": [{"name": "app", "image": "registry/app:1", "ports": [{"containerPort": 80}]}],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "tolerations": [{"key": "k", "operator": "Exists"}],
        },
        "status": {
            "phase": "Running",
            "podIP": "10.244.0.7",
            "podIPs": [{"ip": "10.244.0.7"}],
            "hostIP": "10.0.0.5",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "app", "ready": True, "image": "registry/app:1"}],
        },
    }


def service(name: str, service_type: str, headless: bool = False) -> dict[str, Any]:
    annotations = {"external-dns.alpha.kubernetes.io/hostname": f"{name}.example.com"}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, annotations=annotations),
        "spec": {
            "type": service_type,
            "clusterIP": "None" if headless else "10.96.0.10",
            "selector": {"app": "web"},
            "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}],
            "externalTrafficPolicy": "Cluster",
            "sessionAffinity": "None",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}, "conditions": []},
    }


def endpoint_slice(service_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {**meta(f"{service_name}-a"), "labels": {"kubernetes.io/service-name": service_name}},
        "addressType": "IPv4",
        "endpoints": [
            {"addresses": ["10.244.0.7"], "conditions": {"ready": True}, "targetRef": {"kind": "Pod", "name": "web-0"}}
        ],
    }


PLURALS = {"Node": "nodes", "Pod": "pods", "Service": "services", "EndpointSlice": "endpointslices"}


def dropped_paths(obj: Mapping[str, Any]) -> set[str]:
    """The paths (``$.spec.containers``) of the fields the store drops from ``obj``."""
    plural = PLURALS[obj["kind"]]
    paths = {f"$.metadata.{key}" for key in DROPPED_METADATA}
    paths |= {f"$.spec.{key}" for key in obj.get("spec", {}) if plural in KEPT_SPEC and key not in KEPT_SPEC[plural]}
    paths |= {f"$.status.{key}" for key in DROPPED_STATUS.get(plural, ())}
    kept_status = KEPT_STATUS.get(plural)
    paths |= {f"$.status.{key}" for key in obj.get("status", {}) if kept_status is not None and key not in kept_status}
    return paths


CASES = [
    pytest.param("service", service("lb", "LoadBalancer"), {}, id="a LoadBalancer Service"),
    pytest.param("service", service("np", "NodePort"), {}, id="a NodePort Service (reads nodes and pods)"),
    pytest.param(
        "service",
        service("web", "ClusterIP", headless=True),
        {},
        id="a headless Service (reads pods and EndpointSlices)",
    ),
    pytest.param(
        "service",
        service("web", "ClusterIP", headless=True),
        {"publish_host_ip": True},
        id="a headless Service publishing host IPs",
    ),
    pytest.param("pod", pod("web-0"), {}, id="a host-network Pod"),
    pytest.param("pod", pod("web-0", host_network=False), {"ignore_non_host_network_pods": True}, id="a Pod, filtered"),
    pytest.param("node", node("node-1"), {}, id="a Node"),
]


@pytest.mark.parametrize(("source", "obj", "flags"), CASES)
def test_no_source_reads_a_field_the_store_drops_and_each_gives_the_same_result_on_slim_objects(
    source: str, obj: dict[str, Any], flags: dict[str, Any]
) -> None:
    settings = SourceSettings(**flags)
    kind = source_kind(source, settings)
    related = {"nodes": [node("node-1")], "pods": [pod("web-0")], "endpoint_slices": [endpoint_slice("web")]}

    reads: set[str] = set()
    recorded = {
        key: [Recorded(o, "$", reads) for o in objects] for key, objects in related.items()
    }  # every related object records into the same set: a path is a path whatever object it is on
    full = kind.derive(Recorded(obj, "$", reads), settings, StaticLookups(**recorded))
    assert full.endpoints or full.ignored_reason, "the case must produce records (or a skip), or it checks nothing"

    forbidden = set().union(dropped_paths(obj), *(dropped_paths(o) for objects in related.values() for o in objects))
    assert not {path for path in reads if any(path.startswith(f) for f in forbidden)}

    slimmed = {key: [slim(o, PLURALS[o["kind"]]) for o in objects] for key, objects in related.items()}
    again = kind.derive(slim(copy.deepcopy(obj), PLURALS[obj["kind"]]), settings, StaticLookups(**slimmed))
    assert again.endpoints == full.endpoints
    assert (again.problems, again.ignored_reason) == (full.problems, full.ignored_reason)


def test_a_slim_pod_keeps_the_fields_sources_read_and_drops_the_rest() -> None:
    full = pod("web-0")
    kept = slim(full, "pods")
    assert set(kept["spec"]) == {"hostNetwork", "nodeName", "hostname", "subdomain"}
    assert "containerStatuses" not in kept["status"] and "managedFields" not in kept["metadata"]
    assert kept["status"]["podIP"] == "10.244.0.7"
    assert kept["metadata"]["annotations"] == full["metadata"]["annotations"]


def test_an_fqdn_template_source_keeps_spec_and_status_whole() -> None:
    full = pod("web-0")
    kept = slim(full, "pods", whole=True)
    assert kept["spec"] == full["spec"] and kept["status"] == full["status"]
    assert kept["metadata"]["ownerReferences"] == full["metadata"]["ownerReferences"]
    assert "managedFields" not in kept["metadata"]


@pytest.mark.parametrize(
    ("obj", "plural"),
    [(pod("web-0"), "pods"), (node("node-1"), "nodes"), (service("web", "LoadBalancer"), "services")],
    ids=["a Pod", "a Node", "a Service"],
)
def test_slimming_twice_keeps_what_slimming_once_kept(obj: dict[str, Any], plural: str) -> None:
    once = slim(obj, plural)
    assert slim(once, plural) == once  # the initial LIST slims each page, the store slims again
