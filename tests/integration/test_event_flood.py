"""Events under a flood: thousands of records created while the event API is slow and throttling.

The event API here holds every Event write until the test releases it (so the whole burst waits in the operator),
then answers the first writes with 429 Too Many Requests, as a loaded API server does. Every object must still end
with its RecordReady event, the folding must be counted in the metric, and DNSEndpoint status (written apart
from events) must be exact all along.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import aiohttp.web
import pytest
from prometheus_client import REGISTRY
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.endpoint import ObjectRef
from external_dns.events import Action, KubeEventRecorder, Reason, RecordEvent
from external_dns.kube import KubeClient
from external_dns.testing import local_cluster_in_thread
from external_dns.testing.cluster import LocalCluster
from external_dns.testing.emulator import ApiServerEmulator

#: DNSEndpoints created: enough for a burst far larger than the posting workers; the status writer (one PATCH at a
#: time, ~7 ms each on a loaded machine) is what makes a larger figure slow to test. bench/events.py runs 50,000.
OBJECTS = 2_000
DNSENDPOINTS = "/apis/externaldns.k8s.io/v1alpha1/namespaces/default/dnsendpoints"


@dataclass
class ThrottledEvents:
    """An HTTP front for the emulator: Event writes wait for ``released``, then the first ``throttle`` get 429."""

    emulator: ApiServerEmulator
    released: threading.Event = field(default_factory=threading.Event)
    entered: threading.Event = field(default_factory=threading.Event)  # an Event write is being held
    throttle: int = 0
    throttled: int = 0
    held: int = 0

    async def __call__(self, request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        if request.method in ("POST", "PATCH") and "/events" in request.path:
            self.held += 1
            self.entered.set()
            await asyncio.to_thread(self.released.wait)  # the server side of a slow API
            self.held -= 1
            if self.throttled < self.throttle:
                self.throttled += 1
                status = {"kind": "Status", "status": "Failure", "reason": "TooManyRequests", "code": 429}
                return aiohttp.web.json_response(status, status=429)
        return await self.emulator(request)


@pytest.fixture
def throttled() -> Iterator[tuple[LocalCluster, ThrottledEvents]]:
    emulator = ApiServerEmulator()
    front = ThrottledEvents(emulator, throttle=12)
    with local_cluster_in_thread(emulator=emulator, handler=front) as cluster:
        yield cluster, front


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def create_dnsendpoints(url: str, count: int) -> None:
    names = iter(range(count))

    async def client() -> None:
        async with aiohttp.ClientSession(url) as session:
            for index in names:
                body = {
                    "apiVersion": "externaldns.k8s.io/v1alpha1",
                    "kind": "DNSEndpoint",
                    "metadata": {"name": f"ep-{index:05d}"},
                    "spec": {"endpoints": [{"dnsName": f"ep-{index:05d}.example.com", "recordType": "A",
                                            "targets": [f"10.0.{index >> 8}.{index & 255}"]}]},
                }  # fmt: skip
                async with session.post(DNSENDPOINTS, json=body) as response:
                    assert response.status == 201, await response.text()

    await asyncio.gather(*(client() for _ in range(8)))


async def list_all(url: str, path: str) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession(url) as session, session.get(path) as response:
        items: list[dict[str, Any]] = (await response.json())["items"]
        return items


def test_every_object_ends_with_its_event_when_the_event_api_is_slow_and_throttles(
    throttled: tuple[LocalCluster, ThrottledEvents],
) -> None:
    cluster, front = throttled
    asyncio.run(create_dnsendpoints(cluster.url, OBJECTS))
    settings = operator_settings(cluster.kubeconfig, source=["crd"], provider="inmemory", inmemory_zone=["example.com"])
    created_before = counter("external_dns_events_posted_total", verb="create")
    with OperatorThread(settings) as op:
        # Status does not wait for events: every DNSEndpoint says Programmed while no event got through.
        def programmed() -> int:
            items = asyncio.run(list_all(cluster.url, DNSENDPOINTS))
            return sum(
                1 for item in items if (item.get("status") or {}).get("conditions", [{}])[0].get("status") == "True"
            )

        wait_for(lambda: programmed() == OBJECTS, 120, "every DNSEndpoint to be Programmed", interval=1.0)
        assert asyncio.run(list_all(cluster.url, "/api/v1/namespaces/default/events")) == []
        assert front.throttled == 0

        front.released.set()
        op.wait_idle(timeout=180)

    events = asyncio.run(list_all(cluster.url, "/api/v1/namespaces/default/events"))
    ready = {e["involvedObject"]["name"]: e for e in events if e["reason"] == "RecordReady"}
    assert len(ready) == OBJECTS
    assert all(e["action"] == "Created" and e["count"] == 1 for e in ready.values())
    assert front.throttled == front.throttle  # the 429s were retried, not lost
    assert counter("external_dns_events_posted_total", verb="create") - created_before == OBJECTS


async def test_past_its_bound_the_backlog_folds_further_objects_into_a_namespace_event_and_counts_them() -> None:
    emulator = ApiServerEmulator()
    front = ThrottledEvents(emulator, throttle=4)
    with local_cluster_in_thread(emulator=emulator, handler=front) as cluster:
        kube = await KubeClient.connect(str(cluster.kubeconfig))
        recorder = KubeEventRecorder(kube, max_objects=300, workers=2)
        folded_before = counter("external_dns_events_folded_total", how="namespace")
        try:
            for index in range(1_000):
                ref = ObjectRef("Service", "v1", "default", f"svc-{index:04d}", f"uid-{index}")
                recorder.record(RecordEvent(ref, Reason.READY, Action.CREATED, f"Created A record svc-{index:04d}"))
            front.released.set()
            await recorder.flush()
            events = await list_all(cluster.url, "/api/v1/namespaces/default/events")
        finally:
            await recorder.close()
            await kube.close()

    own = [e for e in events if e["involvedObject"]["kind"] == "Service"]
    [summary] = [e for e in events if e["involvedObject"]["kind"] == "Namespace"]
    assert summary["involvedObject"]["name"] == "default"
    assert summary["reason"] == "RecordReady"
    # Recorded all at once, before any post: the first 300 objects have their own event, the rest are folded.
    assert sorted(e["involvedObject"]["name"] for e in own) == [f"svc-{index:04d}" for index in range(300)]
    assert len(own) + summary["count"] == 1_000
    assert counter("external_dns_events_folded_total", how="namespace") - folded_before == summary["count"]


@pytest.mark.timeout(40)
async def test_an_event_on_an_object_being_posted_waits_without_starving_the_event_loop() -> None:
    emulator = ApiServerEmulator()
    front = ThrottledEvents(emulator)
    with local_cluster_in_thread(emulator=emulator, handler=front) as cluster:
        kube = await KubeClient.connect(str(cluster.kubeconfig))
        recorder = KubeEventRecorder(kube, workers=2)
        ref = ObjectRef("Service", "v1", "default", "web", "uid-web")
        try:
            recorder.record(RecordEvent(ref, Reason.READY, Action.CREATED, "Created A record"))
            assert await asyncio.to_thread(front.entered.wait, 30)  # one worker is posting "web", held
            # A second event on "web" must wait for the first post; the other worker has nothing it may take.
            recorder.record(RecordEvent(ref, Reason.READY, Action.UPDATED, "Updated A record"))
            # A worker spinning on "nothing I may take" would hold the loop until pytest-timeout interrupts it
            # (after 40 s); a waiting one lets these few ticks through at once.
            loop = asyncio.get_running_loop()
            started = loop.time()
            for _ in range(20):
                await asyncio.sleep(0.001)
            assert loop.time() - started < 20
            assert not recorder.idle
            front.released.set()
            await recorder.flush()
            events = await list_all(cluster.url, "/api/v1/namespaces/default/events")
        finally:
            await recorder.close()
            await kube.close()
    assert sorted(e["action"] for e in events) == ["Created", "Updated"]


async def test_an_event_api_that_keeps_failing_is_given_up_after_some_attempts_and_counted() -> None:
    emulator = ApiServerEmulator()
    front = ThrottledEvents(emulator, throttle=1_000_000)  # every Event write answers 429
    front.released.set()
    with local_cluster_in_thread(emulator=emulator, handler=front) as cluster:
        kube = await KubeClient.connect(str(cluster.kubeconfig))
        recorder = KubeEventRecorder(kube, workers=1, max_attempts=2)
        shed_before = counter("external_dns_events_shed_total", reason="RecordReady")
        ref = ObjectRef("Service", "v1", "default", "web", "uid-web")
        try:
            for _ in range(3):  # folded into one entry with a count of 3
                recorder.record(RecordEvent(ref, Reason.READY, Action.CREATED, "Created A record"))
            await recorder.flush()  # returns: a failing event API cannot hold --once forever
        finally:
            await recorder.close()
            await kube.close()
    assert front.throttled == 2
    assert counter("external_dns_events_shed_total", reason="RecordReady") - shed_before == 3
