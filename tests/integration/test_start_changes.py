"""Changes made while the operator starts reach DNS without waiting for Kopf's streams (catchup.py).

Kopf's watch streams begin with a LIST of their own, after the operator's start-up LIST and first sync, and
with thousands of objects Kopf's replay of that LIST takes a minute. Here Kopf's LIST is held in the local API
server (the second LIST of Services; the first is the operator's), which makes that window as long as the test
needs: a change made in it must reach BIND while Kopf has not even listed, and an object deleted in it must be
deleted from BIND without waiting for the periodic re-LIST (``--interval``, an hour here).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import kmock
import pytest
from prometheus_client import REGISTRY
from tests.backends.bind import BindServer
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, syncs_recorded, wait_for, written_ago

from external_dns import handlers
from external_dns.config import Settings
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"


class ListHold:
    """A reaction for the local API server: holds the requests it matches until released (KMock then lets the
    emulated server answer them)."""

    def __init__(self) -> None:
        self.held = threading.Event()
        self.released = threading.Event()

    async def __call__(self) -> None:
        self.held.set()
        await asyncio.to_thread(self.released.wait, 120)


@pytest.fixture
def kopf_list_held(cluster: LocalCluster) -> Iterator[ListHold]:
    """Kopf's first LIST of Services is held until the test releases it (always released at the end)."""
    hold = ListHold()
    cluster.emulator["list", kmock.resource("v1", "services")][1:2] << hold
    try:
        yield hold
    finally:
        hold.released.set()


def a_records(bind: BindServer) -> dict[str, set[str]]:
    records = bind.axfr_records_sync(ZONE)
    return {name: targets for (name, rtype), targets in records.items() if rtype == "A" and name != f"ns1.{ZONE}"}


def start_settings(cluster: LocalCluster, bind: BindServer) -> Settings:
    return operator_settings(cluster.kubeconfig, source=["service"], txt_owner_id="start", **bind.provider_flags(ZONE))


def create_service(cluster: LocalCluster, name: str, ip: str) -> None:
    asyncio.run(cluster.create("v1", "services", lb_service(name, f"{name}.{ZONE}", ip)))


def move_service(cluster: LocalCluster, name: str, ip: str) -> None:
    status = {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}
    asyncio.run(cluster.patch("v1", "services", name, status, "default", subresource="status"))


def test_changes_before_kopf_has_listed_reach_dns_at_once(
    cluster: LocalCluster, bind: BindServer, kopf_list_held: ListHold
) -> None:
    for name, ip in (("gone", "192.0.2.1"), ("moved", "192.0.2.2"), ("kept", "192.0.2.3")):
        create_service(cluster, name, ip)
    settings = start_settings(cluster, bind)
    with OperatorThread(settings) as op:
        wait_for(kopf_list_held.held.is_set, what="Kopf's LIST of Services (held)")
        first = {f"gone.{ZONE}": {"192.0.2.1"}, f"moved.{ZONE}": {"192.0.2.2"}, f"kept.{ZONE}": {"192.0.2.3"}}
        wait_for(lambda: a_records(bind) == first, what="the first sync")

        # Between the operator's start-up LIST and Kopf's: one object deleted, one moved, one created.
        asyncio.run(cluster.delete("v1", "services", "gone", "default"))
        move_service(cluster, "moved", "192.0.2.20")
        create_service(cluster, "new", "192.0.2.4")
        during = {f"moved.{ZONE}": {"192.0.2.20"}, f"kept.{ZONE}": {"192.0.2.3"}, f"new.{ZONE}": {"192.0.2.4"}}
        wait_for(lambda: a_records(bind) == during, 15, "the changes made before Kopf's LIST")
        assert not kopf_list_held.released.is_set()  # all of it while Kopf had not listed yet
        assert (f"a-gone.{ZONE}", "TXT") not in bind.axfr_records_sync(ZONE)

        # Kopf lists and catches up; the catch-up watch hands over at Kopf's first stream event.
        kopf_list_held.released.set()
        services_watches = cluster.emulator["watch", kmock.resource("v1", "services")]
        wait_for(lambda: len(services_watches) >= 2, what="Kopf's watch of Services (the catch-up watch is first)")
        create_service(cluster, "late", "192.0.2.5")
        catch_up = handlers.running(op.memo).catch_up
        assert catch_up is not None
        wait_for(lambda: not catch_up.watching("services"), what="the catch-up watch to hand over to Kopf's stream")
        wait_for(catch_up.handed_over.is_set, what="the hand-over of every resource (the others are empty)")
        move_service(cluster, "kept", "192.0.2.30")
        after = {**during, f"kept.{ZONE}": {"192.0.2.30"}, f"late.{ZONE}": {"192.0.2.5"}}
        wait_for(lambda: a_records(bind) == after, 15, "changes through Kopf's stream after the hand-over")
        op.wait_idle()
        assert a_records(bind) == after  # Kopf's replay brought nothing back


