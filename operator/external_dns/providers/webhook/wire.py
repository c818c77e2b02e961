"""The JSON of ExternalDNS's webhook protocol: endpoints, change batches and the negotiated domain filter.

Shared by the webhook client (``provider.py``) and server (``server.py``) so that both
speak exactly what ExternalDNS speaks (``api/webhook.yaml``, ``endpoint/endpoint.go``, ``plan/plan.go``):

* Endpoint: ``{"dnsName", "targets", "recordType", "setIdentifier", "recordTTL", "labels",
  "providerSpecific": [{"name", "value"}]}``, in that key order, every field omitted when empty (Go's
  ``omitempty``), labels sorted by key (Go sorts map keys).
* Changes: ``{"create", "updateOld", "updateNew", "delete"}``, empty lists omitted.
* DomainFilter: :meth:`DomainFilter.to_json` / :meth:`DomainFilter.from_json`.

Decoding follows Go's ``encoding/json``: object keys match field names case-insensitively (``DNSName`` is
``dnsName``), unknown keys are ignored, ``null`` is an empty value, and when a key appears twice the last one
wins. Anything of the wrong shape raises :class:`WebhookJSONError` (a ``ValueError``), which the server turns
into a 400 and the client into a ProviderError.

:func:`encode` writes bytes as Go's ``json.Encoder`` does: compact, UTF-8, ``<``, ``>`` and ``&`` escaped,
one trailing newline; so a fixture captured from ExternalDNS re-encodes byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import Endpoint
from external_dns.errors import ConfigError
from external_dns.providers.base import Changes

#: The protocol's media type, compared as an exact string by ExternalDNS (no space before ``version``).
MEDIA_TYPE = "application/external.dns.webhook+json;version=1"

#: Endpoint fields in Go's struct order (the order ExternalDNS writes them in).
_ENDPOINT_FIELDS = ("dnsName", "targets", "recordType", "setIdentifier", "recordTTL", "labels", "providerSpecific")
_CHANGES_FIELDS = ("create", "updateOld", "updateNew", "delete")
_PROPERTY_FIELDS = ("name", "value")
_DOMAIN_FILTER_FIELDS = ("include", "exclude", "regexInclude", "regexExclude")

#: Go's encoder escapes these inside strings (HTML safety); they only ever occur inside strings in JSON.
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class WebhookJSONError(ValueError):
    """A webhook message does not have the shape the protocol defines; the message says where."""


# -- encoding --------------------------------------------------------------------------------------------


def endpoint_to_json(endpoint: Endpoint) -> dict[str, object]:
    """One endpoint as ExternalDNS serialises it (empty fields omitted, labels sorted)."""
    result: dict[str, object] = {}
    if endpoint.dns_name:
        result["dnsName"] = endpoint.dns_name
    if endpoint.targets:
        result["targets"] = list(endpoint.targets)
    if endpoint.record_type:
        result["recordType"] = endpoint.record_type
    if endpoint.set_identifier:
        result["setIdentifier"] = endpoint.set_identifier
    if endpoint.ttl:
        result["recordTTL"] = endpoint.ttl
    if endpoint.labels:
        result["labels"] = {key: endpoint.labels[key] for key in sorted(endpoint.labels)}
    if endpoint.provider_specific:
        result["providerSpecific"] = [
            _property_to_json(name, value) for name, value in endpoint.provider_specific.items()
        ]
    return result


def endpoints_to_json(endpoints: Iterable[Endpoint]) -> list[dict[str, object]]:
    """A JSON array of endpoints (``GET /records``, ``POST /adjustendpoints``)."""
    return [endpoint_to_json(endpoint) for endpoint in endpoints]


def changes_to_json(changes: Changes) -> dict[str, object]:
    """A change batch as ExternalDNS's ``plan.Changes`` serialises (empty lists omitted)."""
    result: dict[str, object] = {}
    for key, endpoints in zip(
        _CHANGES_FIELDS, (changes.create, changes.update_old, changes.update_new, changes.delete), strict=True
    ):
        if endpoints:
            result[key] = endpoints_to_json(endpoints)
    return result


def domain_filter_to_json(domain_filter: DomainFilter | None) -> dict[str, object]:
    """The negotiation body; no filter is ``{}`` (Go marshals a nil filter so)."""
    return domain_filter.to_json() if domain_filter is not None else {}


