"""The RFC2136 provider follows a zone (providers/base.FollowingChanges): a cache read whole at a serial and then
patched with the changes since (SOA query, IXFR) holds exactly what a fresh AXFR reads, TXT registry included;
when the server cannot send the changes (its journal no longer reaches back, or it refuses IXFR) the zone is read
whole instead. Against a real BIND; changes are made by another writer (dnspython UPDATEs), as behind a standby.
"""

from __future__ import annotations

from pathlib import Path

import dns.query
import dns.update
import pytest
from tests.backends.bind import BindServer, running_bind
from tests.backends.ixfr_refusing import ixfr_refusing
from tests.integration.test_rfc2136_provider import ZONE, provider_for

from external_dns.endpoint import Endpoint
from external_dns.providers.base import FollowingChanges, ZoneChanges
from external_dns.providers.rfc2136.provider import RFC2136Provider
from external_dns.zonecache import ZoneCache

pytestmark = pytest.mark.bind

OWNER = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/{}"'
EXISTING = [
    "www 300 IN A 192.0.2.1",
    "www 300 IN A 192.0.2.2",
    "a-www 300 IN TXT " + OWNER.format("www"),
    "gone 300 IN A 192.0.2.9",
    "a-gone 300 IN TXT " + OWNER.format("gone"),
    "alias 60 IN CNAME www.example.com.",
    # BIND answers an IXFR with the whole zone when the changes would outweigh it (max-ixfr-ratio): a zone of some
    # size, as the operator's are.
    *(f"filler-{i} 300 IN A 198.51.100.{i}" for i in range(200)),
]


def update(server: BindServer, *edits: tuple[str, ...]) -> None:
    """One UPDATE message of edits ("add"/"delete"/"replace", name, ttl-or-type, type/rdata...), as another writer."""
    info = server.info
    message = dns.update.UpdateMessage("example.com", keyring=server.keyring(), keyalgorithm=info.key_algorithm)
    for action, *args in edits:
        getattr(message, action)(*args)
    answer = dns.query.tcp(message, info.host, port=info.port, timeout=10)
    assert answer.rcode() == 0, answer


def held(endpoints: list[Endpoint]) -> set[tuple[str, str, int, frozenset[str]]]:
    return {(e.dns_name.lower(), e.record_type, e.ttl, frozenset(e.targets)) for e in endpoints}


async def followed_cache(provider: RFC2136Provider) -> ZoneCache:
    cache = ZoneCache()
    records, version = await provider.versioned_records(ZONE)
    cache.replace(records, version)
    return cache


async def follow(provider: RFC2136Provider, cache: ZoneCache) -> ZoneChanges | None:
    assert cache.version is not None
    changes = await provider.changes_since(ZONE, cache.version)
    if changes is not None:
        await cache.follow(changes)
    return changes


async def test_a_followed_cache_holds_what_a_whole_read_reads(tmp_path: Path) -> None:
    with running_bind(tmp_path / "bind", ["example.com"], {"example.com": EXISTING}) as server:
        provider = provider_for(server)
        assert isinstance(provider, FollowingChanges)
        cache = await followed_cache(provider)
        serial = cache.version
        update(server, ("add", "new", 300, "A", "192.0.2.3"), ("add", "a-new", 300, "TXT", OWNER.format("new")))
        update(server, ("delete", "www", "A", "192.0.2.1"), ("add", "www", 300, "A", "192.0.2.4"))
        update(server, ("delete", "gone"), ("delete", "a-gone"))
        update(server, ("replace", "alias", 120, "CNAME", "new.example.com."))
        update(server, ("add", "www", 600, "A", "192.0.2.5"))  # the whole set's TTL becomes 600
        update(server, ("add", "txt", 300, "TXT", '"with space" "two strings"'))

        changes = await follow(provider, cache)

        assert changes is not None and changes.whole is None
        assert len(changes.steps) == 6
        assert cache.version is not None and serial is not None and cache.version > serial
        assert held(cache.all()) == held(await provider.records(ZONE))
        assert (provider.stats.axfrs, provider.stats.ixfrs) == (2, 1)  # the first read and the check; one IXFR


async def test_an_unchanged_zone_costs_one_serial_query(bind_server: BindServer) -> None:
    provider = provider_for(bind_server)
    cache = await followed_cache(provider)
    before, before_version = cache.all(), cache.version

    changes = await follow(provider, cache)

    assert changes == ZoneChanges(version=before_version)
    assert (provider.stats.serial_checks, provider.stats.ixfrs, provider.stats.axfrs) == (1, 0, 1)
    assert held(cache.all()) == held(before)


async def test_a_journal_that_no_longer_reaches_back_sends_the_zone_whole(tmp_path: Path) -> None:
    with running_bind(tmp_path / "bind", ["example.com"], {"example.com": EXISTING}) as server:
        provider = provider_for(server)
        cache = await followed_cache(provider)
        update(server, ("add", "new", 300, "A", "192.0.2.3"))
        # The zone file edited by hand (serial 5) and its journal gone: BIND keeps no history before serial 5.
        server.stop()
        directory = server.log_path.parent
        (directory / "example.com.zone.jnl").unlink()
        zone_file = directory / "example.com.zone"
        edited = zone_file.read_text().replace("( 1 3600", "( 5 3600") + "edited 300 IN A 192.0.2.5\n"
        zone_file.write_text(edited)
        server.restart()
        update(server, ("add", "newer", 300, "A", "192.0.2.4"))  # a journal from serial 5 on

        changes = await follow(provider, cache)

        assert changes is not None and changes.whole is not None
        assert provider.stats.ixfrs_answered_whole == 1
        assert held(cache.all()) == held(await provider.records(ZONE))
        names = {e.dns_name for e in cache.all()}
        assert {"edited.example.com", "newer.example.com"} <= names and "new.example.com" not in names


async def test_a_server_that_refuses_ixfr_makes_the_zone_read_whole(bind_server: BindServer) -> None:
    info = bind_server.info
    with ixfr_refusing(info.host, info.port, bind_server.keyring()) as proxy:
        provider = provider_for(bind_server, port=proxy.port)
        cache = await followed_cache(provider)
        update(bind_server, ("add", "new", 300, "A", "192.0.2.3"))

        assert await follow(provider, cache) is None

        assert proxy.refused == 1
        assert provider.stats.axfrs == 1  # the caller reads it whole (the zone worker: ZoneWorker.follow)
