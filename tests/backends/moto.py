"""A moto Route 53 server on a free loopback port, for tests and benchmarks.

moto runs in a thread of this process (ThreadedMotoServer): it starts in milliseconds and needs no binary. Its
state belongs to the process, not to the server: a new server would still hold every zone an earlier one was left
with, so :meth:`MotoServer.start` empties it, and between tests :meth:`MotoServer.reset` does (every hosted zone and
record goes). moto's gaps compared to
Route 53 are listed in shared/reference/test-backends.md §3 (not atomic on some errors, duplicate record sets
accepted, DELETE checked against its change journal).
"""

from __future__ import annotations

import socket
import time
import urllib.request
from types import TracebackType

from moto.server import ThreadedMotoServer

_READY_TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """Start, reset and stop an in-process moto server; ``url`` is its endpoint for ``endpoint_url``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        """Start the server, empty, and return once it answers HTTP."""
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self._wait_ready()
        self.reset()

    def reset(self) -> None:
        """Drop every resource moto holds (hosted zones, records, tags)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=5) as answer:
            answer.read()

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.02)  # polling for readiness, bounded by the deadline

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
