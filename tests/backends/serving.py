"""What the HTTP fakes of cloud APIs share: one catch-all aiohttp server on 127.0.0.1, and a fault queue."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from aiohttp import web


class CatchAllServer:
    """Serves every path with :meth:`handle` on a free port of 127.0.0.1 (HTTPS when given a context)."""

    url = ""
    _runner: web.AppRunner | None = None

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ssl_context).start()
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError


class Matching(Protocol):
    method: str
    path_end: str


F = TypeVar("F", bound=Matching)


@dataclass
class FaultQueue(Generic[F]):
    """Faults answered instead of serving: each queued one once, the outage until it is cleared."""

    queued: list[F] = field(default_factory=list)
    outage: F | None = None

    def add(self, fault: F, times: int = 1) -> None:
        self.queued.extend([fault] * times)

    def take(self, method: str, path: str) -> F | None:
        fault = next((f for f in self.queued if f.method == method and path.endswith(f.path_end)), None)
        if fault is not None:
            self.queued.remove(fault)
            return fault
        outage = self.outage
        return outage if outage is not None and outage.method == method and path.endswith(outage.path_end) else None
