"""A front for moto's Route 53 that answers like the real service at its limits (benchmarks only).

moto accepts any number of requests per second and any batch size; Route 53 does not. This HTTP proxy sits
between a client and moto's server and enforces what Route 53 documents:

* 5 requests per second per account (all API operations together): past that, HTTP 400 with code ``Throttling``
  ("Rate exceeded"), as Route 53 answers;
* one change batch at a time per hosted zone: a ChangeResourceRecordSets that arrives while another one on the
  same zone is still being applied gets HTTP 400 ``PriorRequestNotComplete``;
* per ChangeResourceRecordSets: at most 1,000 changes (Change elements), 1,000 values (ResourceRecord elements)
  and 32,000 characters of values, an UPSERT counting twice: past that, HTTP 400 ``InvalidChangeBatch``.

Every request is counted by operation and outcome (``accepted``, ``throttled``, ``prior-request``, ``invalid``),
so a benchmark can compare the calls a client made with the floor the limits allow.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import aiohttp.web

NS = "{https://route53.amazonaws.com/doc/2013-04-01/}"
MAX_CHANGES = 1000
MAX_VALUES = 1000
MAX_VALUE_CHARACTERS = 32000


def operation_of(method: str, path: str) -> str:
    """The Route 53 operation a REST request is (the names in the API reference)."""
    parts = [part for part in path.split("/") if part][1:]  # drop the API version
    if parts[:1] == ["hostedzone"]:
        if len(parts) == 1:
            return "ListHostedZones" if method == "GET" else "CreateHostedZone"
        if len(parts) == 2:
            return "GetHostedZone" if method == "GET" else "DeleteHostedZone"
        if parts[2] == "rrset":
            return "ListResourceRecordSets" if method == "GET" else "ChangeResourceRecordSets"
    if parts[:1] == ["tags"]:
        return "ListTagsForResources" if method == "POST" else "ListTagsForResource"
    if parts[:1] == ["change"]:
        return "GetChange"
    return f"{method} {'/'.join(parts[:1])}"


def error_body(code: str, message: str) -> str:
    return (
        '<?xml version="1.0"?>\n'
        f'<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )


def batch_problem(body: bytes) -> str:
    """Why Route 53 would refuse this ChangeResourceRecordSets body ("" when it fits its limits)."""
    root = ElementTree.fromstring(body)
    changes = root.findall(f".//{NS}Change")
    values = 0
    characters = 0
    for change in changes:
        weight = 2 if (change.findtext(f"{NS}Action") or "") == "UPSERT" else 1
        for value in change.iter(f"{NS}Value"):
            values += weight
            characters += weight * len(value.text or "")
    if len(changes) > MAX_CHANGES:
        return f"Number of changes {len(changes)} exceeds the limit of {MAX_CHANGES}"
    if values > MAX_VALUES:
        return f"Number of records limit of {MAX_VALUES} exceeded ({values})"
    if characters > MAX_VALUE_CHARACTERS:
        return f"Value elements hold {characters} characters, more than {MAX_VALUE_CHARACTERS}"
    return ""


def change_info() -> str:
    """ChangeResourceRecordSets' answer: the change is PENDING, as Route 53 says at first."""
    return (
        '<?xml version="1.0"?>\n'
        '<ChangeResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo>'
        f"<Id>/change/C{uuid.uuid4().hex[:12].upper()}</Id><Status>PENDING</Status>"
        "<SubmittedAt>2026-12-01T00:00:00.000Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>"
    )


