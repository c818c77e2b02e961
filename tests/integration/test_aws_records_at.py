"""Route 53's records_at (providers/base.ReadingNames) against moto: exactly what records() gives at those names.

The zone is written by the provider itself, with the shapes the operator writes: A records with their ownership
TXT, a CNAME, an ELB alias (an A and an AAAA alias record set), weighted record sets at one name, a wildcard, an
old-format ownership TXT beside its record, and names that sort next to each other in Route 53's order
(``a`` / ``a-b`` / ``a.b``, whose listings follow each other).
"""

# The moto fixtures are test_aws_provider's, imported under their names (which the tests' arguments repeat).
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Collection

import pytest
from tests.integration.test_aws_provider import (  # noqa: F401  (fixtures, found by pytest by their names)
    ELB,
    Make,
    ThrottlingProxy,
    create_zone,
    make_provider,
    moto_server,
    moto_url,
    ownership_txt,
    proxy,
    zone_named,
)

from external_dns.endpoint import Endpoint
from external_dns.errors import ProviderBusy, ProviderError, TransientProviderError
from external_dns.providers.aws.provider import AWSProvider
from external_dns.providers.base import Changes, ReadingNames, Zone

OLD_FORMAT_TXT = '"heritage=external-dns,external-dns/owner=default"'


def zone_records(provider: AWSProvider) -> list[Endpoint]:
    """What the operator would write for a handful of objects (adjusted as the planner adjusts them)."""
    wanted = [
        Endpoint("a.example.com", "A", ("192.0.2.1",), ttl=60),
        Endpoint("a-b.example.com", "A", ("192.0.2.2",)),
        Endpoint("a.b.example.com", "A", ("192.0.2.3",)),
        Endpoint("www.example.com", "CNAME", ("web.example.org",)),
        Endpoint("app.example.com", "CNAME", (ELB,)),
        Endpoint("*.example.com", "A", ("192.0.2.4",)),
        Endpoint("example.com", "A", ("192.0.2.5",)),
        Endpoint("_sip._udp.example.com", "SRV", ("0 5 5060 sip.example.com",)),
        *(
            Endpoint("w.example.com", "A", (f"192.0.2.{10 + i}",), set_identifier=color, provider_specific=weight)
            for i, (color, weight) in enumerate(
                [("blue", {"aws/weight": "10"}), ("green", {"aws/weight": "20"}), ("red", {"aws/weight": "0"})]
            )
        ),
    ]
    records = provider.adjust_endpoints(wanted)
    old_format = [
        Endpoint("old.example.com", "A", ("192.0.2.6",)),
        Endpoint("old.example.com", "TXT", (OLD_FORMAT_TXT,)),
    ]
    # No ownership TXT for the apex record: "a-example.com" is outside the zone (moto would take it, Route 53 not).
    owned = [record for record in records if record.dns_name != "example.com"]
    return records + [ownership_txt(record) for record in owned] + old_format


async def written_zone(moto_url: str, make_provider: Make, **settings: object) -> tuple[AWSProvider, Zone]:
    await create_zone(moto_url, "example.com")
    provider = make_provider(**settings)
    zone = await zone_named(provider, "example.com")
    outcome = await provider.apply_changes(zone, Changes(create=zone_records(provider)))
    assert outcome.failed == []
    return provider, zone


def at(records: list[Endpoint], names: Collection[str]) -> list[Endpoint]:
    return sorted((record for record in records if record.key.name in names), key=lambda record: record.key)


async def test_provider_offers_reading_names(make_provider: Make) -> None:
    assert isinstance(make_provider(), ReadingNames)


@pytest.mark.parametrize(
    ("names", "found"),
    [
        ({"a.example.com"}, 1),
        ({"a.example.com", "a-a.example.com"}, 2),
        ({"a.example.com", "a-b.example.com", "a.b.example.com", "b.example.com"}, 3),
        ({"w.example.com", "a-w.example.com"}, 6),
        ({"app.example.com", "a-app.example.com", "aaaa-app.example.com"}, 4),
        ({"www.example.com", "cname-www.example.com"}, 2),
        ({"*.example.com", "a-*.example.com"}, 2),
        ({"example.com"}, 1),
        ({"old.example.com"}, 2),
        ({"_sip._udp.example.com", "srv-_sip._udp.example.com"}, 2),
        ({"nothere.example.com", "zzz.example.com", "x.example.org", "example.org"}, 0),
    ],
    ids=[
        "one name with one record",
        "a record and its ownership TXT",
        "names that sort next to each other and a name whose subdomain follows it",
        "weighted record sets at one name and their ownership TXT records",
        "an ELB alias read back as its A and AAAA alias record sets",
        "a CNAME and its ownership TXT",
        "a wildcard and its ownership TXT",
        "the apex without the zone's own SOA and NS",
        "an old-format ownership TXT beside its record",
        "an SRV name with underscores",
        "absent names and names outside the zone have none",
    ],
)
async def test_records_at_is_what_records_gives_at_those_names(
    moto_url: str, make_provider: Make, names: set[str], found: int
) -> None:
    provider, zone = await written_zone(moto_url, make_provider)
    expected = at(await provider.records(zone), names)
    assert len(expected) == found  # the zone holds what the case is about

    assert sorted(await provider.records_at(zone, names), key=lambda record: record.key) == expected


