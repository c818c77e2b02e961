"""KubeEventRecorder against the local API server: the Event it posts, folding repeats into a count, disabled
reasons, and flush."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from external_dns.endpoint import ObjectRef
from external_dns.events import COMPONENT, Action, KubeEventRecorder, Reason, RecordEvent
from external_dns.kube import KubeClient
from external_dns.testing import local_cluster
from external_dns.testing.cluster import LocalCluster


@dataclass
class Connected:
    cluster: LocalCluster
    kube: KubeClient
    ref: ObjectRef


@pytest.fixture
async def connected() -> AsyncIterator[Connected]:
    """A local API server with one Service, and a client connected through the server's kubeconfig."""
    async with local_cluster() as cluster:
        created = await cluster.create(
            "v1",
            "services",
            {"metadata": {"name": "web", "namespace": "default"}, "spec": {"type": "ClusterIP"}},
        )
        meta = created["metadata"]
        ref = ObjectRef("Service", "v1", "default", "web", meta["uid"])
        kube = await KubeClient.connect(str(cluster.kubeconfig))
        try:
            yield Connected(cluster, kube, ref)
        finally:
            await kube.close()


async def events_on(cluster: LocalCluster, name: str) -> list[dict[str, Any]]:
    return await cluster.list("v1", "events", "default", field_selector=f"involvedObject.name={name}")


async def test_an_event_is_posted_with_its_fields(connected: Connected) -> None:
    recorder = KubeEventRecorder(connected.kube, instance="replica-1")
    try:
        message = 'Created A record "web.example.com" -> 203.0.113.10'
        recorder.record(RecordEvent(connected.ref, Reason.READY, Action.CREATED, message))
        await recorder.flush()
    finally:
        await recorder.close()

    [event] = await events_on(connected.cluster, "web")
    assert event["type"] == "Normal"
    assert event["reason"] == "RecordReady"
    assert event["action"] == "Created"
    assert event["message"] == message
    assert event["count"] == 1
    assert event["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "Service",
        "name": "web",
        "namespace": "default",
        "uid": connected.ref.uid,
    }
    assert event["reportingComponent"] == COMPONENT
    assert event["reportingInstance"] == "replica-1"
    assert event["source"] == {"component": COMPONENT}
    assert event["metadata"]["name"].startswith("web.")
    assert recorder.sent[-1].message == message  # the base sink's log of what was sent


async def test_an_error_event_is_a_warning(connected: Connected) -> None:
    recorder = KubeEventRecorder(connected.kube)
    try:
        recorder.record(RecordEvent(connected.ref, Reason.ERROR, Action.FAILED_SYNC, "Failed to create: REFUSED"))
        await recorder.flush()
    finally:
        await recorder.close()
    [event] = await events_on(connected.cluster, "web")
    assert (event["type"], event["reason"], event["action"]) == ("Warning", "RecordError", "FailedSync")


async def test_a_repeated_event_increments_the_count_of_the_same_event(connected: Connected) -> None:
    recorder = KubeEventRecorder(connected.kube, workers=1)
    repeat = RecordEvent(connected.ref, Reason.ERROR, Action.FAILED_SYNC, "Failed to create: throttled")
    try:
        recorder.record(repeat)
        await recorder.flush()
        recorder.record(repeat)
        await recorder.flush()
        recorder.record(RecordEvent(connected.ref, Reason.ERROR, Action.FAILED_SYNC, "Failed to create: other"))
        await recorder.flush()
    finally:
        await recorder.close()

    events = await events_on(connected.cluster, "web")
    counts = {e["message"]: e["count"] for e in events}
    assert counts == {"Failed to create: throttled": 2, "Failed to create: other": 1}


async def test_a_repeat_of_an_event_deleted_meanwhile_creates_a_new_one(connected: Connected) -> None:
    recorder = KubeEventRecorder(connected.kube, workers=1)
    repeat = RecordEvent(connected.ref, Reason.READY, Action.UPDATED, "Updated A record")
    try:
        recorder.record(repeat)
        await recorder.flush()
        [first] = await events_on(connected.cluster, "web")
        await connected.cluster.delete("v1", "events", first["metadata"]["name"], "default")
        recorder.record(repeat)
        await recorder.flush()
    finally:
        await recorder.close()
    [event] = await events_on(connected.cluster, "web")
    assert event["count"] == 1
    assert event["metadata"]["name"] != first["metadata"]["name"]


async def test_events_of_a_disabled_reason_are_not_posted(connected: Connected) -> None:
    recorder = KubeEventRecorder(connected.kube, emit=["RecordError"])
    try:
        recorder.record(RecordEvent(connected.ref, Reason.READY, Action.CREATED, "Created A record"))
        recorder.record(RecordEvent(connected.ref, Reason.DELETED, Action.DELETED, "Deleted A record"))
        recorder.record(RecordEvent(connected.ref, Reason.ERROR, Action.FAILED_SYNC, "Failed"))
        await recorder.flush()
    finally:
        await recorder.close()
    assert [e["reason"] for e in await events_on(connected.cluster, "web")] == ["RecordError"]
    assert [e.reason for e in recorder.sent] == [Reason.ERROR]


async def test_flush_returns_once_every_queued_event_is_delivered(connected: Connected) -> None:
    recorder = KubeEventRecorder(connected.kube, workers=2)
    refs = [replace(connected.ref, name=f"web-{index}", uid="") for index in range(20)]
    try:
        for ref in refs:
            recorder.record(RecordEvent(ref, Reason.READY, Action.CREATED, f"Created record of {ref.name}"))
        await recorder.flush()
        # No waiting after flush: everything must already be on the server.
        assert len(await connected.cluster.list("v1", "events", "default")) == 20
    finally:
        await recorder.close()


async def test_a_cluster_scoped_object_gets_its_event_in_the_default_namespace(connected: Connected) -> None:
    node = ObjectRef("Node", "v1", None, "Node_1")
    recorder = KubeEventRecorder(connected.kube)
    try:
        recorder.record(RecordEvent(node, Reason.READY, Action.CREATED, "Created A record"))
        await recorder.flush()
    finally:
        await recorder.close()
    [event] = await events_on(connected.cluster, "Node_1")
    assert event["involvedObject"] == {"apiVersion": "v1", "kind": "Node", "name": "Node_1"}
    assert event["metadata"]["name"].startswith("node-1.")  # a safe name generated from the object name
