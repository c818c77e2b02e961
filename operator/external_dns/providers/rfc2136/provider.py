"""The RFC2136 provider: dynamic DNS UPDATE (RFC 2136) and AXFR against an authoritative server such as BIND.

Compatible with ExternalDNS's ``--provider=rfc2136`` flags (``provider/rfc2136/rfc2136.go``), with these
deliberate differences:

- Records are read by AXFR over TCP, TSIG-signed unless ``--rfc2136-insecure``; MX and SRV are read too
  (upstream skips them, so it re-creates them on every loop). TXT values come back with their literal double
  quotes, the form the TXT registry parses. With ``--rfc2136-axfr=false`` nothing is read, as upstream. A warm
  standby follows a zone it read by the SOA serial and IXFR (reading.py). The records at a few names (a change
  made while the operator starts) are read by a query per name (names.py).
- A record and its ownership TXT always travel in the same UPDATE message, which the server applies
  atomically. Messages hold at most ``batch_change_size`` such groups and stay under the 64 KiB limit.
- A message the server refuses (BIND refuses a whole UPDATE for one name that fails check-names, say) is split
  in halves until only the culprit's group fails (providers/splitting.py); the other messages are still sent.
- A record written without any TTL gets :data:`DEFAULT_TTL` (300 s), not TTL 0 as upstream does. 300 is the
  default TTL of ExternalDNS's other providers; the SOA minimum was not used because since RFC 2308 it is the
  negative-caching TTL, and using it would make ``adjust_endpoints`` depend on a zone read.

CPU-heavy work runs in worker threads so the event loop stays responsive: the AXFR (parsing 20,000 records
takes dnspython about a second; its asyncio transfer would parse on the loop too), turning a batch into record
groups per message, and building each message (rendered and signed, wire.py), one message ahead of the one the
server is applying. The messages of one batch are sent from the loop, one after another over one TCP connection
(connection.py).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.tokenizer
import dns.tsig

from external_dns.endpoint import Endpoint, normalize_name
from external_dns.errors import (
    AmbiguousProviderError,
    BatchRejected,
    ConfigError,
    ProviderError,
    TransientProviderError,
)
from external_dns.providers.base import ApplyOutcome, Changes, Zone, ZoneChanges
from external_dns.providers.rfc2136 import reading
from external_dns.providers.rfc2136.ahead import BuiltAhead
from external_dns.providers.rfc2136.connection import UpdateConnection
from external_dns.providers.rfc2136.names import records_at as point_read
from external_dns.providers.rfc2136.rdata import (
    Action,
    Operation,
    canonical,
    name_wire,
    operations_for,
    wire_size,
)
from external_dns.providers.rfc2136.wire import RenderedUpdate, render_update
from external_dns.providers.splitting import apply_bisecting

log = logging.getLogger(__name__)
T = TypeVar("T")

#: TTL written when neither the endpoint nor ``--rfc2136-min-ttl`` sets one (see the module docstring).
DEFAULT_TTL = 300

#: ``--rfc2136-tsig-secret-alg`` values ExternalDNS accepts.
TSIG_ALGORITHMS = ("hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512")

#: A DNS message over TCP is at most 65535 bytes; room is kept for the header, zone section and TSIG record.
_MAX_MESSAGE = 65535
_TSIG_RESERVE = 512
#: A message rendered ahead is sent as rendered for this long; older, it is signed again (the TSIG time must be
#: within the server's fudge, 300 s, when it arrives: a huge unsliced pass may take minutes to send).
_RENDERED_FOR_AT_MOST = 60.0
#: Answers to an UPDATE that may be about one record in it: a message refused with these is split to find it.
_RECORD_RCODES = frozenset(
    {dns.rcode.REFUSED, dns.rcode.FORMERR, dns.rcode.YXDOMAIN, dns.rcode.YXRRSET, dns.rcode.NXRRSET, dns.rcode.NXDOMAIN}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RFC2136Config:
    """The ``--rfc2136-*`` flags. Invalid values raise :class:`ConfigError` naming the flag."""

    host: str
    port: int = 53
    zones: tuple[str, ...]
    tsig_keyname: str = ""
    tsig_secret: str = ""
    tsig_secret_alg: str = "hmac-sha256"
    insecure: bool = False
    axfr: bool = True
    batch_change_size: int = 50
    min_ttl: int = 0
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.host:
            raise ConfigError("--rfc2136-host is required")
        if not 0 < self.port < 65536:
            raise ConfigError(f"--rfc2136-port must be between 1 and 65535, got {self.port}")
        if self.batch_change_size < 1:
            raise ConfigError(f"--rfc2136-batch-change-size must be at least 1, got {self.batch_change_size}")
        if self.min_ttl < 0:
            raise ConfigError(f"--rfc2136-min-ttl must not be negative, got {self.min_ttl}")
        if self.timeout <= 0:
            raise ConfigError(f"the RFC2136 timeout must be positive, got {self.timeout}")
        if self.insecure:
            return
        if self.tsig_secret_alg.lower() not in TSIG_ALGORITHMS:
            raise ConfigError(
                f"--rfc2136-tsig-secret-alg must be one of {'|'.join(TSIG_ALGORITHMS)}, got {self.tsig_secret_alg!r}"
            )
        if not self.tsig_keyname:
            raise ConfigError("--rfc2136-tsig-keyname is required unless --rfc2136-insecure is set")
        if not self.tsig_secret:
            raise ConfigError("--rfc2136-tsig-secret is required unless --rfc2136-insecure is set")
        try:
            base64.b64decode(self.tsig_secret, validate=True)
        except binascii.Error:
            # Never echo the secret itself.
            raise ConfigError("--rfc2136-tsig-secret must be base64 encoded") from None


@dataclass(slots=True)
class RFC2136Stats:
    """What went over the wire (mutable: the provider counts into it). For benchmarks and tests."""

    updates_sent: int = 0
    axfrs: int = 0
    #: Serial checks of a followed zone (SOA queries), and the IXFRs they led to (reading.py).
    serial_checks: int = 0
    ixfrs: int = 0
    #: IXFRs the server answered with the whole zone (it keeps no history that far back).
    ixfrs_answered_whole: int = 0
    #: Reads of the records at a few names (records_at: a query per name, names.py).
    point_reads: int = 0
    #: TCP connections opened to send UPDATEs (one per batch unless the server closes it).
    connections: int = 0


@dataclass(slots=True)
class _Group:
    """The changes at one owner name: a record and its ownership TXT, which must share a message."""

    endpoints: list[Endpoint] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    size: int = 0


@dataclass(frozen=True, slots=True)
class _Batch:
    """One UPDATE message, rendered and signed in a thread, and when (see :data:`_RENDERED_FOR_AT_MOST`)."""

    update: RenderedUpdate
    rendered_at: float


class RFC2136Provider:
    """A :class:`~external_dns.providers.base.Provider` speaking DNS UPDATE and AXFR to one server."""

    name = "rfc2136"

    def __init__(self, settings: RFC2136Config) -> None:
        self.settings = settings
        self.stats = RFC2136Stats()
        self._zones = [Zone(name=normalize_name(zone), id=normalize_name(zone)) for zone in settings.zones] or [
            Zone(name="", id=".")
        ]
        self._keyring: dict[dns.name.Name, dns.tsig.Key] | None = None
        self._keyname: dns.name.Name | None = None
        self._key: dns.tsig.Key | None = None
        if not settings.insecure:
            self._keyname = dns.name.from_text(settings.tsig_keyname)
            algorithm = dns.name.from_text(settings.tsig_secret_alg.lower())
            self._key = dns.tsig.Key(self._keyname, settings.tsig_secret, algorithm)
            self._keyring = {self._keyname: self._key}
        self._server = reading.Server(
            settings.host,
            settings.port,
            settings.timeout,
            self._keyring,
            self._keyname,
            settings.tsig_secret_alg.lower(),
        )
        if not settings.axfr:
            log.warning("--rfc2136-axfr is off: existing records cannot be read, records are only created")

    async def zones(self) -> list[Zone]:
        """The ``--rfc2136-zone`` values, or the root zone when none is configured (as upstream)."""
        return list(self._zones)

    async def records(self, zone: Zone) -> list[Endpoint]:
        """Every record of the zone, read by AXFR (in a thread: parsing is CPU-bound)."""
        records, _ = await self.versioned_records(zone)
        return records

    async def versioned_records(self, zone: Zone) -> tuple[list[Endpoint], int]:
        """:meth:`records`, and the SOA serial they were read at (providers/base.FollowingChanges)."""
        if not self.settings.axfr:
            return [], 0
        origin = dns.name.from_text(zone.name or ".")
        records, serial = await self._reading(zone, "AXFR", reading.whole_zone, self._server, origin)
        self.stats.axfrs += 1
        return records, serial

    async def records_at(self, zone: Zone, names: Collection[str]) -> list[Endpoint]:
        """:meth:`records` at the normalised ``names`` only, by a query per name (names.py: wildcards, delegations
        and DNAMEs are why it is more than that). Nothing with --rfc2136-axfr=false, as :meth:`records`."""
        if not self.settings.axfr or not names:
            return []
        origin = dns.name.from_text(zone.name or ".")
        found = await self._reading(zone, "Point read", point_read, self._server, origin, names)
        self.stats.point_reads += 1
        return found

    async def changes_since(self, zone: Zone, version: int) -> ZoneChanges | None:
        """The changes since the SOA serial ``version``: a SOA query, and an IXFR when the serial moved (reading.py).
        None (read the zone whole) with --rfc2136-axfr=false, or when the server cannot send the changes."""
        if not self.settings.axfr:
            return None
        origin = dns.name.from_text(zone.name or ".")
        changes = await self._reading(zone, "IXFR", reading.changes_since, self._server, origin, version)
        self.stats.serial_checks += 1
        if changes is None or changes.version != version:
            self.stats.ixfrs += 1
        if changes is not None and changes.whole is not None:
            self.stats.ixfrs_answered_whole += 1
        return changes

    async def _reading(self, zone: Zone, kind: str, read: Callable[..., T], *args: object) -> T:
        """Run a blocking read in a thread, its failures as provider errors."""
        where = f"{self.settings.host}:{self.settings.port}"
        what = f"{kind} of zone {zone.name or '.'!r} from {where}"
        try:
            return await asyncio.to_thread(read, *args)
        except (OSError, EOFError, dns.exception.Timeout) as error:
            raise TransientProviderError(f"{what} failed: {error or type(error).__name__}") from error
        except dns.query.TransferError as error:
            raise ProviderError(f"{what} was refused: {dns.rcode.to_text(error.rcode)}") from error
        except dns.tsig.PeerError as error:
            raise ProviderError(
                f"{what}: the server rejected our TSIG signature ({type(error).__name__}); "
                "check --rfc2136-tsig-keyname and --rfc2136-tsig-secret"
            ) from error
        except dns.exception.DNSException as error:
            raise ProviderError(f"{what} failed: {error}") from error

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        """Send the batch as few TSIG-signed UPDATE messages; failure rules are in the module docstring."""
        outcome = ApplyOutcome()
        # Turning 20,000 endpoints into rdata takes about a second of CPU: keep it off the event loop.
        messages = await asyncio.to_thread(self._split, zone, changes, outcome)
        origin = dns.name.from_text(zone.name or ".")
        ahead = BuiltAhead(lambda groups: asyncio.to_thread(self._batch, origin, groups), messages)

        settings = self.settings
        async with UpdateConnection(settings.host, settings.port, settings.timeout) as connection:

            async def send(groups: Sequence[_Group]) -> None:
                batch = await ahead.take(groups)
                if batch is None or time.monotonic() - batch.rendered_at > _RENDERED_FOR_AT_MOST:
                    # a half of a refused message (apply_bisecting), or one whose signature would be stale
                    batch = self._batch(origin, groups)
                await self._send(batch.update, connection)

            try:
                return await apply_bisecting(messages, send, lambda group: group.endpoints, outcome)
            finally:
                ahead.cancel()
                self.stats.connections += connection.opened

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        """The TTL the record will be written with, and targets in the text form AXFR reads them back in.

        An unset TTL stays unset (0): the planner never updates a record for an unset TTL, so a zone written by
        ExternalDNS, whose RFC2136 provider writes TTL 0 when none is asked for, is adopted without a change.
        """
        return [
            endpoint.with_(
                ttl=max(self.settings.min_ttl, endpoint.ttl) if endpoint.ttl else 0,
                targets=tuple(canonical(endpoint.record_type, t) for t in endpoint.targets),
            )
            for endpoint in endpoints
        ]

    async def close(self) -> None:
        """Nothing to release: every exchange opens its own TCP connection."""

    # Writing -------------------------------------------------------------------------------------------

    def _ttl(self, ttl: int) -> int:
        return max(self.settings.min_ttl, ttl) or DEFAULT_TTL

    def _groups(self, zone: Zone, origin: dns.name.Name, changes: Changes, outcome: ApplyOutcome) -> list[_Group]:
        """Changes grouped by owner name (ownership TXT under the name it owns); deletes, updates, creates."""
        groups: dict[str, _Group] = {}

        def add(endpoint: Endpoint, deleted: Sequence[Endpoint], added: Sequence[Endpoint]) -> None:
            if not zone.contains(endpoint.dns_name):
                outcome.failed.append((endpoint, f'"{endpoint.dns_name}" is outside zone "{zone.name or "."}"'))
                return
            try:
                operations = [
                    *(op for old in deleted for op in operations_for(Action.DELETE, old, 0)),
                    *(op for new in added for op in operations_for(Action.ADD, new, self._ttl(new.ttl))),
                ]
            except (dns.exception.DNSException, ValueError) as error:
                outcome.failed.append((endpoint, f"invalid {endpoint.record_type} record: {error}"))
                return
            owner = normalize_name(endpoint.labels.get("ownedRecord") or endpoint.dns_name)
            group = groups.setdefault(owner, _Group())
            group.endpoints.append(endpoint)
            group.operations.extend(operations)
            group.size += sum(wire_size(op, origin) for op in operations)

        for endpoint in changes.delete:
            add(endpoint, [endpoint], [])
        for old, new in zip(changes.update_old, changes.update_new, strict=True):
            add(new, [old], [new])
        for endpoint in changes.create:
            add(endpoint, [], [endpoint])
        return list(groups.values())

    def _split(self, zone: Zone, changes: Changes, outcome: ApplyOutcome) -> list[list[_Group]]:
        """The record groups of each UPDATE message of a batch (endpoints that cannot be written go to ``outcome``)."""
        origin = dns.name.from_text(zone.name or ".")
        budget = _MAX_MESSAGE - 12 - (len(name_wire(origin.labels)) + 4) - _TSIG_RESERVE
        messages: list[list[_Group]] = []
        pending: list[_Group] = []
        size = 0
        for group in self._groups(zone, origin, changes, outcome):
            if group.size > budget:
                message = "the changes at this name do not fit in one 64 KiB UPDATE message"
                outcome.failed.extend((endpoint, message) for endpoint in group.endpoints)
                continue
            if pending and (len(pending) >= self.settings.batch_change_size or size + group.size > budget):
                messages.append(pending)
                pending, size = [], 0
            pending.append(group)
            size += group.size
        if pending:
            messages.append(pending)
        return messages

    def _batch(self, origin: dns.name.Name, groups: Sequence[_Group]) -> _Batch:
        operations = (op for group in groups for op in group.operations)
        return _Batch(render_update(origin, operations, self._key), time.monotonic())

    async def _send(self, update: RenderedUpdate, connection: UpdateConnection | None = None) -> None:
        """Send one UPDATE (over ``connection``, kept for the batch, else one of its own); raise BatchRejected
        when the server refuses it, ProviderError when it cannot be sent."""
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            if connection is None:
                async with UpdateConnection(self.settings.host, self.settings.port, self.settings.timeout) as own:
                    answer = await own.exchange(update.wire)
                self.stats.connections += own.opened
            else:
                answer = await connection.exchange(update.wire)
            response = dns.message.from_wire(answer, keyring=self._keyring, request_mac=update.mac)
            if not update.answers(response.id, response.flags):
                raise dns.query.BadResponse
        except dns.exception.TooBig:
            raise BatchRejected("the changes at this name do not fit in one 64 KiB UPDATE message") from None
        except (OSError, EOFError, dns.exception.DNSException) as error:
            raise _classify(error)(_describe_send_error(error, self.settings)) from error
        self.stats.updates_sent += 1
        rcode = response.rcode()
        if rcode == dns.rcode.NOERROR:
            return
        problem = f"{where} answered {dns.rcode.to_text(rcode)} to the UPDATE of zone {update.origin}"
        # REFUSED and the like can be about one record (check-names, an update-policy rule, a dangling MX): a
        # smaller message may pass. NOTAUTH, NOTZONE, SERVFAIL are about the zone or the server as a whole.
        raise BatchRejected(problem, divisible=rcode in _RECORD_RCODES)


def _classify(error: Exception) -> type[ProviderError]:
    if isinstance(error, ConnectionRefusedError):
        return TransientProviderError  # nothing was sent
    if isinstance(error, OSError | EOFError | dns.exception.Timeout):
        return AmbiguousProviderError  # the UPDATE may have been applied before the answer was lost
    return ProviderError


def _describe_send_error(error: Exception, settings: RFC2136Config) -> str:
    where = f"{settings.host}:{settings.port}"
    if isinstance(error, dns.tsig.PeerError):
        return (
            f"{where} rejected our TSIG signature ({type(error).__name__}); "
            "check --rfc2136-tsig-keyname and --rfc2136-tsig-secret"
        )
    return f"UPDATE to {where} failed: {error or type(error).__name__}"
