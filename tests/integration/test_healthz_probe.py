"""The /healthz probe the stall tests use: it sees a stalled loop, and does not blame the operator for the load.

The server stands in for the operator: a single-threaded HTTP server on its main thread that answers at once,
except once, when it holds its thread for a second (CPU or a blocking sleep). The probe must report that second
as a stall whatever the machine's load; pinned to one core beside CPU hogs, the wall-clock wait grows and the
stall does not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.backends.bind import free_port
from tests.harness import wait_for
from tests.integration.healthz_probe import HealthProbe

SERVER = """
import sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

mode, stall_at = sys.argv[2], int(sys.argv[3])
seen = 0

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        global seen
        seen += 1
        if seen == stall_at:
            if mode == "cpu":
                end = time.thread_time() + 1.0  # one second of this thread's own CPU, however long that takes
                while time.thread_time() < end:
                    pass
            else:
                time.sleep(1.0)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""

HOG = "while True: pass"


@contextmanager
def process(*args: str, cpu: int | None = None) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", *args])
    try:
        if cpu is not None:
            os.sched_setaffinity(child.pid, {cpu})
        yield child
    finally:
        child.kill()
        child.wait(10)


def probe_figures(tmp_path: Path, mode: str, hogs: int) -> dict[str, float]:
    port = free_port()
    cpu = min(os.sched_getaffinity(0))
    with process(SERVER, str(port), mode, "3", cpu=cpu) as server:
        hogging = [process(HOG, cpu=cpu) for _ in range(hogs)]
        for hog in hogging:
            hog.__enter__()
        try:
            with HealthProbe(f"http://127.0.0.1:{port}/healthz", tmp_path, server.pid) as probe:
                wait_for(lambda: probe.answers >= 6, timeout=120, what="answers past the stall", interval=0.1)
                return probe.figures()
        finally:
            for hog in hogging:
                hog.__exit__(None, None, None)


def test_a_blocking_call_on_the_loop_is_a_stall(tmp_path: Path) -> None:
    figures = probe_figures(tmp_path, "sleep", hogs=0)
    assert figures["failures"] == 0, figures
    assert figures["worst_stall"] >= 0.95, figures


def test_the_run_queue_wait_under_load_is_not_a_stall(tmp_path: Path) -> None:
    # Three CPU hogs on the server's core: its one second of CPU takes about four of wall time.
    figures = probe_figures(tmp_path, "cpu", hogs=3)
    assert figures["failures"] == 0, figures
    assert figures["worst"] >= 2.0, figures
    assert 0.95 <= figures["worst_stall"] <= figures["worst"] - 1.0, figures