def test_a_quiet_resource_hands_over_once_kopf_has_replayed_it(cluster: LocalCluster, bind: BindServer) -> None:
    """Nothing changes during the start: no stream event of Kopf's will ever mark where it is, so its replay of
    every stored object does, and the catch-up watch does not stay open for the process's lifetime."""
    for index in range(5):
        create_service(cluster, f"quiet-{index}", f"192.0.2.{10 + index}")
    with OperatorThread(start_settings(cluster, bind)) as op:
        catch_up = handlers.running(op.memo).catch_up
        assert catch_up is not None
        wait_for(catch_up.handed_over.is_set, 15, "the hand-over after Kopf's replay")
        assert not catch_up.watching("services")
        assert catch_up.replayed["services"] == 5 and catch_up.fed["services"] == 0
        move_service(cluster, "quiet-0", "192.0.2.99")  # and Kopf's stream carries on
        wait_for(lambda: a_records(bind).get(f"quiet-0.{ZONE}") == {"192.0.2.99"}, 15, "a change after it")


def test_a_replica_leading_before_kopf_has_listed_carries_changes_at_once(
    cluster: LocalCluster, bind: BindServer, kopf_list_held: ListHold
) -> None:
    """external-dns --peering (a warm standby's start): the replica leads (no other one) while Kopf's LIST is
    held; a change made then reaches BIND through the catch-up watch, not after Kopf's replay."""
    asyncio.run(cluster.create("kopf.dev/v1", "clusterkopfpeerings", {
        "apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": "external-dns"},
    }))  # fmt: skip
    create_service(cluster, "web", "192.0.2.1")
    settings = operator_settings(
        cluster.kubeconfig, source=["service"], txt_owner_id="start", peering="external-dns", peering_lifetime=4,
        **bind.provider_flags(ZONE),
    )  # fmt: skip
    with OperatorThread(settings) as op:
        gate = handlers.running(op.memo).gate
        assert gate is not None
        wait_for(kopf_list_held.held.is_set, what="Kopf's LIST of Services (held)")
        wait_for(lambda: gate.active, 20, "the only replica to lead")
        wait_for(lambda: a_records(bind) == {f"web.{ZONE}": {"192.0.2.1"}}, 15, "the first sync")
        move_service(cluster, "web", "192.0.2.10")
        wait_for(lambda: a_records(bind) == {f"web.{ZONE}": {"192.0.2.10"}}, 15, "the change, before Kopf lists")
        assert not kopf_list_held.released.is_set()


def records_read() -> float:
    """How often the operators of this process read a zone whole from BIND (a Prometheus counter)."""
    labels = {"provider": "rfc2136", "operation": "records"}
    return REGISTRY.get_sample_value("external_dns_provider_calls_total", labels) or 0.0


