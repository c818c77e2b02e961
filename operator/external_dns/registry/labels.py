"""The value of an ownership TXT record: ExternalDNS's label serialisation (``endpoint/labels.go``).

A TXT value reads ``"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/ns/web"``:
the heritage marker first, then every label of the owned record with keys in byte order, literal double quotes
included. Parsing is as lenient as upstream's (odd tokens are skipped) but strict about the heritage marker,
because that marker is what tells a registry TXT from somebody else's TXT record.
"""

from __future__ import annotations

from collections.abc import Mapping

from external_dns.endpoint import NONCE_LABEL, OWNERSHIP_TXT_LABEL, RAW_TXT_LABEL

HERITAGE = "external-dns"

#: Labels that describe how a TXT was stored, not the record it owns: never written into a TXT value.
UNSERIALISED_LABELS = frozenset({NONCE_LABEL, RAW_TXT_LABEL, OWNERSHIP_TXT_LABEL})


class InvalidHeritageError(ValueError):
    """The TXT value has no ``heritage=external-dns`` (or another heritage): not a registry record."""


def serialize_labels(labels: Mapping[str, str]) -> str:
    """The TXT value for a record's labels, in double quotes (``Serialize(true)``)."""
    return f'"{serialize_plain_labels(labels)}"'


def serialize_plain_labels(labels: Mapping[str, str]) -> str:
    """The TXT value without quotes (``SerializePlain``), as it is compressed and sealed when encrypted."""
    tokens = [f"heritage={HERITAGE}"]
    tokens.extend(f"{HERITAGE}/{key}={labels[key]}" for key in sorted(labels) if key not in UNSERIALISED_LABELS)
    return ",".join(tokens)


def parse_labels(text: str) -> dict[str, str]:
    """The labels in a plain (unencrypted) TXT value (``NewLabelsFromStringPlain``).

    Raises InvalidHeritageError when the heritage marker is missing or names something else.
    """
    labels: dict[str, str] = {}
    found_heritage = False
    for token in text.strip('"').split(","):
        parts = token.split("=")
        # Upstream skips every token that is not exactly one key=value pair.
        if len(parts) != 2:
            continue
        key, value = parts
        if key == "heritage":
            if value != HERITAGE:
                raise InvalidHeritageError(f"heritage {value!r} is not {HERITAGE!r}")
            found_heritage = True
        elif key.startswith(HERITAGE):
            labels[key.removeprefix(HERITAGE + "/")] = value
    if not found_heritage:
        raise InvalidHeritageError("no heritage=external-dns in the TXT value")
    for key in UNSERIALISED_LABELS:
        # Only the registry itself sets these, from how the TXT was actually stored.
        labels.pop(key, None)
    return labels
