"""StartChanges: names changed during the start-up LIST are planned once the zone workers exist, a debounce window
at a time; closing waits for a write under way; a provider that cannot read names gets nothing planned early."""

from __future__ import annotations

import asyncio
import logging

import pytest
from tests.harness import syncs_recorded
from tests.unit.test_app import list_services, make_app, records, service

from external_dns.desired import DesiredState, ObjectKey
from external_dns.endpoint import RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.events import EventSink
from external_dns.kinds import ENDPOINT_SLICES, NODES, PODS
from external_dns.model import ZoneRouter
from external_dns.plan import PlanSettings
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.reconciler import ZoneWorker
from external_dns.registry.txt import TXTRegistry
from external_dns.startchanges import LATER_PER_PASS, StartChanges
from external_dns.zonework import ReconcilerSettings

ZONES = (Zone("example.com", "example.com"), Zone("example.org", "example.org"))
SETTINGS = ReconcilerSettings(debounce=0, retry_initial=0.01, retry_max=0.05, resync_interval=3600)


class HeldProvider(InMemoryProvider):
    """Applies a batch only once ``release`` is set (the test then sees a pass under way)."""

    def __init__(self) -> None:
        super().__init__([zone.name for zone in ZONES])
        self.applying = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        self.applying.set()
        await self.release.wait()
        return await super().apply_changes(zone, changes)


class Rig:
    def __init__(self) -> None:
        self.provider = HeldProvider()
        self.desired = DesiredState()
        self.router = ZoneRouter(ZONES)
        self.workers: asyncio.Future[dict[Zone, ZoneWorker]] = asyncio.get_running_loop().create_future()
        self.start = StartChanges(self._workers, SETTINGS.debounce)

    async def _workers(self) -> dict[Zone, ZoneWorker]:
        return await self.workers

    def build_workers(self) -> None:
        self.workers.set_result({zone: self.worker(zone) for zone in ZONES})

    def worker(self, zone: Zone) -> ZoneWorker:
        return ZoneWorker(
            zone,
            provider=self.provider,
            registry=TXTRegistry("default"),
            desired=self.desired,
            plan_settings=PlanSettings(owner_id="default"),
            events=EventSink(),
            settings=SETTINGS,
            router=self.router,
        )

    def change(self, name: str, host: str, ip: str) -> set[str]:
        ref = ObjectRef("Ingress", "networking.k8s.io/v1", "default", name)
        labels = {RESOURCE_LABEL: f"ingress/default/{name}"}
        return self.desired.update(
            ObjectKey("ingress", "default", name), [Endpoint(host, "A", (ip,), labels=labels, refs=(ref,))]
        )

    def a_records(self) -> dict[str, tuple[str, ...]]:
        snapshot = self.provider.snapshot()
        return {ep.dns_name: ep.targets for zone in snapshot.values() for ep in zone if ep.record_type == "A"}


async def wait_until(condition: object, what: str) -> None:
    async with asyncio.timeout(10):
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110  (provider state signals no event)
            await asyncio.sleep(0.001)


async def test_names_changed_before_the_zones_are_known_are_planned_once_they_are_each_in_its_zone() -> None:
    rig = Rig()
    rig.start.begin()
    rig.start.mark(
        rig.change("web", "web.example.com", "192.0.2.1") | rig.change("shop", "shop.example.org", "192.0.2.2")
    )
    await asyncio.sleep(0.01)
    assert rig.a_records() == {}  # no zone known yet

    rig.build_workers()
    await wait_until(lambda: len(rig.a_records()) == 2, "both names written")

    assert rig.a_records() == {"web.example.com": ("192.0.2.1",), "shop.example.org": ("192.0.2.2",)}
    assert rig.start.planned == 2
    await rig.start.close()


async def test_closing_waits_for_the_write_under_way_and_plans_nothing_after() -> None:
    rig = Rig()
    rig.build_workers()
    rig.provider.release.clear()
    rig.start.begin()
    rig.start.mark(rig.change("web", "web.example.com", "192.0.2.1"))
    await rig.provider.applying.wait()

    closing = asyncio.ensure_future(rig.start.close())
    await asyncio.sleep(0.01)
    assert not closing.done()  # cut off midway, the write's outcome would be unknown
    rig.provider.release.set()
    await closing

    assert rig.a_records() == {"web.example.com": ("192.0.2.1",)}
    rig.start.mark(rig.change("late", "late.example.com", "192.0.2.3"))  # the workers' business now
    await asyncio.sleep(0.01)
    assert "late.example.com" not in rig.a_records()


async def test_nothing_is_planned_early_when_not_offered() -> None:
    rig = Rig()
    rig.start = StartChanges(rig._workers, SETTINGS.debounce, offered=False)
    rig.build_workers()
    rig.start.begin()
    rig.start.mark(rig.change("web", "web.example.com", "192.0.2.1"))
    await asyncio.sleep(0.01)

    assert rig.a_records() == {}
    assert rig.provider.calls.records_at == 0
    await rig.start.close()


