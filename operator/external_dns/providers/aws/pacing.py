"""Pacing Route 53 calls by the account's budget, and how long to wait before asking again.

Route 53 allows 5 requests per second per account, all operations together. ExternalDNS paces only its writes,
by a fixed pause between change batches (``--aws-batch-change-interval``, 1 s): 33 batches take 33 s although the
budget allows them in ~7 s, and its reads are not paced at all. Here every HTTP request of the process's Route 53
client (retries included) first takes a token from one bucket filled at ``--aws-api-rate-limit`` per second, so the
operator spends the budget as fast as it is allowed and never faster; Throttling then only comes from other
clients of the same account, and is waited out (see provider.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable


class RequestBudget:
    """A token bucket: ``rate`` requests per second, in bursts of at most ``burst``; a rate of 0 is no limit.

    The burst defaults to one request: requests go out evenly spaced, so that Route 53's own burst allowance (5)
    stays as slack for the jitter between our clock and its own, and for other clients of the account. (With
    equal bursts on both sides, one request in a dozen back-to-back ones was throttled in tests/integration.)

    Waiters are served in the order they asked: each takes its token at once (the count may go negative) and
    sleeps until the bucket has refilled to it, so no waiter can be overtaken by later ones.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else 1.0
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()

    async def acquire(self) -> None:
        """Wait for this request's turn in the budget."""
        if self.rate <= 0:
            return
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate) - 1.0
        self._stamp = now
        if self._tokens < 0:
            await self._sleep(-self._tokens / self.rate)


def busy_backoff(
    attempt: int, *, cap: float = 20.0, uniform: Callable[[float, float], float] = random.uniform
) -> float:
    """Seconds to wait before asking again after the ``attempt``-th "come back later" (1, 2, ...): full jitter
    over an exponential ceiling, as AWS's SDKs wait, so that clients throttled together do not return together."""
    return uniform(0.0, min(cap, 2.0 ** (attempt - 1)))
