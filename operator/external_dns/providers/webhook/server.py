"""Webhook server: any provider of ours served over ExternalDNS's webhook protocol (``external-dns webhook-serve``).

This lets an unmodified ExternalDNS (``--provider=webhook``) use our providers, and lets our webhook client be
tested against a real server. Routes, as ``provider/webhook/api/httpapi.go`` serves them:

* ``GET /``: negotiation; ``Content-Type`` is the media type, the body the domain filter JSON: the configured
  one (``--domain-filter``...) when it names domains, else the provider's zones, never ``{}`` for a provider
  that has zones (a client would take ``{}`` as "every name" and the world as one zone).
* ``GET /records``: every record of every zone the provider serves (200, JSON array).
* ``POST /records``: a change batch (204). The protocol is whole-world but our providers work per zone, so each
  change goes to the most specific zone containing its name (``update_old[i]`` follows ``update_new[i]``).
  A provider error answers 500 with its message; endpoints the provider rejected (or that no zone holds)
  answer 500 naming each of them, after the rest of the batch was applied.
* ``POST /adjustendpoints``: the provider's canonical form of the endpoints (200, JSON array).
* ``GET /healthz``: 200 once serving.

Headers follow the webhook server library most webhooks use (``pkg/webhook`` of the provider template): an
``Accept`` that excludes the media type answers 406 (a missing ``Accept``, ``*/*`` or ``application/*`` is
fine: upstream's own server checks nothing, so be lenient), a POST whose ``Content-Type`` is not exactly the
media type answers 415. A body over ``max_body_size`` answers 413. Responses carry ``Vary: Content-Type``,
which ExternalDNS up to v0.14 required in the negotiation.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import Endpoint
from external_dns.errors import ConfigError, ProviderError
from external_dns.providers.base import Changes, Provider, Zone
from external_dns.providers.webhook.wire import (
    MEDIA_TYPE,
    WebhookJSONError,
    changes_from_json,
    decode,
    domain_filter_to_json,
    encode,
    endpoints_from_json,
    endpoints_to_json,
)

if TYPE_CHECKING:
    from external_dns.config import Settings

logger = logging.getLogger(__name__)

#: ExternalDNS's default --webhook-provider-max-body-size.
DEFAULT_MAX_BODY_SIZE = 33554432

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebhookServer:
    """Serves one provider over the webhook protocol on an aiohttp site (see the module docstring)."""

    def __init__(
        self,
        provider: Provider,
        domain_filter: DomainFilter | None = None,
        *,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        dry_run: bool = False,
    ) -> None:
        self.provider = provider
        #: Log the change batches instead of applying them (``webhook-serve --dry-run``): providers have no
        #: dry-run mode of their own, the operator's reconciler and this server are the only callers that need one.
        self.dry_run = dry_run
        self.domain_filter = domain_filter if domain_filter is not None else DomainFilter()
        self._max_body_size = max_body_size
        self._runner: web.AppRunner | None = None
        self._url = ""

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server (the real port when started on port 0)."""
        if not self._url:
            raise RuntimeError("the webhook server is not started")
        return self._url

    async def start(self, host: str = "127.0.0.1", port: int = 8888) -> None:
        """Listen on ``host:port`` (port 0 picks a free one; see :attr:`url`)."""
        # 0 means unlimited, as for ExternalDNS's flag; aiohttp needs a number.
        app = web.Application(client_max_size=self._max_body_size or sys.maxsize)
        app.router.add_get("/", self._guarded(self._negotiate, post=False))
        app.router.add_get("/records", self._guarded(self._records, post=False))
        app.router.add_post("/records", self._guarded(self._apply_changes, post=True))
        app.router.add_post("/adjustendpoints", self._guarded(self._adjust_endpoints, post=True))
        app.router.add_get("/healthz", self._healthz)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        bound = runner.addresses[0]
        display_host = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self._url = f"http://{display_host}:{bound[1]}"
        logger.info("Serving the %s provider over the webhook protocol on %s", self.provider.name, self._url)

    async def stop(self) -> None:
        """Stop listening (requests in flight are finished first by aiohttp's cleanup)."""
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._url = ""

    # -- handlers ----------------------------------------------------------------------------------------

    async def _negotiate(self, request: web.Request) -> web.Response:
        return _media_response(200, domain_filter_to_json(await self.announced_filter()))

    async def announced_filter(self) -> DomainFilter:
        """What ``GET /`` announces: the configured filter when it names domains, else the provider's zones (as
        ExternalDNS's providers do in ``GetDomainFilter``), so that a client need not send it every name."""
        if self.domain_filter.is_configured:
            return self.domain_filter
        zones = await self.provider.zones()
        names = tuple(zone.name for zone in zones if zone.name)
        if not names or len(names) < len(zones):
            # A root zone holds every name: there is nothing narrower to announce.
            logger.warning("The %s provider serves the root zone: announcing no domain filter", self.provider.name)
            return self.domain_filter
        return DomainFilter(include=names, exclude=self.domain_filter.exclude)

    async def _records(self, request: web.Request) -> web.Response:
        endpoints: list[Endpoint] = []
        for zone in await self.provider.zones():
            endpoints.extend(await self.provider.records(zone))
        return _media_response(200, endpoints_to_json(endpoints))

    async def _apply_changes(self, request: web.Request) -> web.Response:
        changes = changes_from_json(decode(await request.read()))
        if self.dry_run:
            for action, endpoints in (
                ("CREATE", changes.create),
                ("UPDATE", changes.update_new),
                ("DELETE", changes.delete),
            ):
                for endpoint in endpoints:
                    logger.info("DRY-RUN %s %s", action, endpoint.describe())
            return web.Response(status=204, headers={"Vary": "Content-Type"})
        batches, failed = _split_by_zone(await self.provider.zones(), changes)
        for zone, batch in batches:
            outcome = await self.provider.apply_changes(zone, batch)
            failed.extend(outcome.failed)
        if failed:
            lines = [f"{endpoint.describe()}: {message}" for endpoint, message in failed]
            logger.warning("Webhook changes partly failed: %s", "; ".join(lines))
            return _text_response(500, "failed to apply:\n" + "\n".join(lines))
        return web.Response(status=204, headers={"Vary": "Content-Type"})

    async def _adjust_endpoints(self, request: web.Request) -> web.Response:
        endpoints = endpoints_from_json(decode(await request.read()))
        return _media_response(200, endpoints_to_json(self.provider.adjust_endpoints(endpoints)))

    async def _healthz(self, request: web.Request) -> web.Response:
        return _text_response(200, "ok")

    def _guarded(self, handler: Handler, *, post: bool) -> Handler:
        """The handler behind the header checks, with bad bodies and provider failures turned into statuses."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            if not _accepts_media_type(request.headers.get("Accept", "")):
                return _text_response(406, f"client must accept {MEDIA_TYPE}")
            if post and _normalised(request.headers.get("Content-Type", "")) != _normalised(MEDIA_TYPE):
                return _text_response(415, f"client must send Content-Type {MEDIA_TYPE}")
            try:
                return await handler(request)
            except WebhookJSONError as error:
                return _text_response(400, f"invalid request body: {error}")
            except ProviderError as error:
                logger.warning("Webhook %s %s failed: %s", request.method, request.path, error)
                return _text_response(500, str(error))

        return guarded


def _split_by_zone(
    zones: Sequence[Zone], changes: Changes
) -> tuple[list[tuple[Zone, Changes]], list[tuple[Endpoint, str]]]:
    """One batch per zone (the most specific zone holding each name) and the endpoints no zone holds."""
    batches: dict[Zone, Changes] = {}
    orphans: list[tuple[Endpoint, str]] = []

    def batch_for(endpoint: Endpoint) -> Changes | None:
        holding = [zone for zone in zones if zone.contains(endpoint.dns_name)]
        if not holding:
            orphans.append((endpoint, "no zone of the provider holds this name"))
            return None
        zone = max(holding, key=lambda candidate: len(candidate.name))
        return batches.setdefault(zone, Changes())

    for endpoint in changes.create:
        if (batch := batch_for(endpoint)) is not None:
            batch.create.append(endpoint)
    for old, new in zip(changes.update_old, changes.update_new, strict=True):
        if (batch := batch_for(new)) is not None:
            batch.update_old.append(old)
            batch.update_new.append(new)
    for endpoint in changes.delete:
        if (batch := batch_for(endpoint)) is not None:
            batch.delete.append(endpoint)
    return list(batches.items()), orphans


def _media_response(status: int, payload: object) -> web.Response:
    # Set as a raw header: aiohttp's content_type= would add a charset, and ExternalDNS compares exactly.
    return web.Response(
        status=status, body=encode(payload), headers={"Content-Type": MEDIA_TYPE, "Vary": "Content-Type"}
    )


def _text_response(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", headers={"Vary": "Content-Type"})


def _accepts_media_type(accept: str) -> bool:
    """Lenient Accept check: absent, a wildcard covering the media type, or the media type itself."""
    if not accept.strip():
        return True
    wanted = _normalised(MEDIA_TYPE)
    for media_range in accept.split(","):
        value = _normalised(media_range)
        if value.split(";", 1)[0] in ("*/*", "application/*") or value == wanted:
            return True
    return False


def _normalised(media_type: str) -> str:
    """Lower-cased, without spaces around ``;`` and ``=``, so ``...+json; version=1`` equals the media type."""
    return ";".join(part.strip().replace(" ", "") for part in media_type.lower().split(";"))


# -- the webhook-serve command -------------------------------------------------------------------------


def serve(settings: Settings, listen: str = "127.0.0.1:8888") -> int:
    """Serve ``--provider`` over the webhook protocol on ``listen`` until SIGINT/SIGTERM; the exit code."""
    from external_dns import factory  # here, not at the top: factory imports the reconciler's world

    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    try:
        provider = factory.provider(settings)
    except ConfigError as error:
        print(f"external-dns: error: {error}", file=sys.stderr)
        return 2
    server = WebhookServer(provider, factory.domain_filter(settings), dry_run=settings.dry_run)
    try:
        asyncio.run(_serve_until_signalled(server, host, int(port)))
    except OSError as error:
        print(f"external-dns: error: cannot listen on {listen}: {error}", file=sys.stderr)
        return 1
    return 0


async def _serve_until_signalled(server: WebhookServer, host: str, port: int) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await server.start(host, port)
        print(f"serving the {server.provider.name} provider on {server.url}", file=sys.stderr, flush=True)
        await stopping.wait()
    finally:
        await server.stop()
        await server.provider.close()
