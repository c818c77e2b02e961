"""What the object store, the desired state and the zone cache keep per object, in process (no servers), measured
with tracemalloc.

N realistic objects (bench/objects.py, as an API server returns them, with uid, resourceVersion and
creationTimestamp) go into an ObjectStore of their kind; the source derives each one's endpoints from the store
into a DesiredState (what the operator keeps of what every object wants); the records the operator writes for
them (an A record and its ownership TXT record each) go into a ZoneCache. The figures are the live bytes each
keeps, per object, after a garbage collection; what the same objects take as parsed JSON is printed beside them
for scale.

    .venv/bin/python bench/memory_parts.py --objects 10000
"""

from __future__ import annotations

import argparse
import gc
import json
import tracemalloc
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from objects import ObjectShape

from external_dns.desired import DesiredState, ObjectKey
from external_dns.endpoint import Endpoint
from external_dns.kinds import source_kind
from external_dns.sources.base import EmptyLookups, SourceSettings
from external_dns.store import ObjectStore, object_id
from external_dns.zonecache import ZoneCache

ZONE = "example.com"
T = TypeVar("T")


def full_object(shape: ObjectShape, index: int) -> dict[str, Any]:
    """One object as the API server returns it (the server sets uid, resourceVersion and creationTimestamp)."""
    body = shape.body(shape.name_of(index), ZONE)
    body["apiVersion"], body["kind"] = "v1", "Pod" if shape.kind == "pod" else "Service"
    body["metadata"] |= {
        "namespace": "default",
        "uid": str(uuid.UUID(int=index)),
        "resourceVersion": str(100_000 + index),
        "creationTimestamp": "2026-11-30T10:00:00Z",
    }
    status = shape.status(f"10.0.{(index >> 8) & 255}.{index & 255}")
    status["status"] |= shape.realistic_status_extra()
    return body | status


def zone_records(shape: ObjectShape, index: int) -> list[Endpoint]:
    """The A record and the ownership TXT record the operator writes for one object, as a provider lists them."""
    name = f"{shape.name_of(index)}.{ZONE}"
    owner = f'"heritage=external-dns,external-dns/owner=bench,external-dns/resource={shape.kind}/default/{name}"'
    return [
        Endpoint(name, "A", (f"10.0.{(index >> 8) & 255}.{index & 255}",), ttl=300),
        Endpoint(f"a-{name}", "TXT", (owner,), ttl=300),
    ]


def live_bytes(build: Callable[[], T]) -> tuple[int, T]:
    """The traced bytes still alive after ``build()`` (and a collection), with what it built kept alive."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    built = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, built


def measure(kind: str, count: int) -> dict[str, float]:
    shape = ObjectShape(kind, realistic=True)
    raw = [json.dumps(full_object(shape, i)).encode() for i in range(count)]

    def parsed() -> list[Any]:
        return [json.loads(body) for body in raw]

    def stored() -> ObjectStore:
        store = ObjectStore(shape.plural)
        for body in raw:
            store.upsert(json.loads(body))
        return store

    store = stored()
    source = source_kind(shape.kind, SourceSettings())
    objects = list(store.values())  # parsed again from the store (as a derivation reads them), before measuring

    def desired() -> DesiredState:
        state = DesiredState()
        for obj in objects:
            derived = source.derive(obj, SourceSettings(), EmptyLookups())
            state.update(ObjectKey(source.name, *object_id(obj)), derived.endpoints)
        return state

    def cached() -> ZoneCache:
        cache = ZoneCache()
        cache.replace(record for i in range(count) for record in zone_records(shape, i))
        return cache

    parsed_bytes, _ = live_bytes(parsed)
    store_bytes, _ = live_bytes(stored)
    desired_bytes, state = live_bytes(desired)
    if len(state) != count:
        raise SystemExit(f"{len(state)} of {count} objects want records: the objects changed?")
    cache_bytes, _ = live_bytes(cached)
    return {
        "JSON as the API server sends it": sum(map(len, raw)) / count,
        "the same, parsed": parsed_bytes / count,
        "object store (store.py)": store_bytes / count,
        "desired state, the source's endpoints (desired.py)": desired_bytes / count,
        "zone cache, 2 records (zonecache.py)": cache_bytes / count,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, default=10000, help="objects of each kind")
    args = parser.parse_args(argv)
    results = {kind: measure(kind, args.objects) for kind in ("service", "pod")}
    print(f"{'bytes per object (' + str(args.objects) + ' realistic objects)':<52}{'Services':>12}{'Pods':>12}")
    for label in results["service"]:
        print(f"{label:<52}{results['service'][label]:>12.0f}{results['pod'][label]:>12.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
