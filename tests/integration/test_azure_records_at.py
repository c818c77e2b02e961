"""Azure's records_at (providers/base.ReadingNames) against the ARM fake: exactly what records() gives at those names.

Azure lists no record sets by exact name, so the provider asks for one record-set list per name filtered with
``$recordsetnamesuffix`` (the relative name, ``@`` at the apex) and keeps that name alone: the filter also lets
through the names below it (``x.www`` for ``www``), and a server reading it more widely (any name ending in its
characters) or not at all must give the same answer, only more slowly. The fake lists three record sets per page,
so a name with four types is read over two pages (``nextLink``).
"""

# The fixtures are test_azure_provider's, imported under their names (which the tests' arguments repeat).
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from collections.abc import Collection

import pytest
from tests.backends.azure import FakeAzure, Fault
from tests.integration.test_azure_provider import fake, make_provider, owned  # noqa: F401  (a fixture among them)

from external_dns.endpoint import Endpoint, normalize_name
from external_dns.errors import ProviderError, TransientProviderError
from external_dns.providers.azure import AzureProvider
from external_dns.providers.base import Changes, ReadingNames, Zone

PUBLIC = "example.com"
PRIVATE = "internal.example.com"
FLAVOURS = pytest.mark.parametrize("private", [False, True], ids=["azure-dns", "azure-private-dns"])


def zone_records(zone: str) -> list[Endpoint]:
    """Records with their ownership TXT, four types at one name, the apex, and names that end in one another."""
    return [
        *owned("www", "192.0.2.10", zone),
        Endpoint(f"www.{zone}", "AAAA", ("2001:db8::10",)),
        Endpoint(f"www.{zone}", "MX", ("10 mx.example.net",), ttl=60),
        Endpoint(f"www.{zone}", "TXT", ("v=spf1 -all",)),
        *owned("x.www", "192.0.2.11", zone),
        *owned("a", "192.0.2.1", zone),
        *owned("ba", "192.0.2.2", zone),
        *owned("b.a", "192.0.2.3", zone),
        Endpoint(zone, "MX", ("10 mail.example.net",)),
        Endpoint(zone, "TXT", ("apex-verification",)),
    ]


async def written(fake: FakeAzure, private: bool) -> tuple[AzureProvider, Zone]:
    provider = make_provider(fake, private=private)
    (zone,) = await provider.zones()
    outcome = await provider.apply_changes(zone, Changes(create=zone_records(zone.name)))
    assert outcome.failed == []
    return provider, zone


def at(endpoints: list[Endpoint], names: Collection[str]) -> list[Endpoint]:
    return sorted((ep for ep in endpoints if normalize_name(ep.dns_name) in names), key=lambda ep: ep.key)


def ordered(endpoints: list[Endpoint]) -> list[Endpoint]:
    return sorted(endpoints, key=lambda ep: ep.key)


CASES = [
    ({"www"}, 4),
    ({"www", "a-www"}, 5),
    ({"a", "ba", "b.a", "a-a"}, 4),
    ({"@"}, 2),
    ({"nothere", "x.example.org"}, 0),
]
CASE_IDS = [
    "four types and an ownership-less TXT at one name, over two pages, not the names below it",
    "a record and its ownership TXT",
    "names that end in one another",
    "the apex, without the zone's own SOA and NS",
    "an absent name and a name outside the zone have none",
]


def absolute(names: set[str], zone: str) -> set[str]:
    return {zone if name == "@" else name if name.endswith(".org") else f"{name}.{zone}" for name in names}


@FLAVOURS
@pytest.mark.parametrize(("names", "found"), CASES, ids=CASE_IDS)
async def test_records_at_is_what_records_gives_at_those_names(
    fake: FakeAzure, private: bool, names: set[str], found: int
) -> None:
    provider, zone = await written(fake, private)
    assert isinstance(provider, ReadingNames)
    wanted = absolute(names, zone.name)
    expected = at(await provider.records(zone), wanted)
    assert len(expected) == found  # the zone holds what the case is about

    assert ordered(await provider.records_at(zone, wanted)) == expected
    await provider.close()


@FLAVOURS
async def test_every_name_of_the_zone_read_at_once_is_the_whole_zone(fake: FakeAzure, private: bool) -> None:
    provider, zone = await written(fake, private)
    whole = await provider.records(zone)

    assert ordered(await provider.records_at(zone, {ep.dns_name for ep in whole})) == ordered(whole)
    await provider.close()


