"""Reading a zone from the server: whole (AXFR), or the changes since a serial (a SOA query, then IXFR).

A warm standby reads each zone whole once, then follows it (providers/base.FollowingChanges): it asks the SOA
serial, and when that moved, asks an IXFR from the serial it holds (RFC 1995). The server answers with the
changes as sequences of deleted and added resource records, one sequence per change in its journal, or, when it
keeps no history that far back (journal gone, or bigger than the zone), with the whole zone (AXFR-style); a server
that refuses IXFR, or whose serial went backwards (the zone re-created), makes the caller read the zone whole.

These functions block (dnspython's synchronous transfer) and parse on the calling thread: the provider runs them in
a worker thread, as the AXFR of 100,000 records costs seconds of CPU.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig

from external_dns.endpoint import Endpoint
from external_dns.errors import ProviderError
from external_dns.providers.base import ZoneChanges
from external_dns.providers.rfc2136.rdata import target_text

#: Record types read back (SOA and the zone apex NS are never reported).
READ_TYPES = frozenset(
    dns.rdatatype.from_text(kind) for kind in ("A", "AAAA", "CNAME", "DNAME", "TXT", "NS", "PTR", "MX", "SRV")
)


@dataclass(frozen=True, slots=True)
class Server:
    """Where the zones are read from, and the TSIG key that signs every request (none with --rfc2136-insecure)."""

    host: str
    port: int
    timeout: float
    keyring: dict[dns.name.Name, dns.tsig.Key] | None
    keyname: dns.name.Name | None
    algorithm: str

    def transfer(self, origin: dns.name.Name, kind: dns.rdatatype.RdataType, serial: int = 0) -> Iterator[
        dns.message.Message
    ]:  # fmt: skip
        """The messages of an AXFR or an IXFR from ``serial`` (dnspython checks the transfer's structure and TSIG)."""
        messages: Iterator[dns.message.Message] = dns.query.xfr(
            self.host,
            origin,
            rdtype=kind,
            serial=serial,
            port=self.port,
            timeout=self.timeout,
            keyring=self.keyring,
            keyname=self.keyname,
            relativize=False,
            keyalgorithm=self.algorithm,
        )
        return messages

    def ask(self, name: dns.name.Name, kind: dns.rdatatype.RdataType, connection: socket.socket | None = None
            ) -> dns.message.Message:  # fmt: skip
        """One signed query over TCP (``connection`` when given, kept open by the caller, else one of its own)."""
        query = self.query(name, kind)
        return dns.query.tcp(query, self.host, timeout=self.timeout, port=self.port, sock=connection)

    def query(self, name: dns.name.Name, kind: dns.rdatatype.RdataType) -> dns.message.Message:
        """The query of ``name``, to be signed with the key as it is rendered."""
        query = dns.message.make_query(name, kind, flags=0)  # an authoritative server: no recursion wanted
        if self.keyring is not None:
            query.use_tsig(self.keyring, self.keyname, algorithm=self.algorithm)
        return query

    def serial(self, origin: dns.name.Name, connection: socket.socket | None = None) -> int:
        """The zone's SOA serial now (one signed query over TCP, as every other exchange with the server)."""
        answer = self.ask(origin, dns.rdatatype.SOA, connection)
        if answer.rcode() != dns.rcode.NOERROR:
            raise ProviderError(f"the SOA query of zone {origin} was answered {dns.rcode.to_text(answer.rcode())}")
        soa = answer.get_rrset(answer.answer, origin, dns.rdataclass.IN, dns.rdatatype.SOA)
        if soa is None:
            raise ProviderError(f"the SOA query of zone {origin} was answered without the SOA")
        serial: int = soa[0].serial
        return serial


def whole_zone(server: Server, origin: dns.name.Name) -> tuple[list[Endpoint], int]:
    """Every record of the zone by AXFR, and the serial it was read at."""
    rrsets = _answers(server.transfer(origin, dns.rdatatype.AXFR))
    first = next(rrsets)  # dnspython checked it: the zone's SOA
    return as_endpoints(rrsets, origin), int(first[0].serial)


def changes_since(server: Server, origin: dns.name.Name, serial: int) -> ZoneChanges | None:
    """The changes since ``serial``; None when the server refuses an IXFR or its serial went backwards."""
    now = server.serial(origin)
    if now == serial:
        return ZoneChanges(version=serial)
    try:
        rrsets = _answers(server.transfer(origin, dns.rdatatype.IXFR, serial))
        return _changes(rrsets, origin, serial)
    except dns.query.TransferError as error:
        if error.rcode in (dns.rcode.REFUSED, dns.rcode.NOTIMP, dns.rcode.FORMERR):
            return None
        raise
    except dns.exception.FormError:  # dnspython's SerialWentBackwards, or an answer it found malformed
        return None


def _changes(rrsets: Iterator[dns.rrset.RRset], origin: dns.name.Name, serial: int) -> ZoneChanges:
    """An IXFR answer's records as ZoneChanges: incremental (SOA, then sequences each opened by the old and the new
    SOA) or AXFR-style (SOA, then the whole zone)."""
    version = int(next(rrsets)[0].serial)
    second = next(rrsets, None)
    if second is None or version == serial:  # up to date: the answer is the one SOA
        return ZoneChanges(version=version)
    if not _is_soa(second, origin):
        return ZoneChanges(version=version, whole=as_endpoints(chain([second], rrsets), origin))
    steps: list[tuple[tuple[Endpoint, ...], tuple[Endpoint, ...]]] = []
    removed: list[Endpoint] = []
    added: list[Endpoint] = []
    deleting = True  # the old SOA just read opened the first sequence's deletions
    for rrset in rrsets:
        if _is_soa(rrset, origin):
            if deleting:  # the sequence's new SOA: its additions follow
                deleting = False
            else:  # the next sequence's old SOA, or the final SOA
                steps.append((tuple(removed), tuple(added)))
                removed, added, deleting = [], [], True
            continue
        if _is_read(rrset, origin):
            (removed if deleting else added).extend(
                Endpoint(dns_name=_name(rrset), record_type=_type(rrset), targets=(target_text(rdata),), ttl=rrset.ttl)
                for rdata in rrset
            )
    return ZoneChanges(version=version, steps=tuple(steps))


def _answers(messages: Iterable[dns.message.Message]) -> Iterator[dns.rrset.RRset]:
    return (rrset for message in messages for rrset in message.answer)


def as_endpoints(rrsets: Iterable[dns.rrset.RRset], origin: dns.name.Name) -> list[Endpoint]:
    """One endpoint per (name, type). A transfer may split one record set over several messages (and an IXFR
    answer has one record per set): merged, keeping the first TTL. Targets in sorted order: a transfer gives them
    in the server's storage order and an answer to a query (names.py) rotated, and both reads must agree."""
    merged: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for rrset in rrsets:
        if not _is_read(rrset, origin):
            continue
        _, targets = merged.setdefault((_name(rrset), _type(rrset)), (rrset.ttl, []))
        targets.extend(target for target in map(target_text, rrset) if target not in targets)
    return [
        Endpoint(
            dns_name=name, record_type=kind, targets=tuple(sorted(targets) if len(targets) > 1 else targets), ttl=ttl
        )
        for (name, kind), (ttl, targets) in merged.items()
    ]


def _is_soa(rrset: dns.rrset.RRset, origin: dns.name.Name) -> bool:
    return rrset.rdtype == dns.rdatatype.SOA and rrset.name == origin


def _is_read(rrset: dns.rrset.RRset, origin: dns.name.Name) -> bool:
    return rrset.rdtype in READ_TYPES and not (rrset.rdtype == dns.rdatatype.NS and rrset.name == origin)


def _name(rrset: dns.rrset.RRset) -> str:
    return rrset.name.to_text(omit_final_dot=True)


def _type(rrset: dns.rrset.RRset) -> str:
    return dns.rdatatype.to_text(rrset.rdtype)