async def test_a_pass_that_fails_is_logged_and_the_next_change_is_still_planned(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = Rig()
    rig.build_workers()
    calls = 0
    real = ZoneWorker.sync_before_listed

    async def broken_once(worker: ZoneWorker, names: set[str]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a defect")
        await real(worker, names)

    monkeypatch.setattr(ZoneWorker, "sync_before_listed", broken_once)
    rig.start.begin()
    with caplog.at_level(logging.ERROR, logger="external_dns.startchanges"):
        rig.start.mark(rig.change("web", "web.example.com", "192.0.2.1"))
        await wait_until(lambda: calls == 1 and caplog.records, "the failed pass logged")
    rig.start.mark(rig.change("shop", "shop.example.com", "192.0.2.2"))
    await wait_until(lambda: "shop.example.com" in rig.a_records(), "the next change written")

    assert "Planning 1 names changed during the start-up LIST failed" in caplog.text
    assert "web.example.com" not in rig.a_records()  # left to the first sync, which plans it first
    await rig.start.close()


async def test_a_change_after_the_list_while_the_zone_is_still_being_read_is_planned_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The LIST may end long before the zone's whole read (an AXFR of 100,000 records): the workers start only
    once it is in, and a change meanwhile is still planned from a point read, not after the read."""
    app = make_app("service")
    provider = app.provider
    assert isinstance(provider, InMemoryProvider)
    read = asyncio.Event()
    whole_read = provider.records

    async def held_read(zone: Zone) -> list[Endpoint]:
        await read.wait()
        return await whole_read(zone)

    monkeypatch.setattr(provider, "records", held_read)
    app.lead()
    app.begin_preload(attempts=1)
    for resource in (NODES, PODS, ENDPOINT_SLICES):
        app.on_listing(resource, [], "100")
    list_services(app, service("web", lb_ip="203.0.113.10"))
    app.listed.set()
    starting = asyncio.create_task(app.start())
    try:
        app.on_object(app.sources["service"].resource, "MODIFIED", service("web", rv="2", lb_ip="203.0.113.20"))
        await wait_until(lambda: records(app).get(("web.example.com", "A")) == ("203.0.113.20",), "the change")
        assert not starting.done()  # the zone's whole read is still held

        read.set()
        await starting
        await app.wait_first_sync()
        assert records(app)[("web.example.com", "A")] == ("203.0.113.20",)
    finally:
        read.set()
        await app.close()


async def test_a_name_changed_just_before_a_long_whole_zone_pass_goes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole-zone pass of 600 names goes 250 at a time in name order: a name changed as it begins (a change made
    as the start-up LIST ends) is planned before the first slice, not in its turn (4.9-6.2 s at 50,000 names)."""
    rig = Rig()
    rig.build_workers()
    worker = (await rig.workers)[ZONES[0]]
    for index in range(600):
        rig.change(f"s-{index:03d}", f"s-{index:03d}.example.com", "192.0.2.1")
    await worker.load()
    planned = syncs_recorded(monkeypatch)
    worker.mark(rig.change("s-599", "s-599.example.com", "192.0.2.99"))

    await worker.sync_all()

    assert planned[1:2] == [{"s-599.example.com"}]  # after the whole pass's own call, before its first slice
    assert rig.a_records()["s-599.example.com"] == ("192.0.2.99",)


@pytest.mark.looptime
async def test_names_changed_during_a_pass_are_planned_right_after_it_without_a_second_debounce() -> None:
    rig = Rig()
    rig.start = StartChanges(rig._workers, 1.0)
    rig.build_workers()
    rig.provider.release.clear()
    loop = asyncio.get_running_loop()
    rig.start.begin()
    rig.start.mark(rig.change("web", "web.example.com", "192.0.2.1"))
    await rig.provider.applying.wait()  # one debounce after the mark
    first_write = loop.time()
    rig.provider.applying.clear()
    rig.start.mark(rig.change("shop", "shop.example.com", "192.0.2.2"))  # while the first pass writes
    await asyncio.sleep(5)  # the write takes 5 s (of the fake clock)
    rig.provider.release.set()

    await wait_until(lambda: "shop.example.com" in rig.a_records(), "the second change")
    assert loop.time() - first_write < 5.5  # not 5 s + another debounce
    await rig.start.close()


async def test_names_changed_before_the_start_wait_for_the_others_and_go_a_few_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Listed objects changed in a restart's gap (recentlychanged.py) never hold back a change made during the
    start by more than one small pass."""
    passes = syncs_recorded(monkeypatch, "sync_before_listed")
    rig = Rig()
    rig.build_workers()
    rig.provider.release.clear()
    rig.start.begin()
    rig.start.mark(rig.change("web", "web.example.com", "192.0.2.1"))
    await rig.provider.applying.wait()  # the first pass writes
    gap = [f"gap-{index:02d}.example.com" for index in range(40)]
    for name in gap:
        rig.start.mark(rig.change(name.split(".")[0], name, "192.0.2.2"), later=True)
    rig.start.mark(rig.change("shop", "shop.example.com", "192.0.2.3"))  # during the start, after them
    rig.start.mark({gap[0]}, later=False)  # the same name changed again during the start: it goes first
    rig.provider.release.set()

    await wait_until(lambda: len(rig.a_records()) == 42, "every name written")
    later = LATER_PER_PASS
    assert passes == [
        {"web.example.com"},
        {"shop.example.com", gap[0]},
        set(gap[1 : 1 + later]),
        set(gap[1 + later : 1 + 2 * later]),
        set(gap[1 + 2 * later :]),
    ]
    await rig.start.close()
