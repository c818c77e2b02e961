"""The cheap drift check: with a provider that counts records (CountingRecords), each resync asks the count and reads
the zone whole only when it differs from the cache's, or once every full_read_interval (fake clock, no sleeping)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from tests.unit.test_reconciler import PRODUCTION, WEB, ZONE, FlakyProvider, Rig, make_rig, wanted

from external_dns.errors import ProviderBusy
from external_dns.providers.base import Changes, CountingRecords, Zone
from external_dns.providers.inmemory import InMemoryProvider

SETTINGS = PRODUCTION  # --interval 1m, --zone-full-read-interval 1h
A_RECORD = ("web.example.com", "A")


class CountingProvider(FlakyProvider):
    """The in-memory provider with a record count, as Route 53's GetHostedZone gives it."""

    def __init__(self, inner: InMemoryProvider) -> None:
        super().__init__(inner, failures=0)
        self.counts = 0
        self.count_fails = False

    async def record_count(self, zone: Zone) -> int | None:
        self.counts += 1
        if self.count_fails:
            raise ProviderBusy("GetHostedZone: Throttling")
        return len(self.inner.snapshot()[zone.name])


async def until(condition: Callable[[], bool], within: float, step: float = 0.25) -> None:
    """Wait on the fake clock, ``step`` at a time, until ``condition`` holds (fails after ``within`` seconds)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - provider state signals no event
            await asyncio.sleep(step)


async def running(rig: Rig, check: Callable[[], Awaitable[None]]) -> None:
    task = asyncio.create_task(rig.worker.run())
    try:
        await asyncio.wait_for(rig.worker.idle.wait(), 5)
        await check()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_the_counting_provider_is_seen_as_one() -> None:
    assert isinstance(CountingProvider(InMemoryProvider([ZONE])), CountingRecords)
    assert not isinstance(InMemoryProvider([ZONE]), CountingRecords)  # it keeps the whole read every --interval


@pytest.mark.looptime
async def test_a_record_removed_behind_the_operators_back_is_caught_within_one_interval_by_the_count() -> None:
    inner = InMemoryProvider([ZONE])
    counting = CountingProvider(inner)
    rig = make_rig(counting, inner=inner, settings=SETTINGS)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))
    zone = Zone(ZONE, ZONE)

    async def check() -> None:
        reads = inner.calls.records
        started = asyncio.get_running_loop().time()
        (record,) = [ep for ep in inner.snapshot()[ZONE] if ep.record_type == "A"]
        await inner.apply_changes(zone, Changes(delete=[record]))
        calls = inner.calls.records

        await until(lambda: A_RECORD in rig.records(), within=1.1 * SETTINGS.resync_interval + 1)

        assert asyncio.get_running_loop().time() - started <= 1.1 * SETTINGS.resync_interval + 0.5
        assert counting.counts == 1  # one cheap count, which differed ...
        assert inner.calls.records == calls + 1 > reads  # ... and then one whole read

    await running(rig, check)


@pytest.mark.looptime
async def test_a_record_edited_in_place_is_caught_by_the_hourly_whole_read_and_no_earlier() -> None:
    inner = InMemoryProvider([ZONE])
    counting = CountingProvider(inner)
    rig = make_rig(counting, inner=inner, settings=SETTINGS)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))
    zone = Zone(ZONE, ZONE)

    async def check() -> None:
        reads = inner.calls.records
        (record,) = [ep for ep in inner.snapshot()[ZONE] if ep.record_type == "A"]
        edited = record.with_(targets=("198.51.100.1",))
        await inner.apply_changes(zone, Changes(update_old=[record], update_new=[edited]))

        await asyncio.sleep(0.5 * SETTINGS.full_read_interval)  # fake clock: 30 resyncs
        assert rig.records()[A_RECORD] == ("198.51.100.1",)  # the count cannot see an edit in place
        assert inner.calls.records == reads  # and no whole read happened: only counts
        assert counting.counts >= 25

        await until(lambda: rig.records()[A_RECORD] == ("203.0.113.10",), 0.5 * SETTINGS.full_read_interval + 70, 1.0)
        assert inner.calls.records == reads + 1

    await running(rig, check)


@pytest.mark.looptime
async def test_a_failed_count_skips_that_resync_and_the_next_one_counts_again() -> None:
    inner = InMemoryProvider([ZONE])
    counting = CountingProvider(inner)
    rig = make_rig(counting, inner=inner, settings=SETTINGS)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))

    async def check() -> None:
        reads = inner.calls.records
        counting.count_fails = True
        await until(lambda: counting.counts == 1, within=70)
        assert inner.calls.records == reads  # no whole read instead: the count comes back at the next interval
        counting.count_fails = False
        (record,) = [ep for ep in inner.snapshot()[ZONE] if ep.record_type == "A"]
        await inner.apply_changes(Zone(ZONE, ZONE), Changes(delete=[record]))
        await until(lambda: A_RECORD in rig.records(), within=70)
        assert counting.counts == 2

    await running(rig, check)


@pytest.mark.looptime
@pytest.mark.timeout(30)  # the defect spins the loop without moving its clock: no asyncio timeout can fire
async def test_a_resync_due_within_the_clocks_resolution_still_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop runs a timer due within its clock's resolution (1 ns) at once, before its moment: the worker must
    take a timed-out wait as "the moment has come" rather than compare the clock again and wait anew forever."""
    inner = InMemoryProvider([ZONE])
    counting = CountingProvider(inner)
    rig = make_rig(counting, inner=inner, settings=SETTINGS)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))
    monkeypatch.setattr(rig.worker, "_resync_delay", lambda: SETTINGS.resync_interval + 5e-10)

    async def check() -> None:
        await until(lambda: counting.counts >= 2, within=2.5 * SETTINGS.resync_interval)

    await running(rig, check)
