"""The RFC2136 provider's point reads (records_at) against a real BIND: exactly what the AXFR holds at the names,
or a ProviderError where queries cannot tell (wildcards, delegations, DNAMEs)."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.update
import pytest
from tests.backends.bind import BindServer, running_bind
from tests.integration.test_rfc2136_provider import ZONE, ownership_txt, provider_for

from external_dns.endpoint import Endpoint
from external_dns.errors import ProviderError, TransientProviderError
from external_dns.providers.base import Changes, ReadingNames, Zone
from external_dns.providers.rfc2136 import names as point_reads
from external_dns.providers.rfc2136.provider import RFC2136Provider

pytestmark = pytest.mark.bind

LONG_TXT = '"' + "v" * 300 + '"'  # more than one 255-byte TXT string
#: 248 bytes on the wire: a made-up sibling of it (a 36-byte label) would be longer than a name can be.
LONG_NAME = ".".join(["x", "l" * 63, "m" * 63, "n" * 63, "o" * 40, "example.com"])
WRITTEN = [
    Endpoint("www.example.com", "A", ("192.0.2.1", "192.0.2.2"), ttl=120),
    ownership_txt("www.example.com"),
    Endpoint("www.example.com", "AAAA", ("2001:db8::1",), ttl=120),
    ownership_txt("www.example.com", "aaaa"),
    Endpoint("app.example.com", "CNAME", ("lb.example.net",), ttl=60),
    ownership_txt("app.example.com", "cname"),
    Endpoint("quoted.example.com", "TXT", ('"say \\"hi\\""',), ttl=300),
    Endpoint("long.example.com", "TXT", (LONG_TXT,), ttl=300),
    Endpoint("mail.example.com", "A", ("192.0.2.25",), ttl=300),
    Endpoint("example.com", "MX", ("10 mail.example.com.",), ttl=300),
    Endpoint("_sip._udp.example.com", "SRV", ("10 60 5060 mail.example.com.",), ttl=300),
    Endpoint("bücher.example.com", "A", ("192.0.2.3",), ttl=300),
    Endpoint("deep.sub.example.com", "A", ("192.0.2.4",), ttl=300),
    Endpoint(LONG_NAME, "A", ("192.0.2.5",), ttl=300),
]
#: Records the operator did not write: a name the zone file spells with capitals.
PRESENT = ["Caps 300 IN A 192.0.2.7", 'Caps 300 IN TXT "upper"']


@pytest.fixture
def written(tmp_path: Path) -> Iterator[tuple[BindServer, RFC2136Provider]]:
    """BIND serving example.com with WRITTEN written by the provider itself (and PRESENT in its zone file)."""
    with running_bind(tmp_path, ["example.com"], {"example.com": PRESENT}) as server:
        yield server, provider_for(server)


def in_order(endpoints: list[Endpoint]) -> list[Endpoint]:
    return sorted(endpoints, key=lambda endpoint: endpoint.key)


async def whole_read_at(provider: RFC2136Provider, names: set[str]) -> list[Endpoint]:
    return in_order([record for record in await provider.records(ZONE) if record.key.name in names])


def test_the_provider_reads_names() -> None:
    assert issubclass(RFC2136Provider, ReadingNames)


@pytest.mark.parametrize(
    "names",
    [
        pytest.param({"www.example.com"}, id="one name with two record types"),
        pytest.param({"www.example.com", "a-www.example.com", "aaaa-www.example.com"}, id="a name and its registry"),
        pytest.param({"app.example.com", "cname-app.example.com"}, id="a CNAME and its registry TXT"),
        pytest.param({"quoted.example.com", "long.example.com"}, id="TXT with quotes and a long value"),
        pytest.param({"example.com"}, id="the apex: its MX, not its NS or SOA"),
        pytest.param({"_sip._udp.example.com", "mail.example.com"}, id="SRV and the A it points at"),
        pytest.param({"xn--bcher-kva.example.com"}, id="an IDN name in its normalised form"),
        pytest.param({"caps.example.com"}, id="a name the zone holds in capitals"),
        pytest.param({LONG_NAME}, id="a name too long to ask a made-up sibling of"),
        pytest.param({"absent.example.com", "sub.example.com", "www.example.org", "a" * 64 + ".example.com"},
                     id="absent names, an empty non-terminal, a name outside the zone and one that cannot be"),
    ],
)  # fmt: skip
async def test_the_records_at_names_are_what_the_whole_read_has_there(
    written: tuple[BindServer, RFC2136Provider], names: set[str]
) -> None:
    _, provider = written
    assert (await provider.apply_changes(ZONE, Changes(create=WRITTEN))).failed == []

    at_names = in_order(await provider.records_at(ZONE, names))

    assert at_names == await whole_read_at(provider, names)
    assert provider.stats.point_reads == 1


async def test_every_name_of_the_zone_at_once_is_the_whole_read(written: tuple[BindServer, RFC2136Provider]) -> None:
    _, provider = written
    assert (await provider.apply_changes(ZONE, Changes(create=WRITTEN))).failed == []
    whole = in_order(await provider.records(ZONE))

    assert in_order(await provider.records_at(ZONE, {record.key.name for record in whole})) == whole
    assert len(whole) == len(WRITTEN) + 3  # and ns1's A, and Caps' A and TXT


async def test_no_names_or_only_names_outside_the_zone_ask_nothing(bind_server: BindServer) -> None:
    provider = provider_for(bind_server, port=1)  # nothing listens there: any query would fail

    assert await provider.records_at(ZONE, set()) == []
    assert await provider.records_at(ZONE, {"www.example.org"}) == []


WILDCARD_ZONE = [
    "*.apps 300 IN A 192.0.2.99",
    "explicit.apps 300 IN A 192.0.2.99",  # the wildcard's record, held by a name of its own
    "other.apps 300 IN A 192.0.2.5",
    "a.ent.apps 300 IN A 192.0.2.6",  # ent.apps exists, without records: no synthesis there
    "*.nested.apps 300 IN A 192.0.2.99",  # nested.apps: absent, but a wildcard child makes it exist (empty)
    "www 300 IN A 192.0.2.1",
]


@pytest.fixture
def wildcard_zone(tmp_path: Path) -> Iterator[RFC2136Provider]:
    with running_bind(tmp_path, ["example.com"], {"example.com": WILDCARD_ZONE}) as server:
        yield provider_for(server)


@pytest.mark.parametrize(
    "names",
    [
        pytest.param({"other.apps.example.com"}, id="a name with records other than the wildcard's"),
        pytest.param({"explicit.apps.example.com"}, id="a name holding the wildcard's own records"),
        pytest.param({"*.apps.example.com"}, id="the wildcard itself"),
        pytest.param({"ent.apps.example.com", "nested.apps.example.com"}, id="empty non-terminals under it"),
        pytest.param({"new.apps.example.com", "a-new.apps.example.com"}, id="absent names it answers for"),
        pytest.param({"deeper.new.apps.example.com"}, id="an absent name two labels below it"),
        pytest.param({"www.example.com", "new.example.com"}, id="names beside the wildcard's parent"),
    ],
)
async def test_names_under_a_wildcard_are_read_as_the_zone_holds_them(
    wildcard_zone: RFC2136Provider, names: set[str]
) -> None:
    at_names = in_order(await wildcard_zone.records_at(ZONE, names))

    assert at_names == await whole_read_at(wildcard_zone, names)


async def test_a_name_a_wildcard_answers_for_is_checked_by_a_prerequisite_that_changes_nothing(
    tmp_path: Path,
) -> None:
    with running_bind(tmp_path, ["example.com"], {"example.com": WILDCARD_ZONE}) as server:
        provider = provider_for(server)
        serial_before = soa_serial(server)

        assert await provider.records_at(ZONE, {"new.apps.example.com", "explicit.apps.example.com"}) == [
            Endpoint("explicit.apps.example.com", "A", ("192.0.2.99",), ttl=300)
        ]
        assert soa_serial(server) == serial_before

        # Unsigned, the query is answered (allow-query any) but the check refused (allow-update needs the key).
        insecure = provider_for(server, insecure=True, tsig_keyname="", tsig_secret="")
        with pytest.raises(ProviderError, match=r"wildcard.*REFUSED") as raised:
            await insecure.records_at(ZONE, {"new.apps.example.com"})
        assert not isinstance(raised.value, TransientProviderError)  # asking again would be refused again
        assert await insecure.records_at(ZONE, {"other.apps.example.com"}) != []  # no check needed there


def soa_serial(server: BindServer) -> int:
    info = server.info
    answer = dns.query.tcp(dns.message.make_query("example.com", "SOA"), info.host, port=info.port, timeout=5)
    serial: int = answer.answer[0][0].serial
    return serial


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        pytest.param("sub.example.com", "delegation", id="a delegation point"),
        pytest.param("ns.sub.example.com", "delegation", id="glue below a delegation"),
        pytest.param("x.legacy.example.com", "DNAME", id="a name below a DNAME"),
    ],
)
async def test_names_a_query_cannot_read_are_a_provider_error(tmp_path: Path, name: str, problem: str) -> None:
    records = ["sub 300 IN NS ns.sub", "ns.sub 300 IN A 192.0.2.53", "legacy 300 IN DNAME example.org."]
    with running_bind(tmp_path, ["example.com"], {"example.com": records}) as server:
        provider = provider_for(server)
        with pytest.raises(ProviderError, match=problem):
            await provider.records_at(ZONE, {name})
        assert in_order(await provider.records_at(ZONE, {"legacy.example.com"})) == await whole_read_at(
            provider, {"legacy.example.com"}
        )


async def test_a_zone_the_server_does_not_serve_is_a_provider_error(bind_server: BindServer) -> None:
    provider = provider_for(bind_server, zones=("example.net",))

    with pytest.raises(ProviderError, match="REFUSED"):
        await provider.records_at(Zone("example.net", "example.net"), {"www.example.net"})


async def test_unsigned_queries_read_the_names_when_the_server_lets_anyone_query(bind_server: BindServer) -> None:
    written = Endpoint("www.example.com", "A", ("192.0.2.1",), ttl=60)
    signed = provider_for(bind_server)
    assert (await signed.apply_changes(ZONE, Changes(create=[written]))).failed == []
    info = bind_server.info
    insecure = provider_for(bind_server, insecure=True, tsig_keyname="", tsig_secret="")

    assert await insecure.records_at(ZONE, {"www.example.com"}) == [written]
    assert await signed.records_at(ZONE, {"www.example.com"}) == [written]
    assert info.key_secret  # the server has a key; it lets unsigned queries through (allow-query any)


async def test_a_wrong_tsig_secret_is_a_provider_error_naming_the_flags(bind_server: BindServer) -> None:
    secret = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    provider = provider_for(bind_server, tsig_secret=secret)

    with pytest.raises(ProviderError, match="--rfc2136-tsig-secret") as raised:
        await provider.records_at(ZONE, {"www.example.com"})

    assert not isinstance(raised.value, TransientProviderError)
    assert secret not in str(raised.value)


async def test_a_stopped_server_is_a_transient_error(bind_server: BindServer) -> None:
    provider = provider_for(bind_server)
    bind_server.stop()

    with pytest.raises(TransientProviderError, match=r"example\.com"):
        await provider.records_at(ZONE, {"www.example.com"})


async def test_a_server_that_does_not_answer_is_a_transient_error(bind_server: BindServer) -> None:
    """A socket that accepts connections (the kernel does, from its backlog) and never reads: the query times out.
    (A SIGSTOPped BIND may still answer a query or two while its threads stop, on a loaded machine.)"""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        provider = provider_for(bind_server, port=silent.getsockname()[1], timeout=0.5)

        with pytest.raises(TransientProviderError, match="timed out"):
            await provider.records_at(ZONE, {"www.example.com"})


async def test_without_axfr_nothing_is_read_at_the_names_either(bind_server: BindServer) -> None:
    reading = provider_for(bind_server)
    assert (await reading.apply_changes(ZONE, Changes(create=WRITTEN[:2]))).failed == []
    provider = provider_for(bind_server, axfr=False)

    assert await provider.records_at(ZONE, {"www.example.com", "a-www.example.com"}) == []
    assert await provider.records(ZONE) == []
    assert provider.stats.point_reads == 0
    assert len(await reading.records_at(ZONE, {"www.example.com", "a-www.example.com"})) == 2


def write_during(bind_server: BindServer, monkeypatch: pytest.MonkeyPatch, reads_written: int) -> list[int]:
    """Make the first ``reads_written`` reads of the names each see a write to the zone right after its queries;
    returns the list each read appends its number to."""
    reads: list[int] = []
    read = point_reads._PointRead.records
    info = bind_server.info

    def records_then_write(self: point_reads._PointRead, names: list[dns.name.Name]) -> list[Endpoint]:
        found = read(self, names)
        reads.append(len(reads) + 1)
        if len(reads) <= reads_written:
            update = dns.update.UpdateMessage("example.com", keyring=bind_server.keyring())
            update.replace(f"written{len(reads)}", 60, "A", "192.0.2.77")
            dns.query.tcp(update, info.host, port=info.port, timeout=5)
        return found

    monkeypatch.setattr(point_reads._PointRead, "records", records_then_write)
    return reads


async def test_a_read_the_zone_changed_under_is_asked_again(
    bind_server: BindServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = provider_for(bind_server)
    reads = write_during(bind_server, monkeypatch, reads_written=1)

    found = await provider.records_at(ZONE, {"written1.example.com"})

    assert reads == [1, 2]  # the first read's serials differed
    assert found == [Endpoint("written1.example.com", "A", ("192.0.2.77",), ttl=60)]  # the second read saw it


async def test_a_zone_that_changes_during_every_read_is_a_transient_error(
    bind_server: BindServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = provider_for(bind_server)
    reads = write_during(bind_server, monkeypatch, reads_written=point_reads.ATTEMPTS)

    with pytest.raises(TransientProviderError, match="changed"):
        await provider.records_at(ZONE, {"www.example.com"})

    assert len(reads) == point_reads.ATTEMPTS
