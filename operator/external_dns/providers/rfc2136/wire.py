"""UPDATE messages (RFC 2136) rendered straight to wire format, and signed with dnspython's TSIG.

dnspython's ``UpdateMessage`` costs about 100 us of CPU per Service (an A record and its TXT), as much as the
server takes to apply it (bench/cpu_parts.py). The message this module renders holds the same RRs in the same
order as ``UpdateMessage.add``/``delete`` would (one per operation, each with its own TTL: dnspython makes each
its own RRset), so the server applies exactly the same update. Only name compression differs: owner names point
at the zone name and at their own first occurrence, rdata is not compressed (the size estimate of
``rdata.wire_size`` assumes as much). The TSIG record is made and computed by ``dns.tsig.sign``, as dnspython's
renderer does.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass

import dns.entropy
import dns.exception
import dns.flags
import dns.name
import dns.opcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.tsig

from external_dns.providers.rfc2136.rdata import Action, Labels, Operation, name_wire, owner_wire, rdata_bytes

_HEADER = struct.Struct("!HHHHHH")
#: An RR's type, class, TTL and rdata length, between its owner name and its rdata.
_RR_FIELDS = struct.Struct("!HHIH")
_ZONE_SECTION_AT = _HEADER.size
_FLAGS = dns.opcode.to_flags(dns.opcode.UPDATE)
_MAX_MESSAGE = 65535
#: The fudge dnspython's messages sign with (seconds of clock skew the server accepts).
_FUDGE = 300


@dataclass(frozen=True, slots=True)
class RenderedUpdate:
    """One UPDATE message as sent: its bytes, and what checking the answer needs."""

    wire: bytes
    id: int
    #: The request's TSIG MAC, which the answer's signature covers (None: unsigned).
    mac: bytes | None
    origin: dns.name.Name

    def answers(self, response_id: int, response_flags: int) -> bool:
        """Whether a message with this id and these flags is the answer to this one (as
        ``dns.message.Message.is_response`` decides it for an UPDATE: same id and opcode, QR set)."""
        return (
            response_id == self.id
            and bool(response_flags & dns.flags.QR)
            and dns.opcode.from_flags(response_flags) == dns.opcode.UPDATE
        )


def render_update(origin: dns.name.Name, operations: Iterable[Operation], key: dns.tsig.Key | None) -> RenderedUpdate:
    """The UPDATE of ``operations`` to the zone ``origin`` (class IN), signed with ``key`` unless it is None.

    Raises ``dns.exception.TooBig`` when it would not fit in a 64 KiB message, as ``to_wire`` does."""
    message_id = dns.entropy.random_16()
    parts = [b"", name_wire(origin.labels), b"\x00\x06\x00\x01"]  # the header comes last; zone section: origin SOA IN
    offset = _ZONE_SECTION_AT + len(parts[1]) + 4
    written: dict[Labels, bytes] = {}  # owner name -> a pointer to where it was first written
    count = 0
    for op in operations:
        if offset > _MAX_MESSAGE or len(op.rdata) > _MAX_MESSAGE:  # (its 16-bit length would not even pack)
            raise dns.exception.TooBig
        owner = written.get(op.name)
        if owner is None:
            owner = owner_wire(op.name, origin.labels)
            if offset < 0x4000:
                written[op.name] = (0xC000 | offset).to_bytes(2, "big")
        ttl, rdclass = (op.ttl, dns.rdataclass.IN) if op.action is Action.ADD else (0, dns.rdataclass.NONE)
        parts += (owner, _RR_FIELDS.pack(op.rdtype, rdclass, ttl, len(op.rdata)), op.rdata)
        offset += len(owner) + _RR_FIELDS.size + len(op.rdata)
        count += 1
    if offset > _MAX_MESSAGE:
        raise dns.exception.TooBig
    parts[0] = _HEADER.pack(message_id, _FLAGS, 1, 0, count, 0)
    unsigned = b"".join(parts)
    if key is None:
        return RenderedUpdate(unsigned, message_id, None, origin)
    signature = _signed(unsigned, message_id, key)
    key_name = name_wire(key.name.labels)
    signature_wire = rdata_bytes(signature)
    wire = b"".join(
        (
            _HEADER.pack(message_id, _FLAGS, 1, 0, count, 1),
            unsigned[_HEADER.size :],
            key_name,
            _RR_FIELDS.pack(dns.rdatatype.TSIG, dns.rdataclass.ANY, 0, len(signature_wire)),
            signature_wire,
        )
    )
    if len(wire) > _MAX_MESSAGE:
        raise dns.exception.TooBig
    return RenderedUpdate(wire, message_id, signature.mac, origin)  # type: ignore[attr-defined]


def _signed(unsigned: bytes, message_id: int, key: dns.tsig.Key) -> dns.rdata.Rdata:
    """The TSIG rdata of a message (RFC 8945): the MAC covers the message as it is before the TSIG record."""
    blank = dns.rdtypes.ANY.TSIG.TSIG(  # type: ignore[no-untyped-call]
        dns.rdataclass.ANY, dns.rdatatype.TSIG, key.algorithm, 0, _FUDGE, b"", message_id, 0, b""
    )
    signature: dns.rdata.Rdata = dns.tsig.sign(unsigned, key, blank, int(time.time()), None)[0]  # type: ignore[no-untyped-call]
    return signature
