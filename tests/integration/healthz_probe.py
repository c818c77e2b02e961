"""Asks an operator's /healthz every 50 ms, as a kubelet would, from a process of its own.

A process of its own, so that what it measures is the operator's answer time, not the test process's own
interpreter lock (which the local API server and the test's DNS polling hold in turns). Run as
``python -m tests.integration.healthz_probe URL OUT``; after each probe it rewrites OUT with
``{"answers", "failures", "worst"}`` (seconds), counting from the first answer. It stops on SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path


def main(url: str, out: Path) -> None:
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    answers = failures = 0
    worst = 0.0
    while not stopping:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                response.read()
            answered = True
        except OSError:
            answered = False
        elapsed = time.monotonic() - started
        if answered or answers:  # before the first answer the endpoint is simply not up yet
            worst = max(worst, elapsed)
            answers += answered
            failures += not answered
        partial = out.with_suffix(".tmp")
        partial.write_text(json.dumps({"answers": answers, "failures": failures, "worst": worst}))
        os.replace(partial, out)
        time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
