"""Duplicates a provider holds are planned away (issue 9.4): after a lost response the same creates may be
applied twice by a provider that accepts duplicates; the next sync must leave one of each, then stay quiet."""

from __future__ import annotations

from collections.abc import Sequence

from external_dns.desired import DesiredState, ObjectKey
from external_dns.endpoint import RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.events import EventSink
from external_dns.plan import PlanSettings
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.reconciler import ZoneWorker
from external_dns.registry.txt import TXTRegistry
from external_dns.zonework import ReconcilerSettings

ZONE = Zone("example.com", "example.com")
REF = ObjectRef("Service", "v1", "default", "web", "uid-web")
OWNERSHIP = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"'
FAST = ReconcilerSettings(debounce=0, retry_initial=0.01, retry_max=0.05, resync_interval=3600)


class ListProvider:
    """A provider that keeps one entry per value it was sent, as some webhook back ends do: a create that is
    sent twice is held twice, and listed twice. Updates and deletes act on the whole record set."""

    name = "list"

    def __init__(self, entries: Sequence[Endpoint]) -> None:
        self.entries = list(entries)
        self.batches = 0

    async def zones(self) -> list[Zone]:
        return [ZONE]

    async def records(self, zone: Zone) -> list[Endpoint]:
        return list(self.entries)

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        self.batches += 1
        gone = {record.key for record in (*changes.delete, *changes.update_old)}
        self.entries = [entry for entry in self.entries if entry.key not in gone]
        for record in (*changes.update_new, *changes.create):
            self.entries += [Endpoint(record.dns_name, record.record_type, (target,)) for target in record.targets]
        return ApplyOutcome()

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        return list(endpoints)

    async def close(self) -> None:
        return None

    def held(self) -> list[tuple[str, str, str]]:
        return sorted((entry.dns_name, entry.record_type, entry.targets[0]) for entry in self.entries)


def worker_for(provider: ListProvider) -> ZoneWorker:
    desired = DesiredState()
    web = Endpoint("web.example.com", "A", ("203.0.113.10",), labels={RESOURCE_LABEL: "service/default/web"})
    desired.update(ObjectKey("service", "default", "web"), [web.with_(refs=(REF,))])
    return ZoneWorker(
        ZONE,
        provider=provider,
        registry=TXTRegistry("default"),
        desired=desired,
        plan_settings=PlanSettings(owner_id="default"),
        events=EventSink(),
        settings=FAST,
    )


EXPECTED = [("a-web.example.com", "TXT", OWNERSHIP), ("web.example.com", "A", "203.0.113.10")]


async def test_a_record_held_twice_is_rewritten_once_then_left_alone() -> None:
    record = Endpoint("web.example.com", "A", ("203.0.113.10",))
    provider = ListProvider([record, record, Endpoint("a-web.example.com", "TXT", (OWNERSHIP,))])
    worker = worker_for(provider)
    await worker.load()
    await worker.sync_all()
    assert provider.held() == EXPECTED
    batches = provider.batches
    await worker.load()
    await worker.sync_all()
    assert provider.batches == batches


async def test_an_ownership_txt_held_twice_is_rewritten_once_then_left_alone() -> None:
    ownership_txt = Endpoint("a-web.example.com", "TXT", (OWNERSHIP,))
    provider = ListProvider([Endpoint("web.example.com", "A", ("203.0.113.10",)), ownership_txt, ownership_txt])
    worker = worker_for(provider)
    await worker.load()
    await worker.sync_all()
    assert provider.held() == EXPECTED
    batches = provider.batches
    await worker.load()
    await worker.sync_all()
    assert provider.batches == batches
