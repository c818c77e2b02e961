"""Table responses (``Accept: application/json;as=Table;g=meta.k8s.io;v=v1``), which `kubectl get` asks for.

Without them kubectl prints only NAME and AGE. Columns: a CRD's ``additionalPrinterColumns`` (evaluated with
the small JSONPath subset CRDs use: ``.a.b``, ``[0]``, ``[*]``, ``[?(@.k=="v")]``), the real server's columns
for Events and Services, and Name + Age for everything else. Dates are rendered as the server renders them
("5m", "3h12m"), and each row carries the object (``includeObject=Object``, kubectl's choice for -o wide and
--show-labels) or its metadata only (``PartialObjectMetadata``, the server's default).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]
_TOKEN = re.compile(r"\.([\w-]+)|\[(\d+|\*)\]|\[\?\(@\.([\w.-]+)\s*==\s*[\"']([^\"']*)[\"']\)\]")


@dataclass(frozen=True, slots=True)
class TableRequest:
    """What an Accept header asked for: a Table of this meta.k8s.io version, with or without objects."""

    version: str
    include_object: str  # None, Object or PartialObjectMetadata


@dataclass(frozen=True, slots=True)
class Column:
    """One printer column: its definition, and how a cell is read from an object."""

    name: str
    type: str
    cell: Callable[[JsonObject], Any]
    priority: int = 0
    format: str = ""
    description: str = ""

    def definition(self) -> JsonObject:
        return {"name": self.name, "type": self.type, "format": self.format,
                "description": self.description, "priority": self.priority}  # fmt: skip


def table_request(accept: str, include_object: str | None) -> TableRequest | None:
    """The Table the Accept header asks for first, or None when it accepts plain JSON first."""
    for media_range in accept.split(","):
        media_type, *params = (part.strip() for part in media_range.split(";"))
        options = dict(p.split("=", 1) for p in params if "=" in p)
        if media_type not in ("application/json", "*/*", "application/*"):
            continue
        if options.get("as") != "Table":
            return None  # plain JSON comes first
        if options.get("g") == "meta.k8s.io" and options.get("v") in ("v1", "v1beta1"):
            return TableRequest(options["v"], include_object or "PartialObjectMetadata")
    return None


def columns_for(group: str, plural: str, printer_columns: Sequence[Mapping[str, Any]] | None) -> list[Column]:
    """A CRD's printer columns (after Name), the server's own for a few built-ins, else Name and Age."""
    name = Column("Name", "string", lambda obj: obj["metadata"]["name"], format="name",
                  description="Name must be unique within a namespace.")  # fmt: skip
    if printer_columns:
        return [name, *(_crd_column(column) for column in printer_columns)]
    if (group, plural) == ("", "events"):
        return [
            Column("Last Seen", "string", _last_seen),
            Column("Type", "string", lambda obj: obj.get("type", "")),
            Column("Reason", "string", lambda obj: obj.get("reason", "")),
            Column("Object", "string", _involved_object),
            Column("Message", "string", lambda obj: obj.get("message", "")),
        ]
    age = Column("Age", "string", lambda obj: age_of(obj["metadata"].get("creationTimestamp")))
    if (group, plural) == ("", "services"):
        spec_of: Callable[[JsonObject], JsonObject] = lambda obj: obj.get("spec") or {}  # noqa: E731
        return [
            name,
            Column("Type", "string", lambda obj: spec_of(obj).get("type", "ClusterIP")),
            Column("Cluster-IP", "string", lambda obj: spec_of(obj).get("clusterIP") or "<none>"),
            Column("External-IP", "string", _external_ips),
            Column("Port(s)", "string", _ports),
            age,
        ]
    return [name, age]


def table(request: TableRequest, columns: Sequence[Column], objects: Sequence[JsonObject],
          list_metadata: JsonObject, with_definitions: bool = True) -> JsonObject:  # fmt: skip
    """The Table of `objects` (one row each)."""
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{request.version}",
        "metadata": list_metadata,
        "columnDefinitions": [c.definition() for c in columns] if with_definitions else [],
        "rows": [_row(request, columns, obj) for obj in objects],
    }


def _row(request: TableRequest, columns: Sequence[Column], obj: JsonObject) -> JsonObject:
    row: JsonObject = {"cells": [column.cell(obj) for column in columns]}
    if request.include_object == "Object":
        row["object"] = obj
    elif request.include_object == "PartialObjectMetadata":
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{request.version}",
                         "metadata": obj["metadata"]}  # fmt: skip
    return row


def _crd_column(column: Mapping[str, Any]) -> Column:
    path, kind = str(column.get("jsonPath", "")), str(column.get("type", "string"))

    def cell(obj: JsonObject) -> Any:
        values = json_path(obj, path)
        if kind == "date":
            return age_of(values[0]) if values else "<unknown>"
        if not values:
            return None
        return ",".join(v if isinstance(v, str) else json.dumps(v) for v in values) if len(values) > 1 else values[0]

    return Column(str(column.get("name", "")), kind, cell, int(column.get("priority", 0)),
                  str(column.get("format", "")), str(column.get("description", "")))  # fmt: skip


def json_path(obj: Any, path: str) -> list[Any]:
    """The values at a CRD printer column's JSONPath (fields, indexes, [*] and ==-filters)."""
    current = [obj]
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None:
            return []  # a path outside the subset: an empty cell, as for a missing field
        position = match.end()
        field, index, filter_key, filter_value = match.groups()
        following: list[Any] = []
        for value in current:
            if field is not None and isinstance(value, dict) and field in value:
                following.append(value[field])
            elif index == "*" and isinstance(value, list):
                following.extend(value)
            elif index is not None and index != "*" and isinstance(value, list) and int(index) < len(value):
                following.append(value[int(index)])
            elif filter_key is not None and isinstance(value, list):
                following.extend(item for item in value if _field(item, filter_key) == filter_value)
        current = following
    return current


def _field(item: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        item = item.get(part) if isinstance(item, dict) else None
    return item


def age_of(timestamp: Any, now: datetime.datetime | None = None) -> str:
    """An RFC 3339 timestamp as the server's human-readable age (Kubernetes' duration.HumanDuration)."""
    if not timestamp:
        return "<unknown>"
    try:
        then = datetime.datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    seconds = int(((now or datetime.datetime.now(datetime.UTC)) - then).total_seconds())
    return human_duration(seconds)


def human_duration(seconds: int) -> str:
    if seconds < -1:
        return "<invalid>"
    if seconds < 120:
        return f"{max(seconds, 0)}s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    if hours < 24 * 365 * 8:
        years = days // 365
        return f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    return f"{days // 365}y"


def _last_seen(event: JsonObject) -> str:
    series = event.get("series") or {}
    when = series.get("lastObservedTime") or event.get("lastTimestamp") or event.get("eventTime")
    return age_of(when or event["metadata"].get("creationTimestamp"))


def _involved_object(event: JsonObject) -> str:
    involved = event.get("involvedObject") or event.get("regarding") or {}
    return f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}"


def _external_ips(service: JsonObject) -> str:
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    addresses = [i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")]
    addresses += (service.get("spec") or {}).get("externalIPs") or []
    if addresses:
        return ",".join(addresses)
    return "<pending>" if (service.get("spec") or {}).get("type") == "LoadBalancer" else "<none>"


def _ports(service: JsonObject) -> str:
    ports = (service.get("spec") or {}).get("ports") or []
    rendered = [
        f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/{p.get('protocol', 'TCP')}"
        for p in ports
    ]
    return ",".join(rendered) or "<none>"
