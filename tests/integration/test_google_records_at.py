"""The Google Cloud DNS provider reads the records at a few names (providers/base.ReadingNames), so a change made
during the operator's start-up LIST is planned at once (startchanges.py): one rrsets list per name, filtered by
Cloud DNS to that name, exactly what the whole read holds there."""

# The fixtures are test_google_provider's, imported under their names (which the tests' arguments repeat).
# ruff: noqa: F811

from __future__ import annotations

from pathlib import Path

from tests.backends.google import FakeCloudDNS
from tests.integration.test_google_provider import (  # noqa: F401  (fixtures, found by pytest by their names)
    ZONE,
    fake,
    key_file,
    make_provider,
    owned,
)

from external_dns.endpoint import Endpoint
from external_dns.providers.base import Changes, ReadingNames
from external_dns.providers.google import GoogleProvider

NAMES = {f"web.{ZONE}", f"a-web.{ZONE}", f"missing.{ZONE}", "web.example.org", ZONE}


async def written(fake: FakeCloudDNS) -> GoogleProvider:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    await provider.apply_changes(zone, Changes(create=[*owned("web", "203.0.113.1"), *owned("shop", "203.0.113.2")]))
    return provider


def at(endpoints: list[Endpoint], names: set[str]) -> list[Endpoint]:
    return sorted((ep for ep in endpoints if ep.dns_name in names), key=lambda ep: ep.key)


async def test_the_records_at_names_are_the_whole_reads_there_one_filtered_list_each(
    fake: FakeCloudDNS, key_file: Path
) -> None:
    provider = await written(fake)
    (zone,) = await provider.zones()
    assert isinstance(provider, ReadingNames)
    whole = await provider.records(zone)
    fake.rrsets_named.clear()

    found = await provider.records_at(zone, NAMES)

    assert sorted(found, key=lambda ep: ep.key) == at(whole, NAMES)
    assert {ep.dns_name for ep in found} == {f"web.{ZONE}", f"a-web.{ZONE}"}  # not the zone's own NS and SOA
    # One list per name in the zone (example.org is not), each asking for that name only.
    in_zone = NAMES - {"web.example.org"}
    assert sorted(name or "" for name in fake.rrsets_named) == sorted(f"{name}." for name in in_zone)


async def test_a_server_that_ignores_the_name_filter_gives_the_same_records(fake: FakeCloudDNS, key_file: Path) -> None:
    provider = await written(fake)
    (zone,) = await provider.zones()
    whole = await provider.records(zone)
    fake.ignores_name_filter = True

    assert sorted(await provider.records_at(zone, NAMES), key=lambda ep: ep.key) == at(whole, NAMES)
