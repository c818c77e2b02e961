"""Record text <-> DNS rdata for the RFC2136 provider: endpoint targets in ExternalDNS's text form, the rdata an
UPDATE carries, and the text AXFR reads back (names without the final dot, TXT with its quotes)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import Enum

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.tokenizer

from external_dns.endpoint import Endpoint, is_ipv4_text, normalize_name

_NAME_TARGET_TYPES = frozenset(dns.rdatatype.from_text(kind) for kind in ("CNAME", "DNAME", "NS", "PTR"))
_TXT_CHUNK = 255
#: The record types most targets have, looked up without dnspython's text parsing (one per target written).
_COMMON_TYPES = {kind: dns.rdatatype.from_text(kind) for kind in ("A", "AAAA", "CNAME", "TXT")}
#: Rdata whose wire size is fixed: A and AAAA addresses.
_FIXED_RDATA_SIZE = {dns.rdatatype.A: 4, dns.rdatatype.AAAA: 16}


class Action(Enum):
    ADD = "add"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Operation:
    """One RR in an UPDATE message: add it, or delete exactly this rdata."""

    action: Action
    name: dns.name.Name
    ttl: int
    rdata: dns.rdata.Rdata


def operations_for(action: Action, endpoint: Endpoint, ttl: int) -> list[Operation]:
    name = _absolute_name(normalize_name(endpoint.dns_name))
    return [Operation(action, name, ttl, rdata_for(endpoint.record_type, target)) for target in endpoint.targets]


def _absolute_name(name: str) -> dns.name.Name:
    if "\\" in name:
        return dns.name.from_text(name, origin=dns.name.root)
    # Plain names (nearly all) skip the zone-file parser: 3x faster on 20,000 names.
    return dns.name.Name([*(label.encode() for label in name.split(".") if label), b""])


def rdata_for(record_type: str, target: str) -> dns.rdata.Rdata:
    """The rdata for an endpoint target; names without a trailing dot are absolute, as in ExternalDNS."""
    kind = _COMMON_TYPES.get(record_type) or dns.rdatatype.from_text(record_type)
    if kind == dns.rdatatype.TXT:
        value = _txt_bytes(target)
        chunks = [value[i : i + _TXT_CHUNK] for i in range(0, len(value), _TXT_CHUNK)] or [b""]
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, kind, chunks)
    if kind == dns.rdatatype.A:
        return dns.rdtypes.IN.A.A(dns.rdataclass.IN, kind, target)  # type: ignore[no-untyped-call]
    if kind == dns.rdatatype.AAAA:
        return dns.rdtypes.IN.AAAA.AAAA(dns.rdataclass.IN, kind, target)  # type: ignore[no-untyped-call]
    return dns.rdata.from_text(dns.rdataclass.IN, kind, target, origin=dns.name.root, relativize=False)


def target_text(rdata: dns.rdata.Rdata) -> str:
    """An rdata as an endpoint target: names lose the final dot, except inside MX/SRV (ExternalDNS's form)."""
    if rdata.rdtype in _NAME_TARGET_TYPES:
        target: dns.name.Name = rdata.target  # type: ignore[attr-defined]
        return target.to_text(omit_final_dot=True)
    if rdata.rdtype == dns.rdatatype.TXT:
        strings: tuple[bytes, ...] = rdata.strings  # type: ignore[attr-defined]
        return _quote(b"".join(strings))
    return rdata.to_text()


def canonical(record_type: str, target: str) -> str:
    """The target as AXFR will return it; unparseable targets are left for apply_changes to report."""
    if record_type == "A" and is_ipv4_text(target):
        return target  # already ipaddress's text form
    try:
        if record_type in ("A", "AAAA"):
            return str(ipaddress.ip_address(target))
        return target_text(rdata_for(record_type, target))
    except (dns.exception.DNSException, ValueError):
        return target


def _txt_bytes(target: str) -> bytes:
    """A TXT target's value: ``"a" "b"`` zone-file strings are unquoted and joined; other text is literal."""
    if target.startswith('"') and target.endswith('"') and len(target) > 1:
        inner = target[1:-1]
        if '"' not in inner and "\\" not in inner:
            return inner.encode()  # the registry's values: no need for the tokenizer
        try:
            tokens = dns.tokenizer.Tokenizer(target)
            parts: list[bytes] = []
            while not (token := tokens.get()).is_eol_or_eof():
                if not token.is_quoted_string():
                    return target.encode()
                value: bytes = token.unescape_to_bytes().value
                parts.append(value)
            return b"".join(parts)
        except dns.exception.SyntaxError:
            pass  # not zone-file text after all: take it literally
    return target.encode()


def _quote(value: bytes) -> str:
    """Zone-file quoting of one string, as dnspython prints TXT rdata."""
    out = []
    for byte in value:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def wire_size(op: Operation, origin: dns.name.Name) -> int:
    """An upper bound of the RR's size in the message: owner labels below the zone plus a compression pointer
    to the zone name (always present in the zone section), fixed fields, uncompressed rdata.

    Worked out from the labels and the rdata's fields, not by relativizing and rendering (a batch sizes each of
    its records: 20,000 of them at a cold start of 10,000 Services)."""
    labels = op.name.labels
    below = len(labels) - len(origin.labels)
    if below < 0 or (labels[below:] != origin.labels and not op.name.is_subdomain(origin)):
        below = len(labels)  # not in the zone: the whole name is written
    owner = sum(len(label) + 1 for label in labels[:below]) + 2
    rdata = op.rdata
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        return owner + 10 + sum(len(string) + 1 for string in rdata.strings)
    fixed = _FIXED_RDATA_SIZE.get(rdata.rdtype)
    return owner + 10 + (fixed if fixed is not None else len(rdata.to_digestable()))


def name_length(name: dns.name.Name) -> int:
    return sum(len(label) + 1 for label in name.labels)
