"""What the API server itself writes into an object on a write: the initial status of the few kinds whose
controllers set one at once, the generation rule, and ``metadata.managedFields``.

managedFields: one entry per (manager, operation, subresource), its ``time`` set when the entry is added and
again whenever that manager's write changes the object, as the real server does. The manager is the request's
``fieldManager``, else the User-Agent up to its first ``/`` (the real server's default). Field ownership itself
(``fieldsV1``, server-side apply's conflicts) is not tracked: entries carry an empty ``fieldsV1``, and managedFields
sent in a request are ignored (a real server takes them, or resets them on ``[{}]``). Clients read the times (an
object's last change) and the managers; nothing here rejects a write.

The times of the metadata written here and by the store (creationTimestamp, deletionTimestamp, managedFields)
come from this module's ``now_rfc3339``: a test in the server's process sets it back to make objects old.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from external_dns.testing.model import JsonObject, ResourceType
from external_dns.testing.model import now_rfc3339 as now_rfc3339  # the server's metadata clock (see above)

#: Kinds whose status a create keeps, as the real server's strategies do: the kubelet registers its Node with
#: its status (addresses, conditions). Services, Pods, Ingresses, CRs with a status subresource: dropped.
STATUS_KEPT_ON_CREATE = frozenset({("", "nodes")})
#: The manager of a write that names none and sends no User-Agent.
UNKNOWN_MANAGER = "unknown"


def manager_of(field_manager: str | None, user_agent: str | None) -> str:
    """The field manager of a request: ``?fieldManager=``, else the User-Agent's product (up to 128 characters)."""
    if field_manager:
        return field_manager
    product = (user_agent or "").split("/", 1)[0].strip()
    return product[:128] or UNKNOWN_MANAGER


def managed_fields(
    previous: Any, manager: str, subresource: str | None, api_version: str, at: str, operation: str = "Update"
) -> list[dict[str, Any]]:
    """``previous`` entries with the writer's entry added, or its time moved to ``at`` (the write changed the
    object then)."""
    entries = [dict(entry) for entry in previous if isinstance(entry, Mapping)] if isinstance(previous, list) else []
    mine: dict[str, Any] = {"manager": manager, "operation": operation, "apiVersion": api_version}
    mine |= {"time": at, "fieldsType": "FieldsV1", "fieldsV1": {}}
    if subresource:
        mine["subresource"] = subresource
    same = (manager, operation, subresource or "")
    kept = [e for e in entries if (e.get("manager"), e.get("operation"), e.get("subresource") or "") != same]
    return [*kept, mine]


def spec_of(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Everything but metadata and status counts as "spec" for the generation counter."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def initial_status(rtype: ResourceType, obj: JsonObject) -> JsonObject:
    """The few statuses the real control plane sets at once and that clients wait for."""
    if not rtype.group and rtype.plural == "namespaces":
        return {**obj, "status": {"phase": "Active"}}
    if rtype.group == "apiextensions.k8s.io" and rtype.plural == "customresourcedefinitions":
        names = (obj.get("spec") or {}).get("names") or {}
        conditions = [
            {"type": kind, "status": "True", "reason": reason, "lastTransitionTime": now_rfc3339()}
            for kind, reason in (("NamesAccepted", "NoConflicts"), ("Established", "InitialNamesAccepted"))
        ]
        return {**obj, "status": {"acceptedNames": names, "conditions": conditions, "storedVersions": []}}
    return obj
