"""The leader's resync against a real BIND (zoneread.py): after a period without writes of its own, the worker asks
the SOA serial and the IXFR since the serial it read, and restores what another writer removed without reading
the zone whole; after its own writes it reads the zone whole, which is how an UPDATE that BIND answered NOERROR
but silently ignored (an A record where a CNAME now stands, RFC 2136 3.4.2.2) is found at the next resync."""

from __future__ import annotations

import pytest
from tests.backends.bind import BindServer
from tests.integration.test_rfc2136_follow import update
from tests.integration.test_rfc2136_provider import ZONE, provider_for
from tests.unit.test_reconciler import OWNER, PRODUCTION, WEB, wanted

from external_dns.desired import DesiredState
from external_dns.events import EventSink, Reason
from external_dns.plan import PlanSettings
from external_dns.providers.rfc2136.provider import RFC2136Provider
from external_dns.reconciler import ZoneWorker
from external_dns.registry.txt import TXTRegistry

pytestmark = pytest.mark.bind


async def worker_for(provider: RFC2136Provider) -> tuple[ZoneWorker, EventSink]:
    events = EventSink()
    worker = ZoneWorker(
        ZONE,
        provider=provider,
        registry=TXTRegistry(OWNER),
        desired=DesiredState(),
        plan_settings=PlanSettings(owner_id=OWNER),
        events=events,
        settings=PRODUCTION,
    )
    await worker.load()
    return worker, events


async def a_records(provider: RFC2136Provider) -> dict[str, tuple[str, ...]]:
    return {ep.dns_name: ep.targets for ep in await provider.records(ZONE) if ep.record_type == "A"}


async def test_a_record_another_writer_removed_is_restored_by_the_changes_since_not_a_whole_read(
    bind_server: BindServer,
) -> None:
    provider = provider_for(bind_server)
    worker, _ = await worker_for(provider)
    await worker.sync(worker.desired.update(WEB, [wanted("web.example.com", "203.0.113.10")]))
    await worker._resync()  # after its own writes: read whole (the version it read is now current)
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
    assert worker.cache.version is None  # it wrote: its next resync reads whole

    await worker._resync()

    held = {(ep.dns_name, ep.record_type) for ep in worker.cache.all()}
    assert ("web.example.com", "CNAME") in held and ("web.example.com", "A") not in held
    assert any(event.reason is Reason.ERROR for event in events.sent)  # the conflict is reported on the object
