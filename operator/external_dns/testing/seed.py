"""Loading objects into the local API server's store before it serves: a large cluster in seconds.

Benchmarks need clusters of 100,000 objects. Created over HTTP one request at a time (a POST, then the status
through /status), that took 20 minutes on the shared 2-core machine: every object costs two requests through
aiohttp and the JSON codec on both sides, and the server is single-threaded. Here each object goes through the
same store operations the HTTP handlers call — `ObjectStore.create` (server-set metadata, status dropped as a
real server drops it on create) and, when the object carries a status, a write of the status subresource, as
`LocalCluster.create` does — only without HTTP. Clients still LIST and watch the result over HTTP as usual.

The input is JSON lines, one whole object per line with its apiVersion and kind (``metadata.namespace`` for
namespaced kinds): ``python -m external_dns.testing.cluster --seed objects.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from external_dns.testing.store import ApiError, ObjectStore, ResourceType


class SeedError(Exception):
    """An object that could not be seeded: where it was and why."""


def seed_objects(store: ObjectStore, objects: Iterable[Mapping[str, Any]]) -> int:
    """Create each object (then its status, if it has one) in the store; returns how many were created."""
    kinds = _kinds_of(store)
    created = 0
    for number, obj in enumerate(objects, start=1):
        try:
            _seed_one(store, kinds, obj)
        except (ApiError, SeedError) as exc:
            name = (obj.get("metadata") or {}).get("name")
            raise SeedError(f"object {number} ({obj.get('kind')} {name}): {exc}") from exc
        created += 1
    return created


def seed_file(store: ObjectStore, path: Path) -> int:
    """Seed the objects of a JSON-lines file (blank lines skipped); returns how many were created."""
    try:
        with path.open(encoding="utf-8") as lines:
            return seed_objects(store, _decoded(lines))
    except (OSError, UnicodeDecodeError, SeedError) as exc:
        raise SeedError(f"{path}: {exc}") from exc


def _decoded(lines: Iterable[str]) -> Iterable[Mapping[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SeedError(f"line {number}: not JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise SeedError(f"line {number}: not a JSON object")
        yield obj


def _kinds_of(store: ObjectStore) -> dict[tuple[str, str], ResourceType]:
    # (apiVersion, kind) -> resource; subresources such as pods/status are not declared as resources here.
    return {(rtype.api_version, rtype.kind): rtype for rtype in store.types}


def _seed_one(store: ObjectStore, kinds: Mapping[tuple[str, str], ResourceType], obj: Mapping[str, Any]) -> None:
    rtype = kinds.get((str(obj.get("apiVersion")), str(obj.get("kind"))))
    if rtype is None:
        raise SeedError(f"no resource serves apiVersion {obj.get('apiVersion')!r} kind {obj.get('kind')!r}")
    namespace = (obj.get("metadata") or {}).get("namespace") if rtype.namespaced else None
    created = store.create(rtype, namespace, obj)
    status = obj.get("status")
    if status and rtype.has_status and created.get("status") != status:
        # A PUT of the status subresource (what a controller writing a whole status sends): a merge patch would
        # deep-copy the object for nothing, a third of the time here.
        meta = created["metadata"]
        store.replace(rtype, meta.get("namespace"), meta["name"], {**created, "status": status}, "status")
