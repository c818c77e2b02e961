"""A clock moved by hand, for tests of timing logic (grace periods) without waiting for real time."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class _Scheduled:
    when: float
    order: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """Implements guards.clock.Clock; :meth:`advance` moves time and runs the callbacks that fall due."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._queue: list[_Scheduled] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> _Scheduled:
        scheduled = _Scheduled(when, next(self._order), callback)
        heapq.heappush(self._queue, scheduled)
        return scheduled

    def advance(self, seconds: float) -> None:
        self._now += seconds
        while self._queue and self._queue[0].when <= self._now:
            scheduled = heapq.heappop(self._queue)
            if not scheduled.cancelled:
                scheduled.callback()

    @property
    def pending(self) -> int:
        """Scheduled callbacks not yet run nor cancelled."""
        return sum(1 for scheduled in self._queue if not scheduled.cancelled)
