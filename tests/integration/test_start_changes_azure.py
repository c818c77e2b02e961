"""A start-up change written to Azure while the zone's whole read is still listing leaves no stale etag behind (the
real operator, startchanges.py, against the ARM fake).

Azure writes are conditional on the record set's etag. At start the zone is read whole while the LIST runs, and a
change the catch-up watch brings meanwhile is planned from a point read (``records_at``) and written at once. The
whole read's answer may predate that write: the etag it lists is then the old one, and the next update sent with
it is refused (412) and reported as "changed in Azure". Here the whole read is held, with its answer as it was when
asked, until the early write is done; the first sync then updates the same record set.
"""

# The held-LIST fixture is test_start_changes_early's, imported under its name (which the test's argument repeats).
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.harness import operator_settings, wait_for
from tests.integration.test_start_changes_cloud import AzureBackend, LoopThread
from tests.integration.test_start_changes_early import (  # noqa: F401  (a fixture, found by pytest by its name)
    COUNT,
    ZONE,
    ListHold,
    Starting,
    create_services,
    move_service,
    second_page_held,
)

from external_dns.testing.cluster import LocalCluster

OWNER = "start"


@pytest.fixture
def azure_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AzureBackend]:
    loop = LoopThread()
    backend = AzureBackend(loop, tmp_path, monkeypatch)
    try:
        yield backend
    finally:
        backend.close()
        loop.close()


def ownership(name: str) -> str:
    return f'"heritage=external-dns,external-dns/owner={OWNER},external-dns/resource=service/default/{name}"'


async def hold_whole_reads(backend: AzureBackend) -> None:
    """s-001's record and its ownership TXT from an earlier run; the zone's whole read held, one page of it."""
    zone = backend.fake.zones[(False, ZONE)]
    zone.record_sets[("s-001", "A")] = {"etag": "before", "properties": {"TTL": 300, "ARecords": [
        {"ipv4Address": "192.0.2.1"}]}}  # fmt: skip
    zone.record_sets[("a-s-001", "TXT")] = {"etag": "txt", "properties": {"TTL": 300, "TXTRecords": [
        {"value": [ownership("s-001")]}]}}  # fmt: skip
    backend.fake.page_size = 100
    backend.fake.whole_listing_release = asyncio.Event()


def test_the_first_sync_updates_a_record_set_written_during_the_start_without_a_conflict(
    cluster: LocalCluster, azure_backend: AzureBackend, second_page_held: ListHold
) -> None:
    backend = azure_backend
    backend.loop.run(hold_whole_reads(backend))
    create_services(cluster)
    flags = {"source": ["service"], "txt_owner_id": OWNER, "provider": "azure", **backend.flags()}

    def s_001() -> set[str]:
        return backend.records().get((f"s-001.{ZONE}", "A"), set())

    with Starting(operator_settings(cluster.kubeconfig, **flags), second_page_held):
        wait_for(second_page_held.held.is_set, 30, "the operator's LIST, held after its first page")
        wait_for(lambda: backend.loop.run(whole_read_held(backend)), 30, "the zone's whole read, held")
        move_service(cluster, "s-001", "192.0.2.51")
        # Before every object is listed an update of a merged record only adds (guards/before_listed.py).
        wait_for(lambda: s_001() == {"192.0.2.1", "192.0.2.51"}, 30, "the early write, while the zone is read")

        backend.loop.run(release_whole_reads(backend))
        second_page_held.released.set()
        wait_for(lambda: s_001() == {"192.0.2.51"}, 60, "the first sync's update of s-001")
        wait_for(lambda: sum(kind == "A" for _, kind in backend.records()) == COUNT, 60, "the first sync")

        assert backend.loop.run(etag_mismatches(backend)) == 0


async def whole_read_held(backend: AzureBackend) -> bool:
    return backend.fake.whole_listing_held.is_set()


async def release_whole_reads(backend: AzureBackend) -> None:
    release = backend.fake.whole_listing_release
    assert release is not None
    release.set()


async def etag_mismatches(backend: AzureBackend) -> int:
    return backend.fake.etag_mismatches
