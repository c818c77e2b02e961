"""The zone worker when the provider asks to wait (ProviderBusy: Route 53's Throttling, PriorRequestNotComplete):
the names wait for a retry without an error on their objects, and a burst of refused passes is one backoff step."""

from __future__ import annotations

import asyncio

import pytest
from tests.unit.test_reconciler import PRODUCTION, WEB, FlakyProvider, eventually, make_rig, wanted

from external_dns.desired import ObjectKey
from external_dns.errors import PendingChange, ProviderBusy
from external_dns.events import Reason
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.inmemory import InMemoryProvider


class BusyProvider(FlakyProvider):
    """Answers ``error`` (ProviderBusy by default) to ``failures`` apply_changes calls, then applies."""

    def __init__(self, inner: InMemoryProvider, failures: int, error: ProviderBusy | None = None) -> None:
        super().__init__(inner, failures)
        self.error = error or ProviderBusy("change_resource_record_sets: Throttling: Rate exceeded")

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        self.attempts.append(asyncio.get_running_loop().time())
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        return await self.inner.apply_changes(zone, changes)


async def test_a_busy_provider_defers_the_names_without_an_error_on_the_objects() -> None:
    inner = InMemoryProvider(["example.com"])
    rig = make_rig(BusyProvider(inner, failures=2), inner=inner)
    await rig.worker.load()
    names = rig.want(WEB, wanted("web.example.com", "192.0.2.1"))

    for _ in range(2):
        result = await rig.worker.sync(names)
        assert result.failed == []
        assert rig.worker.pending == 1  # the name waits for a retry
        assert rig.sent(Reason.ERROR) == []
    state = rig.worker.states.record_state("example.com", wanted("web.example.com", "192.0.2.1"))
    assert state == (False, "waiting for a retry")  # what status and explain say: no provider error

    await rig.worker.sync(names)

    assert rig.records()[("web.example.com", "A")] == ("192.0.2.1",)
    assert [e.message for e in rig.sent(Reason.READY)] == ['Created A record "web.example.com" -> 192.0.2.1']
    assert rig.sent(Reason.ERROR) == []


async def test_a_pending_change_defers_the_names_and_re_reads_the_zone_first() -> None:
    inner = InMemoryProvider(["example.com"])
    rig = make_rig(BusyProvider(inner, failures=1, error=PendingChange("PriorRequestNotComplete")), inner=inner)
    await rig.worker.load()
    names = rig.want(WEB, wanted("web.example.com", "192.0.2.1"))

    await rig.worker.sync(names)
    reads = inner.calls.records
    await rig.worker.sync(names)

    assert inner.calls.records == reads + 1, "the zone was re-read before the retry"
    assert rig.sent(Reason.ERROR) == []
    assert rig.records()[("web.example.com", "A")] == ("192.0.2.1",)


@pytest.mark.looptime
async def test_passes_refused_in_one_round_raise_the_backoff_one_step_not_one_per_pass() -> None:
    inner = InMemoryProvider(["example.com"])
    busy = BusyProvider(inner, failures=6)  # 5 passes of the burst and the first retry round
    rig = make_rig(busy, inner=inner, settings=PRODUCTION)
    task = asyncio.create_task(rig.worker.run())
    try:
        await eventually(lambda: rig.worker.first_sync_done.is_set())
        for index in range(5):  # a burst: five objects, each planned in a pass of its own, all refused
            rig.worker.mark(
                rig.want(ObjectKey("service", "default", f"web{index}"), wanted(f"web{index}.example.com", "192.0.2.1"))
            )
            await eventually(lambda: len(busy.attempts) == index + 1)  # noqa: B023 - checked at once
        await eventually(lambda: rig.worker.pending == 0, within=120)
        # Retries 1 s after the burst's first refusal, then 2 s later: one step per round. (One step per pass
        # made the second wait the 60 s maximum.)
        assert busy.attempts[-1] - busy.attempts[0] < 5
        assert rig.sent(Reason.ERROR) == []
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