@dataclass
class TokenBucket:
    """``rate`` requests per second, bursts of ``burst``: Route 53's per-account limit."""

    rate: float
    burst: float
    tokens: float = 0.0
    stamp: float = 0.0

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class Route53Front:
    """The proxy: ``url`` for the client's endpoint_url, ``calls`` counted by (operation, outcome)."""

    upstream: str
    rate: float = 5.0
    burst: float = 5.0
    #: Accept change batches that pass the limits without forwarding them (moto's time per batch then drops out of
    #: a run, leaving the client's own pacing and planning; nothing is written).
    sink_changes: bool = False
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: seconds moto took to answer, by operation (the part of a run that is moto's, not the rate limit's)
    upstream_seconds: Counter[str] = field(default_factory=Counter)
    url: str = ""
    #: loop times of the first request and of the last accepted change batch (the API-bound part of a run)
    first_at: float = 0.0
    last_change_at: float = 0.0
    _busy_zones: set[str] = field(default_factory=set)
    _bucket: TokenBucket | None = None
    _session: aiohttp.ClientSession | None = None

    async def handle(self, request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        operation = operation_of(request.method, request.path)
        body = await request.read()
        assert self._bucket is not None
        now = asyncio.get_running_loop().time()
        self.first_at = self.first_at or now
        if not self._bucket.take(now):
            return self._refuse(operation, "throttled", "Throttling", "Rate exceeded")
        zone = request.path.split("/")[3] if operation == "ChangeResourceRecordSets" else ""
        if zone:
            problem = batch_problem(body)
            if problem:
                return self._refuse(operation, "invalid", "InvalidChangeBatch", problem)
            if zone in self._busy_zones:
                message = "The request was rejected because Route 53 was still processing a prior request."
                return self._refuse(operation, "prior-request", "PriorRequestNotComplete", message)
            if self.sink_changes:
                self.calls[(operation, "accepted")] += 1
                self.last_change_at = asyncio.get_running_loop().time()
                return aiohttp.web.Response(status=200, text=change_info(), content_type="text/xml")
            self._busy_zones.add(zone)
        try:
            return await self._forward(request, body, operation)
        finally:
            self._busy_zones.discard(zone)

    def _refuse(self, operation: str, outcome: str, code: str, message: str) -> aiohttp.web.Response:
        self.calls[(operation, outcome)] += 1
        return aiohttp.web.Response(status=400, text=error_body(code, message), content_type="text/xml")

    async def _forward(self, request: aiohttp.web.Request, body: bytes, operation: str) -> aiohttp.web.Response:
        assert self._session is not None
        started = asyncio.get_running_loop().time()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as answer:
            payload = await answer.read()
            self.calls[(operation, "accepted")] += 1
            self.upstream_seconds[operation] += asyncio.get_running_loop().time() - started
            if operation == "ChangeResourceRecordSets":
                self.last_change_at = asyncio.get_running_loop().time()
            content_type = answer.headers.get("Content-Type", "text/xml").split(";")[0]
            return aiohttp.web.Response(status=answer.status, body=payload, content_type=content_type)

    def accepted(self, operation: str | None = None) -> int:
        return sum(n for (op, outcome), n in self.calls.items() if outcome == "accepted" and operation in (None, op))

    def refused(self) -> int:
        return sum(n for (_, outcome), n in self.calls.items() if outcome != "accepted")


class Route53FrontThread:
    """Serve a :class:`Route53Front` on 127.0.0.1 from a thread of its own (the client may block its loop)."""

    def __init__(self, front: Route53Front) -> None:
        self.front = front
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), name="route53-front", daemon=True)

    def __enter__(self) -> Route53Front:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Route 53 front did not start")
        return self.front

    def __exit__(self, *_: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        front = self.front
        front._bucket = TokenBucket(front.rate, front.burst, tokens=front.burst, stamp=self._loop.time())
        app = aiohttp.web.Application(client_max_size=16 * 2**20)
        app.router.add_route("*", "/{tail:.*}", front.handle)
        runner = aiohttp.web.AppRunner(app, access_log=None)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await aiohttp.web.SockSite(runner, sock).start()
        front.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        async with aiohttp.ClientSession() as session:
            front._session = session
            self._ready.set()
            await self._stop.wait()
        await runner.cleanup()
