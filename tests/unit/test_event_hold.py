"""Events are held back while the zones' first sync runs (the records first), then all posted; the hold is
bounded, so a provider that never answers cannot keep events unposted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from tests.unit.test_app import make_app, service

from external_dns.endpoint import ObjectRef
from external_dns.events import Action, KubeEventRecorder, Reason, RecordEvent
from external_dns.kube import KubeClient


class RecordingKube(KubeClient):
    """Answers every request; notes, per POST, whether ``condition()`` held then."""

    def __init__(self, condition: Callable[[], bool]) -> None:
        super().__init__(api=None)  # type: ignore[arg-type]  # no HTTP: requests are answered here
        self.condition = condition
        self.posts: list[bool] = []

    async def request(self, method: str, path: str, **_: Any) -> Any:
        self.posts.append(self.condition())
        return {"metadata": {"name": f"event-{len(self.posts)}", "namespace": "default"}}


def ready(name: str) -> RecordEvent:
    ref = ObjectRef("Service", "v1", "default", name, f"uid-{name}")
    return RecordEvent(ref, Reason.READY, Action.CREATED, f'Created A record "{name}.example.com" -> 192.0.2.1')


async def test_events_wait_for_the_first_sync_and_are_then_all_posted() -> None:
    first_sync = asyncio.Event()
    kube = RecordingKube(first_sync.is_set)
    recorder = KubeEventRecorder(kube)
    try:
        recorder.hold(first_sync.wait(), at_most=3600)
        for name in ("a", "b", "c"):
            recorder.record(ready(name))
        for _ in range(20):  # loop turns in which the posters would post, were they not held
            await asyncio.sleep(0)
        assert kube.posts == []
        assert not recorder.idle

        first_sync.set()
        await recorder.flush()

        assert kube.posts == [True, True, True]
    finally:
        await recorder.close()


@pytest.mark.looptime
async def test_a_first_sync_that_never_ends_holds_events_only_so_long() -> None:
    never = asyncio.Event()
    kube = RecordingKube(never.is_set)
    recorder = KubeEventRecorder(kube)
    try:
        recorder.hold(never.wait(), at_most=60)
        recorder.record(ready("a"))
        started = asyncio.get_running_loop().time()

        await recorder.flush()

        assert kube.posts == [False]
        assert asyncio.get_running_loop().time() - started == pytest.approx(60, abs=1)
    finally:
        await recorder.close()


async def test_the_operator_posts_the_events_of_its_first_sync_once_that_sync_is_done() -> None:
    app = make_app("service")
    kube = RecordingKube(lambda: all(worker.first_sync_done.is_set() for worker in app.workers.values()))
    recorder = KubeEventRecorder(kube)
    app.wiring.events = app.events = recorder
    # A slice per name: the loop is free between slices, when posters would post the slices' events so far.
    app.wiring.reconciler_settings = replace(app.wiring.reconciler_settings, slice_names=1)
    app.on_listing(app.sources["service"].resource, [service(f"s{i}", lb_ip="192.0.2.1") for i in range(3)], "1")
    try:
        await app.start()
        await app.wait_first_sync()
        await recorder.flush()

        assert kube.posts == [True, True, True]  # one RecordReady per Service, none during the sync
    finally:
        await app.close()
        await recorder.close()
