"""Cloudflare's records_at (providers/base.ReadingNames) against the KMock Cloudflare fake: what records() gives there.

The zone is written by the provider itself (records with their ownership TXT, several values at one name, a
proxied CNAME, MX and SRV, a wildcard, an old-format ownership TXT beside its record, names next to each other).
The provider fixture lists two records per page, so a name with three values is read over two pages.
"""

# The Cloudflare fixtures are test_cloudflare_provider's, imported under their names (which the arguments repeat).
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Collection

import kmock
import pytest
from tests.backends.cloudflare import ZONE, FakeCloudflare, error_response, inject_faults
from tests.integration.test_cloudflare_provider import (  # noqa: F401  (fixtures, found by pytest by their names)
    cloudflare,
    fake,
    ownership,
    provider,
)

from external_dns.endpoint import Endpoint
from external_dns.errors import TransientProviderError
from external_dns.providers.base import Changes, ReadingNames
from external_dns.providers.cloudflare.provider import PROXIED_PROPERTY, CloudflareProvider

OLD_FORMAT_TXT = '"heritage=external-dns,external-dns/owner=default"'


async def write_zone(provider: CloudflareProvider) -> None:
    records = provider.adjust_endpoints(
        [
            Endpoint("www.example.com", "A", ("192.0.2.12", "192.0.2.10", "192.0.2.11")),
            Endpoint("a.example.com", "A", ("192.0.2.1",), ttl=60),
            Endpoint("a-b.example.com", "A", ("192.0.2.2",)),
            Endpoint("a.b.example.com", "A", ("192.0.2.3",)),
            Endpoint("api.example.com", "CNAME", ("lb.example.net",), provider_specific={PROXIED_PROPERTY: "true"}),
            Endpoint("*.example.com", "A", ("192.0.2.4",)),
            Endpoint("example.com", "MX", ("10 mx.example.com",), ttl=300),
            Endpoint("_sip._udp.example.com", "SRV", ("0 5 5060 sip.example.com",)),
        ]
    )
    owned = [
        ownership(f"{r.record_type.lower()}-{r.dns_name}".replace("*", "wildcard"), r.dns_name)
        for r in records
        if r.dns_name != ZONE.name  # the apex's TXT name would fall outside the zone
    ]
    old_format = [
        Endpoint("old.example.com", "A", ("192.0.2.6",)),
        Endpoint("old.example.com", "TXT", (OLD_FORMAT_TXT,)),
    ]
    outcome = await provider.apply_changes(ZONE, Changes(create=[*records, *owned, *old_format]))
    assert outcome.failed == []


def at(records: list[Endpoint], names: Collection[str]) -> list[Endpoint]:
    return sorted((record for record in records if record.key.name in names), key=lambda record: record.key)


async def test_provider_offers_reading_names(provider: CloudflareProvider) -> None:
    assert isinstance(provider, ReadingNames)


@pytest.mark.parametrize(
    ("names", "found"),
    [
        ({"www.example.com"}, 1),
        ({"www.example.com", "a-www.example.com"}, 2),
        ({"a.example.com", "a-b.example.com", "a.b.example.com", "b.example.com"}, 3),
        ({"api.example.com", "cname-api.example.com"}, 2),
        ({"example.com"}, 1),
        ({"*.example.com", "a-wildcard.example.com"}, 2),
        ({"_sip._udp.example.com", "srv-_sip._udp.example.com"}, 2),
        ({"old.example.com"}, 2),
        ({"nothere.example.com", "x.example.org"}, 0),
    ],
    ids=[
        "three values at one name, over two pages",
        "a record and its ownership TXT",
        "names next to each other and a name whose subdomain exists",
        "a proxied CNAME and its ownership TXT",
        "the apex",
        "a wildcard and its ownership TXT",
        "an SRV name with its ownership TXT",
        "an old-format ownership TXT beside its record",
        "absent names and names outside the zone have none",
    ],
)
async def test_records_at_is_what_records_gives_at_those_names(
    provider: CloudflareProvider, names: set[str], found: int
) -> None:
    await write_zone(provider)
    expected = at(await provider.records(ZONE), names)
    assert len(expected) == found  # the zone holds what the case is about

    assert sorted(await provider.records_at(ZONE, names), key=lambda record: record.key) == expected


async def test_every_name_of_the_zone_read_at_once_is_the_whole_zone(provider: CloudflareProvider) -> None:
    await write_zone(provider)
    records = await provider.records(ZONE)
    names = {record.key.name for record in records}

    assert sorted(await provider.records_at(ZONE, names), key=lambda record: record.key) == at(records, names)


async def test_one_listing_per_name_filtered_by_cloudflare(fake: FakeCloudflare, provider: CloudflareProvider) -> None:
    await write_zone(provider)
    fake.listings.clear()

    # A change's names: the record, its ownership TXT records, and a name with no records yet; none outside the zone.
    await provider.records_at(ZONE, {"a.example.com", "a-a.example.com", "cname-a.example.com", "x.example.org"})

    assert sorted(listing["name"] for listing in fake.listings) == [
        "a-a.example.com",
        "a.example.com",
        "cname-a.example.com",
    ]


async def test_values_listed_in_another_order_read_the_same(fake: FakeCloudflare, provider: CloudflareProvider) -> None:
    await write_zone(provider)
    before = await provider.records_at(ZONE, {"www.example.com"})
    # Cloudflare promises no order of the records at a name: a later listing may give them otherwise.
    fake.records = dict(reversed(fake.records.items()))

    assert at(await provider.records(ZONE), {"www.example.com"}) == before
    assert before[0].targets == ("192.0.2.10", "192.0.2.11", "192.0.2.12")


async def test_throttled_listings_are_retried(
    cloudflare: tuple[FakeCloudflare, kmock.RawHandler], provider: CloudflareProvider
) -> None:
    fake, handler = cloudflare
    await write_zone(provider)
    expected = at(await provider.records(ZONE), {"a.example.com"})
    fake.listings.clear()
    inject_faults(handler, "get", 2, error_response(429, 971, "Please wait", headers={"Retry-After": "0"}))

    assert await provider.records_at(ZONE, {"a.example.com"}) == expected
    assert len(fake.listings) == 1  # the two throttled attempts were answered before the fake


async def test_a_listing_that_keeps_failing_is_a_transient_error(
    cloudflare: tuple[FakeCloudflare, kmock.RawHandler], provider: CloudflareProvider
) -> None:
    _, handler = cloudflare
    await write_zone(provider)
    inject_faults(handler, "get", 100, error_response(503, 10000, "Service unavailable"))

    with pytest.raises(TransientProviderError, match="Service unavailable"):
        await provider.records_at(ZONE, {"a.example.com"})
