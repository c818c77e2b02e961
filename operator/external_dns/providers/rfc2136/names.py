"""Reading the records at a few names of a zone (providers/base.ReadingNames): a query per name, not an AXFR.

Each name is asked with one ANY query, TSIG-signed, over TCP (over UDP a server may answer ANY minimally, RFC
8482; BIND does not by default, ``minimal-any no``, and answers every RRset at the name). The queries of all the
names are sent together over one TCP connection, and their answers read as they come (:func:`exchange`). A query
costs about 0.75 ms, nearly all of it dnspython's work on this side, so a connection per name, even 16 at once, was
no faster (bench/README.md, "Point reads (RFC2136)"). Sending them together matters while the operator starts: the
read runs in a thread while another parses the zone's AXFR, and each answer read alone waited for the GIL (up to
the 5 ms switch interval) before the next query could go. The answer's
RRsets owned by the name become endpoints by the same conversion as the AXFR's (reading.as_endpoints), so the two
forms cannot drift apart (targets sorted by both, as BIND rotates an RRset's records in answers to queries).

A query is not a listing, and three kinds of answer hold records the AXFR does not show at that name:

- **Wildcards.** A name that does not exist, under a ``*`` record, is answered with records synthesised from it
  (RFC 4592); the AXFR has them only at the ``*`` name, and the answer does not say which it is. But a name that
  does not exist gets exactly what any other absent sibling gets (same closest encloser, same wildcard). So when a
  name has records, a made-up sibling (``_external-dns-probe-<64 random bits>`` under the same parent, one query
  per parent) is asked too: NXDOMAIN there means no wildcard applies, and records that differ from the sibling's
  mean the name exists; either way they are its own. When they are the same (a name created under a wildcard, or
  an explicit record beside a ``*.apps`` one with the same target), no query can tell, so the server is asked
  whether the name is in use: an UPDATE with that one prerequisite (RFC 2136 2.4.4) and nothing to change, which
  the server checks against the zone's data, where no wildcard is expanded (NOERROR: it holds records; NXDOMAIN:
  it does not, and the answer was synthesised). BIND leaves the zone and its serial as they were (and logs the
  unmet prerequisite); a server that refuses the check makes it a ProviderError.
- **Zone cuts and DNAMEs.** A name at or below a delegation is answered with a referral, and one below a DNAME
  with a CNAME synthesised from it; the records the AXFR holds there (the NS, glue, occluded data) cannot be read
  this way: ProviderError, and the caller waits for the zone's whole read.
- **Changes between the queries.** The zone's SOA serial is asked before and after the names (BIND raises it with
  every UPDATE); if it moved, the answers may mix two versions of the zone, and they are asked again.

A name outside the zone is not asked and has no records; the zone apex is asked (its NS and SOA are not reported,
as in the AXFR). These functions block: the provider runs them in a worker thread.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update

from external_dns.endpoint import Endpoint
from external_dns.errors import ProviderError, TransientProviderError
from external_dns.providers.rfc2136.reading import Server, as_endpoints

#: Reads whose serial moved meanwhile are tried this often before giving up (the zone is being written to).
ATTEMPTS = 3
#: Queries sent at once on the connection before their answers are read: enough for a change's names in one go,
#: few enough that neither side's socket buffer fills while the other is not reading.
PIPELINED = 64
#: The made-up label of a wildcard probe (with 64 random bits after it); the underscore keeps it off host names.
_PROBE_PREFIX = "_external-dns-probe-"

#: A name's records without the name, to compare a name's answer with a made-up sibling's: (type, TTL, targets).
Shape = frozenset[tuple[str, int, frozenset[str]]]


def records_at(server: Server, origin: dns.name.Name, names: Collection[str]) -> list[Endpoint]:
    """The records at ``names`` (normalised) inside the zone ``origin``, as an AXFR would give them there."""
    inside = sorted({name for name in map(_as_name, names) if name is not None and name.is_subdomain(origin)})
    if not inside:
        return []
    with socket.create_connection((server.host, server.port), timeout=server.timeout) as connection:
        for _ in range(ATTEMPTS):
            before = server.serial(origin, connection)
            found = _PointRead(server, origin, connection).records(inside)
            if server.serial(origin, connection) == before:
                return found
    raise TransientProviderError(f"zone {origin} changed during each of {ATTEMPTS} reads of {len(inside)} names")


@dataclass(slots=True)
class _PointRead:
    """The queries of one read, over one connection: every name's at once, then one wildcard probe per parent."""

    server: Server
    origin: dns.name.Name
    connection: socket.socket
    _siblings: dict[dns.name.Name, Shape | None] = field(default_factory=dict, init=False)

    def records(self, names: list[dns.name.Name]) -> list[Endpoint]:
        answered = dict(zip(names, self._answered_all(names), strict=True))
        with_records = [name for name, endpoints in answered.items() if endpoints and name != self.origin]
        self._probe_parents({name.parent() for name in with_records})
        return [endpoint for name in names for endpoint in self._own(name, answered[name])]

    def _own(self, name: dns.name.Name, endpoints: list[Endpoint] | None) -> list[Endpoint]:
        """The name's own records among those answered (see the module docstring for why each check is there)."""
        if endpoints is None or not endpoints or name == self.origin:
            return endpoints or []
        parent = name.parent()
        # Not probed when a made-up child of the parent would be too long a name: as if a wildcard answered.
        sibling = self._siblings[parent] if parent in self._siblings else _shape(endpoints)
        if sibling is None or sibling != _shape(endpoints) or self._in_use(name):
            return endpoints
        return []

    def _probe_parents(self, parents: set[dns.name.Name]) -> None:
        """What a made-up child of each parent is answered with (None: NXDOMAIN, no wildcard applies)."""
        made_up: dict[dns.name.Name, dns.name.Name] = {}
        for parent in sorted(parents):
            try:
                made_up[parent] = _made_up(parent)
            except dns.name.NameTooLong:
                continue
        answers = self._answered_all(list(made_up.values()))
        for parent, endpoints in zip(made_up, answers, strict=True):
            self._siblings[parent] = None if endpoints is None else _shape(endpoints)

    def _answered_all(self, names: list[dns.name.Name]) -> list[list[Endpoint] | None]:
        """The records the server answers at each name (None for NXDOMAIN), the queries sent a window at a time."""
        found: list[list[Endpoint] | None] = []
        for start in range(0, len(names), PIPELINED):
            window = names[start : start + PIPELINED]
            answers = exchange(self.server, self.connection, window, dns.rdatatype.ANY)
            found.extend(self._answered(name, answer) for name, answer in zip(window, answers, strict=True))
        return found

    def _answered(self, name: dns.name.Name, answer: dns.message.Message) -> list[Endpoint] | None:
        """The records of ``name``'s answer: None for NXDOMAIN; ProviderError for what cannot be read."""
        rcode = answer.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            return None
        if rcode != dns.rcode.NOERROR:
            raise ProviderError(f"the query of {name} was answered {dns.rcode.to_text(rcode)}")
        if answer.flags & dns.flags.TC:
            raise ProviderError(f"the records at {name} do not fit in one DNS message")
        if not answer.flags & dns.flags.AA:
            raise ProviderError(f"{name} is at or below a delegation: its records cannot be read by a query")
        if any(rrset.rdtype == dns.rdatatype.DNAME and rrset.name != name for rrset in answer.answer):
            raise ProviderError(f"{name} is below a DNAME: its records cannot be read by a query")
        return as_endpoints((rrset for rrset in answer.answer if rrset.name == name), self.origin)

    def _in_use(self, name: dns.name.Name) -> bool:
        """Whether ``name`` holds records in the zone's data: an UPDATE with only the prerequisite "name is in use"."""
        server = self.server
        check = dns.update.UpdateMessage(
            self.origin, keyring=server.keyring, keyname=server.keyname, keyalgorithm=server.algorithm
        )
        check.present(name)
        answer = dns.query.tcp(check, server.host, timeout=server.timeout, port=server.port, sock=self.connection)
        rcode = answer.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise ProviderError(
                f"a wildcard answers for {name} as for its siblings, and the check of whether it holds records of its "
                f"own (an UPDATE with only a prerequisite) was answered {dns.rcode.to_text(rcode)}"
            )
        return rcode == dns.rcode.NOERROR


