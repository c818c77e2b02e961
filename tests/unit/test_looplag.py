"""The stall sampler measures how long one callback held the event loop."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from external_dns import looplag


def lag_count() -> float:
    samples = looplag.LOOP_LAG.collect()[0].samples
    return next(sample.value for sample in samples if sample.name.endswith("_count"))


def stalls_over(seconds: float) -> float:
    """Stalls longer than ``seconds`` (a bucket boundary) recorded so far."""
    samples = looplag.LOOP_LAG.collect()[0].samples
    buckets = {sample.labels["le"]: sample.value for sample in samples if sample.name.endswith("_bucket")}
    return buckets["+Inf"] - buckets[str(float(seconds))]


async def test_a_callback_that_holds_the_loop_is_measured_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="external_dns.looplag")
    before_over_one, before_count = stalls_over(1), lag_count()
    sampler = asyncio.create_task(looplag.sample_loop_lag(period=0.01, ticks=2))
    await asyncio.sleep(0)  # the sampler's first tick is now due in 10 ms
    time.sleep(1.2)  # noqa: ASYNC251 -- the stall under test: one callback holding the loop (a whole zone parsed)
    await sampler
    assert lag_count() == before_count + 2
    assert stalls_over(1) == before_over_one + 1  # the first tick fired about 1.19 s late; the second on time
    assert looplag.LOOP_LAG_MAX.collect()[0].samples[0].value >= 1.1
    assert any(record.getMessage().startswith("Event loop held for 1.") for record in caplog.records)