async def test_every_name_of_the_zone_read_at_once_is_the_whole_zone(moto_url: str, make_provider: Make) -> None:
    provider, zone = await written_zone(moto_url, make_provider)
    records = await provider.records(zone)

    assert sorted(await provider.records_at(zone, {r.key.name for r in records}), key=lambda r: r.key) == at(
        records, {r.key.name for r in records}
    )


async def test_one_request_per_name(moto_url: str, make_provider: Make) -> None:
    provider, zone = await written_zone(moto_url, make_provider)
    before = provider.api_calls["ListResourceRecordSets"]

    # A change's names: the record, its ownership TXT records, and a name with no records yet.
    await provider.records_at(zone, ["w.example.com", "a-w.example.com", "cname-w.example.com"])

    assert provider.api_calls["ListResourceRecordSets"] - before == 3


async def test_a_name_with_more_record_sets_than_a_page_is_read_on_the_next_pages(
    moto_url: str, make_provider: Make
) -> None:
    provider, zone = await written_zone(moto_url, make_provider)
    extra = [
        Endpoint("a.example.com", "AAAA", ("2001:db8::1",)),
        Endpoint("a.example.com", "MX", ("10 mx.example.com",)),
        Endpoint("a.example.com", "TXT", ('"v=spf1 -all"',)),
    ]
    assert (await provider.apply_changes(zone, Changes(create=extra))).failed == []
    expected = at(await provider.records(zone), {"a.example.com"})
    provider.names_page_size = 2
    before = provider.api_calls["ListResourceRecordSets"]

    found = await provider.records_at(zone, {"a.example.com"})

    assert sorted(found, key=lambda record: record.key) == expected
    assert len(expected) == 4
    assert provider.api_calls["ListResourceRecordSets"] - before == 2  # A AAAA | MX TXT, and the run ends there


async def test_a_listing_that_does_not_advance_is_an_error_not_a_loop(moto_url: str, make_provider: Make) -> None:
    provider, zone = await written_zone(moto_url, make_provider)
    expected = at(await provider.records(zone), {"w.example.com"})
    provider.names_page_size = 2

    # Three weighted A record sets, two per page: moto has no StartRecordIdentifier (Route 53 has), so its next
    # page would start at the first of them again. Either the run is read whole or the read fails; never a loop.
    try:
        found = await provider.records_at(zone, {"w.example.com"})
    except ProviderError as error:
        assert "does not advance" in str(error)
    else:
        assert sorted(found, key=lambda record: record.key) == expected


async def test_throttled_reads_are_retried(moto_url: str, make_provider: Make, proxy: ThrottlingProxy) -> None:
    provider, zone = await written_zone(proxy.url, make_provider, url=proxy.url, api_retries=3)
    expected = at(await provider.records(zone), {"a.example.com"})
    before = provider.api_calls["ListResourceRecordSets"]
    proxy.throttle = 2

    assert await provider.records_at(zone, {"a.example.com"}) == expected
    assert proxy.throttle == 0
    assert provider.api_calls["ListResourceRecordSets"] - before == 3


@pytest.mark.parametrize(
    ("status", "code", "message", "raised"),
    [
        (400, "Throttling", "Rate exceeded", ProviderBusy),
        (503, "ServiceUnavailable", "Service Unavailable", TransientProviderError),
    ],
    ids=["throttling that outlasts the retries is busy", "a 5xx that outlasts the retries is transient"],
)
async def test_a_read_that_cannot_be_answered_raises_a_transient_error(
    moto_url: str,
    make_provider: Make,
    proxy: ThrottlingProxy,
    status: int,
    code: str,
    message: str,
    raised: type[TransientProviderError],
) -> None:
    provider, zone = await written_zone(proxy.url, make_provider, url=proxy.url, api_retries=1)
    proxy.status, proxy.code, proxy.message, proxy.throttle = status, code, message, 100

    with pytest.raises(raised):
        await provider.records_at(zone, {"a.example.com"})
    proxy.throttle = 0
    assert len(await provider.records_at(zone, {"a.example.com"})) == 1  # the provider is still usable
