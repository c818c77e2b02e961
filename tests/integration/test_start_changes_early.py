"""A change made while the operator's own start-up LIST runs reaches DNS before the LIST is done (startchanges.py).

The operator's LIST of Services is held after its first page (of two) in the local API server, so the window is
as long as the test needs. Changes made in it, to a Service already listed and to one on the held page, are
planned from a point read of their names and written while the LIST is still held; what the complete LIST could
undo (a delete, a value a merged record may still need) waits for the first whole-zone sync.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import kmock
import pytest
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for, written_ago
from tests.integration.test_start_changes import ListHold

from external_dns import handlers, kube
from external_dns.config import Settings
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
PAGE = 10  #: objects per page of the operator's LIST here (500 in production)
COUNT = 15  # two pages


def create_services(cluster: LocalCluster, ip: str = "192.0.2.1") -> None:
    """The Services, created an hour ago by the server's clock: old ones, so only the changes made in the test
    are planned before every object is listed (recentlychanged.py)."""

    async def create_all() -> None:
        for index in range(COUNT):
            await cluster.create("v1", "services", lb_service(f"s-{index:03d}", f"s-{index:03d}.{ZONE}", ip))

    with written_ago(3600):
        asyncio.run(create_all())


def move_service(cluster: LocalCluster, name: str, ip: str) -> None:
    status = {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}
    asyncio.run(cluster.patch("v1", "services", name, status, "default", subresource="status"))


@pytest.fixture
def second_page_held(cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[ListHold]:
    """The operator's LIST of Services is held after its first page (always released at the end)."""
    monkeypatch.setattr(kube, "LIST_PAGE_SIZE", PAGE)
    hold = ListHold()
    cluster.emulator["list", kmock.resource("v1", "services")][1:2] << hold
    try:
        yield hold
    finally:
        hold.released.set()


class Starting:
    """An operator started in a thread of its own (its start does not return while the LIST is held).

    At the end the hold is released first, so a test that failed with the LIST still held ends at once, and its
    operator stops instead of running on into the next tests of the process.
    """

    def __init__(self, settings: Settings, hold: ListHold | None = None) -> None:
        self.op = OperatorThread(settings)
        self.hold = hold
        self._thread = threading.Thread(target=self.op.start, kwargs={"timeout": 90}, daemon=True)

    def __enter__(self) -> OperatorThread:
        self._thread.start()
        return self.op

    def __exit__(self, *_: object) -> None:
        if self.hold is not None:
            self.hold.released.set()
        self._thread.join(90)
        self.op.stop()


def ready_events(cluster: LocalCluster, name: str) -> list[dict[str, Any]]:
    selector = f"reason=RecordReady,involvedObject.name={name}"
    events: list[dict[str, Any]] = asyncio.run(cluster.list("v1", "events", field_selector=selector))
    return events


def changes_seen(op: OperatorThread, count: int) -> None:
    catch_up = handlers.running(op.memo).catch_up
    assert catch_up is not None
    wait_for(lambda: catch_up.fed.get("services", 0) >= count, 15, "the catch-up watch to see the changes")


def test_changes_during_the_list_reach_the_zone_before_it_is_done(
    cluster: LocalCluster, second_page_held: ListHold
) -> None:
    create_services(cluster)
    settings = operator_settings(
        cluster.kubeconfig, source=["service"], provider="inmemory", inmemory_zone=[ZONE], txt_owner_id="start"
    )
    with Starting(settings, second_page_held) as op:
        wait_for(second_page_held.held.is_set, 30, "the operator's LIST, held after its first page")
        move_service(cluster, "s-001", "192.0.2.51")  # listed already
        move_service(cluster, "s-012", "192.0.2.55")  # on the held page: known from the watch alone

        wait_for(
            lambda: {(f"s-001.{ZONE}", "A"), (f"s-012.{ZONE}", "A")} <= op.provider_records().keys(),
            30,
            "both changes in the zone while the LIST is held",
        )
        records = op.provider_records()
        assert records[(f"s-001.{ZONE}", "A")] == ("192.0.2.51",)
        assert records[(f"s-012.{ZONE}", "A")] == ("192.0.2.55",)
        assert records[(f"a-s-012.{ZONE}", "TXT")] == (
            '"heritage=external-dns,external-dns/owner=start,external-dns/resource=service/default/s-012"',
        )
        assert len(records) == 4  # nothing else is planned before every object is listed
        ready = wait_for(lambda: ready_events(cluster, "s-012"), 30, "the RecordReady event of the early write")
        assert "192.0.2.55" in ready[0]["message"]
        assert not second_page_held.released.is_set()

        second_page_held.released.set()
        wait_for(lambda: len(op.provider_records()) == 2 * COUNT, 60, "the first sync")
        assert op.provider_records()[(f"s-012.{ZONE}", "A")] == ("192.0.2.55",)


def test_under_namespace_isolation_changes_during_the_list_wait_for_it(
    cluster: LocalCluster, second_page_held: ListHold
) -> None:
    """Its guard decides by the age of every object in a namespace: nothing is planned before all are listed."""
    create_services(cluster)
    settings = operator_settings(
        cluster.kubeconfig,
        source=["service"],
        provider="inmemory",
        inmemory_zone=[ZONE],
        namespace_isolation=True,
    )
    with Starting(settings, second_page_held) as op:
        wait_for(second_page_held.held.is_set, 30, "the operator's LIST, held after its first page")
        move_service(cluster, "s-001", "192.0.2.51")
        changes_seen(op, 1)
        assert not op.app.start_changes.offered
        assert op.provider_records() == {}

        second_page_held.released.set()
        wait_for(lambda: len(op.provider_records()) == 2 * COUNT, 60, "the first sync")
        assert op.provider_records()[(f"s-001.{ZONE}", "A")] == ("192.0.2.51",)
