"""A task cancelled in the very turn its wait is answered stops there (asyncio.timeout, not Python 3.11's
wait_for, which then returns and loses the cancellation: the task ran on until the next cancel)."""

from __future__ import annotations

import asyncio

from tests.unit.test_reconciler import WEB, make_rig, wanted

from external_dns import memtrim


async def test_a_zone_worker_cancelled_as_a_change_wakes_it_stops_without_planning_it() -> None:
    rig = make_rig()
    task = asyncio.create_task(rig.worker.run())
    await rig.worker.idle.wait()
    applied = rig.provider.calls.apply_changes

    rig.worker.mark(rig.want(WEB, wanted("web.example.com", "203.0.113.10")))  # wakes it, in this turn
    task.cancel()
    async with asyncio.timeout(10):  # lost, the cancel would leave it waiting an hour for the next resync
        await asyncio.gather(task, return_exceptions=True)

    assert task.cancelled()
    assert rig.provider.calls.apply_changes == applied


async def test_a_heap_trim_cancelled_as_its_moment_comes_trims_nothing() -> None:
    done = asyncio.Event()
    trimmed: list[int] = []

    def trim(pad: int) -> int:
        trimmed.append(pad)
        return 0

    task = asyncio.create_task(memtrim.trim_when(done, "the test", 3600, trim=trim))
    await asyncio.sleep(0)
    done.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    assert task.cancelled()
    assert trimmed == []
