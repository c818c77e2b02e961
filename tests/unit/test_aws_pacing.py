"""Route 53 pacing: the request budget (a token bucket on a fake clock) and which flag paces change batches."""

from __future__ import annotations

import pytest

from external_dns import factory
from external_dns.config import Settings
from external_dns.providers.aws.pacing import RequestBudget, busy_backoff
from external_dns.providers.aws.provider import AWSProvider


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_the_budget_lets_a_burst_through_then_one_request_per_fifth_of_a_second() -> None:
    clock = FakeClock()
    budget = RequestBudget(5.0, burst=5.0, clock=clock, sleep=clock.sleep)

    for _ in range(5):
        await budget.acquire()
    assert clock.sleeps == []  # the burst: five requests at once, as Route 53's own bucket allows
    for _ in range(10):
        await budget.acquire()

    assert clock.sleeps == pytest.approx([0.2] * 10)
    assert clock.now == pytest.approx(2.0)  # 15 requests in 2 s: 5 + 5/s, the most the account allows


async def test_requests_asked_at_the_same_instant_get_successive_turns() -> None:
    clock = FakeClock()
    budget = RequestBudget(5.0, burst=1.0, clock=clock, sleep=clock.sleep)

    # Three callers at the same instant (the clock does not move until each sleeps): each reserves its turn.
    await budget.acquire()
    waits = []
    for _ in range(3):
        before = len(clock.sleeps)
        clock.now = 0.0  # all asked at t=0
        await budget.acquire()
        waits.append(clock.sleeps[before])
    assert waits == pytest.approx([0.2, 0.4, 0.6])


async def test_by_default_requests_go_out_evenly_spaced() -> None:
    clock = FakeClock()
    budget = RequestBudget(5.0, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        await budget.acquire()
    assert clock.sleeps == pytest.approx([0.2] * 3)  # Route 53's burst of 5 is left as slack


async def test_a_rate_of_zero_is_no_limit() -> None:
    clock = FakeClock()
    budget = RequestBudget(0.0, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        await budget.acquire()
    assert clock.sleeps == []


def test_busy_backoff_is_full_jitter_under_a_doubling_ceiling_capped_at_twenty_seconds() -> None:
    ceilings = [busy_backoff(attempt, uniform=lambda low, high: high) for attempt in (1, 2, 3, 4, 6, 10)]
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 20.0, 20.0]
    assert busy_backoff(3, uniform=lambda low, high: low) == 0.0


def _aws(env: dict[str, str], **flags: object) -> AWSProvider:
    settings = Settings.load({"source": ["service"], "provider": "aws", **flags}, env=env)
    provider = factory.provider(settings)
    assert isinstance(provider, AWSProvider)
    return provider


@pytest.mark.parametrize(
    ("flags", "env", "interval"),
    [
        ({}, {}, None),
        ({"aws_batch_change_interval": "1s"}, {}, 1.0),
        ({"aws_batch_change_interval": "0s"}, {}, 0.0),
        ({}, {"EXTERNAL_DNS_AWS_BATCH_CHANGE_INTERVAL": "2s"}, 2.0),
    ],
    ids=["unset: the budget paces", "set to its default", "set to 0", "set by its env var"],
)
def test_batch_change_interval_keeps_externaldns_meaning_only_when_set(
    flags: dict[str, object], env: dict[str, str], interval: float | None
) -> None:
    provider = _aws(env, **flags)
    assert provider.config.batch_change_interval == interval
    assert provider.budget.rate == 5.0


def test_the_request_budget_follows_its_flag() -> None:
    assert _aws({}, aws_api_rate_limit="2.5").budget.rate == 2.5
    assert _aws({}, aws_api_rate_limit="0").budget.rate == 0.0
