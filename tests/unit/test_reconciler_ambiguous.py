"""The zone worker after an ambiguous provider failure: it re-reads the zone before planning those names again."""

from __future__ import annotations

from tests.unit.test_reconciler import WEB, FlakyProvider, make_rig, wanted

from external_dns.endpoint import Endpoint
from external_dns.errors import AmbiguousProviderError, TransientProviderError
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.inmemory import InMemoryProvider

NAME = "web.example.com"


class LosesAnswers(FlakyProvider):
    """Applies the batch, then raises ``error`` instead of answering, ``failures`` times."""

    def __init__(self, inner: InMemoryProvider, failures: int, error: Exception) -> None:
        super().__init__(inner, failures)
        self.error = error

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        outcome = await self.inner.apply_changes(zone, changes)
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        return outcome


async def test_after_a_lost_answer_the_zone_is_re_read_and_nothing_is_sent_twice() -> None:
    inner = InMemoryProvider(["example.com"])
    rig = make_rig(LosesAnswers(inner, 1, AmbiguousProviderError("HTTP 502 after sending")), inner=inner)
    names = rig.want(WEB, wanted(NAME, "192.0.2.1"))

    first = await rig.worker.sync(names)
    reads = inner.calls.records
    second = await rig.worker.sync(names)

    assert first.failed, "the lost answer is reported"
    assert inner.calls.records == reads + 1, "the zone was re-read before the retry"
    assert second.failed == [] and len(second.applied) == 0, "what landed is not sent again"
    assert inner.calls.apply_changes == 1
    assert rig.records()[(NAME, "A")] == ("192.0.2.1",)


async def test_a_plain_transient_failure_does_not_re_read_the_zone() -> None:
    inner = InMemoryProvider(["example.com"])
    rig = make_rig(FlakyProvider(inner, 1), inner=inner)
    names = rig.want(WEB, wanted(NAME, "192.0.2.1"))

    await rig.worker.sync(names)
    reads = inner.calls.records
    await rig.worker.sync(names)

    assert inner.calls.records == reads
    assert rig.records()[(NAME, "A")] == ("192.0.2.1",)


async def test_an_ambiguous_outcome_also_re_reads_and_a_failed_re_read_keeps_the_names_for_a_retry() -> None:
    class AmbiguousOutcome(LosesAnswers):
        async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
            await self.inner.apply_changes(zone, changes)
            return ApplyOutcome(failed=[(ep, "answer lost") for ep in changes.create], ambiguous=True)

        async def records(self, zone: Zone) -> list[Endpoint]:
            if self.failures > 0:
                self.failures -= 1
                raise TransientProviderError("cannot list")
            return await self.inner.records(zone)

    inner = InMemoryProvider(["example.com"])
    provider = AmbiguousOutcome(inner, 0, AmbiguousProviderError("unused"))
    rig = make_rig(provider, inner=inner)
    names = rig.want(WEB, wanted(NAME, "192.0.2.1"))

    await rig.worker.sync(names)
    provider.failures = 1  # the re-read fails once
    blocked = await rig.worker.sync(names)
    retried = await rig.worker.sync(names)

    assert blocked.error and blocked.failed == [], "nothing planned on a cache that may be wrong"
    assert retried.failed == [] and inner.calls.apply_changes == 1
