"""The time the guards run on: the event loop's clock in the operator, a hand-driven one in tests.

A guard that waits (the blank-status hold-down waits out a grace period of minutes) takes a :class:`Clock`,
so a test can move time forward by hand instead of sleeping (testing/clock.py has the manual one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    """A scheduled call that can be called off."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """Monotonic seconds, and callbacks at a given time."""

    def now(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer: ...


class LoopClock:
    """The running event loop's clock (``loop.time()``, ``loop.call_at``); used from the loop's thread only."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_at(when, callback)
