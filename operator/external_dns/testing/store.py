"""The in-memory object store behind the emulated API server: what etcd plus the generic registry do.

Everything an API server decides about an object lives here, independent of HTTP: server-set
metadata (uid, one global resourceVersion counter, generation bumped on spec changes only,
creationTimestamp), generateName, resourceVersion preconditions, the status subresource rules in both
directions, finalizers and deletionTimestamp, ownerReferences cascade, list with selectors and
limit/continue, and the retained event log that watches resume from (410 Gone when it was trimmed).

Stored objects are never mutated: every write stores a new dict, so watch events and responses can
share them safely. All methods are synchronous and run on the server's event loop, which makes each
write atomic with respect to watchers without any locks.
"""

from __future__ import annotations

import collections
import secrets
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from external_dns.testing import servermeta
from external_dns.testing.keyindex import KeyIndex
from external_dns.testing.model import (
    ApiError,
    Gone,
    JsonObject,
    ListPage,
    ObjectKey,
    ResourceType,
    StorageKey,
    Subscription,
    WatchEvent,
    decode_continue,
    encode_continue,
)
from external_dns.testing.patches import PatchError, PatchType, apply_patch
from external_dns.testing.selectors import Selector
from external_dns.testing.servermeta import (
    STATUS_KEPT_ON_CREATE,
    UNKNOWN_MANAGER,
    initial_status,
    managed_fields,
    spec_of,
)

# The vocabulary lives in model.py; it is imported from here too (the store is what most callers meet).
__all__ = ["ApiError", "Gone", "JsonObject", "ListPage", "ObjectStore", "ResourceType", "Subscription", "WatchEvent"]

_GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what the real server uses: no vowels