def exchange(
    server: Server, connection: socket.socket, names: Sequence[dns.name.Name], kind: dns.rdatatype.RdataType
) -> list[dns.message.Message]:
    """A signed query of each name, sent together over ``connection``, and the answers in the names' order.

    The server may answer queries pipelined on one connection in any order (BIND works on several at once): each
    answer is told by its query's ID and checked against that query (its TSIG too).
    """
    queries: dict[int, dns.message.Message] = {}
    wires: list[bytes] = []
    for name in names:
        query = server.query(name, kind)
        while query.id in queries:  # IDs are random: two alike in one window would be told apart by nothing
            query.id = secrets.randbits(16)
        wire = query.to_wire()  # signs it: query.mac is what its answer's TSIG covers
        queries[query.id] = query
        wires.append(len(wire).to_bytes(2, "big") + wire)
    connection.sendall(b"".join(wires))
    answers: dict[int, dns.message.Message] = {}
    for _ in names:
        wire = _read(connection, int.from_bytes(_read(connection, 2), "big"))
        asked = queries.get(int.from_bytes(wire[:2], "big")) if len(wire) >= 2 else None
        if asked is None or asked.id in answers:
            raise ProviderError("the server answered a query that was not asked (or twice)")
        answer = dns.message.from_wire(wire, keyring=server.keyring, request_mac=asked.mac or b"")
        if not asked.is_response(answer):
            raise ProviderError(f"the answer to the query of {asked.question[0].name} does not match it")
        answers[asked.id] = answer
    return [answers[query_id] for query_id in queries]


def _read(connection: socket.socket, count: int) -> bytes:
    """Exactly ``count`` bytes (EOFError when the server closes the connection first)."""
    data = bytearray()
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise EOFError("the server closed the connection before answering every query")
        data += chunk
    return bytes(data)


def _as_name(text: str) -> dns.name.Name | None:
    """The name, or None for text that cannot be a DNS name (too long a label, say): no record can be there."""
    try:
        return dns.name.from_text(text)
    except dns.exception.DNSException:
        return None


def _made_up(parent: dns.name.Name) -> dns.name.Name:
    """A child of ``parent`` that does not exist (64 random bits); NameTooLong when there is no room for it."""
    return dns.name.Name((f"{_PROBE_PREFIX}{secrets.token_hex(8)}".encode(), *parent.labels))


def _shape(endpoints: list[Endpoint]) -> Shape:
    return frozenset((e.record_type, e.ttl, frozenset(e.targets)) for e in endpoints)
