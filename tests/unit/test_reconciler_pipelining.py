"""A big pass plans its next slice while the previous slice's changes are being applied, only when that plan
cannot depend on how the apply ends; otherwise (shared names, deletes, an ambiguous failure) it plans after it.

The provider and the registry write into one log, so the tests read the order of things: ``read`` is one plan
(the registry reads the zone's records once per plan), ``apply`` / ``applied`` bracket a batch being sent,
``records`` is a zone read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from external_dns.desired import DesiredState, ObjectKey
from external_dns.endpoint import RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.errors import AmbiguousProviderError
from external_dns.events import EventSink, Reason
from external_dns.plan import PlanSettings
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.reconciler import ZoneWorker
from external_dns.registry.base import RegistryView
from external_dns.registry.txt import TXTRegistry
from external_dns.zonework import ReconcilerSettings

ZONE = "example.com"
OWNER = "default"
SETTINGS = ReconcilerSettings(debounce=0, retry_initial=0.01, retry_max=0.05, resync_interval=3600, slice_names=100)
WEB = ObjectKey("service", "default", "web")
OLD = ObjectKey("service", "default", "old")


class LoggingRegistry(TXTRegistry):
    def __init__(self, log: list[str]) -> None:
        super().__init__(OWNER)
        self.log = log

    def read(self, records: Sequence[Endpoint]) -> RegistryView:
        self.log.append("read")
        return super().read(records)


class SlowProvider:
    """The in-memory provider, taking a few loop turns per batch as a network call would; fails on request."""

    def __init__(self, log: list[str]) -> None:
        self.inner = InMemoryProvider([ZONE])
        self.name = self.inner.name
        self.log = log
        self.ambiguous_failures = 0

    async def zones(self) -> list[Zone]:
        return await self.inner.zones()

    async def records(self, zone: Zone) -> list[Endpoint]:
        self.log.append("records")
        return await self.inner.records(zone)

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        self.log.append("apply")
        for _ in range(3):
            await asyncio.sleep(0)
        if self.ambiguous_failures:
            self.ambiguous_failures -= 1
            self.log.append("lost")
            raise AmbiguousProviderError("connection lost after sending")
        outcome = await self.inner.apply_changes(zone, changes)
        self.log.append("applied")
        return outcome

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        return list(endpoints)

    async def close(self) -> None:
        return None


def wanted(name: str, key: ObjectKey = WEB) -> Endpoint:
    ref = ObjectRef("Service", "v1", key.namespace, key.name, f"uid-{key.name}")
    return Endpoint(name, "A", ("192.0.2.1",), labels={RESOURCE_LABEL: f"service/default/{key.name}"}, refs=(ref,))


async def rig(settings: ReconcilerSettings = SETTINGS) -> tuple[ZoneWorker, SlowProvider, list[str], EventSink]:
    log: list[str] = []
    provider = SlowProvider(log)
    events = EventSink()
    worker = ZoneWorker(
        Zone(ZONE, ZONE),
        provider=provider,
        registry=LoggingRegistry(log),
        desired=DesiredState(),
        plan_settings=PlanSettings(owner_id=OWNER),
        events=events,
        settings=settings,
    )
    await worker.load()
    log.clear()
    return worker, provider, log, events


def want(worker: ZoneWorker, key: ObjectKey, names: Sequence[str]) -> set[str]:
    return worker.desired.update(key, [wanted(name, key) for name in names])


async def test_the_next_slice_is_planned_while_the_previous_one_is_applied() -> None:
    worker, provider, log, events = await rig()
    names = want(worker, WEB, [f"h{i:03d}.{ZONE}" for i in range(250)])

    result = await worker.sync(names)

    # Three slices: each one after the first was planned while the one before was on its way.
    assert log == ["read", "apply", "read", "applied", "apply", "read", "applied", "apply", "applied"]
    assert (result.planned, len(result.applied.create)) == (250, 250)
    assert len(await provider.inner.records(Zone(ZONE, ZONE))) == 500  # each A record with its ownership TXT
    assert sum(1 for event in events.sent if event.reason is Reason.READY) == 250  # one per record, as before


async def test_a_slice_that_reads_a_name_the_previous_one_writes_is_planned_after_it() -> None:
    # The ownership TXT of 0x.example.com is a-0x.example.com, a name the second slice plans.
    worker, provider, log, _ = await rig(replace(SETTINGS, slice_names=1))
    names = want(worker, WEB, [f"0x.{ZONE}", f"a-0x.{ZONE}"])

    await worker.sync(names)

    assert log == ["read", "apply", "applied", "read", "apply", "applied"]
    records = {(ep.dns_name, ep.record_type) for ep in await provider.inner.records(Zone(ZONE, ZONE))}
    assert {(f"0x.{ZONE}", "A"), (f"a-0x.{ZONE}", "TXT"), (f"a-0x.{ZONE}", "A"), (f"a-a-0x.{ZONE}", "TXT")} == records


async def test_a_slice_whose_plan_deletes_is_planned_again_after_the_apply_so_the_guard_judges_it_then() -> None:
    worker, provider, log, _ = await rig()
    await worker.sync(want(worker, OLD, [f"z{i}.{ZONE}" for i in range(5)]))
    log.clear()
    # One pass: 100 new names (first slice: creates only), then the five old ones no longer wanted (deletes).
    names = want(worker, WEB, [f"a{i:03d}.{ZONE}" for i in range(100)]) | worker.desired.update(OLD, [])

    await worker.sync(names)

    # The plan made ahead deleted, so it was dropped before the guard saw it and made again after the apply.
    assert log == ["read", "apply", "read", "applied", "read", "apply", "applied"]
    left = {ep.dns_name for ep in await provider.inner.records(Zone(ZONE, ZONE))}
    assert not any(name.startswith(("z", "a-z")) for name in left)
    assert len(left) == 200


async def test_after_an_ambiguous_failure_the_plan_made_ahead_is_dropped_and_the_zone_read_first() -> None:
    worker, provider, log, _ = await rig()
    provider.ambiguous_failures = 1
    names = want(worker, WEB, [f"h{i:03d}.{ZONE}" for i in range(200)])

    result = await worker.sync(names)

    assert log == ["read", "apply", "read", "lost", "records", "read", "apply", "applied"]
    assert len(result.failed) == 100  # the first slice's records, retried later
    assert worker.pending == 100
