"""Changes made during the start-up LIST, planned at once from a point read of their names
(ZoneWorker.sync_before_listed, guards/before_listed.py).

The zone is first written by a "previous operator" that knew every object. The restarted worker knows only the
objects listed so far and the changed ones; what it writes must be something the complete LIST could not undo:
no delete, no record taken from its holder, no value of a merged record removed. After the first whole-zone
sync, with every object known, the zone must be exactly what that sync alone would have made of it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

from external_dns.desired import DesiredState, ObjectKey
from external_dns.endpoint import RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.events import Action, EventSink, Reason
from external_dns.plan import PlanSettings
from external_dns.providers.base import Zone
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.reconciler import ZoneWorker
from external_dns.registry.txt import TXTRegistry
from external_dns.zonework import ReconcilerSettings

ZONE = "example.com"
OWNER = "default"
FAST = ReconcilerSettings(debounce=0, retry_initial=0.01, retry_max=0.05, resync_interval=3600)
Records = dict[tuple[str, str], tuple[str, ...]]
Objects = dict[ObjectKey, tuple[Endpoint, ...]]


def want(kind: str, name: str, host: str, *targets: str, type_: str = "A") -> tuple[ObjectKey, tuple[Endpoint, ...]]:
    """One object's wanted record: a Service or a Pod (merging sources) or an Ingress (not merging)."""
    ref = ObjectRef(kind, "v1", "default", name, f"uid-{name}")
    labels = {RESOURCE_LABEL: f"{kind.lower()}/default/{name}"}
    return ObjectKey(kind.lower(), "default", name), (Endpoint(host, type_, targets, labels=labels, refs=(ref,)),)


def worker_over(provider: InMemoryProvider, objects: Objects) -> tuple[ZoneWorker, EventSink]:
    desired = DesiredState()
    for key, endpoints in objects.items():
        desired.update(key, endpoints)
    events = EventSink()
    worker = ZoneWorker(
        Zone(ZONE, ZONE),
        provider=provider,
        registry=TXTRegistry(OWNER),
        desired=desired,
        plan_settings=PlanSettings(owner_id=OWNER),
        events=events,
        settings=FAST,
    )
    return worker, events


async def written_by_a_previous_operator(objects: Objects) -> InMemoryProvider:
    provider = InMemoryProvider([ZONE])
    worker, _ = worker_over(provider, objects)
    await worker.load()
    await worker.sync_all()
    return provider


def records(provider: InMemoryProvider) -> Records:
    return {(ep.dns_name, ep.record_type): tuple(sorted(ep.targets)) for ep in provider.snapshot()[ZONE]}


def targets(provider: InMemoryProvider, name: str, type_: str = "A") -> set[str]:
    return set(records(provider).get((name, type_), ()))


async def restart(provider: InMemoryProvider, known: Objects, changed: Iterable[str]) -> tuple[ZoneWorker, EventSink]:
    """A restarted worker that knows ``known`` and plans ``changed`` before the LIST is complete."""
    worker, events = worker_over(provider, known)
    await worker.sync_before_listed(set(changed))
    return worker, events


WEB = want("Service", "web", "web.example.com", "192.0.2.1")
SHOP = want("Ingress", "shop", "shop.example.com", "192.0.2.2")


async def test_a_service_moved_during_the_list_gains_its_new_address_at_once_and_keeps_the_old_one() -> None:
    provider = await written_by_a_previous_operator(dict([WEB]))
    moved = want("Service", "web", "web.example.com", "192.0.2.10")

    _, events = await restart(provider, dict([moved]), {"web.example.com"})

    # The Service source merges every Service's values into the record: one not listed yet may want 192.0.2.1.
    assert targets(provider, "web.example.com") == {"192.0.2.1", "192.0.2.10"}
    (ready,) = events.sent
    assert (ready.reason, ready.action, ready.ref.name) == (Reason.READY, Action.UPDATED, "web")


async def test_an_ingress_moved_during_the_list_is_replaced_at_once() -> None:
    provider = await written_by_a_previous_operator(dict([SHOP]))
    moved = want("Ingress", "shop", "shop.example.com", "192.0.2.20")

    await restart(provider, dict([moved]), {"shop.example.com"})

    # The record stays with the object that holds it whoever else wants the name: nothing to wait for.
    assert targets(provider, "shop.example.com") == {"192.0.2.20"}


async def test_nothing_is_deleted_before_every_object_is_listed() -> None:
    renamed = want("Ingress", "shop", "store.example.com", "192.0.2.2")
    provider = await written_by_a_previous_operator(dict([WEB, SHOP]))
    before = records(provider)

    await restart(provider, dict([renamed]), {"web.example.com", "shop.example.com", "store.example.com"})

    # web (deleted, or not listed yet) and shop (renamed away) keep their records; the new name is created.
    assert records(provider) == {
        **before,
        ("store.example.com", "A"): ("192.0.2.2",),
        ("a-store.example.com", "TXT"): (
            '"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/default/shop"',
        ),
    }


async def test_a_record_whose_holder_is_not_listed_yet_waits() -> None:
    provider = await written_by_a_previous_operator(dict([SHOP]))
    rival = want("Ingress", "rival", "shop.example.com", "192.0.2.99")
    before = records(provider)

    _, events = await restart(provider, dict([rival]), {"shop.example.com"})

    assert records(provider) == before  # the complete LIST may show shop still wanting it: it would keep it
    assert events.sent == []  # the first whole-zone sync reports the conflict, with every object known


