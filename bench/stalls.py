"""Where an event loop stalls: loop lag, the stack of the stalled callback, and the collector's passes.

A bench helper (bench/start_changes.py ``--stalls``). Three probes, all measuring rather than guessing:

- a ticker task in the watched loop records each moment it runs; its lag over its 5 ms sleep is the loop's lag;
- a watchdog thread samples the loop thread's stack every 10 ms while the ticker is more than ``threshold`` late,
  so each stall is charged to the code that held the loop (the innermost frames of the project and of Kopf);
- ``gc.callbacks`` times every collection by generation (a full collection over many live objects is one stall
  the stack sample shows only as "whatever allocated last").

Each stall and collection is filed under the phase the caller reports (``phase()``) when it ended.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

#: Frames from these paths name a stall (the innermost one of each wins); others are the stdlib or libraries.
INTERESTING = ("external_dns/", "kopf/", "aiohttp/", "json/", "kmock/")


class StallSampler:
    """Loop lag, stack samples of stalls and GC pauses of one event loop, filed by phase."""

    def __init__(self, phase: Callable[[], str], threshold: float = 0.05) -> None:
        self.phase = phase
        self.threshold = threshold
        self.tick = time.monotonic()
        self.loop_thread: int | None = None
        self.lags: dict[str, list[float]] = defaultdict(list)
        #: Per phase: stack summary -> samples (10 ms each) taken while the loop stalled there.
        self.stacks: dict[str, Counter[str]] = defaultdict(Counter)
        self.gc_pauses: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._gc_started = 0.0
        self._stop = threading.Event()
        self._task: asyncio.Task[None] | None = None

    def start_in_loop(self) -> None:
        """Call from a coroutine of the watched loop (its thread is the one sampled)."""
        self.loop_thread = threading.get_ident()
        self._task = asyncio.get_running_loop().create_task(self._ticker(), name="bench-stall-ticker")
        gc.callbacks.append(self._on_gc)
        threading.Thread(target=self._watchdog, name="bench-stall-watchdog", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    async def _ticker(self) -> None:
        while not self._stop.is_set():
            before = time.monotonic()
            await asyncio.sleep(0.005)
            self.tick = now = time.monotonic()
            self.lags[self.phase()].append(now - before - 0.005)

    def _on_gc(self, event: str, info: dict[str, Any]) -> None:
        if threading.get_ident() != self.loop_thread:
            return
        if event == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_pauses[self.phase()].append((int(info["generation"]), time.perf_counter() - self._gc_started))

    def _watchdog(self) -> None:
        while not self._stop.wait(0.01):
            if time.monotonic() - self.tick < self.threshold or self.loop_thread is None:
                continue
            frame = sys._current_frames().get(self.loop_thread)
            if frame is not None:
                self.stacks[self.phase()][summarise(frame)] += 1

    def report(self, top: int = 8) -> dict[str, Any]:
        figures: dict[str, Any] = {}
        for phase, lags in self.lags.items():
            lags = sorted(lags)
            pauses = self.gc_pauses.get(phase, [])
            full = [seconds for generation, seconds in pauses if generation == 2]
            figures[phase] = {
                "ticks": len(lags),
                "lag_p99_s": round(lags[int(0.99 * (len(lags) - 1))], 3),
                "lag_max_s": round(lags[-1], 3),
                "lags_over_0.2s": sum(1 for lag in lags if lag > 0.2),
                "gc_full_count": len(full),
                "gc_full_total_s": round(sum(full), 3),
                "gc_full_max_s": round(max(full, default=0), 3),
                "gc_young_total_s": round(sum(s for g, s in pauses if g < 2), 3),
                "stalled_in": [
                    f"{count * 10} ms: {stack}" for stack, count in self.stacks.get(phase, Counter()).most_common(top)
                ],
            }
        return figures


def summarise(frame: Any) -> str:
    """The innermost few interesting frames, innermost first: ``file:function`` each."""
    names = []
    for summary in reversed(traceback.extract_stack(frame)):
        if any(part in summary.filename for part in INTERESTING):
            short = summary.filename.rsplit("/", 2)
            names.append(f"{'/'.join(short[-2:])}:{summary.name}")
            if len(names) == 4:
                break
    innermost = traceback.extract_stack(frame)[-1]
    return f"[{innermost.filename.rsplit('/', 1)[-1]}:{innermost.name}] " + " < ".join(names)
