"""The cluster objects the operator has seen, per kind: fed by the initial LIST and by Kopf's watch events.

Sources are pure functions; the objects they read besides their own (nodes for a NodePort Service, pods and
EndpointSlices for a headless Service) are looked up here. The store also decides whether an incoming object is
news at all: Kopf replays every object when its watch starts, and those replays of what the initial LIST already
gave are dropped here by resourceVersion, so a cold start does the work once.

Sized for 100,000 objects per kind: each object is kept slimmed to the fields the sources read and packed as
compact JSON, parsed again when read; lookups of dependents go through small per-kind indexes (tags) instead of
parsing every object.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from external_dns.sources.base import NO_SELECTOR, is_mapping, selects

Obj = Mapping[str, Any]
#: Compact JSON as json.dumps(separators=(",", ":"), ensure_ascii=False) writes it; one encoder for every object,
#: as json.dumps builds a new one per call when given arguments (a fifth of its time on a slimmed Service).
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def resource_version(obj: Obj) -> str:
    """The object's resourceVersion ("" when it has none, or no metadata mapping)."""
    meta = obj.get("metadata")
    return str(meta.get("resourceVersion") or "") if isinstance(meta, Mapping) else ""


def is_older(candidate: str, held: str) -> bool:
    """True when ``candidate`` is known to be older than ``held``.

    resourceVersions are opaque in the API contract; every server in practice (etcd, the local emulator) uses
    increasing integers, so they are compared as integers when both parse, and never judged older otherwise.
    """
    if candidate.isdigit() and held.isdigit():
        return int(candidate) < int(held)
    return False


def object_id(obj: Obj) -> tuple[str, str]:
    """(namespace, name), interned: the store's keys, the desired state's and the object's refs share them."""
    meta = obj.get("metadata", {})
    return sys.intern(str(meta.get("namespace") or "")), sys.intern(str(meta.get("name") or ""))


class PackedObject:
    """One object as a store keeps it: its key, its resourceVersion and its slimmed fields as compact JSON.

    A realistic slimmed Service or Pod is ~0.55 KB of JSON against ~2.7 KB as parsed dicts (bench/README.md,
    "Memory per object"); the sources read it parsed again on access, a few microseconds per object. ``tag`` is
    the one fact the lookups of dependents filter on (see :data:`TAGS`), so that they need not parse every object;
    a route names several Gateways, so its tag is a tuple of them.
    """

    __slots__ = ("body", "key", "resource_version", "tag")

    def __init__(self, key: tuple[str, str], resource_version: str, body: bytes, tag: Tag) -> None:
        self.key = key
        self.resource_version = resource_version
        self.body = body
        self.tag = tag

    def unpack(self) -> Obj:
        parsed: Obj = json.loads(self.body)
        return parsed


