"""The record a source asks for, and the Kubernetes object that asked for it.

An :class:`Endpoint` is ExternalDNS's unit of work: one DNS name, one record type, one set identifier, the
targets, a TTL, ownership labels and provider-specific properties. Sources produce endpoints, the registry
attaches ownership labels to the provider's records, the planner compares the two.

Endpoints are immutable values. ``refs`` (the objects that want this record) is carried along for events but is
not part of equality, so two sources asking for the same record compare equal.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import idna


class RecordType(StrEnum):
    """The record types ExternalDNS knows; the order is the one its TXT mapper tries when reading names."""

    A = "A"
    AAAA = "AAAA"
    CNAME = "CNAME"
    NS = "NS"
    MX = "MX"
    PTR = "PTR"
    SRV = "SRV"
    NAPTR = "NAPTR"
    TXT = "TXT"
    DNAME = "DNAME"


#: Label keys with a meaning to the registry (ExternalDNS's endpoint/labels.go).
OWNER_LABEL = "owner"
RESOURCE_LABEL = "resource"
OWNED_RECORD_LABEL = "ownedRecord"
NONCE_LABEL = "txt-encryption-nonce"
#: The raw TXT value an ownership record was read from: deletes must send the exact rdata (see registry/txt.py).
RAW_TXT_LABEL = "txt-raw-value"
#: Marks a registry-level record that *is* an ownership TXT (value: the name of the record it owns). The TXT
#: registry lists these so that the planner can refuse to add values to them; it never plans changes to them.
OWNERSHIP_TXT_LABEL = "txt-ownership-of"


#: The labels or provider-specific properties of an endpoint that has none: one shared, read-only empty mapping
#: instead of an empty dict per endpoint (100,000 objects' endpoints and 200,000 cached records).
NOTHING: Mapping[str, str] = MappingProxyType({})


def _nothing() -> Mapping[str, str]:
    return NOTHING


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """The Kubernetes object that asked for a record: enough to post an event on it."""

    kind: str
    api_version: str
    namespace: str | None
    name: str
    uid: str = ""

    @property
    def display(self) -> str:
        """``Kind ns/name`` (or ``Kind name`` for cluster-scoped objects), as people read it in logs."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One record set: ``dns_name`` has no trailing dot; ``ttl`` 0 means "not configured"."""

    dns_name: str
    record_type: str
    targets: tuple[str, ...]
    ttl: int = 0
    set_identifier: str = ""
    labels: Mapping[str, str] = field(default_factory=_nothing)
    provider_specific: Mapping[str, str] = field(default_factory=_nothing)
    refs: tuple[ObjectRef, ...] = field(default=(), compare=False)

    @property
    def key(self) -> EndpointKey:
        """The identity of the record set in a zone: normalised name, type and set identifier."""
        return EndpointKey(normalize_name(self.dns_name), self.record_type, self.set_identifier)

    @property
    def row(self) -> RowKey:
        """The planner's row: all types at one name and set identifier."""
        return RowKey(normalize_name(self.dns_name), self.set_identifier)

    def with_(self, **changes: Any) -> Endpoint:
        """A copy with some fields replaced, as dataclasses.replace (typed loosely for brevity) at half its cost:
        a cold start copies each record several times (canonical form, owner labels, zone cache)."""
        if not changes.keys() <= _ENDPOINT_FIELDS:
            unknown = ", ".join(sorted(changes.keys() - _ENDPOINT_FIELDS))
            raise TypeError(f"Endpoint has no field {unknown}")
        get = changes.get
        return Endpoint(
            get("dns_name", self.dns_name),
            get("record_type", self.record_type),
            get("targets", self.targets),
            get("ttl", self.ttl),
            get("set_identifier", self.set_identifier),
            get("labels", self.labels),
            get("provider_specific", self.provider_specific),
            get("refs", self.refs),
        )

    def with_labels(self, **labels: str) -> Endpoint:
        return self.with_(labels={**self.labels, **labels})

    def describe(self) -> str:
        """``A api.example.com -> 203.0.113.10`` as written in events and logs."""
        return f'{self.record_type} record "{self.dns_name}" -> {", ".join(self.targets)}'


_ENDPOINT_FIELDS = frozenset(field.name for field in dataclasses.fields(Endpoint))


@dataclass(frozen=True, slots=True, order=True)
class EndpointKey:
    name: str
    record_type: str
    set_identifier: str


@dataclass(frozen=True, slots=True, order=True)
class RowKey:
    name: str
    set_identifier: str


def normalize_name(name: str) -> str:
    """Lower-cased ASCII form without a trailing dot (UTS-46 transitional, as ExternalDNS normalises).

    Each label is converted on its own, so wildcards and underscores (SRV names) pass through lower-cased.
    A name already in that form is returned itself, not a copy: the desired state, the zone caches and the
    registry keep normalised names of every record as keys, and most names are already lower-case.
    """
    name = name.strip().rstrip(".")
    if name.isascii():
        lowered = name.lower()
        return name if lowered == name else lowered
    return ".".join(_ascii_label(label) for label in name.split("."))


