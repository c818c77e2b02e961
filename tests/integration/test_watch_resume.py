"""A change made while no operator ran reaches DNS before the start-up LIST is done (watchpoint.py).

The first run writes how far its watches got into a ConfigMap when it stops. Services are changed while no
operator runs, on the page the next run's LIST holds (so neither a watch from the LIST nor the objects' own times
can find them before the LIST ends). The next run resumes its watch from the position and plans them while its
LIST is held. A position that expired meanwhile costs nothing but the speed-up: those changes wait for the first
whole-zone sync, as they did before.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator

import kmock
import pytest
from tests.harness import OperatorThread, operator_settings, syncs_recorded, wait_for, written_ago
from tests.integration.test_start_changes import ListHold
from tests.integration.test_start_changes_early import COUNT, PAGE, ZONE, Starting, create_services, move_service

from external_dns import handlers, kube, recentlychanged, startchanges
from external_dns.config import Settings
from external_dns.testing.cluster import ClusterRequestError, LocalCluster

NAMESPACE, NAME = "default", "external-dns-watch-position"


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kube, "LIST_PAGE_SIZE", PAGE)


@pytest.fixture
def hold() -> Iterator[ListHold]:
    hold = ListHold()
    try:
        yield hold
    finally:
        hold.released.set()


def settings_for(cluster: LocalCluster, **flags: object) -> Settings:
    return operator_settings(
        cluster.kubeconfig, source=["service"], provider="inmemory", inmemory_zone=[ZONE], txt_owner_id="start",
        watch_position_configmap=f"{NAMESPACE}/{NAME}", **flags,
    )  # fmt: skip


def stored_positions(cluster: LocalCluster) -> dict[str, str]:
    try:
        configmap = asyncio.run(cluster.get("v1", "configmaps", NAME, NAMESPACE))
    except ClusterRequestError:
        return {}
    return dict(configmap.get("data") or {})


def first_run(cluster: LocalCluster) -> str:
    """A run to its first whole-zone sync, stopped cleanly: the Services' position it wrote (at the latest when it
    stopped)."""
    create_services(cluster)
    with OperatorThread(settings_for(cluster)) as op:
        wait_for(lambda: len(op.provider_records()) == 2 * COUNT, 30, "the first run's first sync")
    position = stored_positions(cluster).get("services", "")
    assert position.isdigit()
    return position


def hold_second_page(cluster: LocalCluster, hold: ListHold) -> None:
    """The next LIST of Services is held after its first page (the reaction counts from now on)."""
    cluster.emulator["list", kmock.resource("v1", "services")][1:2] << hold


def test_changes_made_while_no_operator_ran_are_planned_while_the_list_runs(
    cluster: LocalCluster, hold: ListHold
) -> None:
    position = first_run(cluster)
    move_service(cluster, "s-012", "192.0.2.62")  # on the page the next LIST holds
    move_service(cluster, "s-014", "192.0.2.64")
    hold_second_page(cluster, hold)

    with Starting(settings_for(cluster), hold) as op:
        wait_for(hold.held.is_set, 30, "the operator's LIST, held after its first page")
        early = {(f"s-012.{ZONE}", "A"), (f"s-014.{ZONE}", "A")}
        wait_for(lambda: early <= op.provider_records().keys(), 30, "both changes in the zone, LIST held")
        records = op.provider_records()
        assert records[(f"s-012.{ZONE}", "A")] == ("192.0.2.62",)
        assert records[(f"s-014.{ZONE}", "A")] == ("192.0.2.64",)
        assert len(records) == 4  # each with its ownership TXT, and nothing else before the LIST is done
        catch_up = handlers.running(op.memo).catch_up
        assert catch_up is not None and catch_up.resumed_from["services"] == position
        assert not hold.released.is_set()

        hold.released.set()
        wait_for(lambda: len(op.provider_records()) == 2 * COUNT, 60, "the first sync")
        assert op.provider_records()[(f"s-012.{ZONE}", "A")] == ("192.0.2.62",)
        assert op.provider_records()[(f"s-005.{ZONE}", "A")] == ("192.0.2.1",)
        # What it fed before the LIST's snapshot is in Kopf's LIST too: nothing changed since, so a quiet cluster
        # hands over to Kopf's streams once Kopf's replay is through (no stream event needed).
        wait_for(catch_up.handed_over.is_set, 30, "the catch-up watch's hand-over to Kopf")
    assert int(stored_positions(cluster)["services"]) > int(position)


def test_an_expired_position_leaves_those_changes_to_the_first_sync(
    cluster: LocalCluster, hold: ListHold, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="external_dns.catchup")
    first_run(cluster)
    move_service(cluster, "s-012", "192.0.2.62")
    cluster.in_server(lambda: cluster.emulator.store.trim_log(keep=0))  # the server kept no event that old
    hold_second_page(cluster, hold)

    with Starting(settings_for(cluster), hold) as op:
        wait_for(hold.held.is_set, 30, "the operator's LIST, held after its first page")
        wait_for(lambda: "has expired" in caplog.text, 30, "the resumed watch's 410")
        catch_up = handlers.running(op.memo).catch_up
        assert catch_up is not None
        # On from the LIST's first page, as without a position (the 410 may come before that page or after it).
        wait_for(lambda: "services" in catch_up.listed_at and catch_up.watching("services"), 30, "the watch")
        move_service(cluster, "s-013", "192.0.2.63")  # during the LIST: the watch from its first page has it
        wait_for(lambda: (f"s-013.{ZONE}", "A") in op.provider_records(), 30, "the change made during the LIST")
        assert (f"s-012.{ZONE}", "A") not in op.provider_records()  # known only when its page is listed

        hold.released.set()
        wait_for(lambda: len(op.provider_records()) == 2 * COUNT, 60, "the first sync")
        assert op.provider_records()[(f"s-012.{ZONE}", "A")] == ("192.0.2.62",)


def test_a_change_listed_before_its_resumed_watch_brings_it_is_planned_while_the_list_runs(
    cluster: LocalCluster, hold: ListHold
) -> None:
    """The LIST's page may bring a change made while down before the resumed watch does; the watch's event is then a
    repeat of what the store holds. The object's resourceVersion, newer than the last run's position, marks it. It
    was made ten minutes back by the server's clock, so its times alone would leave it to the first sync."""
    first_run(cluster)
    with written_ago(600):
        move_service(cluster, "s-003", "192.0.2.53")  # on the first page
    watch_hold = ListHold()
    cluster.emulator["watch", kmock.resource("v1", "services")][0:1] << watch_hold  # the resumed watch
    hold_second_page(cluster, hold)
    try:
        with Starting(settings_for(cluster), hold) as op:
            wait_for(hold.held.is_set, 30, "the operator's LIST, held after its first page")  # page 1 is taken
            wait_for(watch_hold.held.is_set, 30, "the resumed watch, held")
            watch_hold.released.set()
            wait_for(
                lambda: "192.0.2.53" in op.provider_records().get((f"s-003.{ZONE}", "A"), ()), 30, "the change, early"
            )
            catch_up = handlers.running(op.memo).catch_up
            assert catch_up is not None and catch_up.watching("services")
            recent = op.app.start_changes.recently_changed
            assert recent is not None and recent.taken_since_last_run == 1
            assert not hold.released.is_set()
    finally:
        watch_hold.released.set()


