"""PDNSProvider against a real PowerDNS Authoritative server (gsqlite3) started on loopback by the tests."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path

import pytest
from tests.backends.pdns import PowerDNSServer, pdns_missing_reason

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint
from external_dns.errors import ProviderError, TransientProviderError
from external_dns.providers.base import Changes, Zone
from external_dns.providers.pdns.provider import PDNSConfig, PDNSProvider, RRsetChange

pytestmark = [
    pytest.mark.pdns,
    pytest.mark.skipif(pdns_missing_reason() is not None, reason=pdns_missing_reason() or ""),
]

_zone_numbers = itertools.count(1)
OWNERSHIP = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"'


@pytest.fixture(scope="module")
def pdns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PowerDNSServer]:
    with PowerDNSServer(tmp_path_factory.mktemp("pdns")) as server:
        yield server


@pytest.fixture
def zone(pdns_server: PowerDNSServer) -> Zone:
    """A fresh zone per test, so tests sharing the server never see each other's records."""
    name = f"t{next(_zone_numbers)}.example.com"
    pdns_server.create_zone(name)
    return Zone(name=name, id=f"{name}.")


@pytest.fixture
async def provider(pdns_server: PowerDNSServer) -> AsyncIterator[PDNSProvider]:
    provider = PDNSProvider(PDNSConfig(server=pdns_server.url, api_key=pdns_server.api_key), backoff_seconds=0)
    yield provider
    await provider.close()


def ownership_txt(name: str, owned: str, value: str = OWNERSHIP) -> Endpoint:
    return Endpoint(name, "TXT", (value,), labels={OWNED_RECORD_LABEL: owned})


async def test_zones_are_listed_without_trailing_dot_and_filtered_by_domain(
    pdns_server: PowerDNSServer, zone: Zone
) -> None:
    pdns_server.create_zone("other.example.org")
    config = PDNSConfig(
        server=pdns_server.url, api_key=pdns_server.api_key, domain_filter=DomainFilter(include=(zone.name,))
    )
    provider = PDNSProvider(config)
    try:
        assert await provider.zones() == [zone]
    finally:
        await provider.close()


async def test_create_update_delete_round_trip(pdns_server: PowerDNSServer, provider: PDNSProvider, zone: Zone) -> None:
    www = f"www.{zone.name}"
    created = Endpoint(www, "A", ("192.0.2.10", "192.0.2.11"))
    alias = Endpoint(f"api.{zone.name}", "CNAME", (www,), ttl=60)
    outcome = await provider.apply_changes(zone, Changes(create=[created, alias]))
    assert outcome.failed == []
    assert pdns_server.rrsets(zone.name)[(www, "A")] == {"192.0.2.10", "192.0.2.11"}
    assert pdns_server.rrsets(zone.name)[(f"api.{zone.name}", "CNAME")] == {f"{www}."}

    records = {(e.dns_name, e.record_type): e for e in await provider.records(zone)}
    assert records[(www, "A")] == Endpoint(www, "A", ("192.0.2.10", "192.0.2.11"), ttl=300)
    assert records[(f"api.{zone.name}", "CNAME")] == alias

    updated = Endpoint(www, "A", ("192.0.2.20",), ttl=120)
    outcome = await provider.apply_changes(zone, Changes(update_old=[records[(www, "A")]], update_new=[updated]))
    assert outcome.failed == []
    assert [e for e in await provider.records(zone) if e.dns_name == www] == [updated]

    outcome = await provider.apply_changes(zone, Changes(delete=[updated, alias]))
    assert outcome.failed == []
    assert {name for name, _ in pdns_server.rrsets(zone.name)} == {zone.name}


async def test_ownership_txt_keeps_its_quotes(pdns_server: PowerDNSServer, provider: PDNSProvider, zone: Zone) -> None:
    www = f"www.{zone.name}"
    txt = ownership_txt(f"a-www.{zone.name}", www)
    outcome = await provider.apply_changes(zone, Changes(create=[Endpoint(www, "A", ("192.0.2.1",)), txt]))
    assert outcome.failed == []
    assert pdns_server.rrsets(zone.name)[(f"a-www.{zone.name}", "TXT")] == {OWNERSHIP}
    read = [e for e in await provider.records(zone) if e.record_type == "TXT"]
    assert [e.targets for e in read] == [(OWNERSHIP,)]


async def test_apex_cname_is_written_as_alias_and_read_back_as_cname(
    pdns_server: PowerDNSServer, provider: PDNSProvider, zone: Zone
) -> None:
    apex = Endpoint(zone.name, "CNAME", ("lb.example.net",))
    outcome = await provider.apply_changes(zone, Changes(create=[apex]))
    assert outcome.failed == []
    assert pdns_server.rrsets(zone.name)[(zone.name, "ALIAS")] == {"lb.example.net."}
    read = [e for e in await provider.records(zone) if e.dns_name == zone.name and e.record_type == "CNAME"]
    assert read == [apex.with_(ttl=300)]

    outcome = await provider.apply_changes(zone, Changes(delete=read))
    assert outcome.failed == []
    assert (zone.name, "ALIAS") not in pdns_server.rrsets(zone.name)