def test_a_change_during_the_operators_own_list_is_planned_before_the_whole_zone(
    cluster: LocalCluster, bind: BindServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's LIST is held after its first page (of two): the zone is read meanwhile, and the changes
    made meanwhile, on either page, are the zone worker's first sync, before its whole-zone pass."""
    count = 510  # two pages of the operator's LIST (500 each); the second is held, Kopf's are the third on

    async def create_all() -> None:
        for index in range(count):
            await cluster.create("v1", "services", lb_service(f"s-{index:03d}", f"s-{index:03d}.{ZONE}", "192.0.2.1"))

    with written_ago(3600):  # old objects: only the two changes below are planned first
        asyncio.run(create_all())
    second_page = ListHold()
    cluster.emulator["list", kmock.resource("v1", "services")][1:2] << second_page
    synced = syncs_recorded(monkeypatch)
    read_before = records_read()
    op = OperatorThread(start_settings(cluster, bind))
    starting = threading.Thread(target=op.start, kwargs={"timeout": 60}, daemon=True)
    starting.start()
    try:
        wait_for(second_page.held.is_set, what="the operator's LIST, held after its first page")
        wait_for(lambda: records_read() > read_before, 15, "the zone read while the LIST is held")
        move_service(cluster, "s-001", "192.0.2.51")  # listed already
        move_service(cluster, "s-505", "192.0.2.55")  # on the held page
        catch_up = handlers.running(op.memo).catch_up
        assert catch_up is not None
        wait_for(lambda: catch_up.fed.get("services", 0) >= 2, 15, "the catch-up watch to see both changes")
        assert not synced  # nothing is planned before every object is listed
        second_page.released.set()
        moved = {f"s-001.{ZONE}": {"192.0.2.51"}, f"s-505.{ZONE}": {"192.0.2.55"}}
        wait_for(lambda: moved.items() <= a_records(bind).items(), 30, "both changes in BIND")
        starting.join(60)
        op.wait_idle()
        assert synced[0] == set(moved)  # the first sync: the two changed names alone
        assert len(a_records(bind)) == count  # and then the whole zone
    finally:
        second_page.released.set()
        op.stop()


def test_the_catch_up_watch_lists_again_after_410_gone(
    cluster: LocalCluster, bind: BindServer, kopf_list_held: ListHold
) -> None:
    for name, ip in (("gone", "192.0.2.1"), ("kept", "192.0.2.3")):
        create_service(cluster, name, ip)
    settings = start_settings(cluster, bind)
    with OperatorThread(settings):
        wait_for(kopf_list_held.held.is_set, what="Kopf's LIST of Services (held)")
        wait_for(lambda: a_records(bind) == {f"gone.{ZONE}": {"192.0.2.1"}, f"kept.{ZONE}": {"192.0.2.3"}},
                 what="the first sync")  # fmt: skip
        store = cluster.emulator.store
        services = store.resolve("", "v1", "services")

        def gap() -> int:
            """Cut the catch-up watch (the only Services stream while Kopf's LIST is held), delete an object and
            forget the history: its resumption meets 410 Gone. Nothing (0) while it is not connected yet."""
            dropped = cluster.emulator.drop_watches("", "v1", "services")
            if dropped:
                store.delete(services, "default", "gone", None)
                store.trim_log(keep=0)
            return dropped

        wait_for(lambda: cluster.in_server(gap), what="the catch-up watch's stream to cut")
        wait_for(lambda: a_records(bind) == {f"kept.{ZONE}": {"192.0.2.3"}}, 15, "the deletion, seen by a new LIST")
        assert not kopf_list_held.released.is_set()


def test_a_create_and_a_delete_between_the_lists_keep_the_catch_up_watch_open(
    cluster: LocalCluster, bind: BindServer, kopf_list_held: ListHold
) -> None:
    """An object created and another deleted after the operator's LIST and before Kopf's, while the catch-up
    watch has not seen either yet: Kopf's replay has as many objects as the store, but not the same ones. Handing
    over then (the quiet resource's rule) would stop the one feed that reports the deletion, and the deleted
    object's records would stay until the periodic re-LIST (an hour here)."""
    for name, ip in (("kept", "192.0.2.1"), ("gone", "192.0.2.2")):
        create_service(cluster, name, ip)
    catch_up_stream = ListHold()  # the first watch of Services is the catch-up watch's: held until released
    cluster.emulator["watch", kmock.resource("v1", "services")][0:1] << catch_up_stream
    try:
        with OperatorThread(start_settings(cluster, bind)) as op:
            wait_for(kopf_list_held.held.is_set, what="Kopf's LIST of Services (held)")
            wait_for(catch_up_stream.held.is_set, what="the catch-up watch's stream (held)")
            first = {f"kept.{ZONE}": {"192.0.2.1"}, f"gone.{ZONE}": {"192.0.2.2"}}
            wait_for(lambda: a_records(bind) == first, what="the first sync")
            catch_up = handlers.running(op.memo).catch_up
            assert catch_up is not None

            create_service(cluster, "new", "192.0.2.3")
            asyncio.run(cluster.delete("v1", "services", "gone", "default"))
            kopf_list_held.released.set()
            wait_for(lambda: catch_up.replayed.get("services", 0) == 2, what="Kopf's replay of kept and new")
            catch_up_stream.released.set()

            final = {f"kept.{ZONE}": {"192.0.2.1"}, f"new.{ZONE}": {"192.0.2.3"}}
            wait_for(lambda: a_records(bind) == final, 15, "the deletion made between the two LISTs")
            assert catch_up.watching("services")  # until Kopf's stream marks where it is
    finally:
        catch_up_stream.released.set()
