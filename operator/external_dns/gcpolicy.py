"""The cyclic garbage collector's policy while the operator starts.

A cold start builds everything that then lives as long as the process: the object stores, the desired state,
each zone's cache. With CPython's default thresholds (700, 10, 10) the collector keeps rescanning that growing
heap: at 20,000 Services its passes took 30-40% of the derivation's CPU and 2-3 s of the first sync
(bench/reconcile.py prints the collector's time per phase). Almost none of it is garbage, and what the start
throws away is nearly all freed by reference counting the moment it is dropped.

So while the startup handler runs (the initial LIST, the derivation and, standalone, the first sync, which
handlers.py bounds at 60 s), young passes run rarely and full passes not at all: cycles that die young are still
collected by the young passes; what survives two passes waits in the oldest generation. When the handler
returns (or fails, or is cancelled), everything held by then is frozen out of later full passes, as
handlers.py already did once the first sync was done, and the default thresholds come back.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

#: Young passes every 10,000 net allocations (not 700), a middle pass every 20 of them, and no full pass: the
#: full passes are what rescans the whole growing heap.
START_THRESHOLDS = (10_000, 20, 1_000_000)


class StartCollection:
    """Raises the collector's thresholds for the start (:meth:`begin`) and puts them back (:meth:`end`).

    The thresholds belong to the process, and tests run several operators in threads of one process: the first
    start to begin saves them, the last one to end restores them.
    """

    _lock = threading.Lock()
    _starting = 0
    _saved: tuple[int, int, int] = gc.get_threshold()

    def __init__(self, thresholds: tuple[int, int, int] | None = None) -> None:
        self.thresholds = thresholds or START_THRESHOLDS  # read when the start begins (the bench may change it)
        self.active = False

    def begin(self) -> None:
        if self.active:
            return
        self.active = True
        with StartCollection._lock:
            gc.freeze()  # what exists before the start (imports, configuration) is never rescanned either
            if StartCollection._starting == 0:
                StartCollection._saved = gc.get_threshold()
                gc.set_threshold(*self.thresholds)
            StartCollection._starting += 1

    def end(self) -> None:
        """Freeze what the start built; the last start to end restores the thresholds (no-op when not begun)."""
        if not self.active:
            return
        self.active = False
        with StartCollection._lock:
            StartCollection._starting -= 1
            gc.freeze()
            if StartCollection._starting == 0:
                gc.set_threshold(*StartCollection._saved)


def during_start(handler: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run the (startup) coroutine function under :class:`StartCollection`, ended however it ends."""

    @functools.wraps(handler)
    async def starting(*args: P.args, **kwargs: P.kwargs) -> T:
        collection = StartCollection()
        collection.begin()
        try:
            return await handler(*args, **kwargs)
        finally:
            collection.end()

    return starting
