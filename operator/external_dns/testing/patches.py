"""The three PATCH flavours of the Kubernetes API, chosen by the request's Content-Type.

- JSON merge patch (RFC 7386): what Kopf and kubectl use for custom resources;
- JSON patch (RFC 6902): what Kopf uses for finalizers, guarded by a ``test`` of the resourceVersion;
- strategic merge patch: what kubectl uses for built-in kinds. Lists of objects merge by their merge
  key (``name`` for containers, ``port`` for service ports, ``type`` for conditions...) and the
  ``$patch``/``$retainKeys``/``$setElementOrder``/``$deleteFromPrimitiveList`` directives are honoured
  well enough for kubectl's client-side apply; there is no OpenAPI schema behind it.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping
from typing import Any

import jsonpatch


class PatchError(ValueError):
    """A patch that cannot be applied: the API server answers 422 Unprocessable Entity."""


class UnsupportedPatchType(ValueError):
    """A Content-Type that is not a supported patch flavour: 415 Unsupported Media Type."""


class PatchType(enum.Enum):
    """The patch flavours, valued by their Content-Type."""

    MERGE = "application/merge-patch+json"
    JSON = "application/json-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"

    @classmethod
    def from_content_type(cls, content_type: str) -> PatchType:
        """The flavour for a Content-Type header (parameters such as charset are ignored)."""
        media_type = content_type.split(";", 1)[0].strip().lower()
        for member in cls:
            if member.value == media_type:
                return member
        raise UnsupportedPatchType(f"the body of the request was in an unknown format: {media_type}")


# Lists whose items are merged by key under a strategic merge patch (field name -> merge key).
# "ports" is special: service ports merge by "port", container ports by "containerPort".
_MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "tolerations": "key",
    "hostAliases": "ip",
}
# Lists of scalars that are merged as sets under a strategic merge patch.
_SET_LISTS = frozenset({"finalizers"})


def apply_patch(target: Mapping[str, Any], patch: Any, patch_type: PatchType) -> dict[str, Any]:
    """Return a new object: `target` with `patch` applied. `target` itself is never modified."""
    match patch_type:
        case PatchType.JSON:
            if not isinstance(patch, list):
                raise PatchError("a JSON patch must be a list of operations")
            try:
                result = jsonpatch.apply_patch(dict(target), patch, in_place=False)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
                raise PatchError(str(exc)) from exc
        case PatchType.MERGE:
            if not isinstance(patch, Mapping):
                raise PatchError("a merge patch must be a JSON object")
            result = merge_patch(target, patch)
        case PatchType.STRATEGIC:
            if not isinstance(patch, Mapping):
                raise PatchError("a strategic merge patch must be a JSON object")
            result = strategic_merge(target, patch)
    if not isinstance(result, dict):
        raise PatchError("the patched object is not a JSON object")
    return result


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes a key, anything else replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: Mapping[str, Any]) -> Any:
    """A strategic merge patch of a JSON object (see the module docstring for what is covered)."""
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = dict(target) if isinstance(target, Mapping) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$retainKeys", "$patch"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            result[name] = [item for item in result.get(name) or [] if item not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping):
            merged = strategic_merge(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(field: str, current: Any, patch: list[Any]) -> list[Any]:
    existing = list(current) if isinstance(current, list) else []
    if field in _SET_LISTS:
        return existing + [item for item in patch if item not in existing]
    merge_key = _merge_key(field, patch + existing)
    if merge_key is None:
        return copy.deepcopy(patch)
    merged = list(existing)
    for item in patch:
        if not isinstance(item, Mapping):
            return copy.deepcopy(patch)
        index = next((i for i, old in enumerate(merged) if old.get(merge_key) == item.get(merge_key)), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del merged[index]
        elif index is None:
            merged.append({k: v for k, v in item.items() if not k.startswith("$")})
        else:
            merged[index] = strategic_merge(merged[index], item)
    return merged


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        if any(isinstance(item, Mapping) and "containerPort" in item for item in items):
            return "containerPort"
        return "port"
    return _MERGE_KEYS.get(field)
