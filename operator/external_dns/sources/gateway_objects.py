"""The Gateway API objects a route source reads, parsed without trusting their types: parent references, the
status a parent gave the route, and a Gateway with its listeners (each wrong field a problem naming it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from external_dns.selectors import Requirement, Selector
from external_dns.sources.annotations import parse_annotations
from external_dns.sources.base import ALPHA_PREFIX, FieldReader, KubeObject

GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY_KIND = "Gateway"


@dataclass(frozen=True, slots=True)
class ParentRef:
    """A parentRef with the Gateway API defaults filled in (group, kind, the route's namespace)."""

    group: str
    kind: str
    namespace: str
    name: str
    section_name: str = ""
    port: int | None = None

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What ``status.parents`` and ``spec.parentRefs`` are matched on (not section or port)."""
        return (self.group, self.kind, self.namespace, self.name)

    @property
    def display(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ParentStatus:
    ref: ParentRef
    accepted: bool
    accepted_text: str  # the Accepted condition as people read it: "Accepted=False" / "no Accepted condition"


@dataclass(frozen=True, slots=True)
class Listener:
    """One Gateway listener, with what decides whether a route may attach to it."""

    name: str
    protocol: str
    port: int | None
    hostname: str
    allowed_from: str
    namespace_selector: Selector | None
    allowed_kinds: tuple[tuple[str, str], ...]  # (group, kind)


@dataclass(frozen=True, slots=True)
class Gateway:
    namespace: str
    name: str
    listeners: tuple[Listener, ...]
    targets: tuple[str, ...]

    @property
    def display(self) -> str:
        return f"{self.namespace}/{self.name}"


def parse_parent_ref(raw: Mapping[str, Any], route_namespace: str, reader: FieldReader, path: str) -> ParentRef:
    port = raw.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool)):
        reader.problem(f"{path}.port", "expected a number")
        port = None
    return ParentRef(
        group=reader.text(raw.get("group"), f"{path}.group") or GATEWAY_GROUP,
        kind=reader.text(raw.get("kind"), f"{path}.kind") or GATEWAY_KIND,
        namespace=reader.text(raw.get("namespace"), f"{path}.namespace") or route_namespace,
        name=reader.text(raw.get("name"), f"{path}.name"),
        section_name=reader.text(raw.get("sectionName"), f"{path}.sectionName"),
        port=port,
    )


def accepted_condition(conditions: list[Any]) -> tuple[bool, str]:
    """The first ``Accepted`` condition decides, as in ExternalDNS (no observedGeneration check)."""
    for condition in conditions:
        if isinstance(condition, Mapping) and condition.get("type") == "Accepted":
            status = condition.get("status")
            text = f"Accepted={status}"
            if condition.get("reason"):
                text += f", reason {condition.get('reason')}"
            return status == "True", text
    return False, "has no Accepted condition"


def parse_gateway(gateway: KubeObject, reader: FieldReader, annotation_prefix: str = ALPHA_PREFIX) -> Gateway:
    """The parts of a Gateway that route matching reads; bad fields go to ``reader.problems``."""
    metadata = reader.mapping(gateway.get("metadata"), "metadata")
    spec = reader.mapping(gateway.get("spec"), "spec")
    status = reader.mapping(gateway.get("status"), "status")
    listeners = [
        _listener(reader.mapping(item, f"spec.listeners[{i}]"), reader, f"spec.listeners[{i}]")
        for i, item in enumerate(reader.items(spec.get("listeners"), "spec.listeners"))
    ]
    annotations = parse_annotations(metadata.get("annotations"), annotation_prefix)
    reader.problems.extend(annotations.problems)
    targets = list(annotations.targets)
    if not targets:
        for i, item in enumerate(reader.items(status.get("addresses"), "status.addresses")):
            value = reader.text(reader.mapping(item, f"status.addresses[{i}]").get("value"), f"status.addresses[{i}]")
            if value and value not in targets:
                targets.append(value)
    return Gateway(
        namespace=reader.text(metadata.get("namespace"), "metadata.namespace"),
        name=reader.text(metadata.get("name"), "metadata.name"),
        listeners=tuple(listeners),
        targets=tuple(targets),
    )


def _listener(raw: Mapping[str, Any], reader: FieldReader, path: str) -> Listener:
    allowed = reader.mapping(raw.get("allowedRoutes"), f"{path}.allowedRoutes")
    namespaces = reader.mapping(allowed.get("namespaces"), f"{path}.allowedRoutes.namespaces")
    allowed_from = reader.text(namespaces.get("from"), f"{path}.allowedRoutes.namespaces.from") or "Same"
    selector = None
    if allowed_from == "Selector":
        selector = _label_selector(namespaces.get("selector"), reader, f"{path}.allowedRoutes.namespaces.selector")
    kinds: list[tuple[str, str]] = []
    for i, item in enumerate(reader.items(allowed.get("kinds"), f"{path}.allowedRoutes.kinds")):
        entry = reader.mapping(item, f"{path}.allowedRoutes.kinds[{i}]")
        group = reader.text(entry.get("group"), f"{path}.allowedRoutes.kinds[{i}].group") or GATEWAY_GROUP
        kinds.append((group, reader.text(entry.get("kind"), f"{path}.allowedRoutes.kinds[{i}].kind")))
    port = raw.get("port")
    return Listener(
        name=reader.text(raw.get("name"), f"{path}.name"),
        protocol=reader.text(raw.get("protocol"), f"{path}.protocol"),
        port=port if isinstance(port, int) and not isinstance(port, bool) else None,
        hostname=reader.text(raw.get("hostname"), f"{path}.hostname"),
        allowed_from=allowed_from,
        namespace_selector=selector,
        allowed_kinds=tuple(kinds),
    )


_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def _label_selector(raw: object, reader: FieldReader, path: str) -> Selector | None:
    """A metav1.LabelSelector (``matchLabels`` and ``matchExpressions``); None when it is invalid."""
    if raw is None:
        reader.problem(path, "allowedRoutes.namespaces.from is Selector but no selector is given")
        return None
    selector = reader.mapping(raw, path)
    requirements = [
        Requirement(str(key), "=", frozenset({value}))
        for key, value in reader.mapping(selector.get("matchLabels"), f"{path}.matchLabels").items()
        if isinstance(value, str)
    ]
    for i, item in enumerate(reader.items(selector.get("matchExpressions"), f"{path}.matchExpressions")):
        expression = reader.mapping(item, f"{path}.matchExpressions[{i}]")
        operator = _OPERATORS.get(str(expression.get("operator")))
        if operator is None:
            reader.problem(f"{path}.matchExpressions[{i}].operator", f"unknown operator {expression.get('operator')!r}")
            return None
        values = frozenset(v for v, _ in reader.texts(expression.get("values"), f"{path}.matchExpressions[{i}]"))
        requirements.append(Requirement(str(expression.get("key")), operator, values))
    return Selector(tuple(requirements))
