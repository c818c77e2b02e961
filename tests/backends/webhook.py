"""A naive remote DNS provider behind ExternalDNS's webhook protocol, with faults injected on purpose.

Unlike our in-memory provider it keeps a plain list of records and accepts duplicates, as some real providers
do: creating a record that exists appends a second entry. So a client that sends the same create twice leaves a
trace a test can see. Faults:

* ``refuse``: names whose batch is answered 500 with nothing applied (a record the remote will not take);
* ``lose_answers``: the next N change batches are applied and then answered 500 (the answer is lost);
* ``fault_rate``: that share of all requests (negotiation excepted) fails, drawn from a seeded generator: half of
  the failed change batches are answered 500 before anything is applied, half after everything was applied.

Served on loopback by aiohttp; ``stats`` counts requests and injected faults.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from aiohttp import web

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import Endpoint, EndpointKey
from external_dns.providers.base import Changes
from external_dns.providers.webhook.wire import (
    MEDIA_TYPE,
    changes_from_json,
    decode,
    domain_filter_to_json,
    encode,
    endpoints_to_json,
)


@dataclass(slots=True)
class WebhookStats:
    """What the remote saw and did (mutable: the server counts into it)."""

    requests: int = 0
    change_batches: int = 0
    failed_before_applying: int = 0
    failed_after_applying: int = 0
    #: Failed GET /records and POST /adjustendpoints (they change nothing).
    failed_reads: int = 0


@dataclass(slots=True)
class ListWebhook:
    """See the module docstring. ``start`` it, point a client at :attr:`url`, ``stop`` it."""

    domain_filter: DomainFilter = field(default_factory=DomainFilter)
    records: list[Endpoint] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    lose_answers: int = 0
    fault_rate: float = 0.0
    seed: int = 0
    stats: WebhookStats = field(default_factory=WebhookStats)
    url: str = ""
    _random: random.Random = field(default_factory=random.Random)
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._random.seed(self.seed)
        app = web.Application()
        app.router.add_get("/", self._negotiate)
        app.router.add_get("/records", self._list)
        app.router.add_post("/records", self._apply)
        app.router.add_post("/adjustendpoints", self._adjust)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    def duplicates(self) -> list[EndpointKey]:
        """Keys listed more than once (a correct client never makes any)."""
        seen: set[EndpointKey] = set()
        repeated = []
        for record in self.records:
            if record.key in seen:
                repeated.append(record.key)
            seen.add(record.key)
        return repeated

    def by_key(self) -> dict[tuple[str, str], set[str]]:
        result: dict[tuple[str, str], set[str]] = {}
        for record in self.records:
            result.setdefault((record.dns_name, record.record_type), set()).update(record.targets)
        return result

    # -- handlers -------------------------------------------------------------------------------------------

    async def _negotiate(self, request: web.Request) -> web.Response:
        return _media(domain_filter_to_json(self.domain_filter))

    async def _list(self, request: web.Request) -> web.Response:
        self.stats.requests += 1
        if self._faulty():
            self.stats.failed_reads += 1
            return web.Response(status=500, text="injected fault")
        return _media(endpoints_to_json(self.records))

    async def _apply(self, request: web.Request) -> web.Response:
        self.stats.requests += 1
        self.stats.change_batches += 1
        changes = changes_from_json(decode(await request.read()))
        refused = [ep.dns_name for ep in (*changes.create, *changes.update_new) if ep.dns_name in self.refuse]
        if refused:
            return web.Response(status=500, text=f"refused: {', '.join(refused)}")
        if self.lose_answers > 0:
            self.lose_answers -= 1
            self._apply_changes(changes)
            self.stats.failed_after_applying += 1
            return web.Response(status=500, text="applied, then the answer was lost")
        if self._faulty():
            if self._random.random() < 0.5:
                self.stats.failed_before_applying += 1
                return web.Response(status=500, text="injected fault before applying")
            self._apply_changes(changes)
            self.stats.failed_after_applying += 1
            return web.Response(status=500, text="injected fault after applying")
        self._apply_changes(changes)
        return web.Response(status=204)

    async def _adjust(self, request: web.Request) -> web.Response:
        self.stats.requests += 1
        if self._faulty():
            self.stats.failed_reads += 1
            return web.Response(status=500, text="injected fault")
        return _media(decode(await request.read()))

    def _faulty(self) -> bool:
        return self.fault_rate > 0 and self._random.random() < self.fault_rate

    def _apply_changes(self, changes: Changes) -> None:
        """Deletes drop every entry at the key, updates replace them, creates append (duplicates and all)."""
        gone = {ep.key for ep in (*changes.delete, *changes.update_old)}
        self.records = [record for record in self.records if record.key not in gone]
        self.records.extend(ep.with_(labels={}, refs=()) for ep in (*changes.update_new, *changes.create))


def _media(payload: object) -> web.Response:
    return web.Response(body=encode(payload), headers={"Content-Type": MEDIA_TYPE})