@FLAVOURS
async def test_one_listing_per_name_filtered_by_its_relative_name(fake: FakeAzure, private: bool) -> None:
    provider, zone = await written(fake, private)
    fake.listings.clear()

    # A change's names: its record, its ownership TXT, a name with no records yet, the apex; none outside the zone.
    names = {f"a.{zone.name}", f"a-a.{zone.name}", f"cname-a.{zone.name}", zone.name, "a.example.org"}
    await provider.records_at(zone, names)

    apex_pages = ["@"] if private else ["@", "@"]  # SOA, MX, TXT; and NS in the public zone: two pages of three
    assert sorted(str(suffix) for suffix in fake.listings) == [*apex_pages, "a", "a-a", "cname-a"]
    await provider.close()


async def test_a_name_whose_record_sets_fill_two_pages_follows_the_next_link(fake: FakeAzure) -> None:
    provider, zone = await written(fake, False)
    fake.listings.clear()

    found = await provider.records_at(zone, {f"www.{zone.name}"})

    assert len(found) == 4  # www's four record sets; with x.www's A and a-x.www's TXT, six listed, three a page
    assert fake.listings == ["www", "www"]
    await provider.close()


@pytest.mark.parametrize("reading", ["characters", "ignored"])
async def test_a_server_reading_the_filter_more_widely_gives_the_same_records(fake: FakeAzure, reading: str) -> None:
    provider, zone = await written(fake, False)
    names = absolute({"a", "ba", "www", "@", "nothere"}, zone.name)
    expected = at(await provider.records(zone), names)
    fake.suffix_filter = reading  # type: ignore[assignment]

    assert ordered(await provider.records_at(zone, names)) == expected
    await provider.close()


async def test_an_update_planned_from_records_at_alone_is_sent_with_the_etag_it_read(fake: FakeAzure) -> None:
    provider, zone = await written(fake, False)
    fresh = make_provider(fake)  # a restarted operator: no whole read yet
    (old,) = [ep for ep in await fresh.records_at(zone, {f"a.{zone.name}"}) if ep.record_type == "A"]

    outcome = await fresh.apply_changes(zone, Changes(update_old=[old], update_new=[old.with_(targets=("192.0.2.9",))]))

    assert outcome.failed == []
    assert fake.values(zone.name)[(f"a.{zone.name}", "A")] == {"192.0.2.9"}
    await provider.close()
    await fresh.close()


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [(503, "ServiceUnavailable", TransientProviderError), (403, "AuthorizationFailed", ProviderError)],
    ids=["a 5xx is transient", "a refusal is not"],
)
async def test_a_failing_listing_fails_as_the_whole_read_fails(
    fake: FakeAzure, status: int, code: str, error: type[ProviderError]
) -> None:
    provider, zone = await written(fake, False)
    fake.faults.outage = Fault("GET", "/all", status, code, f"{code}: the listing failed")

    with pytest.raises(ProviderError, match="the listing failed") as whole:
        await provider.records(zone)
    with pytest.raises(ProviderError, match="the listing failed") as named:
        await provider.records_at(zone, {f"a.{zone.name}", f"www.{zone.name}"})

    assert type(named.value) is type(whole.value) is error
    fake.faults.outage = None
    await provider.close()


async def test_a_whole_read_ending_after_a_write_does_not_bring_back_the_etag_before_it(fake: FakeAzure) -> None:
    """At start-up a change planned from records_at is written while the zone's whole read is still listing; that
    listing holds the record set's etag from before the write, which must not replace the one the write returned
    (the next update would be refused with 412 and reported as changed in Azure)."""
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    assert (await provider.apply_changes(zone, Changes(create=owned("a", "192.0.2.1")))).failed == []
    fake.whole_listing_release = asyncio.Event()
    whole = asyncio.create_task(provider.records(zone))
    await fake.whole_listing_held.wait()  # its first page, a's A record set among the first three, is built
    (old,) = [ep for ep in await provider.records_at(zone, {f"a.{zone.name}"}) if ep.record_type == "A"]
    moved = old.with_(targets=("192.0.2.2",))
    assert (await provider.apply_changes(zone, Changes(update_old=[old], update_new=[moved]))).failed == []
    fake.whole_listing_release.set()
    await whole

    again = Changes(update_old=[moved], update_new=[moved.with_(targets=("192.0.2.3",))])
    assert (await provider.apply_changes(zone, again)).failed == []
    assert fake.values(zone.name)[(f"a.{zone.name}", "A")] == {"192.0.2.3"}
    await provider.close()
