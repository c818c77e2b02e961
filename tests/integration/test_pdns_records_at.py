"""PowerDNS's records_at (providers/base.ReadingNames) against a real PowerDNS: exactly what records() gives there.

The zone is written by the provider itself (records with their ownership TXT, a CNAME, an apex CNAME stored as
ALIAS, a wildcard, MX, SRV, an old-format ownership TXT beside its record, names next to each other), plus
partly and wholly disabled rrsets written straight through the API.
"""

# The PowerDNS fixtures are test_pdns_provider's, imported under their names (which the tests' arguments repeat).
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from tests.backends.pdns import PowerDNSServer
from tests.integration.test_pdns_provider import (  # noqa: F401  (fixtures, found by pytest by their names)
    ownership_txt,
    pdns_server,
    provider,
    pytestmark,
    zone,
)

from external_dns.endpoint import Endpoint
from external_dns.errors import TransientProviderError
from external_dns.providers.base import Changes, ReadingNames, Zone
from external_dns.providers.pdns.provider import PDNSConfig, PDNSProvider

OLD_FORMAT_TXT = '"heritage=external-dns,external-dns/owner=default"'


@dataclass
class Requests:
    """The URLs of the requests a provider sent (an aiohttp trace)."""

    urls: list[str] = field(default_factory=list)

    async def started(self, session: object, context: object, params: aiohttp.TraceRequestStartParams) -> None:
        self.urls.append(str(params.url))


@pytest.fixture
async def traced(pdns_server: PowerDNSServer) -> AsyncIterator[tuple[PDNSProvider, Requests]]:
    """A provider whose requests are recorded."""
    requests = Requests()
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(requests.started)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        config = PDNSConfig(server=pdns_server.url, api_key=pdns_server.api_key)
        yield PDNSProvider(config, session=session, backoff_seconds=0), requests


async def write_zone(pdns_server: PowerDNSServer, provider: PDNSProvider, zone: Zone) -> None:
    name = zone.name
    records = provider.adjust_endpoints(
        [
            Endpoint(f"www.{name}", "A", ("192.0.2.10", "192.0.2.11")),
            Endpoint(f"a.{name}", "A", ("192.0.2.1",), ttl=60),
            Endpoint(f"a-b.{name}", "A", ("192.0.2.2",)),
            Endpoint(f"a.b.{name}", "A", ("192.0.2.3",)),
            Endpoint(f"web.{name}", "CNAME", (f"www.{name}",)),
            Endpoint(f"*.{name}", "A", ("192.0.2.4",)),
            Endpoint(f"mail.{name}", "MX", (f"10 mx.{name}",)),
            Endpoint(f"_sip._udp.{name}", "SRV", (f"0 5 5060 sip.{name}",)),
        ]
    )
    # PowerDNS refuses "*" inside a label: the wildcard's TXT takes a replacement (--txt-wildcard-replacement).
    owned = [
        ownership_txt(f"{r.record_type.lower()}-{r.dns_name}".replace("*", "wildcard"), r.dns_name) for r in records
    ]
    apex = Endpoint(name, "CNAME", ("lb.example.net",), ttl=300)  # stored as ALIAS beside the SOA
    old_format = [Endpoint(f"old.{name}", "A", ("192.0.2.6",)), Endpoint(f"old.{name}", "TXT", (OLD_FORMAT_TXT,))]
    outcome = await provider.apply_changes(zone, Changes(create=[*records, *owned, apex, *old_format]))
    assert outcome.failed == []
    disabled = [
        _rrset(f"off.{name}.", [("192.0.2.7", True), ("192.0.2.8", False)]),
        _rrset(f"gone.{name}.", [("192.0.2.9", True)]),
    ]
    pdns_server.call("PATCH", f"/zones/{zone.id}", {"rrsets": disabled})


def _rrset(name: str, records: list[tuple[str, bool]]) -> dict[str, object]:
    contents = [{"content": content, "disabled": disabled} for content, disabled in records]
    return {"name": name, "type": "A", "ttl": 300, "changetype": "REPLACE", "records": contents}


def at(records: list[Endpoint], names: Collection[str]) -> list[Endpoint]:
    return sorted((record for record in records if record.key.name in names), key=lambda record: record.key)


def named(zone: Zone, *labels: str) -> set[str]:
    return {f"{label}.{zone.name}" if label else zone.name for label in labels}


async def test_provider_offers_reading_names(provider: PDNSProvider) -> None:
    assert isinstance(provider, ReadingNames)


