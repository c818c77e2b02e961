"""A change made during the start-up LIST reaches PowerDNS before the LIST ends (the real operator, startchanges.py).

PowerDNS reads the records at a few names (PDNSProvider.records_at), so the operator plans such a change from
them at once; without that it waits for the whole LIST and the first sync. The operator's LIST is held after its
first page (of two) in the local API server, for as long as the test needs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import kmock
import pytest
from tests.backends.pdns import PowerDNSServer, pdns_missing_reason
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.test_start_changes import ListHold

from external_dns.testing.cluster import LocalCluster

pytestmark = [
    pytest.mark.pdns,
    pytest.mark.skipif(pdns_missing_reason() is not None, reason=pdns_missing_reason() or ""),
]

ZONE = "example.com"
#: Two pages of the operator's LIST (500 each): the second is held.
SERVICES = 510


@pytest.fixture
def pdns(tmp_path: Path) -> Iterator[PowerDNSServer]:
    with PowerDNSServer(tmp_path / "pdns") as server:
        server.create_zone(ZONE)
        yield server


def a_records(pdns: PowerDNSServer) -> dict[str, set[str]]:
    return {name: values for (name, kind), values in pdns.rrsets(ZONE).items() if kind == "A"}


def move_service(cluster: LocalCluster, name: str, ip: str) -> None:
    status = {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}
    asyncio.run(cluster.patch("v1", "services", name, status, "default", subresource="status"))


def test_a_change_during_the_start_up_list_reaches_powerdns_before_the_list_ends(
    cluster: LocalCluster, pdns: PowerDNSServer
) -> None:
    async def create_all() -> None:
        for index in range(SERVICES):
            await cluster.create("v1", "services", lb_service(f"s-{index:03d}", f"s-{index:03d}.{ZONE}", "192.0.2.1"))

    asyncio.run(create_all())
    second_page = ListHold()
    cluster.emulator["list", kmock.resource("v1", "services")][1:2] << second_page
    settings = operator_settings(
        cluster.kubeconfig,
        source=["service"],
        txt_owner_id="start",
        provider="pdns",
        pdns_server=pdns.url,
        pdns_api_key=pdns.api_key,
        domain_filter=[ZONE],
    )
    op = OperatorThread(settings)
    starting = threading.Thread(target=op.start, kwargs={"timeout": 60}, daemon=True)
    starting.start()
    try:
        wait_for(second_page.held.is_set, what="the operator's LIST, held after its first page")
        move_service(cluster, "s-001", "192.0.2.51")  # listed already
        move_service(cluster, "s-505", "192.0.2.55")  # on the held page
        moved = {f"s-001.{ZONE}": {"192.0.2.51"}, f"s-505.{ZONE}": {"192.0.2.55"}}
        wait_for(lambda: moved.items() <= a_records(pdns).items(), 30, "both changes in PowerDNS, the LIST held")
        assert not second_page.released.is_set()
        owned = pdns.rrsets(ZONE)
        assert all((f"a-{name}", "TXT") in owned for name in moved), "each with its ownership TXT"
        assert len(a_records(pdns)) == 2  # the names changed alone: nothing else is planned before the LIST ends

        second_page.released.set()
        starting.join(60)
        op.wait_idle()
        records = a_records(pdns)
        assert len(records) == SERVICES
        assert moved.items() <= records.items()
    finally:
        second_page.released.set()
        op.stop()