class ObjectStore:
    """The latest version of each object of one kind, keyed by (namespace, name), packed (see
    :class:`PackedObject`) unless the kind is one of the few whose objects many others read (:data:`UNPACKED`)."""

    def __init__(self, kind: str, *, whole: bool = False) -> None:
        """``kind`` is the resource's plural; ``whole`` keeps spec and status entire (see :func:`slim`)."""
        self.kind = kind
        self.whole = whole
        self._tag_of = TAGS.get(kind, _no_tag)
        self._packed: dict[tuple[str, str], PackedObject] = {}
        #: Unpacked kinds: each parsed object, beside its packed record (which then holds no body).
        self._parsed: dict[tuple[str, str], Obj] | None = None if kind not in UNPACKED else {}
        #: namespace -> names: pods change often and each change looks up its namespace's Services.
        self._names_by_namespace: dict[str, dict[str, None]] = {}  # dicts keep insertion order
        #: tag -> keys of the objects carrying it (tags are rare, or few objects share one).
        self._keys_by_tag: dict[str, dict[tuple[str, str], None]] = {}
        #: While two feeds overlap (catchup.py): the resourceVersion each object was deleted at, so an older copy
        #: still coming from the slower feed cannot bring it back. None: not remembered.
        self._deleted_at: dict[tuple[str, str], str] | None = None

    def __len__(self) -> int:
        return len(self._packed)

    def get(self, namespace: str, name: str) -> Obj | None:
        return self._unpack((namespace, name))

    def holds(self, obj: Obj | PackedObject) -> bool:
        """Whether this very version of ``obj`` is the one held (same key, same resourceVersion)."""
        if isinstance(obj, PackedObject):
            key, version = obj.key, obj.resource_version
        else:
            key, version = object_id(obj), resource_version(obj)
        held = self._packed.get(key)
        return held is not None and held.resource_version == version

    def values(self) -> Iterable[Obj]:
        """Every object, parsed one at a time as the caller iterates (one deleted meanwhile is skipped)."""
        return (obj for key in list(self._packed) if (obj := self._unpack(key)) is not None)

    def in_namespace(self, namespace: str) -> list[Obj]:
        return [self._unpacked((namespace, name)) for name in self._names_by_namespace.get(namespace, ())]

    def labelled(self, namespace: str, selector: Mapping[str, str]) -> list[Obj]:
        """The objects of the namespace whose labels include every pair of ``selector``. A packed object is parsed
        only when its JSON holds each pair's own JSON text (``"app":"web"``): a namespace of 5,000 pods is not
        parsed whole for a Service that selects 50 of them."""
        pairs = [_json_pair(key, value) for key, value in selector.items()]
        found: list[Obj] = []
        for name in self._names_by_namespace.get(namespace, ()):
            key = (namespace, name)
            if self._parsed is None and not all(pair in self._packed[key].body for pair in pairs):
                continue
            obj = self._unpacked(key)
            if selects(selector, obj):
                found.append(obj)
        return found

    def tagged(self, tag: str, namespace: str | None = None) -> list[Obj]:
        """The objects whose :data:`TAGS` entry gives ``tag`` (in ``namespace``, when given)."""
        keys = self._keys_by_tag.get(tag, {})
        return [self._unpacked(key) for key in keys if namespace is None or key[0] == namespace]

    def pack(self, obj: Obj) -> PackedObject:
        """What this store keeps of ``obj``: :func:`slim`, then compact JSON (the initial LIST packs each page as
        it arrives, so that no page is held whole)."""
        return self.pack_slimmed(obj)[0]

    def pack_slimmed(self, obj: Obj) -> tuple[PackedObject, Obj]:
        """:meth:`pack`, and the slimmed object packed: a listed object is derived from it, not parsed again."""
        slimmed = slim(obj, self.kind, whole=self.whole)
        body = _COMPACT_JSON.encode(slimmed).encode()
        return PackedObject(object_id(obj), resource_version(obj), body, self._tag_of(slimmed)), slimmed

    def upsert(self, obj: Obj | PackedObject) -> bool:
        """Store the object; False when it is the version already held (or an older one), or was deleted since."""
        key = obj.key if isinstance(obj, PackedObject) else object_id(obj)
        new_rv = obj.resource_version if isinstance(obj, PackedObject) else resource_version(obj)
        held = self._packed.get(key)
        held_rv = held.resource_version if held is not None else None
        if held_rv is not None and new_rv and (new_rv == held_rv or is_older(new_rv, held_rv)):
            return False
        if held is None and self._deleted_at is not None and key in self._deleted_at:
            if is_older(new_rv, self._deleted_at[key]):  # a copy from before the deletion
                return False
            del self._deleted_at[key]  # created again since
        self._put(obj if isinstance(obj, PackedObject) else self.pack(obj))
        return True

    def delete(self, obj: Obj) -> bool:
        """Forget the object; False when it was not held or a newer version is held."""
        key = object_id(obj)
        held = self._packed.get(key)
        if held is not None and is_older(resource_version(obj), held.resource_version):
            return False
        # Remembered even when not held: during the start-up LIST a watch may report a deletion before the page
        # that still lists the object (a real API server pages from one snapshot) is stored.
        if self._deleted_at is not None and resource_version(obj):
            self._deleted_at[key] = resource_version(obj)
        if held is None:
            return False
        self._drop(key)
        return True

    def remember_deletions(self, remember: bool) -> None:
        """Whether deletions are remembered (:meth:`upsert` refuses older copies); off forgets them."""
        self._deleted_at = {} if remember else None

    def replace_all(
        self, objects: Iterable[Obj | PackedObject], list_rv: str
    ) -> tuple[list[tuple[str, str]], list[Obj]]:
        """Reconcile with a fresh LIST: returns (keys of the objects added or changed, the objects gone).

        An object held at a version newer than the LIST (a watch event raced the LIST) is kept as is. Changed
        objects are returned by key, so that a LIST of 100,000 objects is never held parsed all at once.
        """
        seen: set[tuple[str, str]] = set()
        changed: list[tuple[str, str]] = []
        for obj in objects:
            key = obj.key if isinstance(obj, PackedObject) else object_id(obj)
            seen.add(key)
            if self.upsert(obj):
                changed.append(key)
        return changed, self.forget_unlisted(seen, list_rv)

    def forget_unlisted(self, listed: Collection[tuple[str, str]], list_rv: str) -> list[Obj]:
        """The end of a LIST whose objects were upserted as they came: forget and return those it did not list
        (an object held at a version newer than the LIST is kept)."""
        gone_keys = [
            key
            for key, held in self._packed.items()
            if key not in listed and not is_older(list_rv, held.resource_version)
        ]
        gone = [self._unpacked(key) for key in gone_keys]
        for key in gone_keys:
            self._drop(key)
        return gone

    def _unpack(self, key: tuple[str, str]) -> Obj | None:
        if self._parsed is not None:
            return self._parsed.get(key)
        held = self._packed.get(key)
        return held.unpack() if held is not None else None

    def _unpacked(self, key: tuple[str, str]) -> Obj:
        obj = self._unpack(key)
        assert obj is not None, key  # only called with keys held
        return obj

    def _put(self, packed: PackedObject) -> None:
        key = packed.key
        self._untag(key)
        if self._parsed is not None:
            self._parsed[key] = packed.unpack()
            packed.body = b""  # kept parsed instead
        self._packed[key] = packed
        self._names_by_namespace.setdefault(key[0], {})[key[1]] = None
        for tag in _each(packed.tag):
            self._keys_by_tag.setdefault(tag, {})[key] = None

    def _drop(self, key: tuple[str, str]) -> None:
        self._untag(key)
        del self._packed[key]
        if self._parsed is not None:
            del self._parsed[key]
        names = self._names_by_namespace[key[0]]
        names.pop(key[1], None)
        if not names:
            del self._names_by_namespace[key[0]]

    def _untag(self, key: tuple[str, str]) -> None:
        held = self._packed.get(key)
        if held is None:
            return
        for tag in _each(held.tag):
            keys = self._keys_by_tag[tag]
            keys.pop(key, None)
            if not keys:
                del self._keys_by_tag[tag]


