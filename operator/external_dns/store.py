"""The cluster objects the operator has seen, per kind: fed by the initial LIST and by Kopf's watch events.

Sources are pure functions; the objects they read besides their own (nodes for a NodePort Service, pods and
EndpointSlices for a headless Service) are looked up here. The store also decides whether an incoming object is
news at all: Kopf replays every object when its watch starts, and those replays of what the initial LIST already
gave are dropped here by resourceVersion, so a cold start does the work once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

Obj = Mapping[str, Any]


def _rv(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("resourceVersion", ""))


def _is_older(candidate: str, held: str) -> bool:
    """True when ``candidate`` is known to be older than ``held``.

    resourceVersions are opaque in the API contract; every server in practice (etcd, the local emulator) uses
    increasing integers, so they are compared as integers when both parse, and never judged older otherwise.
    """
    if candidate.isdigit() and held.isdigit():
        return int(candidate) < int(held)
    return False


def object_id(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata", {})
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class ObjectStore:
    """The latest version of each object of one kind, keyed by (namespace, name)."""

    def __init__(self, kind: str, *, whole: bool = False) -> None:
        """``kind`` is the resource's plural; ``whole`` keeps spec and status entire (see :func:`slim`)."""
        self.kind = kind
        self.whole = whole
        self._objects: dict[tuple[str, str], Obj] = {}
        #: namespace -> names: pods change often and each change looks up its namespace's Services.
        self._names_by_namespace: dict[str, dict[str, None]] = {}  # dicts keep insertion order

    def __len__(self) -> int:
        return len(self._objects)

    def get(self, namespace: str, name: str) -> Obj | None:
        return self._objects.get((namespace, name))

    def values(self) -> Iterable[Obj]:
        return self._objects.values()

    def in_namespace(self, namespace: str) -> list[Obj]:
        return [self._objects[(namespace, name)] for name in self._names_by_namespace.get(namespace, ())]

    def slimmed(self, obj: Obj) -> Obj:
        """What this store would keep of ``obj`` (:func:`slim`); storing it again changes nothing."""
        return slim(obj, self.kind, whole=self.whole)

    def upsert(self, obj: Obj) -> bool:
        """Store the object; False when it is the version already held (or an older one)."""
        key = object_id(obj)
        held = self._objects.get(key)
        if held is not None:
            held_rv, new_rv = _rv(held), _rv(obj)
            if new_rv and (new_rv == held_rv or _is_older(new_rv, held_rv)):
                return False
        self._put(key, self.slimmed(obj))
        return True

    def delete(self, obj: Obj) -> bool:
        """Forget the object; False when it was not held or a newer version is held."""
        key = object_id(obj)
        held = self._objects.get(key)
        if held is None or _is_older(_rv(obj), _rv(held)):
            return False
        self._drop(key)
        return True

    def replace_all(self, objects: Iterable[Obj], list_rv: str) -> tuple[list[Obj], list[Obj]]:
        """Reconcile with a fresh LIST: returns (objects added or changed, objects gone).

        An object held at a version newer than the LIST (a watch event raced the LIST) is kept as is.
        """
        seen: set[tuple[str, str]] = set()
        changed: list[Obj] = []
        for obj in objects:
            seen.add(object_id(obj))
            if self.upsert(obj):
                changed.append(self._objects[object_id(obj)])
        gone = [held for key, held in self._objects.items() if key not in seen and not _is_older(list_rv, _rv(held))]
        for held in gone:
            self._drop(object_id(held))
        return changed, gone

    def _put(self, key: tuple[str, str], obj: Obj) -> None:
        self._objects[key] = obj
        self._names_by_namespace.setdefault(key[0], {})[key[1]] = None

    def _drop(self, key: tuple[str, str]) -> None:
        del self._objects[key]
        names = self._names_by_namespace[key[0]]
        names.pop(key[1], None)
        if not names:
            del self._names_by_namespace[key[0]]


