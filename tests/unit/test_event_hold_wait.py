"""The event hold's wait for the first sync (events.KubeEventRecorder.hold): it ends when ``at_most`` has passed and
the sync never came, as soon as the sync is done, and a cancellation that arrives in the very turn the sync is done
(the recorder closed as the operator stops) ends the hold's task cancelled.

The wait is ``asyncio.timeout``, not ``asyncio.wait_for``: Python 3.11's wait_for, cancelled in the turn the thing
it waits for completes, returns instead of raising (see reconciler.ZoneWorker.run), and the cancellation is lost.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from tests.unit.test_event_hold import RecordingKube, ready

from external_dns.events import KubeEventRecorder

HOLD_TASK = "event-hold"  # the name KubeEventRecorder.hold gives its task


def hold_task() -> asyncio.Task[object]:
    (task,) = (task for task in asyncio.all_tasks() if task.get_name() == HOLD_TASK)
    return task


class FirstSync:
    """What the hold waits for: says when the hold has begun waiting for it, ends when the test says so."""

    def __init__(self) -> None:
        self.awaited = asyncio.Event()
        self.done = asyncio.Event()

    async def wait(self) -> None:
        self.awaited.set()
        await self.done.wait()


@pytest.mark.looptime
async def test_events_are_posted_once_at_most_has_passed_without_the_first_sync(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="external_dns.events")
    first_sync = FirstSync()
    kube = RecordingKube(first_sync.done.is_set)
    recorder = KubeEventRecorder(kube)
    loop = asyncio.get_running_loop()
    try:
        recorder.hold(first_sync.wait(), at_most=60)
        recorder.record(ready("a"))
        held_at = loop.time()

        await asyncio.sleep(59)  # of the fake clock
        assert kube.posts == []  # still held
        await recorder.flush()

        assert kube.posts == [False]  # posted without the first sync
        assert loop.time() - held_at == pytest.approx(60, abs=0.1)
        assert "Posting events after 60s without waiting any longer for the first sync" in caplog.text
    finally:
        await recorder.close()


@pytest.mark.looptime
async def test_events_are_posted_as_soon_as_the_first_sync_is_done(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="external_dns.events")
    first_sync = FirstSync()
    kube = RecordingKube(first_sync.done.is_set)
    recorder = KubeEventRecorder(kube)
    loop = asyncio.get_running_loop()
    try:
        recorder.hold(first_sync.wait(), at_most=3600)
        recorder.record(ready("a"))
        await asyncio.sleep(5)  # the first sync takes 5 s of the fake clock
        first_sync.done.set()
        done_at = loop.time()

        await recorder.flush()

        assert kube.posts == [True]
        assert loop.time() - done_at < 1  # not the hour of at_most
        assert "without waiting any longer" not in caplog.text
    finally:
        await recorder.close()


async def test_a_cancellation_in_the_turn_the_first_sync_is_done_ends_the_hold_cancelled() -> None:
    first_sync = FirstSync()
    kube = RecordingKube(first_sync.done.is_set)
    recorder = KubeEventRecorder(kube)
    try:
        recorder.hold(first_sync.wait(), at_most=3600)
        holder = hold_task()
        await first_sync.awaited.wait()  # the hold waits for the first sync

        first_sync.done.set()  # wakes the hold's task, which runs in a later turn
        await recorder.close()  # cancels it in this turn, before it has run
    finally:
        await recorder.close()  # (again, when the test got that far: a no-op)

    assert holder.cancelled()  # wait_for would have returned here: the task ends as if nothing was cancelled