#: What the lookups of dependents filter a store's objects on: one value, several (a route's Gateways), or none ("").
Tag = str | tuple[str, ...]


def _each(tag: Tag) -> tuple[str, ...]:
    if isinstance(tag, tuple):
        return tag
    return (tag,) if tag else ()


def _json_pair(key: str, value: str) -> bytes:
    """A label as a packed body spells it (:meth:`ObjectStore.pack_slimmed`'s compact JSON)."""
    return f"{json.dumps(key, ensure_ascii=False)}:{json.dumps(value, ensure_ascii=False)}".encode()


def _no_tag(obj: Obj) -> Tag:
    return ""


#: Service tag: it reads other objects (a NodePort Service reads nodes, a headless one pods and EndpointSlices).
READS_RELATED = "reads-related"


def reads_related_objects(service: Obj) -> bool:
    spec = service.get("spec") or {}
    return spec.get("type") == "NodePort" or spec.get("clusterIP") == "None"


def _service_tag(service: Obj) -> str:
    return READS_RELATED if reads_related_objects(service) else ""


def _pod_tag(pod: Obj) -> str:
    node = (pod.get("spec") or {}).get("nodeName")
    return node if isinstance(node, str) else ""


def _endpoint_slice_tag(endpoint_slice: Obj) -> str:
    service = ((endpoint_slice.get("metadata") or {}).get("labels") or {}).get("kubernetes.io/service-name")
    return service if isinstance(service, str) else ""


