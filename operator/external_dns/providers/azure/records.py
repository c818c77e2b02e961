"""Azure record sets <-> endpoints, for Azure DNS and Azure Private DNS (their SDK models share the field names).

Azure keeps one record set per relative name (``@`` at the apex) and type, with a TTL and typed values:
``a_records[].ipv4_address``, ``cname_record.cname``, ``mx_records[].preference/exchange``, ``txt_records[].value``
(a list of strings of at most 255 characters each) and so on. Targets use ExternalDNS's forms: MX
``"<preference> <exchange>"``, SRV ``"<priority> <weight> <port> <target>"``; hostnames without a trailing dot.
A TXT target is one TXT record, split into 255-character strings on write and joined on read, so the ownership
TXT (with its literal quotes, as ExternalDNS writes it to Azure) reads back byte for byte. A record without a
TTL is written with 300, ExternalDNS's ``azureRecordTTL``.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from external_dns.endpoint import Endpoint
from external_dns.errors import InvalidEndpoint

#: ExternalDNS's azureRecordTTL: the TTL written when an endpoint has none.
DEFAULT_TTL = 300
#: Longest string in a TXT record's value list.
TXT_CHUNK = 255
PUBLIC_TYPES = frozenset({"A", "AAAA", "CNAME", "MX", "NS", "SRV", "TXT"})
#: Azure Private DNS has no NS record sets.
PRIVATE_TYPES = PUBLIC_TYPES - {"NS"}


def relative_name(dns_name: str, zone: str) -> str:
    """``www.example.com`` in ``example.com`` -> ``www``; the apex -> ``@``."""
    name = dns_name.rstrip(".").lower()
    return "@" if name == zone else name.removesuffix("." + zone)


def absolute_name(relative: str, zone: str) -> str:
    return zone if relative == "@" else f"{relative}.{zone}"


def targets_of(properties: Any, record_type: str) -> tuple[str, ...]:
    """The targets of a record set's properties, in ExternalDNS's forms."""
    if record_type == "A":
        return tuple(str(r.ipv4_address) for r in properties.a_records or ())
    if record_type == "AAAA":
        return tuple(str(r.ipv6_address) for r in properties.aaaa_records or ())
    if record_type == "CNAME":
        cname = properties.cname_record
        return (str(cname.cname).rstrip("."),) if cname is not None and cname.cname else ()
    if record_type == "MX":
        return tuple(f"{r.preference} {str(r.exchange).rstrip('.')}" for r in properties.mx_records or ())
    if record_type == "SRV":
        return tuple(
            f"{r.priority} {r.weight} {r.port} {str(r.target).rstrip('.')}" for r in properties.srv_records or ()
        )
    if record_type == "TXT":
        return tuple("".join(r.value or ()) for r in properties.txt_records or ())
    if record_type == "NS":
        return tuple(str(r.nsdname).rstrip(".") for r in getattr(properties, "ns_records", None) or ())
    return ()


def values_for(models: ModuleType, endpoint: Endpoint) -> dict[str, Any]:
    """The typed-value keyword arguments of a record set model (of ``models``) for an endpoint."""
    targets, kind = endpoint.targets, endpoint.record_type
    if kind == "A":
        return {"a_records": [models.ARecord(ipv4_address=t) for t in targets]}
    if kind == "AAAA":
        return {"aaaa_records": [models.AaaaRecord(ipv6_address=t) for t in targets]}
    if kind == "CNAME":
        return {"cname_record": models.CnameRecord(cname=targets[0])}
    if kind == "MX":
        return {"mx_records": [models.MxRecord(preference=p, exchange=h) for p, h in _fields(endpoint, 2, "MX")]}
    if kind == "SRV":
        srv = [
            models.SrvRecord(priority=int(p), weight=int(w), port=int(port), target=t)
            for p, w, port, t in _fields(endpoint, 4, "SRV")
        ]
        return {"srv_records": srv}
    if kind == "TXT":
        return {"txt_records": [models.TxtRecord(value=_chunks(t)) for t in targets]}
    if kind == "NS":
        return {"ns_records": [models.NsRecord(nsdname=t) for t in targets]}
    raise InvalidEndpoint("recordType", f"Azure DNS does not take {kind} records")


def ttl_for(endpoint: Endpoint) -> int:
    return endpoint.ttl if endpoint.ttl > 0 else DEFAULT_TTL


def adjust_endpoints(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """Desired endpoints as they read back: TTL 0 becomes 300."""
    return [endpoint if endpoint.ttl > 0 else endpoint.with_(ttl=DEFAULT_TTL) for endpoint in endpoints]


def _fields(endpoint: Endpoint, count: int, kind: str) -> list[Any]:
    parsed: list[Any] = []
    for target in endpoint.targets:
        parts = target.split()
        if len(parts) != count or not all(part.isdigit() for part in parts[:-1]):
            raise InvalidEndpoint("targets", f"{kind} target {target!r} is not in ExternalDNS's {kind} form")
        parsed.append((int(parts[0]), parts[1]) if count == 2 else tuple(parts))
    return parsed


def _chunks(value: str) -> list[str]:
    return [value[i : i + TXT_CHUNK] for i in range(0, len(value), TXT_CHUNK)] or [""]