class ObjectStore:
    """All objects of all resources, the global resourceVersion counter and each resource's event log."""

    def __init__(self, *, log_limit: int = 20_000) -> None:
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self._objects: dict[StorageKey, dict[ObjectKey, JsonObject]] = collections.defaultdict(dict)
        self._keys: dict[StorageKey, KeyIndex] = collections.defaultdict(KeyIndex)  # _objects' keys, sorted
        self._resource_version = 0
        # Per resource, as a watch cache: posted Events never push a Services position out.
        self._logs: dict[StorageKey, collections.deque[WatchEvent]] = collections.defaultdict(collections.deque)
        self.log_limit = log_limit  # events kept per resource
        self._log_floors: dict[StorageKey, int] = {}  # the newest evicted resourceVersion: watches before it get 410
        self._log_floor = 0  # trim_log(keep=0)'s: every resource
        self._watchers: dict[StorageKey, set[Subscription]] = collections.defaultdict(set)
        self._has_owner_references = False  # garbage collection scans only once someone has owners

    # Resource declarations.

    def declare(self, rtype: ResourceType) -> None:
        """Serve this resource from now on (idempotent)."""
        self._types[(rtype.group, rtype.version, rtype.plural)] = rtype

    def forget(self, group: str, version: str, plural: str) -> None:
        """Stop serving a resource (its CRD was deleted); its objects stay stored but unreachable."""
        self._types.pop((group, version, plural), None)

    @property
    def types(self) -> list[ResourceType]:
        """Every declared resource."""
        return list(self._types.values())

    def resolve(self, group: str, version: str, plural: str) -> ResourceType:
        """The declared resource for a URL, or 404 as the real server answers unknown resources."""
        rtype = self._types.get((group, version, plural))
        if rtype is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return rtype

    @property
    def resource_version(self) -> int:
        """The newest committed resourceVersion."""
        return self._resource_version

    # Reads.

    def get(self, rtype: ResourceType, namespace: str | None, name: str) -> JsonObject:
        """One object, or 404 NotFound with the details clients print."""
        obj = self._objects[rtype.storage_key].get((self._ns(rtype, namespace), name))
        if obj is None:
            raise self._not_found(rtype, name)
        return self._as_version(rtype, obj)

    def iter_objects(self, rtype: ResourceType, namespace: str | None) -> Iterator[JsonObject]:
        """Every object of a resource (in one namespace, or in all when namespace is None)."""
        for (ns, _), obj in self._objects[rtype.storage_key].items():
            if namespace is None or ns == namespace:
                yield obj

    def list(
        self,
        rtype: ResourceType,
        namespace: str | None,
        selector: Selector,
        *,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListPage:
        """A page of matching objects in etcd's key order (namespace, name), read by bisection from the continue key;
        the remaining count is the keys after the page, None with a selector (the real server gives none then)."""
        start = decode_continue(continue_token) if continue_token else None
        keys, bucket = self._keys[rtype.storage_key], self._objects[rtype.storage_key]
        items: list[JsonObject] = []
        for key in keys.iter_after(namespace, start):
            if selector.matches(bucket[key]):
                if limit and len(items) >= limit:
                    break  # a match past the limit: the next page starts after this one's last item
                items.append(self._as_version(rtype, bucket[key]))
        else:
            return ListPage(items, self._resource_version, None, 0)
        last = self._key_of(rtype, items[-1])
        remaining = keys.count_after(namespace, last) if selector.empty else None
        return ListPage(items, self._resource_version, encode_continue(last), remaining)

    # Writes.

    def create(
        self, rtype: ResourceType, namespace: str | None, body: Any, manager: str = UNKNOWN_MANAGER
    ) -> JsonObject:
        """Store a new object with server-set metadata; 409 if the name is taken."""
        if not isinstance(body, Mapping):
            raise ApiError(400, "BadRequest", "the body of the request must be a JSON object")
        meta = dict(body.get("metadata") or {})
        ns = self._namespace_for_create(rtype, namespace, meta)
        bucket = self._objects[rtype.storage_key]
        name = meta.get("name") or self._generate_name(meta.get("generateName"), ns, bucket)
        if (ns, name) in bucket:
            raise ApiError(
                409,
                "AlreadyExists",
                f'{rtype.plural}{self._dot_group(rtype)} "{name}" already exists',
                {"name": name, "group": rtype.group, "kind": rtype.plural},
            )
        for server_field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(server_field, None)
        now = servermeta.now_rfc3339()
        meta.update(name=name, uid=str(uuid.uuid4()), generation=1, creationTimestamp=now)
        meta["managedFields"] = managed_fields([], manager, None, rtype.api_version, now)
        if rtype.namespaced:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        obj: JsonObject = {**body, "apiVersion": rtype.api_version, "kind": rtype.kind, "metadata": meta}
        if rtype.has_status and rtype.storage_key not in STATUS_KEPT_ON_CREATE:
            obj.pop("status", None)  # like the real server: status is written via /status only
        obj = initial_status(rtype, obj)
        return self._commit(rtype, (ns, name), "ADDED", obj, None)

    def replace(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        body: Any,
        subresource: str | None,
        manager: str = UNKNOWN_MANAGER,
    ) -> JsonObject:
        """PUT: the body replaces the object (or its status), honouring resourceVersion if given."""
        if not isinstance(body, Mapping):
            raise ApiError(400, "BadRequest", "the body of the request must be a JSON object")
        body_name = (body.get("metadata") or {}).get("name")
        if body_name and body_name != name:
            raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
        old = self._stored(rtype, namespace, name)
        candidate = dict(body)
        candidate_meta = dict(candidate.get("metadata") or {})
        if not candidate_meta.get("resourceVersion"):
            candidate_meta["resourceVersion"] = old["metadata"]["resourceVersion"]  # unconditional PUT
        candidate["metadata"] = candidate_meta
        return self._update(rtype, old, candidate, subresource, manager)

    def patch(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        patch: Any,
        patch_type: PatchType,
        subresource: str | None,
        manager: str = UNKNOWN_MANAGER,
    ) -> JsonObject:
        """PATCH: apply the patch to the stored object (422 if it does not apply)."""
        old = self._stored(rtype, namespace, name)
        try:
            candidate = apply_patch(old, patch, patch_type)
        except PatchError as exc:
            raise ApiError(422, "Invalid", str(exc)) from exc
        return self._update(rtype, old, candidate, subresource, manager)

    def delete(
        self, rtype: ResourceType, namespace: str | None, name: str, options: Mapping[str, Any] | None
    ) -> JsonObject:
        """DELETE: remove the object, or mark it with deletionTimestamp while finalizers remain."""
        old = self._stored(rtype, namespace, name)
        preconditions = (options or {}).get("preconditions") or {}
        meta = old["metadata"]
        for key in ("uid", "resourceVersion"):
            if preconditions.get(key) and preconditions[key] != meta.get(key):
                raise ApiError(409, "Conflict", f"Precondition failed: {key} in precondition does not match")
        if not meta.get("finalizers"):
            return self._as_version(rtype, self._remove(rtype, old, old))
        if meta.get("deletionTimestamp"):
            return self._as_version(rtype, old)
        deleting = {"deletionTimestamp": servermeta.now_rfc3339(), "deletionGracePeriodSeconds": 0}
        marked = {**old, "metadata": {**meta, **deleting}}
        return self._commit(rtype, self._key_of(rtype, old), "MODIFIED", marked, old)

    # Watching.

    def subscribe(self, rtype: ResourceType, since: int | None) -> Subscription:
        """Start a watch: replay from `since` (None: synthetic ADDED of the current state)."""
        key = rtype.storage_key
        if since is None:
            initial = [
                WatchEvent(self._resource_version, key, "ADDED", obj, None) for obj in self._objects[key].values()
            ]
        elif since < (floor := max(self._log_floor, self._log_floors.get(key, 0))):
            raise Gone(f"too old resource version: {since} ({floor + 1})")
        else:
            initial = [event for event in self._logs[key] if event.resource_version > since]
        subscription = Subscription(key, initial)
        self._watchers[key].add(subscription)
        return subscription

    @property
    def watch_count(self) -> int:
        """How many watch streams are live (tests wait for a client's watch to start)."""
        return sum(len(subscriptions) for subscriptions in self._watchers.values())

    def unsubscribe(self, subscription: Subscription) -> None:
        """End a watch (idempotent)."""
        self._watchers[subscription.storage_key].discard(subscription)

    def drop_watches(self, rtype: ResourceType | None = None) -> int:
        """Close live watch streams (all, or of one resource), as a server restart would."""
        dropped = 0
        for key, subscriptions in self._watchers.items():
            if rtype is None or key == rtype.storage_key:
                for subscription in list(subscriptions):
                    subscription.queue.put_nowait(None)
                    dropped += 1
                subscriptions.clear()
        return dropped

    def trim_log(self, keep: int = 0) -> None:
        """Forget all but the newest `keep` events of each resource: older watch positions then get 410 Gone."""
        for key, log in self._logs.items():
            while len(log) > keep:
                self._log_floors[key] = log.popleft().resource_version
        if keep == 0:
            self._log_floor = self._resource_version

    def as_version(self, rtype: ResourceType, obj: JsonObject) -> JsonObject:
        """The object as served through `rtype`'s version (apiVersion rewritten if needed)."""
        return self._as_version(rtype, obj)

    # Internals.

    def _update(
        self, rtype: ResourceType, old: JsonObject, candidate: JsonObject, subresource: str | None, manager: str
    ) -> JsonObject:
        if subresource == "status":
            new = {k: v for k, v in old.items() if k != "status"}
            if candidate.get("status") is not None:
                new["status"] = candidate["status"]
            requested_rv = (candidate.get("metadata") or {}).get("resourceVersion")
        else:
            new = {k: v for k, v in candidate.items() if k != "status" or not rtype.has_status}
            if rtype.has_status and "status" in old:
                new["status"] = old["status"]
            requested_rv = (candidate.get("metadata") or {}).get("resourceVersion")
        old_meta = old["metadata"]
        if requested_rv and str(requested_rv) != old_meta["resourceVersion"]:
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {rtype.plural}{self._dot_group(rtype)} "{old_meta["name"]}": '
                "the object has been modified; please apply your changes to the latest version and try again",
                {"name": old_meta["name"], "group": rtype.group, "kind": rtype.plural},
            )
        meta = dict(candidate.get("metadata") or {}) if subresource != "status" else dict(old_meta)
        for server_field in (
            "name", "namespace", "uid", "creationTimestamp", "resourceVersion",
            "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields",
        ):  # fmt: skip
            if server_field in old_meta:
                meta[server_field] = old_meta[server_field]
            else:
                meta.pop(server_field, None)
        if old_meta.get("deletionTimestamp"):
            added = set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
            if added:
                raise ApiError(
                    422, "Invalid", "Forbidden: no new finalizers can be added if the object is being deleted"
                )
        if not meta.get("finalizers"):
            meta.pop("finalizers", None)
        new["metadata"] = meta
        new["apiVersion"], new["kind"] = old["apiVersion"], old["kind"]
        if new == old:
            return self._as_version(rtype, old)  # a no-op write commits nothing, like the real server
        previous, now = old_meta.get("managedFields"), servermeta.now_rfc3339()
        meta["managedFields"] = managed_fields(previous, manager, subresource, rtype.api_version, now)
        if spec_of(new) != spec_of(old):
            meta["generation"] = int(old_meta.get("generation", 1)) + 1
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            # Releasing the last finalizer of a deleted object deletes it in the same write.
            return self._as_version(rtype, self._remove(rtype, new, old))
        return self._commit(rtype, self._key_of(rtype, old), "MODIFIED", new, old)

    def _remove(self, rtype: ResourceType, final: JsonObject, previous: JsonObject) -> JsonObject:
        self._resource_version += 1
        gone = {**final, "metadata": {**final["metadata"], "resourceVersion": str(self._resource_version)}}
        del self._objects[rtype.storage_key][key := self._key_of(rtype, previous)]
        self._keys[rtype.storage_key].discard(key)
        self._emit(WatchEvent(self._resource_version, rtype.storage_key, "DELETED", gone, previous))
        if self._has_owner_references or (rtype.plural == "namespaces" and not rtype.group):
            self._collect_garbage(rtype, gone)
        return gone

    def _collect_garbage(self, rtype: ResourceType, gone: JsonObject) -> None:
        # Garbage collection: dependents go with their owner; a namespace takes its contents.
        uid = gone["metadata"]["uid"]
        doomed: list[tuple[ResourceType, JsonObject]] = []
        for other in self._types.values():
            if other.version != self._canonical_version(other):
                continue
            for obj in list(self._objects[other.storage_key].values()):
                owners = obj["metadata"].get("ownerReferences") or []
                in_namespace = rtype.plural == "namespaces" and not rtype.group and other.namespaced
                if any(ref.get("uid") == uid for ref in owners) or (
                    in_namespace and obj["metadata"].get("namespace") == gone["metadata"]["name"]
                ):
                    doomed.append((other, obj))
        for other, obj in doomed:
            meta = obj["metadata"]
            if (meta.get("namespace", ""), meta["name"]) in self._objects[other.storage_key]:
                self.delete(other, meta.get("namespace"), meta["name"], None)

    def _canonical_version(self, rtype: ResourceType) -> str:
        # Several versions share one storage; cascade through one of them only.
        versions = sorted(t.version for t in self._types.values() if t.storage_key == rtype.storage_key)
        return versions[0]

    def _commit(
        self, rtype: ResourceType, key: ObjectKey, event_type: str, obj: JsonObject, old: JsonObject | None
    ) -> JsonObject:
        self._resource_version += 1
        obj = {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self._resource_version)}}
        if key not in (bucket := self._objects[rtype.storage_key]):
            self._keys[rtype.storage_key].add(key)
        bucket[key] = obj
        self._has_owner_references = self._has_owner_references or bool(obj["metadata"].get("ownerReferences"))
        self._emit(WatchEvent(self._resource_version, rtype.storage_key, event_type, obj, old))
        if rtype.group == "apiextensions.k8s.io" and rtype.plural == "customresourcedefinitions":
            self._register_crd(obj)
        return self._as_version(rtype, obj)

    def _emit(self, event: WatchEvent) -> None:
        log = self._logs[event.storage_key]
        log.append(event)
        while len(log) > self.log_limit:
            self._log_floors[event.storage_key] = log.popleft().resource_version
        for subscription in self._watchers.get(event.storage_key, ()):
            subscription.queue.put_nowait(event)

    def _register_crd(self, crd: JsonObject) -> None:
        for rtype in ResourceType.from_crd(crd):
            self.declare(rtype)

    def _stored(self, rtype: ResourceType, namespace: str | None, name: str) -> JsonObject:
        obj = self._objects[rtype.storage_key].get((self._ns(rtype, namespace), name))
        if obj is None:
            raise self._not_found(rtype, name)
        return obj

    def _namespace_for_create(self, rtype: ResourceType, url_namespace: str | None, meta: Mapping[str, Any]) -> str:
        if not rtype.namespaced:
            return ""
        body_namespace = meta.get("namespace")
        if url_namespace and body_namespace and url_namespace != body_namespace:
            raise ApiError(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request",
            )
        namespace = url_namespace or body_namespace
        if not namespace:
            raise ApiError(400, "BadRequest", "a namespaced object needs a namespace")
        if ("", namespace) not in self._objects[("", "namespaces")]:
            raise ApiError(
                404, "NotFound", f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"}
            )
        return str(namespace)

    def _generate_name(self, prefix: Any, namespace: str, bucket: Mapping[ObjectKey, Any]) -> str:
        if not prefix:
            raise ApiError(422, "Invalid", "metadata.name: Required value: name or generateName is required")
        while True:
            name = f"{prefix}{''.join(secrets.choice(_GENERATE_NAME_ALPHABET) for _ in range(5))}"
            if (namespace, name) not in bucket:
                return name

    def _as_version(self, rtype: ResourceType, obj: JsonObject) -> JsonObject:
        if obj.get("apiVersion") == rtype.api_version:
            return obj
        return {**obj, "apiVersion": rtype.api_version}

    @staticmethod
    def _ns(rtype: ResourceType, namespace: str | None) -> str:
        return (namespace or "") if rtype.namespaced else ""

    @staticmethod
    def _key_of(rtype: ResourceType, obj: JsonObject) -> ObjectKey:
        meta = obj["metadata"]
        return (meta.get("namespace", "") if rtype.namespaced else "", meta["name"])

    @staticmethod
    def _dot_group(rtype: ResourceType) -> str:
        return f".{rtype.group}" if rtype.group else ""

    def _not_found(self, rtype: ResourceType, name: str) -> ApiError:
        return ApiError(
            404,
            "NotFound",
            f'{rtype.plural}{self._dot_group(rtype)} "{name}" not found',
            {"name": name, "group": rtype.group, "kind": rtype.plural},
        )
