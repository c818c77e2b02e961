"""The DNS server is down while 200 changes are made (creates, updates, deletes), then comes back.

Every change fails while BIND is down (the objects get RecordError Warnings); once it is back, the operator's
retries bring the zone to exactly what is wanted, with no foreign record touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.backends.bind import BindServer
from tests.fault_zone import (
    API_VERSION,
    PLURAL,
    Stopwatch,
    assert_exact_zone,
    bind_with_foreign_records,
    converged,
    create_objects,
    dnsendpoint,
    flatten,
    foreign_lines,
    records_of,
    rfc2136_flags,
)
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.testing.cluster import LocalCluster

OBJECTS, PER_OBJECT = 20, 10  # 200 names


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    yield from bind_with_foreign_records(tmp_path / "bind")


def test_changes_made_while_the_dns_server_is_down_all_land_once_it_is_back(
    cluster: LocalCluster, bind: BindServer
) -> None:
    foreign_before = foreign_lines(bind)
    wanted = create_objects(cluster, OBJECTS, PER_OBJECT)
    with OperatorThread(operator_settings(cluster.kubeconfig, **rfc2136_flags(bind))) as op:
        wait_for(lambda: converged(bind, flatten(wanted)), 60, "the first 200 names")
        op.wait_idle()
        bind.stop()

        async def change_everything() -> None:
            for k in range(7):  # 70 updates: new addresses
                name = f"obj-{k:03d}"
                wanted[name] = records_of(k * PER_OBJECT, PER_OBJECT, generation=1)
                body = dnsendpoint(name, wanted[name])
                await cluster.patch(API_VERSION, PLURAL, name, {"spec": body["spec"]}, "default")
            for k in range(7, 13):  # 60 deletes
                del wanted[f"obj-{k:03d}"]
                await cluster.delete(API_VERSION, PLURAL, f"obj-{k:03d}", "default")
            for k in range(OBJECTS, OBJECTS + 7):  # 70 creates
                name = f"obj-{k:03d}"
                wanted[name] = records_of(k * PER_OBJECT, PER_OBJECT)
                await cluster.create(API_VERSION, PLURAL, dnsendpoint(name, wanted[name]))

        asyncio.run(change_everything())
        wait_for(
            lambda: asyncio.run(cluster.list("v1", "events", field_selector="reason=RecordError")),
            what="the operator to fail against the stopped server",
        )
        clock = Stopwatch("dns-server-down")
        bind.restart()
        desired = flatten(wanted)
        wait_for(lambda: converged(bind, desired), 120, "the exact zone after BIND is back", interval=0.2)
        clock.report(names=len(desired), changes=200, server_back_to_converged_s=clock.lap())
        op.wait_idle()
        assert_exact_zone(bind, desired, foreign_before)