@pytest.mark.parametrize(
    ("labels", "found"),
    [
        (("www",), 1),
        (("www", "a-www"), 2),
        (("a", "a-b", "a.b", "b"), 3),
        (("web", "cname-web"), 2),
        (("",), 3),
        (("*", "a-wildcard"), 2),
        (("mail", "mx-mail", "_sip._udp", "srv-_sip._udp"), 4),
        (("old",), 2),
        (("off", "gone"), 1),
        (("nothere", "zzz"), 0),
    ],
    ids=[
        "one name with two values",
        "a record and its ownership TXT",
        "names next to each other and a name whose subdomain exists",
        "a CNAME and its ownership TXT",
        "the apex: its SOA, NS and the ALIAS read as CNAME",
        "a wildcard and its ownership TXT",
        "MX and SRV names with their ownership TXT",
        "an old-format ownership TXT beside its record",
        "disabled records left out as records() leaves them out",
        "absent names have none",
    ],
)
async def test_records_at_is_what_records_gives_at_those_names(
    pdns_server: PowerDNSServer, provider: PDNSProvider, zone: Zone, labels: tuple[str, ...], found: int
) -> None:
    await write_zone(pdns_server, provider, zone)
    names = named(zone, *labels)
    expected = at(await provider.records(zone), names)
    assert len(expected) == found  # the zone holds what the case is about

    assert sorted(await provider.records_at(zone, names), key=lambda record: record.key) == expected


async def test_every_name_of_the_zone_read_at_once_is_the_whole_zone(
    pdns_server: PowerDNSServer, provider: PDNSProvider, zone: Zone
) -> None:
    await write_zone(pdns_server, provider, zone)
    records = await provider.records(zone)
    names = {record.key.name for record in records}

    assert sorted(await provider.records_at(zone, names), key=lambda record: record.key) == at(records, names)


async def test_names_outside_the_zone_are_not_asked_for(
    pdns_server: PowerDNSServer, traced: tuple[PDNSProvider, Requests], zone: Zone
) -> None:
    provider, requests = traced

    assert await provider.records_at(zone, {"x.example.org", f"{zone.name}.example.org", "example.com"}) == []
    assert requests.urls == []


async def test_a_name_of_a_child_zone_has_none_in_the_parent(
    pdns_server: PowerDNSServer, provider: PDNSProvider, zone: Zone
) -> None:
    child = Zone(f"sub.{zone.name}", f"sub.{zone.name}.")
    pdns_server.create_zone(child.name)
    assert (
        await provider.apply_changes(child, Changes(create=[Endpoint(f"www.{child.name}", "A", ("192.0.2.1",))]))
    ).failed == []

    assert await provider.records_at(zone, {f"www.{child.name}"}) == []
    assert [e.dns_name for e in await provider.records_at(child, {f"www.{child.name}"})] == [f"www.{child.name}"]


async def test_one_get_per_name_filtered_by_the_server(
    pdns_server: PowerDNSServer, traced: tuple[PDNSProvider, Requests], zone: Zone
) -> None:
    provider, requests = traced
    await write_zone(pdns_server, provider, zone)
    requests.urls.clear()

    # A change's names: the record, its ownership TXT records, and a name with no records yet.
    await provider.records_at(zone, named(zone, "www", "a-www", "cname-www"))

    assert len(requests.urls) == 3
    assert all("rrset_name=" in url for url in requests.urls)
    # The Debian PowerDNS (4.7) answers only the name asked for, not the zone.
    answer = pdns_server.call("GET", f"/zones/{zone.id}?rrset_name={quote(f'www.{zone.name}.')}")
    assert {rrset["name"] for rrset in answer["rrsets"]} == {f"www.{zone.name}."}


@dataclass
class FilterIgnoringProxy:
    """Forwards to PowerDNS without the query string: a server older than 4.7, which answers the whole zone."""

    upstream: str
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with (
            aiohttp.ClientSession() as session,
            session.request(request.method, self.upstream + request.path, headers=headers) as answer,
        ):
            return web.Response(status=answer.status, body=await answer.read(), content_type="application/json")


@pytest.fixture
async def old_server(pdns_server: PowerDNSServer) -> AsyncIterator[FilterIgnoringProxy]:
    proxy = FilterIgnoringProxy(upstream=pdns_server.url)
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", proxy.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    proxy.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield proxy
    await runner.cleanup()


async def test_a_server_that_ignores_the_filter_gives_the_same_records(
    pdns_server: PowerDNSServer, provider: PDNSProvider, zone: Zone, old_server: FilterIgnoringProxy
) -> None:
    await write_zone(pdns_server, provider, zone)
    names = named(zone, "www", "a-www", "a", "nothere")
    expected = at(await provider.records(zone), names)
    old = PDNSProvider(PDNSConfig(server=old_server.url, api_key=pdns_server.api_key), backoff_seconds=0)
    try:
        found = await old.records_at(zone, names)
    finally:
        await old.close()

    assert sorted(found, key=lambda record: record.key) == expected
    assert len(expected) == 3


async def test_a_stopped_server_is_a_transient_error(tmp_path_factory: pytest.TempPathFactory) -> None:
    with PowerDNSServer(tmp_path_factory.mktemp("pdns-down")) as server:
        server.create_zone("down.example.com")
        provider = PDNSProvider(PDNSConfig(server=server.url, api_key=server.api_key), backoff_seconds=0.01)
        zone = Zone("down.example.com", "down.example.com.")
        try:
            assert await provider.records_at(zone, {"down.example.com"}) != []
            server.stop()
            with pytest.raises(TransientProviderError, match="after 3 attempts"):
                await provider.records_at(zone, {"down.example.com"})
        finally:
            await provider.close()