async def test_a_merged_record_keeps_the_values_of_objects_not_listed_yet() -> None:
    other = want("Service", "web-udp", "web.example.com", "192.0.2.1")  # a second Service sharing the address
    provider = await written_by_a_previous_operator(dict([WEB, other]))
    moved = want("Service", "web", "web.example.com", "192.0.2.10")

    await restart(provider, dict([moved]), {"web.example.com"})  # web-udp is not listed yet

    assert targets(provider, "web.example.com") == {"192.0.2.1", "192.0.2.10"}


async def test_a_merged_cname_that_would_lose_its_target_waits() -> None:
    web = want("Service", "web", "web.example.com", "lb-1.example.net", type_="CNAME")
    provider = await written_by_a_previous_operator(dict([web]))
    moved = want("Service", "web", "web.example.com", "lb-2.example.net", type_="CNAME")

    await restart(provider, dict([moved]), {"web.example.com"})

    assert targets(provider, "web.example.com", "CNAME") == {"lb-1.example.net"}  # a CNAME holds one target


async def test_a_name_with_a_change_that_must_wait_waits_whole() -> None:
    """The CNAME's delete waits, so the A record replacing it waits too: they cannot stand side by side."""
    shop = want("Ingress", "shop", "shop.example.com", "lb.example.net", type_="CNAME")
    provider = await written_by_a_previous_operator(dict([shop]))
    before = records(provider)
    now_an_address = want("Ingress", "shop", "shop.example.com", "192.0.2.7")

    await restart(provider, dict([now_an_address]), {"shop.example.com"})

    assert records(provider) == before


async def test_what_was_written_is_in_the_cache_whether_the_zone_read_saw_it_or_not() -> None:
    """The zone is read while the change is planned (zonesahead.py): the write lands in the cache either way."""
    provider = await written_by_a_previous_operator(dict([WEB]))
    moved = want("Service", "web", "web.example.com", "192.0.2.10")
    worker, _ = worker_over(provider, dict([moved]))
    stale = await provider.records(Zone(ZONE, ZONE))  # the read ahead, made before the write

    worker.cache.read_begins()
    await worker.sync_before_listed({"web.example.com"})
    await worker.cache.refill(stale)

    (cached,) = [ep for ep in worker.cache.at(["web.example.com"]) if ep.record_type == "A"]
    assert set(cached.targets) == {"192.0.2.1", "192.0.2.10"}
    # The first sync, with every object known, finishes the change: the old address goes.
    await worker.sync_all()
    assert targets(provider, "web.example.com") == {"192.0.2.10"}


@pytest.mark.parametrize("seed", range(60))
async def test_generated_restarts_lose_nothing_early_and_end_where_the_first_sync_alone_would(seed: int) -> None:
    """Services (merging) and Ingresses at a few shared names; some listed, some changed during the LIST."""
    rng = random.Random(seed)
    hosts = [f"h{index}.example.com" for index in range(4)]
    addresses = [f"192.0.2.{index}" for index in range(1, 6)]

    def some_object(kind: str, name: str) -> tuple[ObjectKey, tuple[Endpoint, ...]]:
        return want(kind, name, rng.choice(hosts), *sorted(set(rng.sample(addresses, rng.randint(1, 2)))))

    names = [(rng.choice(("Service", "Ingress")), f"o{index}") for index in range(6)]
    before = dict(some_object(kind, name) for kind, name in names)
    after = dict(before)
    changed: set[str] = set()
    changed_objects: set[ObjectKey] = set()
    for kind, name in rng.sample(names, 3):  # moved, re-addressed or deleted during the LIST
        key = ObjectKey(kind.lower(), "default", name)
        changed_objects.add(key)
        changed |= {ep.key.name for ep in before[key]}
        if rng.random() < 0.25:
            del after[key]
        else:
            after[key] = some_object(kind, name)[1]
            changed |= {ep.key.name for ep in after[key]}
    listed = {key: endpoints for key, endpoints in after.items() if rng.random() < 0.5}
    known = {**listed, **{key: eps for key, eps in after.items() if key in changed_objects}}

    early = await written_by_a_previous_operator(before)
    alone = await written_by_a_previous_operator(before)
    start = records(early)
    await restart(early, known, changed)
    between = records(early)

    for provider in (early, alone):  # the first whole-zone sync, every object listed
        worker, _ = worker_over(provider, after)
        await worker.load()
        await worker.sync_all()
    end, end_alone = records(early), records(alone)
    for key, values in start.items():  # what went early, the first sync alone removes too
        assert set(values) - set(between.get(key, ())) <= set(values) - set(end_alone.get(key, ())), key
    for key in end.keys() | end_alone.keys():
        if end.get(key) != end_alone.get(key) and not key[0].startswith("a-"):
            # Only a name nobody held, wanted by Ingresses (one record, one winner) may differ: the early create
            # went to a changed one, as it would to whichever came first once running. It keeps it.
            holder = _holder(end, key[0])
            assert holder in known and holder.kind == "ingress", key
            assert start.get(key) is None and end[key] == after[holder][0].targets, key


def _holder(records: Records, name: str) -> ObjectKey:
    (txt,) = records[(f"a-{name}", "TXT")]
    kind, namespace, object_name = txt.strip('"').split("external-dns/resource=")[1].split("/")
    return ObjectKey(kind, namespace, object_name)
