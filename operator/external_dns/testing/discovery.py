"""What the local API server answers about itself: request paths as the server routes them, /version, and
discovery (/api, /apis, groups, resource lists) built from the declared resources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from external_dns.testing.model import ApiError, JsonObject, ResourceType

SERVER_VERSION: JsonObject = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0",  # kubectl here is a dispatcher that picks its binary by this version
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-12-11T00:00:00Z",
    "goVersion": "go1.23.3",
    "compiler": "gc",
    "platform": "linux/amd64",
}
ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
_VERSION_ORDER = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


@dataclass(frozen=True, slots=True)
class ApiPath:
    """A request path split the way the API server routes it."""

    group: str
    version: str | None = None
    plural: str | None = None
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None


def parse_api_path(path: str) -> ApiPath | None:
    """Split ``/api/v1/namespaces/ns/services/name/status`` and the like; None for other paths."""
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 2 and parts[0] == "api":
        group, rest = "", parts[1:]
    elif len(parts) >= 2 and parts[0] == "apis":
        group, rest = parts[1], parts[2:]
    else:
        return None
    version, rest = (rest[0], rest[1:]) if rest else (None, [])
    namespace = None
    # "namespaces/<ns>/<plural>..." is a namespaced path unless it is a namespace's own subresource.
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    padded = [*rest, None, None, None]
    return ApiPath(group, version, padded[0], namespace, padded[1], "/".join(rest[2:]) or None)


def root_paths(types: Sequence[ResourceType]) -> list[str]:
    paths = {"/api", "/api/v1", "/apis", "/version", "/healthz", "/livez", "/readyz"}
    for rtype in types:
        if rtype.group:
            paths |= {f"/apis/{rtype.group}", f"/apis/{rtype.group}/{rtype.version}"}
    return sorted(paths)

def _versions_of(types: Sequence[ResourceType], group: str) -> list[str]:
    versions = {rtype.version for rtype in types if rtype.group == group}
    return sorted(versions, key=_version_priority)

def api_group(types: Sequence[ResourceType], group: str) -> JsonObject:
    versions = _versions_of(types, group)
    if not group or not versions:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    entries = [{"groupVersion": f"{group}/{version}", "version": version} for version in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": entries,
        "preferredVersion": entries[0],
    }

def group_list(types: Sequence[ResourceType]) -> JsonObject:
    groups = sorted({rtype.group for rtype in types if rtype.group})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [api_group(types, name) for name in groups]}

def resource_list(types: Sequence[ResourceType], group: str, version: str) -> JsonObject:
    rtypes = sorted(
        (rtype for rtype in types if rtype.group == group and rtype.version == version),
        key=lambda rtype: rtype.plural,
    )
    if not rtypes:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    entries: list[JsonObject] = []
    for rtype in rtypes:
        common = {"namespaced": rtype.namespaced, "kind": rtype.kind}
        entries.append(
            {
                "name": rtype.plural,
                "singularName": rtype.singular,
                **common,
                "verbs": ALL_VERBS,
                "shortNames": list(rtype.short_names),
                "categories": list(rtype.categories),
            }
        )
        for sub in rtype.subresources:
            entries.append(
                {"name": f"{rtype.plural}/{sub}", "singularName": "", **common, "verbs": ["get", "patch", "update"]}
            )
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries}


def _version_priority(version: str) -> tuple[int, int, int]:
    # Kubernetes' ordering: GA before beta before alpha, higher numbers first.
    match = _VERSION_ORDER.match(version)
    if match is None:
        return (3, 0, 0)
    stability = {None: 0, "beta": 1, "alpha": 2}[match[2]]
    return (stability, -int(match[1]), -int(match[3] or 0))


