"""The operator's HTTP endpoint on --metrics-address: /metrics, /healthz (liveness) and /readyz (readiness).

/healthz answers 200 as long as the process serves requests, as ExternalDNS's does; /readyz turns 200 once the
initial listing is complete and every zone has been read from the provider.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


def parse_address(address: str) -> tuple[str, int]:
    """``:7979`` -> ("0.0.0.0", 7979); ``127.0.0.1:0`` -> ("127.0.0.1", 0)."""
    host, _, port = address.rpartition(":")
    return host or "0.0.0.0", int(port)


async def serve(address: str, ready: Callable[[], bool]) -> web.AppRunner:
    """Start the endpoint; the caller keeps the runner and calls ``cleanup()`` to stop it."""

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="OK")

    async def readyz(_: web.Request) -> web.Response:
        return web.Response(text="ready" if ready() else "not ready", status=200 if ready() else 503)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, port = parse_address(address)
    await web.TCPSite(runner, host, port).start()
    return runner
