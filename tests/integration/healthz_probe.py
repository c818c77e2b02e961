"""Asks an operator's /healthz every 50 ms, as a kubelet would, from a process of its own.

A process of its own, so that what it measures is the operator's answer time, not the test process's own
interpreter lock (which the local API server and the test's DNS polling hold in turns). Run as
``python -m tests.integration.healthz_probe URL OUT [PID]``; after each probe it rewrites OUT with
``{"answers", "failures", "worst", "worst_stall"}`` (seconds), counting from the first answer. It stops on SIGTERM.

``worst`` is the longest wall-clock wait for an answer. On a shared machine that grows with the load: the
operator's event loop, and this probe, wait on the kernel's run queue for a core. ``worst_stall`` takes that time
out (Linux's /proc/<tid>/schedstat counts each thread's run-queue wait), so what is left is the time the operator
spent running or blocked without answering: a long callback or a blocking call on its loop. PID is the operator's
process; its main thread runs the loop (kopf.run). Without PID, or where schedstat is missing, ``worst_stall`` is
the wall-clock figure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SELF = Path("/proc/thread-self/schedstat")


def run_queue_wait(schedstat: Path | None) -> float:
    """Seconds the thread has waited for a core so far (0 where the kernel does not say)."""
    if schedstat is None:
        return 0.0
    try:
        return int(schedstat.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def main(url: str, out: Path, pid: int | None = None) -> None:
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    loop_thread = Path(f"/proc/{pid}/task/{pid}/schedstat") if pid else None
    answers = failures = 0
    worst = worst_stall = 0.0
    while not stopping:
        started, waited = time.monotonic(), run_queue_wait(loop_thread) + run_queue_wait(SELF)
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                response.read()
            answered = True
        except OSError:
            answered = False
        elapsed = time.monotonic() - started
        # Both threads may have waited at the same moment: the stall is never counted below zero.
        stall = max(0.0, elapsed - (run_queue_wait(loop_thread) + run_queue_wait(SELF) - waited))
        if answered or answers:  # before the first answer the endpoint is simply not up yet
            worst = max(worst, elapsed)
            worst_stall = max(worst_stall, stall)
            answers += answered
            failures += not answered
        partial = out.with_suffix(".tmp")
        figures = {"answers": answers, "failures": failures, "worst": worst, "worst_stall": worst_stall}
        partial.write_text(json.dumps(figures))
        os.replace(partial, out)
        time.sleep(0.05)


class HealthProbe:
    """This probe in a process of its own, for a test: ``with HealthProbe(url, tmp_path, pid) as probe``."""

    def __init__(self, url: str, directory: Path, pid: int) -> None:
        self.out = directory / "healthz.json"
        command = [sys.executable, "-m", "tests.integration.healthz_probe", url, str(self.out), str(pid)]
        self.process = subprocess.Popen(command, cwd=Path(__file__).parents[2])

    def __enter__(self) -> HealthProbe:
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(10)

    def figures(self) -> dict[str, float]:
        try:
            figures: dict[str, float] = json.loads(self.out.read_text())
        except (OSError, ValueError):
            return {"answers": 0, "failures": 0, "worst": 0.0, "worst_stall": 0.0}
        return figures

    @property
    def answers(self) -> float:
        return self.figures()["answers"]


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
