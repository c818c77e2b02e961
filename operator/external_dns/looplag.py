"""How long the event loop is held by one piece of work: the operator's own stall sampler.

Everything time-critical here shares one event loop: the peering keep-alive and its fence, Kopf's watch
streams, the zone workers. A callback that holds the loop for seconds (a whole zone parsed or planned at once)
delays all of them, and a keep-alive delayed past the fence hands the lead over for nothing. A timer every
``PERIOD`` seconds measures how late it fires; the lateness is one stall. Exported as a histogram and the
largest stall seen, and stalls of a second or more are logged, so a failover that went wrong can be explained.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Gauge, Histogram

from external_dns.metrics import NAMESPACE

logger = logging.getLogger(__name__)

#: How often the sampler wakes: a stall shorter than this may go unseen, a longer one is measured to the tick.
PERIOD = 0.05
#: Stalls at least this long are logged.
LOGGED_STALL = 1.0

LOOP_LAG = Histogram(
    "event_loop_lag_seconds",
    f"How late a {PERIOD}s timer fired on the operator's event loop: how long one piece of work held it.",
    namespace=NAMESPACE,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
LOOP_LAG_MAX = Gauge(
    "event_loop_lag_max_seconds", "The longest the event loop was held since the process started.", namespace=NAMESPACE
)


async def sample_loop_lag(period: float = PERIOD, ticks: int | None = None) -> None:
    """Record how late each tick fires, for ``ticks`` ticks or until cancelled."""
    loop = asyncio.get_running_loop()
    longest = 0.0
    while ticks is None or ticks > 0:
        ticks = None if ticks is None else ticks - 1
        planned = loop.time() + period
        await asyncio.sleep(period)
        lag = max(0.0, loop.time() - planned)
        LOOP_LAG.observe(lag)
        if lag > longest:
            longest = lag
            LOOP_LAG_MAX.set(lag)
        if lag >= LOGGED_STALL:
            logger.info("Event loop held for %.2fs (the work that ran then delayed every timer)", lag)
