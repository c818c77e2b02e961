"""The leader's resync against a real BIND (zoneread.py): the worker asks the SOA serial and the IXFR since the
serial it read, finds its own writes there, and restores what another writer removed without reading the zone
whole; an UPDATE that BIND answered NOERROR but dropped (an A record where a CNAME now stands, RFC 2136 3.4.2.2)
is not among the changes, so that resync reads the zone whole and finds it missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.backends.bind import BindServer, running_bind
from tests.integration.test_rfc2136_follow import update
from tests.integration.test_rfc2136_provider import ZONE, provider_for
from tests.unit.test_reconciler import PRODUCTION, WEB, make_rig, wanted

from external_dns.events import EventSink, Reason
from external_dns.providers.rfc2136.provider import RFC2136Provider
from external_dns.reconciler import ZoneWorker

pytestmark = pytest.mark.bind

#: Records nobody owns: BIND answers an IXFR with the whole zone when the changes outweigh it (max-ixfr-ratio), so
#: the zone has some size, as the operator's have.
UNOWNED = [f"filler-{i} 300 IN A 198.51.100.{i}" for i in range(200)]


@pytest.fixture
def bind_with_fillers(tmp_path: Path) -> Iterator[BindServer]:
    with running_bind(tmp_path / "bind", ["example.com"], {"example.com": UNOWNED}) as server:
        yield server


async def worker_for(provider: RFC2136Provider) -> tuple[ZoneWorker, EventSink]:
    rig = make_rig(provider, settings=PRODUCTION)
    await rig.worker.load()
    return rig.worker, rig.events


async def a_records(provider: RFC2136Provider) -> dict[str, tuple[str, ...]]:
    return {ep.dns_name: ep.targets for ep in await provider.records(ZONE) if ep.record_type == "A"}


async def test_a_record_another_writer_removed_is_restored_by_the_changes_since_not_a_whole_read(
    bind_with_fillers: BindServer,
) -> None:
    bind_server = bind_with_fillers
    provider = provider_for(bind_server)
    worker, _ = await worker_for(provider)
    await worker.sync(worker.desired.update(WEB, [wanted("web.example.com", "203.0.113.10")]))
    update(bind_server, ("delete", "web", "A", "203.0.113.10"))  # another writer
    assert "web.example.com" not in await a_records(provider)
    reads, ixfrs = provider.stats.axfrs, provider.stats.ixfrs

    await worker._resync()

    assert provider.stats.axfrs == reads  # the resync read nothing whole ...
    assert provider.stats.ixfrs == ixfrs + 1  # ... but the changes since its version
    assert (await a_records(provider))["web.example.com"] == ("203.0.113.10",)


async def test_an_update_bind_silently_ignored_is_found_by_the_resync_that_follows_the_write(
    bind_server: BindServer,
) -> None:
    provider = provider_for(bind_server)
    worker, events = await worker_for(provider)
    # Another writer puts a CNAME at the name after the worker read the zone: BIND answers the worker's A record
    # NOERROR and drops it (a CNAME and other data cannot share a name).
    update(bind_server, ("add", "web", 300, "CNAME", "elsewhere.example.org."))
    await worker.sync(worker.desired.update(WEB, [wanted("web.example.com", "203.0.113.10")]))
    assert "web.example.com" not in await a_records(provider)
    reads = provider.stats.axfrs

    await worker._resync()

    assert provider.stats.axfrs == reads + 1  # the changes did not show the A record: read whole

    held = {(ep.dns_name, ep.record_type) for ep in worker.cache.all()}
    assert ("web.example.com", "CNAME") in held and ("web.example.com", "A") not in held
    assert any(event.reason is Reason.ERROR for event in events.sent)  # the conflict is reported on the object
