"""The operator against BIND: a change made while its start-up LIST runs is planned from the RFC2136 provider's
point read of its names (records_at) and reaches BIND before the LIST is done, also in a zone with a wildcard,
where every absent name is answered with the wildcard's records (providers/rfc2136/names.py)."""

# ruff: noqa: F401, F811  (second_page_held: a fixture, imported from the module that defines it)

from __future__ import annotations

import asyncio
from pathlib import Path

import kmock
import pytest
from tests.backends.bind import BindServer, running_bind
from tests.harness import operator_settings, wait_for
from tests.integration.test_start_changes_early import (
    COUNT,
    PAGE,
    ZONE,
    ListHold,
    Starting,
    create_services,
    move_service,
    second_page_held,
)

from external_dns import kube
from external_dns.providers.rfc2136.provider import RFC2136Provider
from external_dns.testing.cluster import LocalCluster

pytestmark = pytest.mark.bind

WILDCARD = "192.0.2.200"


def services_in(bind: BindServer) -> dict[tuple[str, str], set[str]]:
    """The Services' records in BIND (A and ownership TXT), without ns1's and the wildcard's."""
    return {key: values for key, values in bind.axfr_records_sync(ZONE).items() if "s-" in key[0]}


@pytest.mark.parametrize("zone_records", [[], [f"* 300 IN A {WILDCARD}"]], ids=["a plain zone", "a wildcard zone"])
def test_a_change_during_the_list_reaches_bind_before_the_list_is_done(
    cluster: LocalCluster, second_page_held: ListHold, tmp_path: Path, zone_records: list[str]
) -> None:
    create_services(cluster)
    with running_bind(tmp_path, [ZONE], {ZONE: zone_records}) as bind:
        flags = bind.provider_flags(ZONE)
        settings = operator_settings(cluster.kubeconfig, source=["service"], txt_owner_id="start", **flags)
        with Starting(settings, second_page_held) as op:
            wait_for(second_page_held.held.is_set, 30, "the operator's LIST, held after its first page")
            move_service(cluster, "s-001", "192.0.2.51")

            wait_for(lambda: services_in(bind), 30, "the change in BIND while the LIST is held")
            assert services_in(bind) == {
                (f"s-001.{ZONE}", "A"): {"192.0.2.51"},
                (f"a-s-001.{ZONE}", "TXT"): {
                    '"heritage=external-dns,external-dns/owner=start,external-dns/resource=service/default/s-001"'
                },
            }
            assert not second_page_held.released.is_set()
            provider = op.app.provider
            assert isinstance(provider, RFC2136Provider) and provider.stats.point_reads >= 1

            second_page_held.released.set()
            wait_for(lambda: len(services_in(bind)) == 2 * COUNT, 60, "the first sync")
            assert services_in(bind)[(f"s-001.{ZONE}", "A")] == {"192.0.2.51"}
            if zone_records:
                assert bind.axfr_records_sync(ZONE)[(f"*.{ZONE}", "A")] == {WILDCARD}


def test_a_restart_writes_what_changed_during_its_list_and_deletes_nothing_before_it_is_done(
    cluster: LocalCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The zone holds every record (a previous operator): an update is written while the LIST is held, a delete
    waits for it, and a Service's record only gains its new value until every Service is listed (another one may
    merge the old value into it)."""
    create_services(cluster)
    with running_bind(tmp_path, [ZONE], {ZONE: []}) as bind:
        flags = bind.provider_flags(ZONE)
        settings = operator_settings(cluster.kubeconfig, source=["service"], txt_owner_id="start", **flags)
        with Starting(settings):  # the previous operator
            wait_for(lambda: len(addresses(bind)) == COUNT, 60, "the zone written whole")
        monkeypatch.setattr(kube, "LIST_PAGE_SIZE", PAGE)
        hold = ListHold()
        cluster.emulator["list", kmock.resource("v1", "services")][1:2] << hold
        try:
            with Starting(settings, hold):
                wait_for(hold.held.is_set, 30, "the operator's LIST, held after its first page")
                move_service(cluster, "s-001", "192.0.2.51")  # listed already
                asyncio.run(cluster.delete("v1", "services", "s-002", "default"))  # listed already
                move_service(cluster, "s-012", "192.0.2.55")  # on the held page

                both = {f"s-001.{ZONE}": {"192.0.2.1", "192.0.2.51"}, f"s-012.{ZONE}": {"192.0.2.1", "192.0.2.55"}}
                wait_for(lambda: both.items() <= addresses(bind).items(), 30, "both changes in BIND, the LIST held")
                assert addresses(bind)[f"s-002.{ZONE}"] == {"192.0.2.1"}  # no delete before every object is listed
                assert not hold.released.is_set()

                hold.released.set()
                done = {f"s-001.{ZONE}": {"192.0.2.51"}, f"s-012.{ZONE}": {"192.0.2.55"}}
                wait_for(
                    lambda: done.items() <= addresses(bind).items() and len(addresses(bind)) == COUNT - 1,
                    60,
                    "the first sync: the old values and the deleted Service's record gone",
                )
                assert (f"a-s-002.{ZONE}", "TXT") not in bind.axfr_records_sync(ZONE)
        finally:
            hold.released.set()


def addresses(bind: BindServer) -> dict[str, set[str]]:
    """The Services' A records in BIND."""
    return {name: values for (name, kind), values in services_in(bind).items() if kind == "A"}