def _ascii_label(label: str) -> str:
    if label.isascii():
        return label.lower()
    try:
        mapped = _transitional(idna.uts46_remap(label, std3_rules=False, transitional=False))
        return idna.alabel(mapped).decode("ascii").lower() if not mapped.isascii() else mapped.lower()
    except idna.IDNAError:
        return label.lower()


def _transitional(name: str) -> str:
    """UTS-46 transitional processing, which idna 3.x no longer applies itself: what Go's idna.Lookup does."""
    final_sigma, sigma = "\u03c2", "\u03c3"
    return name.replace("ß", "ss").replace(final_sigma, sigma).replace("\u200c", "").replace("\u200d", "")


def suitable_type(target: str) -> RecordType:
    """ExternalDNS's SuitableType: IPv4 -> A, IPv6 -> AAAA, anything else -> CNAME."""
    version = ip_version(target)
    return RecordType.CNAME if not version else RecordType.A if version == 4 else RecordType.AAAA


#: An IPv4 address as ipaddress accepts it: four decimal octets of at most 255 in ASCII digits, no leading zero.
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


def is_ipv4_text(target: str) -> bool:
    """Whether ``target`` is an IPv4 address in the one text form ipaddress would print it in: matched, not parsed
    (a cold start asks this of every target several times, and most targets are such addresses)."""
    return _IPV4.fullmatch(target) is not None


def ip_version(target: str) -> int:
    """4 or 6 when ``target`` is an IP address, else 0. Deriving one object asks this of its targets up to three
    times (the record type, the source's and the final check), and a cold start derives every object."""
    return 4 if is_ipv4_text(target) else _parsed_ip_version(target)


@functools.lru_cache(maxsize=4096)
def _parsed_ip_version(target: str) -> int:
    try:
        return ipaddress.ip_address(target).version
    except ValueError:
        return 0


def same_targets(left: Iterable[str], right: Iterable[str]) -> bool:
    """ExternalDNS's Targets.Same: order- and case-insensitive, IP addresses compared after parsing."""
    return sorted(_canonical_target(t) for t in left) == sorted(_canonical_target(t) for t in right)


def _canonical_target(target: str) -> str:
    try:
        return str(ipaddress.ip_address(target))
    except ValueError:
        return target.lower()


def endpoints_for_hostname(
    hostname: str,
    targets: Iterable[str],
    *,
    ttl: int = 0,
    set_identifier: str = "",
    provider_specific: Mapping[str, str] | None = None,
    resource: str = "",
    ref: ObjectRef | None = None,
) -> list[Endpoint]:
    """One endpoint per record type suitable for the targets, in A, AAAA, CNAME order (EndpointsForHostname)."""
    by_type: dict[RecordType, list[str]] = {}
    for target in targets:
        target = target.strip()
        if not target:
            continue
        kind = suitable_type(target)
        if kind is RecordType.CNAME:
            target = target.rstrip(".")
        bucket = by_type.setdefault(kind, [])
        if target not in bucket:
            bucket.append(target)
    # One labels mapping shared by the endpoints of this call (endpoints never change their labels in place).
    labels: Mapping[str, str] = {RESOURCE_LABEL: resource} if resource else NOTHING
    properties: Mapping[str, str] = dict(provider_specific) if provider_specific else NOTHING
    name = hostname.strip().rstrip(".")
    return [
        Endpoint(
            dns_name=name,
            record_type=kind.value,
            targets=tuple(by_type[kind]),
            ttl=ttl,
            set_identifier=set_identifier,
            labels=labels,
            provider_specific=properties,
            refs=(ref,) if ref else (),
        )
        for kind in (RecordType.A, RecordType.AAAA, RecordType.CNAME)
        if kind in by_type
    ]


def merge_endpoints(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """ExternalDNS's MergeEndpoints, the one merge of the package (sources merge an object's records with it, the
    reconciler the records several Services or Pods want).

    One endpoint per name, type, set identifier and TTL: targets and refs united in first-seen order, the first
    endpoint's labels and provider-specific properties kept. CNAME and DNAME take one target and are never
    merged; only their exact duplicates collapse (a host listed in both an Ingress rule and its TLS section).
    """
    kept: list[Endpoint] = []
    position: dict[tuple[object, ...], int] = {}
    for endpoint in endpoints:
        key: tuple[object, ...] = (endpoint.dns_name, endpoint.record_type, endpoint.set_identifier, endpoint.ttl)
        if endpoint.record_type in (RecordType.CNAME, RecordType.DNAME):
            key = (*key, endpoint.targets)
        index = position.get(key)
        if index is None:
            position[key] = len(kept)
            kept.append(endpoint)
            continue
        previous = kept[index]
        kept[index] = previous.with_(
            targets=tuple(dict.fromkeys((*previous.targets, *endpoint.targets))),
            refs=tuple(dict.fromkeys((*previous.refs, *endpoint.refs))),
        )
    return kept