def gateway_tag(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def _route_tag(route: Obj) -> Tag:
    """Every Gateway the route names in spec.parentRefs (a parentRef without a namespace is in the route's)."""
    namespace = str((route.get("metadata") or {}).get("namespace") or "")
    spec = route.get("spec")
    refs = spec.get("parentRefs") if isinstance(spec, Mapping) else None
    if not isinstance(refs, list):
        return ""
    tags: dict[str, None] = {}
    for ref in refs:
        if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str):
            continue  # the route's derivation reports it
        ref_namespace = ref.get("namespace")
        if not isinstance(ref_namespace, str) or not ref_namespace:
            ref_namespace = namespace
        tags[gateway_tag(ref_namespace, ref["name"])] = None
    return tuple(tags)


#: Per resource, the one fact the lookups of dependents filter on: which Services read related objects (a Node
#: change re-derives only those), the node a Pod runs on (a Node change re-derives only its Pods), the Service an
#: EndpointSlice belongs to, the Gateways a route names (a Gateway's status changes with every route attached to
#: it: re-deriving every route each time would be quadratic).
TAGS: dict[str, Callable[[Obj], Tag]] = {
    "services": _service_tag,
    "pods": _pod_tag,
    "endpointslices": _endpoint_slice_tag,
    **dict.fromkeys(("httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes"), _route_tag),
}
#: Kinds with few objects, each read by many (every NodePort Service reads every Node): kept parsed.
UNPACKED = frozenset({"nodes", "namespaces", "gateways"})


#: Metadata no source, lookup or report reads: managedFields alone is often half of an object's bytes. (The
#: creationTimestamp stays: --namespace-isolation gives a name to the oldest object asking for it.)
DROPPED_METADATA = frozenset({"managedFields", "ownerReferences", "finalizers"})
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
    managedFields and the last-applied annotation go in every case. (Mappings are told by is_mapping: every
    listed object is slimmed, and the ABC check alone cost a tenth of it.)
    """
    meta = obj.get("metadata")
    slim_obj = dict(obj)
    if is_mapping(meta):
        dropped = DROPPED_METADATA if not whole else {"managedFields"}
        slim_meta = {k: v for k, v in meta.items() if k not in dropped}
        annotations = meta.get("annotations")
        if is_mapping(annotations) and LAST_APPLIED in annotations:
            slim_meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
        slim_obj["metadata"] = slim_meta
    spec, status = obj.get("spec"), obj.get("status")
    if not whole and plural in KEPT_SPEC and is_mapping(spec):
        slim_obj["spec"] = {k: v for k, v in spec.items() if k in KEPT_SPEC[plural]}
    if not whole and plural in DROPPED_STATUS and is_mapping(status):
        slim_obj["status"] = {k: v for k, v in status.items() if k not in DROPPED_STATUS[plural]}
    if not whole and plural in KEPT_STATUS and is_mapping(status):
        slim_obj["status"] = {k: v for k, v in status.items() if k in KEPT_STATUS[plural]}
    return slim_obj


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

    def pods(self, namespace: str, selector: Mapping[str, str] = NO_SELECTOR) -> Iterable[Obj]:
        return self._pods.labelled(namespace, selector)

    def pod(self, namespace: str, name: str) -> Obj | None:
        return self._pods.get(namespace, name)

    def endpoint_slices(self, namespace: str, service_name: str) -> Iterable[Obj]:
        return self._slices.tagged(service_name, namespace) if service_name else []
