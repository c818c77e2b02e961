"""Record text <-> DNS rdata for the RFC2136 provider: endpoint targets in ExternalDNS's text form, the rdata an
UPDATE carries, and the text AXFR reads back (names without the final dot, TXT with its quotes)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
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
#: TXT bytes printed as themselves inside quotes: printable ASCII but the quote and the backslash.
_PRINTABLE_UNESCAPED = re.compile(rb"[\x20\x21\x23-\x5b\x5d-\x7e]*")
#: RFC 1035 2.3.4: bytes in a label, and in a name's wire form.
_MAX_LABEL = 63
_MAX_NAME = 255
#: The record types most targets have, looked up without dnspython's text parsing (one per target written).
_COMMON_TYPES = {kind: dns.rdatatype.from_text(kind) for kind in ("A", "AAAA", "CNAME", "TXT")}


class Action(Enum):
    ADD = "add"
    DELETE = "delete"


#: A name by its labels, the root's empty one last (what dns.name.Name holds).
Labels = tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Operation:
    """One RR in an UPDATE message: add it, or delete exactly this rdata. Held in wire form (wire.py renders
    them): dnspython's rdata objects cost a cold start more than the rest of the message together."""

    action: Action
    name: Labels
    ttl: int
    rdtype: int
    #: The rdata's wire form, uncompressed.
    rdata: bytes


def operations_for(action: Action, endpoint: Endpoint, ttl: int) -> list[Operation]:
    """The RRs of an endpoint; raises ``dns.exception.DNSException`` or ValueError for a name or target that is
    not a valid record of its type."""
    name = absolute_labels(normalize_name(endpoint.dns_name))
    return [Operation(action, name, ttl, *rdata_wire(endpoint.record_type, target)) for target in endpoint.targets]


def absolute_labels(name: str) -> Labels:
    """A name's labels, absolute; raises dnspython's LabelTooLong and NameTooLong as ``dns.name.Name`` would."""
    if "\\" in name:
        return dns.name.from_text(name, origin=dns.name.root).labels
    # Plain names (nearly all) skip the zone-file parser, and dns.name.Name's construction (a third of the cost of
    # turning a cold start's endpoints into operations): the same checks, done here.
    labels = (*(label.encode() for label in name.split(".") if label), b"")
    if any(len(label) > _MAX_LABEL for label in labels):
        raise dns.name.LabelTooLong
    if sum(len(label) + 1 for label in labels) > _MAX_NAME:
        raise dns.name.NameTooLong
    return labels


def rdata_for(record_type: str, target: str) -> dns.rdata.Rdata:
    """The rdata for an endpoint target; names without a trailing dot are absolute, as in ExternalDNS."""
    kind = _COMMON_TYPES.get(record_type) or dns.rdatatype.from_text(record_type)
    if kind == dns.rdatatype.TXT:
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, kind, _txt_strings(target))
    if kind == dns.rdatatype.A:
        return dns.rdtypes.IN.A.A(dns.rdataclass.IN, kind, target)  # type: ignore[no-untyped-call]
    if kind == dns.rdatatype.AAAA:
        return dns.rdtypes.IN.AAAA.AAAA(dns.rdataclass.IN, kind, target)  # type: ignore[no-untyped-call]
    return dns.rdata.from_text(dns.rdataclass.IN, kind, target, origin=dns.name.root, relativize=False)


def rdata_wire(record_type: str, target: str) -> tuple[int, bytes]:
    """The type and the wire form of an endpoint target's rdata: the common cases (an IPv4 address in its one
    text form, TXT) put together here, the rest through :func:`rdata_for` (which also rejects bad targets)."""
    if record_type == "A" and is_ipv4_text(target):
        return _COMMON_TYPES["A"], bytes(int(octet) for octet in target.split("."))
    if record_type == "TXT":
        return _COMMON_TYPES["TXT"], length_prefixed(_txt_strings(target))
    rdata = rdata_for(record_type, target)
    return rdata.rdtype, rdata_bytes(rdata)


def rdata_bytes(rdata: dns.rdata.Rdata) -> bytes:
    """An rdata's wire form, uncompressed (compression inside rdata is optional, and forbidden for newer types)."""
    wire = rdata.to_wire()
    assert wire is not None  # (None only when writing to a file)
    return wire


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


def _txt_strings(target: str) -> list[bytes]:
    """A TXT target's value as the strings of at most 255 bytes its rdata holds (one empty string for none)."""
    value = _txt_bytes(target)
    return [value[i : i + _TXT_CHUNK] for i in range(0, len(value), _TXT_CHUNK)] or [b""]


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
    if _PRINTABLE_UNESCAPED.fullmatch(value):  # the registry's values: an AXFR of 100,000 records quotes 50,000
        return '"' + value.decode("ascii") + '"'
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
    """An upper bound of the RR's size in the message (wire.py): owner labels below the zone plus a compression
    pointer to the zone name (always present in the zone section), fixed fields, uncompressed rdata."""
    return len(owner_wire(op.name, origin.labels)) + 10 + len(op.rdata)


def owner_wire(labels: Labels, zone: Labels) -> bytes:
    """An owner name's wire form in an UPDATE of ``zone``: its labels below the zone and a pointer to the zone
    name (the zone section's, at offset 12); a name outside the zone (or any name of the root zone) whole."""
    below = len(labels) - len(zone)
    tail = labels[below:]
    if below >= 0 and len(zone) > 1 and (tail == zone or [a.lower() for a in tail] == [b.lower() for b in zone]):
        return name_wire(labels[:below]) + b"\xc0\x0c"
    return name_wire(labels)


def name_wire(labels: Labels) -> bytes:
    """Labels in wire form, uncompressed (ending with the root's empty label when the name is absolute)."""
    return length_prefixed(labels)


def length_prefixed(parts: Iterable[bytes]) -> bytes:
    """Each part after a byte of its length: a name's labels, and a TXT record's strings, alike."""
    return b"".join(bytes((len(part),)) + part for part in parts)
