"""A change made during the start-up LIST reaches Route 53, PowerDNS and Cloudflare before the LIST ends (the real
operator, startchanges.py).

These providers read the records at a few names (``records_at``), so the operator plans such a change from them
at once; without that it waits for the whole LIST and the first sync. The operator's LIST is held after its first
page (of two) in the local API server, for as long as the test needs. The backends are test_operator_providers'
(moto behind a proxy, a real pdns_server, the KMock Cloudflare fake).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import kmock
import pytest
from tests.backends.moto import MotoServer
from tests.backends.pdns import pdns_missing_reason
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.test_operator_providers import (
    ZONE,
    AWSBackend,
    Backend,
    CloudflareBackend,
    LoopThread,
    PDNSBackend,
)
from tests.integration.test_start_changes import ListHold

from external_dns.testing.cluster import LocalCluster

#: Two pages of the operator's LIST (500 each): the second is held.
SERVICES = 510
#: Writing the whole zone at the end (1,020 records) takes moto and the Cloudflare fake a while on a loaded machine.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def backend_loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture(params=["aws", "pdns", "cloudflare"])
def cloud(
    request: pytest.FixtureRequest, backend_loop: LoopThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    if request.param == "aws":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTING")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
        with MotoServer() as moto:
            made = AWSBackend(moto, backend_loop)
            try:
                yield made
            finally:
                made.close()
        return
    if request.param == "pdns":
        if (reason := pdns_missing_reason()) is not None:
            pytest.skip(reason)
        backend: Backend = PDNSBackend(tmp_path / "pdns")
    else:
        backend = CloudflareBackend(backend_loop)
    try:
        yield backend
    finally:
        backend.close()


def a_records(cloud: Backend) -> dict[str, set[str]]:
    records = whole_route53_zone(cloud) if isinstance(cloud, AWSBackend) else cloud.records()
    return {name: values for (name, kind), values in records.items() if kind == "A"}


def whole_route53_zone(cloud: AWSBackend) -> dict[tuple[str, str], set[str]]:
    """Every record set of the zone, page by page (AWSBackend.records reads one page)."""
    client = boto3.client("route53", endpoint_url=cloud.moto.url, region_name="us-east-1")
    pages = client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=cloud.zone_id)
    return {
        (record_set["Name"].rstrip("."), record_set["Type"]): {
            value["Value"] for value in record_set.get("ResourceRecords", [])
        }
        for page in pages
        for record_set in page["ResourceRecordSets"]
    }


def move_service(cluster: LocalCluster, name: str, ip: str) -> None:
    status = {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}
    asyncio.run(cluster.patch("v1", "services", name, status, "default", subresource="status"))


def test_a_change_during_the_start_up_list_reaches_dns_before_the_list_ends(
    cluster: LocalCluster, cloud: Backend
) -> None:
    async def create_all() -> None:
        for index in range(SERVICES):
            await cluster.create("v1", "services", lb_service(f"s-{index:03d}", f"s-{index:03d}.{ZONE}", "192.0.2.1"))

    asyncio.run(create_all())
    second_page = ListHold()
    cluster.emulator["list", kmock.resource("v1", "services")][1:2] << second_page
    flags = {"source": ["service"], "txt_owner_id": "start", "provider": cloud.provider, **cloud.flags()}
    op = OperatorThread(operator_settings(cluster.kubeconfig, **flags))
    starting = threading.Thread(target=op.start, kwargs={"timeout": 60}, daemon=True)
    starting.start()
    try:
        wait_for(second_page.held.is_set, what="the operator's LIST, held after its first page")
        move_service(cluster, "s-001", "192.0.2.51")  # listed already
        move_service(cluster, "s-505", "192.0.2.55")  # on the held page
        moved = {f"s-001.{ZONE}": {"192.0.2.51"}, f"s-505.{ZONE}": {"192.0.2.55"}}
        wait_for(lambda: moved.items() <= a_records(cloud).items(), 30, "both changes in DNS, the LIST held")
        assert not second_page.released.is_set()
        held = whole_route53_zone(cloud) if isinstance(cloud, AWSBackend) else cloud.records()
        assert all((f"a-{name}", "TXT") in held for name in moved), "each with its ownership TXT"
        assert len(a_records(cloud)) == 2  # the names changed alone: nothing else is planned before the LIST ends

        second_page.released.set()
        starting.join(60)
        op.wait_idle(timeout=240)  # the whole zone written: 1,020 records, one request each on Cloudflare
        records = a_records(cloud)
        assert len(records) == SERVICES
        assert moved.items() <= records.items()
    finally:
        second_page.released.set()
        op.stop()
