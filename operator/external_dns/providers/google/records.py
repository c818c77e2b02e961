"""Cloud DNS resource record sets <-> endpoints, in ExternalDNS's ``--provider=google`` form.

Cloud DNS keeps one resource record set per (name, type) with every value in ``rrdatas``; names and hostname
values are fully qualified with a trailing dot. ExternalDNS strips those dots on read and adds them back on
write for the name and for CNAME, MX (and, here, SRV and NS) targets; TXT values are kept as Cloud DNS quotes
them, which is exactly the quoted form of the ownership TXT records. A record without a configured TTL is
written with TTL 300, ExternalDNS's ``googleRecordTTL``; ``adjust_endpoints`` says so up front, so that a resync
of an unchanged zone plans nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from external_dns.endpoint import Endpoint

#: ExternalDNS's googleRecordTTL: the TTL written when an endpoint has none.
DEFAULT_TTL = 300
#: The record types ExternalDNS's Google provider reads and writes (provider.SupportedRecordType plus MX).
SUPPORTED_TYPES = frozenset({"A", "AAAA", "CNAME", "MX", "NS", "SRV", "TXT"})
#: Types whose values are hostnames Cloud DNS wants fully qualified (in the last field for MX and SRV).
_HOSTNAME_TYPES = frozenset({"CNAME", "MX", "NS", "SRV"})

RecordSet = dict[str, Any]


def fqdn(name: str) -> str:
    return name if name.endswith(".") else name + "."


def endpoint_from_record_set(record_set: Mapping[str, Any]) -> Endpoint | None:
    """The endpoint of one listed rrset, or None for a type this provider leaves alone (SOA, CAA, ...)."""
    record_type = str(record_set.get("type", ""))
    if record_type not in SUPPORTED_TYPES:
        return None
    values = [str(value) for value in record_set.get("rrdatas") or ()]
    if record_type in _HOSTNAME_TYPES:
        values = [value.rstrip(".") for value in values]
    return Endpoint(
        dns_name=str(record_set.get("name", "")).rstrip("."),
        record_type=record_type,
        targets=tuple(values),
        ttl=int(record_set.get("ttl") or 0),
    )


def record_set_for(endpoint: Endpoint) -> RecordSet:
    """The rrset Cloud DNS is sent for an endpoint (an addition, or the exact current rrset of a deletion)."""
    values = list(endpoint.targets)
    if endpoint.record_type in _HOSTNAME_TYPES:
        values = [_qualify_last_field(value) for value in values]
    return {
        "kind": "dns#resourceRecordSet",
        "name": fqdn(endpoint.dns_name),
        "type": endpoint.record_type,
        "ttl": endpoint.ttl if endpoint.ttl > 0 else DEFAULT_TTL,
        "rrdatas": values,
    }


def _qualify_last_field(value: str) -> str:
    """``host`` -> ``host.``; ``10 mail`` -> ``10 mail.`` (MX); ``0 5 443 svc`` -> ``0 5 443 svc.`` (SRV)."""
    head, _, last = value.rpartition(" ")
    return f"{head} {fqdn(last)}" if head else fqdn(last)


def adjust_endpoints(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """Desired endpoints as :func:`endpoint_from_record_set` will read them back: TTL 0 becomes 300."""
    return [endpoint if endpoint.ttl > 0 else endpoint.with_(ttl=DEFAULT_TTL) for endpoint in endpoints]


def describe(record_sets: Sequence[RecordSet]) -> str:
    """``A a.example.com.`` for each rrset, for log lines."""
    return ", ".join(f"{rrset['type']} {rrset['name']}" for rrset in record_sets)