#: Metadata no source, lookup or report reads: managedFields alone is often half of an object's bytes.
DROPPED_METADATA = frozenset({"managedFields", "ownerReferences", "finalizers", "creationTimestamp"})
#: Strings up to this length are shared between objects (types, protocols, namespaces, label values).
SHARED_STRING_LENGTH = 40
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: Per resource: the spec fields kept (all when not listed), the status fields dropped or kept. A Pod's containers,
#: volumes and container statuses, a Node's image list, a Service's policies and IP families, are read by no
#: source; tests/unit/test_store_slim.py checks it by recording every field access of every source.
KEPT_SPEC: dict[str, frozenset[str]] = {
    "pods": frozenset({"hostNetwork", "nodeName", "hostname", "subdomain"}),
    "services": frozenset(
        {"type", "externalName", "clusterIP", "externalIPs", "selector", "publishNotReadyAddresses",
         "externalTrafficPolicy", "ports"}
    ),
}  # fmt: skip
KEPT_STATUS: dict[str, frozenset[str]] = {"services": frozenset({"loadBalancer"})}
DROPPED_STATUS: dict[str, frozenset[str]] = {
    "pods": frozenset(
        {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses", "resourceClaimStatuses"}
    ),
    "nodes": frozenset(
        {"images", "volumesInUse", "volumesAttached", "nodeInfo", "daemonEndpoints", "capacity", "allocatable",
         "config", "runtimeHandlers", "features"}
    ),
}  # fmt: skip


def slim(obj: Obj, plural: str = "", *, whole: bool = False) -> Obj:
    """What is kept of an object: the fields sources and lookups read, not the whole object.

    ``whole`` keeps spec and status entire (an --fqdn-template may read any field of its source's objects); the
    managedFields and the last-applied annotation go in every case.
    """
    meta = obj.get("metadata")
    slim_obj = dict(obj)
    if isinstance(meta, Mapping):
        dropped = DROPPED_METADATA if not whole else {"managedFields"}
        slim_meta = {k: v for k, v in meta.items() if k not in dropped}
        annotations = meta.get("annotations")
        if isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
            slim_meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
        slim_obj["metadata"] = slim_meta
    spec, status = obj.get("spec"), obj.get("status")
    if not whole and plural in KEPT_SPEC and isinstance(spec, Mapping):
        slim_obj["spec"] = {k: v for k, v in spec.items() if k in KEPT_SPEC[plural]}
    if not whole and plural in DROPPED_STATUS and isinstance(status, Mapping):
        slim_obj["status"] = {k: v for k, v in status.items() if k not in DROPPED_STATUS[plural]}
    if not whole and plural in KEPT_STATUS and isinstance(status, Mapping):
        slim_obj["status"] = {k: v for k, v in status.items() if k in KEPT_STATUS[plural]}
    shared: Obj = _shared_strings(slim_obj)
    return shared


def _shared_strings(value: Any) -> Any:
    """The same structure with its keys and short strings interned.

    Each parsed watch event brings its own copy of "metadata", "annotations", "LoadBalancer", "TCP"...; tens of
    thousands of stored objects would each keep theirs. Interned, they share one.
    """
    if isinstance(value, dict):
        return {sys.intern(k) if isinstance(k, str) else k: _shared_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shared_strings(item) for item in value]
    if isinstance(value, str) and len(value) <= SHARED_STRING_LENGTH:
        return sys.intern(value)
    return value


class Lookups:
    """The lookups the sources read (ClusterLookups and GatewayLookups), backed by the object stores."""

    def __init__(self, stores: Mapping[str, ObjectStore]) -> None:
        empty = ObjectStore("")
        self._nodes = stores.get("nodes", empty)
        self._pods = stores.get("pods", empty)
        self._slices = stores.get("endpointslices", empty)
        self._gateways = stores.get("gateways", empty)
        self._namespaces = stores.get("namespaces", empty)

    def gateway(self, namespace: str, name: str) -> Obj | None:
        return self._gateways.get(namespace, name)

    def namespace(self, name: str) -> Obj | None:
        return self._namespaces.get("", name)

    def node(self, name: str) -> Obj | None:
        return self._nodes.get("", name)

    def nodes(self) -> Iterable[Obj]:
        return list(self._nodes.values())

    def pods(self, namespace: str) -> Iterable[Obj]:
        return self._pods.in_namespace(namespace)

    def pod(self, namespace: str, name: str) -> Obj | None:
        return self._pods.get(namespace, name)

    def endpoint_slices(self, namespace: str, service_name: str) -> Iterable[Obj]:
        return [
            s
            for s in self._slices.in_namespace(namespace)
            if (s.get("metadata", {}).get("labels") or {}).get("kubernetes.io/service-name") == service_name
        ]