async def test_a_bad_record_fails_alone_while_its_batch_mates_land(
    pdns_server: PowerDNSServer, provider: PDNSProvider, zone: Zone
) -> None:
    good = Endpoint(f"good.{zone.name}", "A", ("192.0.2.1",))
    good_txt = ownership_txt(f"a-good.{zone.name}", good.dns_name)
    bad = Endpoint(f"bad.{zone.name}", "A", ("not-an-ip",))
    bad_txt = ownership_txt(f"a-bad.{zone.name}", bad.dns_name)
    also_good = Endpoint(f"also.{zone.name}", "AAAA", ("2001:db8::1",))

    outcome = await provider.apply_changes(zone, Changes(create=[good, bad, also_good, good_txt, bad_txt]))

    failed = {endpoint.dns_name: message for endpoint, message in outcome.failed}
    assert set(failed) == {bad.dns_name, bad_txt.dns_name}, "the bad record fails with its ownership TXT"
    assert "Parsing record content" in failed[bad.dns_name]
    landed = pdns_server.rrsets(zone.name)
    assert landed[(good.dns_name, "A")] == {"192.0.2.1"}
    assert landed[(good_txt.dns_name, "TXT")] == {OWNERSHIP}
    assert landed[(also_good.dns_name, "AAAA")] == {"2001:db8::1"}
    assert (bad.dns_name, "A") not in landed
    assert (bad_txt.dns_name, "TXT") not in landed


async def test_a_rejected_patch_is_bisected_not_resent_group_by_group(pdns_server: PowerDNSServer, zone: Zone) -> None:
    class CountingPatches(PDNSProvider):
        patches = 0

        async def _patch(self, zone: Zone, rrsets: Iterable[RRsetChange]) -> None:
            CountingPatches.patches += 1
            await super()._patch(zone, rrsets)

    provider = CountingPatches(PDNSConfig(server=pdns_server.url, api_key=pdns_server.api_key), backoff_seconds=0)
    names = [f"good{i:02d}.{zone.name}" for i in range(50)]
    goods = [Endpoint(name, "A", ("192.0.2.1",)) for name in names]
    txts = [ownership_txt(f"a-{name}", name) for name in names]
    culprit = Endpoint(f"bad.{zone.name}", "A", ("not-an-ip",))
    culprit_txt = ownership_txt(f"a-bad.{zone.name}", culprit.dns_name)
    try:
        outcome = await provider.apply_changes(
            zone, Changes(create=[*goods[:30], culprit, *goods[30:], *txts, culprit_txt])
        )
    finally:
        await provider.close()

    assert sorted(endpoint.dns_name for endpoint, _ in outcome.failed) == sorted(
        [culprit.dns_name, culprit_txt.dns_name]
    )
    landed = pdns_server.rrsets(zone.name)
    assert all((name, "A") in landed and (f"a-{name}", "TXT") in landed for name in names)
    # One PATCH, then two halves per level down to the culprit (six levels for 51 groups); not one per group.
    assert CountingPatches.patches <= 1 + 2 * 6


async def test_resync_after_adjust_endpoints_plans_nothing(provider: PDNSProvider, zone: Zone) -> None:
    desired = [
        Endpoint(f"www.{zone.name}", "A", ("192.0.2.1",)),
        Endpoint(f"mail.{zone.name}", "MX", (f"10 mx.{zone.name}",)),
        Endpoint(f"web.{zone.name}", "CNAME", (f"www.{zone.name}",), ttl=60),
        Endpoint(zone.name, "CNAME", ("lb.example.net",)),
        ownership_txt(f"a-www.{zone.name}", f"www.{zone.name}"),
    ]
    adjusted = provider.adjust_endpoints(desired)
    outcome = await provider.apply_changes(zone, Changes(create=adjusted))
    assert outcome.failed == []

    current = {e.key: e for e in await provider.records(zone)}
    for endpoint in adjusted:
        # Labels are the registry's business (it strips the ownership TXT); compare the DNS content.
        assert current[endpoint.key] == endpoint.with_(labels={})


async def test_a_refused_api_key_is_a_provider_error_that_does_not_show_the_key(
    pdns_server: PowerDNSServer, zone: Zone
) -> None:
    provider = PDNSProvider(PDNSConfig(server=pdns_server.url, api_key="wrong-secret-key"))
    try:
        with pytest.raises(ProviderError, match="refused the API key") as raised:
            await provider.records(zone)
    finally:
        await provider.close()
    assert not isinstance(raised.value, TransientProviderError)
    assert "wrong-secret-key" not in str(raised.value)
    assert "wrong-secret-key" not in repr(PDNSConfig(api_key="wrong-secret-key"))


async def test_a_stopped_server_is_a_transient_error(tmp_path: Path) -> None:
    with PowerDNSServer(tmp_path) as server:
        server.create_zone("down.example.com")
        provider = PDNSProvider(PDNSConfig(server=server.url, api_key=server.api_key), backoff_seconds=0.01)
        zone = Zone("down.example.com", "down.example.com.")
        assert await provider.records(zone) != []
        server.stop()
        try:
            with pytest.raises(TransientProviderError, match="after 3 attempts"):
                await provider.records(zone)
            with pytest.raises(TransientProviderError):
                await provider.apply_changes(
                    zone, Changes(create=[Endpoint("x.down.example.com", "A", ("192.0.2.1",))])
                )
        finally:
            await provider.close()


async def test_disabled_records_are_ignored(pdns_server: PowerDNSServer, provider: PDNSProvider, zone: Zone) -> None:
    name = f"off.{zone.name}."
    rrset = {
        "name": name,
        "type": "A",
        "ttl": 300,
        "changetype": "REPLACE",
        "records": [{"content": "192.0.2.1", "disabled": True}, {"content": "192.0.2.2", "disabled": False}],
    }
    pdns_server.call("PATCH", f"/zones/{zone.id}", {"rrsets": [rrset]})
    read = [e for e in await provider.records(zone) if e.dns_name == name.rstrip(".")]
    assert [e.targets for e in read] == [("192.0.2.2",)]
