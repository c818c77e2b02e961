"""Label and field selectors as the Kubernetes API server parses and applies them.

Both arrive as query strings (``labelSelector=app=web,tier notin (db)``,
``fieldSelector=reason=RecordError,involvedObject.kind=Service``) and are parsed once per request
into a `Selector`, which the store applies to every candidate object of a list or watch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from external_dns.selectors import Requirement, SelectorError
from external_dns.selectors import parse_selector as parse_label_selector

__all__ = ["Selector", "SelectorError", "field_value", "parse_selector"]


@dataclass(frozen=True, slots=True)
class Selector:
    """A parsed label selector and field selector; an empty selector matches everything."""

    labels: tuple[Requirement, ...] = ()
    fields: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether this selector lets every object through (the common case, skipped early)."""
        return not self.labels and not self.fields

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """Whether the object satisfies every label and field requirement."""
        if self.empty:
            return True
        labels = obj.get("metadata", {}).get("labels") or {}
        if not all(req.matches(labels) for req in self.labels):
            return False
        return all(req.matches({req.key: field_value(obj, req.key)}) for req in self.fields)


def parse_selector(label_selector: str | None, field_selector: str | None) -> Selector:
    """Parse the `labelSelector` and `fieldSelector` query parameters (either may be absent).

    Both use the operator's own parser (:mod:`external_dns.selectors`); field selectors allow only equality
    terms, as the API server does.
    """
    fields = parse_label_selector(field_selector or "").requirements
    for requirement in fields:
        if requirement.operator not in ("=", "!="):
            raise SelectorError(f"invalid field selector term for {requirement.key!r}: only =, == and != are allowed")
    return Selector(labels=parse_label_selector(label_selector or "").requirements, fields=fields)


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The value at a dotted path (``involvedObject.kind``) as the API server compares it: a string.

    Booleans render as ``true``/``false`` like in Go; absent fields compare as the empty string,
    which is what the real server does for the fields it supports (``spec.nodeName=`` finds
    unscheduled pods).
    """
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return ""
