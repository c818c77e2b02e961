"""The blank-status hold-down through the real operator, the local API server and a real BIND.

An ingress controller restarting empties ``status.loadBalancer.ingress`` for a moment. The grace period is not
waited out in real time: the operator's hold-down runs on a hand-driven clock installed after start.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.backends.bind import BindServer
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.desired import ObjectKey
from external_dns.testing.clock import ManualClock
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
GRACE = 120.0
WEB = ObjectKey("ingress", "default", "web")


def settings_for(cluster: LocalCluster, bind: BindServer, **flags: Any) -> Any:
    base = {
        **bind.provider_flags(ZONE),
        "source": ["ingress"],
        "txt_owner_id": "test",
        "empty_target_grace": GRACE,
    }
    return operator_settings(cluster.kubeconfig, **{**base, **flags})


def ingress(name: str, ip: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"rules": [{"host": f"{name}.{ZONE}"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": ip}]}},
    }


def set_status(cluster: LocalCluster, name: str, *ips: str) -> None:
    status = {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}}
    asyncio.run(
        cluster.patch("networking.k8s.io/v1", "ingresses", name, {"status": status}, "default", subresource="status")
    )


def dns(bind: BindServer) -> dict[tuple[str, str], set[str]]:
    return bind.axfr_records_sync(ZONE)


def serial(bind: BindServer) -> int:
    (soa,) = dns(bind)[(ZONE, "SOA")]
    return int(soa.split()[2])


def held(op: OperatorThread) -> frozenset[ObjectKey]:
    async def read() -> frozenset[ObjectKey]:
        return op.app.blank_status.held

    return op.call(read)


def start(cluster: LocalCluster, bind: BindServer, **flags: Any) -> tuple[OperatorThread, ManualClock]:
    asyncio.run(cluster.create("networking.k8s.io/v1", "ingresses", ingress("web", "203.0.113.10")))
    op = OperatorThread(settings_for(cluster, bind, **flags)).start()
    clock = ManualClock()

    async def install() -> None:
        op.app.blank_status.clock = clock

    op.call(install)
    wait_for(lambda: ("web.example.com", "A") in dns(bind), what="the record")
    op.wait_idle()
    return op, clock


def advance(op: OperatorThread, clock: ManualClock, seconds: float) -> None:
    async def move() -> None:
        clock.advance(seconds)

    op.call(move)


def test_a_status_blanked_for_a_moment_writes_nothing(cluster: LocalCluster, bind: BindServer) -> None:
    op, clock = start(cluster, bind)
    try:
        before, updates = serial(bind), op.app.provider.stats.updates_sent  # type: ignore[attr-defined]
        set_status(cluster, "web")
        wait_for(lambda: held(op) == {WEB}, what="the hold on the blanked ingress")
        warning = wait_for(
            lambda: [
                e
                for e in asyncio.run(cluster.list("v1", "events", field_selector="reason=RecordError"))
                if "--empty-target-grace" in e["message"]
            ],
            what="a Warning saying the records are kept",
        )
        assert warning[0]["type"] == "Warning" and warning[0]["involvedObject"]["name"] == "web"
        advance(op, clock, GRACE - 1)
        set_status(cluster, "web", "203.0.113.10")
        wait_for(lambda: not held(op), what="the hold to end with the status back")
        op.wait_idle()
        assert serial(bind) == before
        assert dns(bind)[("web.example.com", "A")] == {"203.0.113.10"}
        assert op.app.provider.stats.updates_sent == updates  # type: ignore[attr-defined]
        advance(op, clock, GRACE)  # the old grace would have ended: nothing happens
        op.wait_idle()
        assert serial(bind) == before
    finally:
        op.stop()


def test_the_records_go_when_the_grace_ends(cluster: LocalCluster, bind: BindServer) -> None:
    op, clock = start(cluster, bind)
    try:
        set_status(cluster, "web")
        wait_for(lambda: held(op) == {WEB}, what="the hold")
        op.wait_idle()
        assert ("web.example.com", "A") in dns(bind)
        advance(op, clock, GRACE)
        wait_for(lambda: ("web.example.com", "A") not in dns(bind), what="the delete after the grace")
        assert ("a-web.example.com", "TXT") not in dns(bind)
    finally:
        op.stop()


def test_deleting_a_held_object_is_not_delayed(cluster: LocalCluster, bind: BindServer) -> None:
    op, _ = start(cluster, bind)
    try:
        set_status(cluster, "web")
        wait_for(lambda: held(op) == {WEB}, what="the hold")
        asyncio.run(cluster.delete("networking.k8s.io/v1", "ingresses", "web", "default"))
        wait_for(lambda: ("web.example.com", "A") not in dns(bind), what="the delete, at once")
        assert not held(op)
    finally:
        op.stop()


def test_without_a_grace_a_blank_status_deletes_at_once_as_externaldns_does(
    cluster: LocalCluster, bind: BindServer
) -> None:
    op, _ = start(cluster, bind, empty_target_grace=0)
    try:
        set_status(cluster, "web")
        wait_for(lambda: ("web.example.com", "A") not in dns(bind), what="the delete")
    finally:
        op.stop()
