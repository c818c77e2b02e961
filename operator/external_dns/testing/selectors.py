"""Label and field selectors as the Kubernetes API server parses and applies them.

Both arrive as query strings (``labelSelector=app=web,tier notin (db)``,
``fieldSelector=reason=RecordError,involvedObject.kind=Service``) and are parsed once per request
into a `Selector`, which the store applies to every candidate object of a list or watch.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class SelectorError(ValueError):
    """A selector string that the API server would reject with 400 Bad Request."""


class Operator(enum.Enum):
    """How one requirement compares an object's value with the selector's values."""

    EQUALS = "="
    NOT_EQUALS = "!="
    IN = "in"
    NOT_IN = "notin"
    EXISTS = "exists"
    NOT_EXISTS = "!"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One comma-separated term of a selector: a key, an operator and the values it accepts."""

    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, value: str | None) -> bool:
        """Whether an object whose value under `key` is `value` (None: absent) satisfies this term."""
        match self.operator:
            case Operator.EQUALS:
                return value is not None and value in self.values
            case Operator.NOT_EQUALS:
                return value is None or value not in self.values
            case Operator.IN:
                return value is not None and value in self.values
            case Operator.NOT_IN:
                return value is None or value not in self.values
            case Operator.EXISTS:
                return value is not None
            case Operator.NOT_EXISTS:
                return value is None


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
        if not all(req.matches(labels.get(req.key)) for req in self.labels):
            return False
        return all(req.matches(field_value(obj, req.key)) for req in self.fields)


# Splits on commas that are not inside "in (a,b)" value sets.
_TERM_SPLIT = re.compile(r",(?![^()]*\))")
_SET_TERM = re.compile(r"^(?P<key>[^\s!=]+)\s+(?P<op>in|notin)\s*\((?P<values>[^)]*)\)$")
_EQ_TERM = re.compile(r"^(?P<key>[^\s!=]+)\s*(?P<op>==|=|!=)\s*(?P<value>[^\s,]*)$")
_KEY = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$")


def parse_selector(label_selector: str | None, field_selector: str | None) -> Selector:
    """Parse the `labelSelector` and `fieldSelector` query parameters (either may be absent)."""
    return Selector(
        labels=_parse_terms(label_selector or "", allow_sets=True),
        fields=_parse_terms(field_selector or "", allow_sets=False),
    )


def _parse_terms(text: str, *, allow_sets: bool) -> tuple[Requirement, ...]:
    terms = [term.strip() for term in _TERM_SPLIT.split(text) if term.strip()]
    return tuple(_parse_term(term, allow_sets=allow_sets) for term in terms)


def _parse_term(term: str, *, allow_sets: bool) -> Requirement:
    if allow_sets and (match := _SET_TERM.match(term)):
        values = frozenset(v.strip() for v in match["values"].split(",") if v.strip())
        op = Operator.IN if match["op"] == "in" else Operator.NOT_IN
        return Requirement(_checked_key(match["key"]), op, values)
    if match := _EQ_TERM.match(term):
        op = Operator.NOT_EQUALS if match["op"] == "!=" else Operator.EQUALS
        return Requirement(_checked_key(match["key"]), op, frozenset({match["value"]}))
    if allow_sets and term.startswith("!"):
        return Requirement(_checked_key(term[1:].strip()), Operator.NOT_EXISTS)
    if allow_sets:
        return Requirement(_checked_key(term), Operator.EXISTS)
    raise SelectorError(f"invalid selector: {term!r}")


def _checked_key(key: str) -> str:
    if not _KEY.match(key):
        raise SelectorError(f"invalid selector key: {key!r}")
    return key


def field_value(obj: Mapping[str, Any], path: str) -> str | None:
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
