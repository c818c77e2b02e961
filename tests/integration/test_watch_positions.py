"""The ConfigMap that keeps how far the watches got (watchpoint.py), against the local API server.

Reading it never stops a start, and what is in it is used only when it looks like a resourceVersion; writing it
costs nothing when no position moved, patches only what moved, and stops after a refusal that will not change
(RBAC), with one warning that names the ConfigMap and what to grant.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import kmock
import pytest
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns import watchpoint
from external_dns.kube import KubeClient
from external_dns.testing.cluster import ClusterRequestError, LocalCluster
from external_dns.watchpoint import WatchPositions, configmap_location

NAMESPACE, NAME = "default", "positions"


@pytest.fixture
async def positions(cluster: LocalCluster) -> AsyncIterator[WatchPositions]:
    kube = await KubeClient.connect(str(cluster.kubeconfig))
    try:
        yield WatchPositions(kube, NAMESPACE, NAME)
    finally:
        await kube.close()


async def stored(cluster: LocalCluster) -> dict[str, str] | None:
    try:
        configmap = await cluster.get("v1", "configmaps", NAME, NAMESPACE)
    except ClusterRequestError:
        return None
    return dict(configmap.get("data") or {})


async def test_written_when_moved_and_only_what_moved(cluster: LocalCluster, positions: WatchPositions) -> None:
    assert await positions.load() == {}
    await positions.save()
    assert await stored(cluster) is None and positions.writes == 0  # nothing seen: nothing written

    positions.note("services", "120")
    positions.note("nodes", "90")
    await positions.save()
    assert await stored(cluster) == {"services": "120", "nodes": "90"}

    positions.note("services", "110")  # older (Kopf's replay, a late copy): kept at 120
    await positions.save()
    assert positions.writes == 1

    positions.note("services", "130")
    await cluster.patch("v1", "configmaps", NAME, {"data": {"ingresses": "7"}}, NAMESPACE)  # someone else's key
    await positions.save()
    assert await stored(cluster) == {"services": "130", "nodes": "90", "ingresses": "7"}
    assert positions.writes == 2


async def test_the_next_start_reads_what_was_written(cluster: LocalCluster, positions: WatchPositions) -> None:
    positions.note("services", "120")
    await positions.save()
    again = WatchPositions(positions.kube, NAMESPACE, NAME)
    assert await again.load() == {"services": "120"}
    await again.save()
    assert again.writes == 0  # read, not moved: not written back


async def test_what_is_not_a_resource_version_is_ignored(
    cluster: LocalCluster, positions: WatchPositions, caplog: pytest.LogCaptureFixture
) -> None:
    hostile = {"services": "120", "nodes": "1; DROP", "pods": "9" * 65, "ingresses": ""}
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": NAME}, "data": hostile}
    await cluster.create("v1", "configmaps", body, NAMESPACE)
    assert await positions.load() == {"services": "120"}
    assert "ConfigMap default/positions: ignoring data.nodes, not a resourceVersion" in caplog.text
    assert "ignoring data.pods" in caplog.text and "ignoring data.ingresses" in caplog.text


async def test_forbidden_reads_and_writes_warn_once_and_stop(
    cluster: LocalCluster, positions: WatchPositions, caplog: pytest.LogCaptureFixture
) -> None:
    cluster.emulator["get", kmock.resource("v1", "configmaps")] << kmock.KubernetesError(403, "Forbidden", "no")
    assert await positions.load() == {}
    positions.note("services", "120")
    await positions.save()
    assert await stored(cluster) is None and positions.writes == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Cannot read the watch positions in ConfigMap default/positions (HTTP 403" in warnings[0]
    assert "grant get, create and patch" in warnings[0]


async def test_a_write_refused_for_now_is_made_at_the_next_one(
    cluster: LocalCluster, positions: WatchPositions, caplog: pytest.LogCaptureFixture
) -> None:
    positions.note("services", "120")
    await positions.save()  # creates it (the PATCH found nothing)
    cluster.emulator["patch", kmock.resource("v1", "configmaps")][:1] << 500
    positions.note("services", "130")
    await positions.save()  # refused (500)
    assert await stored(cluster) == {"services": "120"}
    assert "trying again later" in caplog.text
    await positions.save()
    assert await stored(cluster) == {"services": "130"}


def test_where_the_configmap_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watchpoint, "POD_NAMESPACE_FILE", tmp_path / "namespace")
    assert configmap_location("") is None
    assert configmap_location("ops/positions", {}) == ("ops", "positions")
    assert configmap_location("positions", {"POD_NAMESPACE": "dns"}) == ("dns", "positions")
    assert configmap_location("positions", {}) is None  # outside a cluster: no namespace to put it in
    (tmp_path / "namespace").write_text("from-the-service-account\n")
    assert configmap_location("positions", {}) == ("from-the-service-account", "positions")


def test_the_leading_operator_writes_as_its_watches_move(
    cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written every WRITE_EVERY while the positions move, once the first whole-zone sync is done."""
    monkeypatch.setattr(watchpoint, "WRITE_EVERY", 0.05)
    settings = operator_settings(
        cluster.kubeconfig, source=["service"], provider="inmemory", inmemory_zone=["example.com"],
        watch_position_configmap=f"{NAMESPACE}/{NAME}",
    )  # fmt: skip

    def services_position() -> int:
        data = cluster.in_server(lambda: _data(cluster))
        return int(data.get("services", 0))

    with OperatorThread(settings) as op:
        wait_for(lambda: op.app.ready and services_position() > 0, 30, "the position after the first sync")
        before = services_position()
        svc = {"metadata": {"name": "web", "namespace": "default"}, "spec": {"type": "ClusterIP"}}
        created = op.call(lambda: cluster.create("v1", "services", svc))
        seen = int(created["metadata"]["resourceVersion"])
        wait_for(lambda: services_position() >= seen > before, 30, "the position of the new Service's event")


def _data(cluster: LocalCluster) -> dict[str, str]:
    store = cluster.emulator.store
    try:
        configmap = store.get(store.resolve("", "v1", "configmaps"), NAMESPACE, NAME)
    except Exception:  # not there yet
        return {}
    return dict(configmap.get("data") or {})
