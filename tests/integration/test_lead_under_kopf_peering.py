"""A replica that stood by under Kopf's own peering (``kopf run --peering``) and then leads (Application.lead): it
posts events again, and plans the changes made during its start-up LIST at once, before that LIST is done.

Under ``kopf run --peering`` Kopf pauses the standby, which lists only when it takes over (handlers.py,
``activate``): until then its events are muted. Two replicas run in this process (tests.harness.OperatorThread),
each handed what ``kopf run --all-namespaces --peering=NAME --priority=N`` hands Kopf, with its own ``POD_ID``
(Kopf's identity), against one local API server and one real BIND. The replica that takes over has its LIST of
Services held after its first page (of two), so the window is as long as the test needs.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from typing import Any

import kmock
import kopf
import pytest
from tests.backends.bind import BindServer
from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.test_start_changes import ListHold, a_records
from tests.integration.test_start_changes_early import COUNT, PAGE, create_services, move_service, ready_events

from external_dns import handlers, kube
from external_dns.config import Settings
from external_dns.testing import operator as operator_harness
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
PEERING = "external-dns"


def kopf_run_arguments(priority: int) -> Callable[[Settings, kopf.Memo], dict[str, object]]:
    """What ``kopf run --all-namespaces --peering=PEERING --priority=N`` hands Kopf (kopf/cli.py), in the place of
    the harness's standalone Kopf: Kopf's own peering, which pauses the replica that does not lead."""

    def arguments(_settings: Settings, _memo: kopf.Memo) -> dict[str, object]:
        return {"clusterwide": True, "namespaces": [], "peering_name": PEERING, "priority": priority}

    return arguments


@pytest.fixture
def takeover_list_held(cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[ListHold]:
    """The second operator LIST of Services to reach its second page is held there (always released at the end).

    Only the operators' own LISTs have a second page (``PAGE`` objects each): Kopf's have ``KOPF_LIST_CHUNK``. The
    first is the leader's start-up LIST, the second the LIST of the replica that takes over."""
    monkeypatch.setattr(kube, "LIST_PAGE_SIZE", PAGE)
    hold = ListHold()
    next_pages = kmock.params({"continue": re.compile(".+")})
    cluster.emulator["list", kmock.resource("v1", "services"), next_pages][1:2] << hold
    try:
        yield hold
    finally:
        hold.released.set()


def replica(settings: Settings, pod_id: str, priority: int, monkeypatch: pytest.MonkeyPatch) -> OperatorThread:
    """A replica started (its startup handler has run, its gate has polled once) under Kopf's own peering."""
    monkeypatch.setenv("POD_ID", pod_id)  # read by Kopf and by the startup handler while the replica starts
    monkeypatch.setattr(operator_harness, "kopf_arguments", kopf_run_arguments(priority))
    return OperatorThread(settings).start(timeout=60)


def events_with(cluster: LocalCluster, name: str, text: str) -> list[dict[str, Any]]:
    """The RecordReady events on the Service whose message holds ``text``."""
    return [event for event in ready_events(cluster, name) if text in event["message"]]


@pytest.mark.timeout(240)  # two operators with Kopf's peering, on a loaded machine
def test_a_replica_that_stood_by_and_then_leads_posts_events_and_plans_changes_during_its_list_at_once(
    cluster: LocalCluster, bind: BindServer, takeover_list_held: ListHold, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(cluster.create("kopf.dev/v1", "clusterkopfpeerings", {
        "apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": PEERING},
    }))  # fmt: skip
    create_services(cluster)  # s-000 .. s-014 at 192.0.2.1: two pages of an operator's LIST
    settings = operator_settings(
        cluster.kubeconfig, source=["service"], txt_owner_id="lead", peering=PEERING, peering_lifetime=12,
        **bind.provider_flags(ZONE),  # (a lifetime Kopf renews every 2-7 s: room for a late renewal under load)
    )  # fmt: skip
    first = {f"s-{index:03d}.{ZONE}": {"192.0.2.1"} for index in range(COUNT)}
    leader = replica(settings, "replica-a", 200, monkeypatch)
    standby: OperatorThread | None = None
    try:
        leader_gate = handlers.running(leader.memo).gate
        assert leader_gate is not None
        wait_for(lambda: leader_gate.active, 60, "the first replica to lead")
        wait_for(lambda: a_records(bind) == first, 60, "the leader's first sync")

        standby = replica(settings, "replica-b", 100, monkeypatch)
        gate = handlers.running(standby.memo).gate
        assert gate is not None and not gate.active
        assert standby.app.standing_by and standby.app.events.muted
        assert not standby.app.listed.is_set()  # paused by Kopf: it lists when it leads

        leader.stop()  # Kopf takes it out of the peering object as it exits: the standby takes over
        wait_for(takeover_list_held.held.is_set, 60, "the LIST of the replica that took over, held after a page")
        assert gate.active and not standby.app.standing_by and not standby.app.events.muted

        move_service(cluster, "s-001", "192.0.2.51")  # listed already
        move_service(cluster, "s-012", "192.0.2.55")  # on the held page: known from a watch alone
        during = {f"s-001.{ZONE}": "192.0.2.51", f"s-012.{ZONE}": "192.0.2.55"}

        def written_early() -> bool:  # the new address added (the old one goes at the first sync: before_listed)
            records = a_records(bind)
            return all(address in records.get(name, set()) for name, address in during.items())

        wait_for(written_early, 60, "both changes in BIND, the LIST held")
        wait_for(lambda: events_with(cluster, "s-012", "192.0.2.55"), 60, "the RecordReady event of the early write")
        assert not takeover_list_held.released.is_set()

        takeover_list_held.released.set()
        wait_for(lambda: standby.app.ready, 60, "the takeover's start")
        move_service(cluster, "s-005", "192.0.2.50")  # after the takeover
        after = {**first, **{name: {address} for name, address in during.items()}, f"s-005.{ZONE}": {"192.0.2.50"}}
        wait_for(lambda: a_records(bind) == after, 60, "the change after the takeover in BIND")
        wait_for(lambda: events_with(cluster, "s-005", "192.0.2.50"), 60, "its RecordReady event")
    finally:
        takeover_list_held.released.set()
        leader.stop()
        if standby is not None:
            standby.stop()