def encode(value: object) -> bytes:
    """Bytes as Go's ``json.NewEncoder(w).Encode`` writes them (see the module docstring)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in _GO_ESCAPES.items():
        text = text.replace(raw, escaped)
    return (text + "\n").encode("utf-8")


def _property_to_json(name: str, value: str) -> dict[str, str]:
    result = {}
    if name:
        result["name"] = name
    if value:
        result["value"] = value
    return result


# -- decoding --------------------------------------------------------------------------------------------


def decode(body: bytes | str) -> object:
    """Parse a message body; malformed JSON raises :class:`WebhookJSONError`."""
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise WebhookJSONError(f"invalid JSON: {error}") from None


def endpoint_from_json(data: object) -> Endpoint:
    """One endpoint from its JSON object; a trailing dot on the name is dropped (our names never have one)."""
    fields = _fields(data, _ENDPOINT_FIELDS, "endpoint")
    ttl = fields.get("recordTTL")
    if ttl is None:
        ttl = 0
    elif isinstance(ttl, bool) or not isinstance(ttl, int):
        raise WebhookJSONError(f"endpoint recordTTL must be an integer, got {ttl!r}")
    return Endpoint(
        dns_name=_string(fields, "dnsName", "endpoint").rstrip("."),
        record_type=_string(fields, "recordType", "endpoint"),
        targets=tuple(_strings(fields.get("targets"), "endpoint targets")),
        ttl=ttl,
        set_identifier=_string(fields, "setIdentifier", "endpoint"),
        labels=_labels(fields.get("labels")),
        provider_specific=_provider_specific(fields.get("providerSpecific")),
    )


def endpoints_from_json(data: object) -> list[Endpoint]:
    """A JSON array of endpoints; ``null`` is the empty list, as Go decodes it."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise WebhookJSONError(f"expected a JSON array of endpoints, got {type(data).__name__}")
    return [endpoint_from_json(item) for item in data]


def changes_from_json(data: object) -> Changes:
    """A change batch; ``updateOld`` and ``updateNew`` must pair up one to one."""
    fields = _fields(data, _CHANGES_FIELDS, "changes")
    changes = Changes(
        create=endpoints_from_json(fields.get("create")),
        update_old=endpoints_from_json(fields.get("updateOld")),
        update_new=endpoints_from_json(fields.get("updateNew")),
        delete=endpoints_from_json(fields.get("delete")),
    )
    if len(changes.update_old) != len(changes.update_new):
        raise WebhookJSONError(
            f"changes have {len(changes.update_old)} updateOld but {len(changes.update_new)} updateNew endpoints"
        )
    return changes


def domain_filter_from_json(data: object) -> DomainFilter:
    """The negotiated domain filter (keys matched case-insensitively, ``null`` = no filter)."""
    fields = _fields(data, _DOMAIN_FILTER_FIELDS, "domain filter") if data is not None else {}
    try:
        return DomainFilter.from_json(fields)
    except (ValueError, ConfigError) as error:
        raise WebhookJSONError(f"invalid domain filter: {error}") from None


def _fields(data: object, names: Sequence[str], what: str) -> dict[str, object]:
    """The known fields of a JSON object under their canonical names, matched as Go does (case-insensitively)."""
    if not isinstance(data, dict):
        raise WebhookJSONError(f"{what} must be a JSON object, got {type(data).__name__}")
    by_folded = {name.lower(): name for name in names}
    fields: dict[str, object] = {}
    for key, value in data.items():
        name = by_folded.get(str(key).lower())
        if name is not None:
            fields[name] = value
    return fields


def _string(fields: Mapping[str, object], name: str, what: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise WebhookJSONError(f"{what} {name} must be a string, got {value!r}")
    return value


def _strings(value: object, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise WebhookJSONError(f"{what} must be an array of strings, got {value!r}")
    return value


def _labels(value: object) -> dict[str, str]:
    if value is None:
        return {}
    # A map, not a struct: its keys are data and keep their case.
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        raise WebhookJSONError(f"endpoint labels must be an object of strings, got {value!r}")
    return {str(key): item for key, item in value.items()}


def _provider_specific(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise WebhookJSONError(f"endpoint providerSpecific must be an array, got {value!r}")
    properties: dict[str, str] = {}
    for item in value:
        fields = _fields(item, _PROPERTY_FIELDS, "providerSpecific property")
        properties[_string(fields, "name", "providerSpecific")] = _string(fields, "value", "providerSpecific")
    return properties
