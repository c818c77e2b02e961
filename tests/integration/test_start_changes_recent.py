"""A change made just before the operator's start-up LIST reaches DNS before the LIST is done (recentlychanged.py).

Such a change is in the LIST's snapshot, not in any watch event. The operator's LIST of Services is held after its
first page (of two) in the local API server; the listed objects of that page that changed just before, by the
server's own times (managedFields, creationTimestamp), are planned from a point read of their names while the
LIST is held, like a change watched during it. The others wait for the first whole-zone sync, as before.
"""

from __future__ import annotations

import asyncio

import pytest
from tests.builders import lb_service
from tests.harness import operator_settings, wait_for, written_ago
from tests.integration.test_start_changes_early import (  # noqa: F401  (a fixture, found by pytest by its name)
    COUNT,
    ZONE,
    ListHold,
    Starting,
    create_services,
    move_service,
    second_page_held,
)

from external_dns import recentlychanged
from external_dns.testing.cluster import LocalCluster


def test_objects_changed_just_before_the_list_are_planned_while_it_runs(
    cluster: LocalCluster,
    second_page_held: ListHold,  # noqa: F811
) -> None:
    create_services(cluster)  # an hour ago
    with written_ago(30):
        move_service(cluster, "s-003", "192.0.2.53")  # in a restart's gap: while no operator watched
    with written_ago(600):
        move_service(cluster, "s-004", "192.0.2.54")  # long before: the first sync's business
    move_service(cluster, "s-001", "192.0.2.51")  # as the operator starts
    move_service(cluster, "s-012", "192.0.2.62")  # as well, but on the held page: not listed yet
    settings = operator_settings(
        cluster.kubeconfig, source=["service"], provider="inmemory", inmemory_zone=[ZONE], txt_owner_id="start"
    )
    with Starting(settings, second_page_held) as op:
        wait_for(second_page_held.held.is_set, 30, "the operator's LIST, held after its first page")
        early = {(f"s-001.{ZONE}", "A"), (f"s-003.{ZONE}", "A")}
        wait_for(lambda: early <= op.provider_records().keys(), 30, "both recent changes in the zone, LIST held")
        records = op.provider_records()
        assert records[(f"s-001.{ZONE}", "A")] == ("192.0.2.51",)
        assert records[(f"s-003.{ZONE}", "A")] == ("192.0.2.53",)
        assert len(records) == 4  # each with its ownership TXT, and nothing else
        recent = op.app.start_changes.recent
        assert recent is not None and (recent.taken_during_start, recent.taken_before_start) == (1, 1)
        assert not second_page_held.released.is_set()

        second_page_held.released.set()
        wait_for(lambda: len(op.provider_records()) == 2 * COUNT, 60, "the first sync")
        records = op.provider_records()
        assert records[(f"s-004.{ZONE}", "A")] == ("192.0.2.54",)
        assert records[(f"s-012.{ZONE}", "A")] == ("192.0.2.62",)
        assert records[(f"s-005.{ZONE}", "A")] == ("192.0.2.1",)


def test_a_restart_right_after_a_mass_change_plans_early_only_up_to_its_bound(
    cluster: LocalCluster,
    second_page_held: ListHold,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every object created just now (a fresh cluster, a mass deploy): the early pass takes a bounded number."""
    monkeypatch.setattr(recentlychanged, "DURING_START_AT_MOST", 3)

    async def create_all() -> None:
        for index in range(COUNT):
            await cluster.create("v1", "services", lb_service(f"s-{index:03d}", f"s-{index:03d}.{ZONE}", "192.0.2.1"))

    asyncio.run(create_all())
    settings = operator_settings(
        cluster.kubeconfig, source=["service"], provider="inmemory", inmemory_zone=[ZONE], txt_owner_id="start"
    )
    with Starting(settings, second_page_held) as op:
        wait_for(second_page_held.held.is_set, 30, "the operator's LIST, held after its first page")
        wait_for(lambda: len(op.provider_records()) == 6, 30, "three names planned early")
        recent = op.app.start_changes.recent
        assert recent is not None and (recent.taken_during_start, recent.taken_before_start) == (3, 0)
        assert {name for name, kind in op.provider_records() if kind == "A"} == {
            f"s-{index:03d}.{ZONE}" for index in range(3)
        }  # the first listed

        second_page_held.released.set()
        wait_for(lambda: len(op.provider_records()) == 2 * COUNT, 60, "the first sync")
