"""bench/start_changes.py --clients-apart: the operator's start phase sampled in its process, for changes made in
another (a change is filed afterwards by the moment it was made)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class PhaseWatch:
    """``--clients-apart``: the operator's phase sampled every 5 ms from a thread here, each change filed afterwards
    by the moment it was made (perf_counter is the system's monotonic clock, the same in the clients' process)."""

    def __init__(self, phase: Callable[[], str], after_from: Any, *, after: str, first: str) -> None:
        self._phase = phase
        self._after_from = after_from  # shared with the clients: when ``after`` began (0.0: not yet)
        self._after = after
        self._first = first  # the phase before the first sample
        self.transitions: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            now, phase = time.perf_counter(), self._phase()
            if not self.transitions or self.transitions[-1][1] != phase:
                self.transitions.append((now, phase))
                if phase == self._after:
                    self._after_from.value = now

    def phase_at(self, moment: float) -> str:
        found = self._first
        for began, phase in self.transitions:
            if began > moment:
                break
            found = phase
        return found