def test_a_mass_change_while_down_does_not_hold_back_the_changes_made_during_the_list(
    cluster: LocalCluster, hold: ListHold, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past a few, what a resumed watch replays goes a few names a pass after the changes watched meanwhile (at a
    restart of 10,000, 1,921 names changed while down went in one 7.7 s pass, and every change made during the
    LIST waited that long). Here: one at once, then one a pass (the order is startchanges' own tests')."""
    monkeypatch.setattr(recentlychanged, "SINCE_LAST_RUN_AT_ONCE", 1)
    monkeypatch.setattr(startchanges, "LATER_PER_PASS", 1)
    passes = syncs_recorded(monkeypatch, "sync_before_listed")
    first_run(cluster)
    gap = {f"s-{index:03d}.{ZONE}" for index in (11, 12, 13, 14)}
    for index, name in enumerate(sorted(gap)):
        move_service(cluster, name.split(".")[0], f"192.0.2.{70 + index}")  # on the page the LIST holds
    hold_second_page(cluster, hold)

    with Starting(settings_for(cluster), hold) as op:
        wait_for(hold.held.is_set, 30, "the operator's LIST, held after its first page")
        wait_for(lambda: passes, 30, "the first early pass")
        move_service(cluster, "s-010", "192.0.2.60")  # during the LIST, watched
        wait_for(lambda: any(f"s-010.{ZONE}" in names for names in passes), 30, "the change made during the LIST")
        wait_for(lambda: set().union(*passes) >= gap, 30, "every change made while down, early")
        assert op.provider_records()[(f"s-010.{ZONE}", "A")] == ("192.0.2.60",)
        assert not hold.released.is_set()
    assert len(passes[0]) == 1 and passes[0] <= gap  # one at once, the rest one a pass


@pytest.mark.parametrize(
    ("stored", "logged"),
    [
        # A namespace restored from another cluster's backup: the server would wait for that resourceVersion.
        (lambda position: str(int(position) + 1_000_000), "is ahead of this LIST's"),
        # Not a resourceVersion this server can read: it answers 400.
        (lambda position: f"v{position}", "was refused"),
    ],
    ids=["ahead", "unreadable"],
)
def test_a_position_this_server_cannot_resume_from_leaves_the_watch_from_the_list(
    cluster: LocalCluster,
    hold: ListHold,
    caplog: pytest.LogCaptureFixture,
    stored: Callable[[str], str],
    logged: str,
) -> None:
    caplog.set_level(logging.INFO, logger="external_dns.catchup")
    position = first_run(cluster)
    bogus = stored(position)
    asyncio.run(cluster.patch("v1", "configmaps", NAME, {"data": {"services": bogus}}, NAMESPACE))
    hold_second_page(cluster, hold)

    with Starting(settings_for(cluster), hold) as op:
        wait_for(hold.held.is_set, 30, "the operator's LIST, held after its first page")
        catch_up = handlers.running(op.memo).catch_up
        assert catch_up is not None and catch_up.resumed_from["services"] == bogus
        move_service(cluster, "s-013", "192.0.2.63")  # during the LIST: the watch from its first page has it
        wait_for(lambda: (f"s-013.{ZONE}", "A") in op.provider_records(), 30, "the change made during the LIST")
        assert logged in caplog.text
        assert not hold.released.is_set()

        hold.released.set()
        wait_for(lambda: len(op.provider_records()) == 2 * COUNT, 60, "the first sync")
    healed = stored_positions(cluster)["services"]
    assert healed.isdigit() and int(position) < int(healed) < 1_000_000  # this cluster's own, written at the stop


def test_a_run_stopped_before_its_first_sync_moves_no_position(cluster: LocalCluster, hold: ListHold) -> None:
    """What it saw during its LIST was not planned yet: the next start must still resume from before it."""
    position = first_run(cluster)
    move_service(cluster, "s-012", "192.0.2.62")
    hold_second_page(cluster, hold)
    op = OperatorThread(settings_for(cluster))
    failures: list[str] = []

    def start() -> None:
        try:
            op.start(timeout=60)
        except RuntimeError as error:
            failures.append(str(error))

    starting = threading.Thread(target=start, daemon=True)
    starting.start()
    wait_for(hold.held.is_set, 30, "the operator's LIST, held after its first page")
    catch_up = handlers.running(op.memo).catch_up
    assert catch_up is not None
    wait_for(lambda: catch_up.fed.get("services", 0) >= 1, 30, "the change made while down, watched")
    op.stop()  # before its first sync: the LIST is still held
    starting.join(30)
    assert failures == ["the operator stopped before it had started"]
    assert stored_positions(cluster)["services"] == position
