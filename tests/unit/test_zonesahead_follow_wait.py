"""A warm standby's wait between two follow steps (zonesahead.ZonesAhead.follow): it ends when ``follow_every``
has passed (a step), as soon as the takeover comes (no step: the takeover makes its own last one), and a
cancellation that arrives in the very turn the takeover comes ends the follow task cancelled.

The wait is ``asyncio.timeout``, not ``asyncio.wait_for``: Python 3.11's wait_for, cancelled in the turn the thing
it waits for completes, returns instead of raising (see reconciler.ZoneWorker.run), and the cancellation is lost.
"""

from __future__ import annotations

import asyncio

import pytest
from tests.unit.test_reconciler import eventually
from tests.unit.test_zonesahead import ZONE_, FollowingInMemory, written_behind_the_standby, zones_ahead

FOLLOW_TASK = "zone-follow"  # the name ZonesAhead.follow gives its task


def follow_task() -> asyncio.Task[object]:
    (task,) = (task for task in asyncio.all_tasks() if task.get_name() == FOLLOW_TASK)
    return task


@pytest.mark.looptime
async def test_a_standby_steps_once_follow_every_has_passed_without_a_takeover() -> None:
    provider = FollowingInMemory()
    ahead = zones_ahead(provider, follow_every=30)
    loop = asyncio.get_running_loop()
    ahead.follow()
    await eventually(lambda: bool(ahead.caches()))  # the whole read; the first wait begins with it
    read_at = loop.time()
    written_behind_the_standby(provider)

    await asyncio.sleep(29)  # of the fake clock
    assert provider.asked_since == []  # still waiting
    await eventually(lambda: provider.asked_since == [1], within=2)

    assert loop.time() - read_at == pytest.approx(30, abs=0.1)
    assert "new.example.com" in ahead.caches()[ZONE_].names()
    await ahead.take()


@pytest.mark.looptime
async def test_the_takeover_ends_the_wait_at_once_without_a_step() -> None:
    provider = FollowingInMemory()
    ahead = zones_ahead(provider, follow_every=3600)
    loop = asyncio.get_running_loop()
    ahead.follow()
    await eventually(lambda: bool(ahead.caches()))
    task = follow_task()
    taken_at = loop.time()

    await ahead.take()

    assert task.done() and not task.cancelled()  # it ended on its own, at the takeover's word
    assert loop.time() - taken_at < 1  # of the fake clock: not the hour of follow_every
    assert provider.asked_since == [1]  # the takeover's last step only


async def test_a_cancellation_in_the_turn_the_takeover_comes_ends_the_follow_task_cancelled() -> None:
    provider = FollowingInMemory()
    ahead = zones_ahead(provider, follow_every=3600)
    ahead.follow()
    await eventually(lambda: bool(ahead.caches()))  # the follow task waits for the takeover or the hour
    task = follow_task()
    taking = asyncio.create_task(ahead.take())  # its first step sets the stop event the follow task waits for
    await asyncio.sleep(0)  # that step runs in this loop turn, before the follow task can wake up

    taking.cancel()  # cancels the gather under take(), and so the follow task, woken but not yet run
    await asyncio.gather(taking, return_exceptions=True)

    assert taking.cancelled()
    assert task.cancelled()  # wait_for would have returned here: the follow task ends as if nothing was cancelled
    assert provider.asked_since == []  # no step, and no last step: the takeover was cancelled
