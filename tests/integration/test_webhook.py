"""The webhook provider against real HTTP servers on loopback: our webhook server in front of the in-memory
provider for the protocol round trips, and tiny aiohttp servers that misbehave on purpose for the error mapping."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint
from external_dns.errors import ProviderError, TransientProviderError
from external_dns.providers.base import Changes, Zone
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.providers.webhook.provider import NEGOTIATION_TRIES, Call, WebhookConfig, WebhookProvider
from external_dns.providers.webhook.server import WebhookServer
from external_dns.providers.webhook.wire import MEDIA_TYPE, encode

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhook"
ROOT = Zone(name="")
OWNERSHIP = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/api"'
ZONE_FILTER = DomainFilter(include=("example.com", "example.org"))

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# -- fixtures --------------------------------------------------------------------------------------------


@pytest.fixture
def inmemory() -> InMemoryProvider:
    return InMemoryProvider(["example.com", "example.org"])


@pytest.fixture
async def server(inmemory: InMemoryProvider) -> AsyncIterator[WebhookServer]:
    webhook = WebhookServer(inmemory, ZONE_FILTER, max_body_size=4096)
    await webhook.start("127.0.0.1", 0)
    try:
        yield webhook
    finally:
        await webhook.stop()


@pytest.fixture
async def client(server: WebhookServer) -> AsyncIterator[WebhookProvider]:
    provider = WebhookProvider(WebhookConfig(url=server.url, read_timeout=5, write_timeout=5))
    try:
        yield provider
    finally:
        await provider.close()


class FakeWebhook:
    """A tiny server whose every route is a handler the test gives; remembers the requests it got."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, routes: dict[tuple[str, str], Handler]) -> str:
        async def dispatch(request: web.Request) -> web.StreamResponse:
            self.requests.append((request.method, request.path, dict(request.headers), await request.read()))
            handler = routes.get((request.method, request.path))
            return await handler(request) if handler else web.Response(status=404)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", dispatch)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def paths(self) -> list[str]:
        return [f"{method} {path}" for method, path, _, _ in self.requests]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWebhook]:
    webhook = FakeWebhook()
    try:
        yield webhook
    finally:
        await webhook.stop()


async def negotiation_ok(request: web.Request) -> web.Response:
    return media(200, {"include": ["example.com"]})


def media(status: int, payload: object) -> web.Response:
    return web.Response(status=status, body=encode(payload), headers={"Content-Type": MEDIA_TYPE})


def reply(status: int, text: str = "") -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=text)

    return handler


def fast_client(
    url: str,
    delays: list[float] | None = None,
    *,
    read_timeout: float = 5.0,
    write_timeout: float = 5.0,
    max_body_size: int = 33554432,
) -> WebhookProvider:
    """A client whose backoff sleeps only record the delay, so retry tests take no time."""

    async def sleep(delay: float) -> None:
        if delays is not None:
            delays.append(delay)

    config = WebhookConfig(url, read_timeout, write_timeout, max_body_size)
    return WebhookProvider(config, backoff_seconds=0.5, sleep=sleep)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- the protocol against our server ---------------------------------------------------------------------


async def test_negotiation_returns_one_root_zone_and_the_servers_domain_filter(client: WebhookProvider) -> None:
    assert await client.zones() == [ROOT]
    assert await client.zones() == [ROOT]
    assert client.domain_filter == ZONE_FILTER
    assert client.counters.requests[Call.NEGOTIATE] == 1, "negotiation happens once, on first use"


async def test_negotiation_answer_has_the_exact_media_type_and_vary_header(server: WebhookServer) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.url + "/", headers={"Accept": MEDIA_TYPE}) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"] == MEDIA_TYPE
        assert response.headers["Vary"] == "Content-Type"
        assert await response.read() == b'{"include":["example.com","example.org"]}\n'


async def test_records_lists_every_zone_including_quoted_ownership_txt(
    client: WebhookProvider, inmemory: InMemoryProvider
) -> None:
    inmemory.seed("example.com", [Endpoint("api.example.com", "A", ("192.0.2.1",), ttl=300)])
    inmemory.seed("example.com", [Endpoint("a-api.example.com", "TXT", (OWNERSHIP,))])
    inmemory.seed("example.org", [Endpoint("www.example.org", "CNAME", ("api.example.com",))])
    assert sorted(await client.records(ROOT), key=lambda e: e.dns_name) == [
        Endpoint("a-api.example.com", "TXT", (OWNERSHIP,)),
        Endpoint("api.example.com", "A", ("192.0.2.1",), ttl=300),
        Endpoint("www.example.org", "CNAME", ("api.example.com",)),
    ]


async def test_create_update_delete_round_trip_with_ownership_txt(
    client: WebhookProvider, inmemory: InMemoryProvider
) -> None:
    record = Endpoint("api.example.com", "A", ("192.0.2.1",), labels={"owner": "default"})
    txt = Endpoint("a-api.example.com", "TXT", (OWNERSHIP,), labels={OWNED_RECORD_LABEL: "api.example.com"})
    other = Endpoint("www.example.org", "CNAME", ("api.example.com",), ttl=60)
    zone = (await client.zones())[0]

    created = await client.apply_changes(zone, Changes(create=[record, txt, other]))
    assert created.failed == []
    assert inmemory.snapshot() == {
        "example.com": (txt.with_(labels={}), record.with_(labels={})),
        "example.org": (other,),
    }

    moved = record.with_(targets=("192.0.2.2",))
    await client.apply_changes(zone, Changes(update_old=[record], update_new=[moved]))
    assert moved.with_(labels={}) in await client.records(zone)

    await client.apply_changes(zone, Changes(delete=[moved, txt, other]))
    assert await client.records(zone) == []
    assert client.counters.errors == dict.fromkeys(Call, 0)


async def test_rejected_endpoints_fail_alone_while_the_rest_is_applied(
    client: WebhookProvider, inmemory: InMemoryProvider
) -> None:
    inmemory.seed("example.com", [Endpoint("taken.example.com", "A", ("192.0.2.1",))])
    batch = Changes(
        create=[
            Endpoint("taken.example.com", "A", ("192.0.2.9",)),
            Endpoint("fresh.example.com", "A", ("192.0.2.2",)),
            Endpoint("elsewhere.example.net", "A", ("192.0.2.3",)),
        ]
    )
    outcome = await client.apply_changes(ROOT, batch)

    failed = {endpoint.dns_name: message for endpoint, message in outcome.failed}
    assert set(failed) == {"taken.example.com", "elsewhere.example.net"}, "the written record is not blamed"
    assert "already exists" in failed["taken.example.com"]
    assert "no zone" in failed["elsewhere.example.net"]
    assert Endpoint("fresh.example.com", "A", ("192.0.2.2",)) in inmemory.snapshot()["example.com"]
    assert inmemory.calls.apply_changes <= 4, "fresh.example.com was not sent again once it was seen applied"


async def test_an_empty_batch_sends_no_request(client: WebhookProvider, inmemory: InMemoryProvider) -> None:
    same = Endpoint("api.example.com", "A", ("192.0.2.1",))
    await client.apply_changes(ROOT, Changes(update_old=[same], update_new=[same]))
    assert client.counters.requests[Call.APPLY_CHANGES] == 0
    assert inmemory.calls.apply_changes == 0


async def test_adjustendpoints_round_trips_through_the_server(client: WebhookProvider) -> None:
    desired = [Endpoint("api.example.com", "A", ("192.0.2.1",), ttl=30, provider_specific={"alias": "false"})]
    assert await client.adjust_endpoints_remote(desired) == desired


async def test_adjustendpoints_returns_the_remote_canonical_form(fake: FakeWebhook) -> None:
    response = (FIXTURES / "adjustendpoints_response.json").read_bytes()

    async def adjusted(request: web.Request) -> web.Response:
        return web.Response(status=200, body=response, headers={"Content-Type": MEDIA_TYPE})

    url = await fake.start({("GET", "/"): negotiation_ok, ("POST", "/adjustendpoints"): adjusted})
    client = fast_client(url)
    try:
        desired = [
            Endpoint("api.example.com", "A", ("203.0.113.10",), provider_specific={"webhook/proxied": "true"}),
        ]
        result = await client.adjust_endpoints_remote(desired)
    finally:
        await client.close()
    assert result[0] == desired[0].with_(ttl=300, labels={"resource": "service/default/api"})
    _, _, headers, body = fake.requests[-1]
    assert headers["Content-Type"] == MEDIA_TYPE and headers["Accept"] == MEDIA_TYPE
    assert json.loads(body) == [
        {
            "dnsName": "api.example.com",
            "targets": ["203.0.113.10"],
            "recordType": "A",
            "providerSpecific": [{"name": "webhook/proxied", "value": "true"}],
        }
    ]


async def test_only_slashless_and_webhook_properties_are_forwarded(fake: FakeWebhook) -> None:
    url = await fake.start({("GET", "/"): negotiation_ok, ("POST", "/records"): reply(204)})
    client = fast_client(url)
    endpoint = Endpoint(
        "api.example.com",
        "A",
        ("192.0.2.1",),
        provider_specific={"alias": "true", "webhook/weight": "5", "aws/weight": "10", "cloudflare/proxied": "1"},
    )
    try:
        assert client.adjust_endpoints([endpoint]) == [
            endpoint.with_(provider_specific={"alias": "true", "webhook/weight": "5"})
        ]
        await client.apply_changes(ROOT, Changes(create=[endpoint]))
    finally:
        await client.close()
    method, path, headers, body = fake.requests[-1]
    assert (method, path, headers["Content-Type"]) == ("POST", "/records", MEDIA_TYPE)
    assert json.loads(body)["create"][0]["providerSpecific"] == [
        {"name": "alias", "value": "true"},
        {"name": "webhook/weight", "value": "5"},
    ]


# -- error mapping against misbehaving servers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(503, TransientProviderError, id="503 is a transient error"),
        pytest.param(500, TransientProviderError, id="500 is a transient error"),
        pytest.param(510, TransientProviderError, id="510 is still a transient error"),
        pytest.param(511, ProviderError, id="511 is a hard error"),
        pytest.param(400, ProviderError, id="400 is a hard error"),
        pytest.param(404, ProviderError, id="404 is a hard error"),
    ],
)
async def test_records_status_maps_to_the_error_class(
    fake: FakeWebhook, status: int, error: type[ProviderError]
) -> None:
    url = await fake.start({("GET", "/"): negotiation_ok, ("GET", "/records"): reply(status, "backend down")})
    client = fast_client(url)
    try:
        with pytest.raises(ProviderError) as raised:
            await client.records(ROOT)
    finally:
        await client.close()
    assert type(raised.value) is error
    assert f"HTTP {status}" in str(raised.value) and "backend down" in str(raised.value)
    assert client.counters.errors[Call.RECORDS] == 1


async def test_apply_answered_200_instead_of_204_is_a_hard_error(fake: FakeWebhook) -> None:
    url = await fake.start({("GET", "/"): negotiation_ok, ("POST", "/records"): reply(200)})
    client = fast_client(url)
    try:
        with pytest.raises(ProviderError) as raised:
            await client.apply_changes(ROOT, Changes(create=[Endpoint("a.example.com", "A", ("192.0.2.1",))]))
    finally:
        await client.close()
    assert type(raised.value) is ProviderError and "expected 204" in str(raised.value)


async def test_negotiation_retries_server_errors_with_backoff_then_succeeds(fake: FakeWebhook) -> None:
    answers = iter([503, 502])

    async def flaky(request: web.Request) -> web.Response:
        status = next(answers, 200)
        return media(200, {"include": ["example.com"]}) if status == 200 else web.Response(status=status)

    delays: list[float] = []
    client = fast_client(await fake.start({("GET", "/"): flaky}), delays)
    try:
        assert await client.zones() == [ROOT]
    finally:
        await client.close()
    assert client.domain_filter == DomainFilter(include=("example.com",))
    assert fake.paths() == ["GET /"] * 3
    assert delays == [0.5, 1.0]
    _, _, headers, _ = fake.requests[0]
    assert headers["Accept"] == MEDIA_TYPE


async def test_negotiation_gives_up_after_five_tries_as_a_transient_error(fake: FakeWebhook) -> None:
    client = fast_client(await fake.start({("GET", "/"): reply(503)}))
    try:
        with pytest.raises(TransientProviderError, match="after 5 attempts"):
            await client.zones()
    finally:
        await client.close()
    assert len(fake.requests) == NEGOTIATION_TRIES == 5


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(301, id="a redirect is not followed and fails at once"),
        pytest.param(404, id="not found fails at once"),
        pytest.param(401, id="unauthorized fails at once"),
    ],
)
async def test_negotiation_client_errors_fail_at_once_naming_url_and_status(fake: FakeWebhook, status: int) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": "/elsewhere"})

    url = await fake.start({("GET", "/"): answer})
    client = fast_client(url)
    try:
        with pytest.raises(ProviderError) as raised:
            await client.zones()
    finally:
        await client.close()
    assert type(raised.value) is ProviderError
    assert url in str(raised.value) and f"HTTP {status}" in str(raised.value)
    assert fake.paths() == ["GET /"]


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("application/json", id="plain JSON"),
        pytest.param("application/external.dns.webhook+json; version=1", id="the media type with a space"),
        pytest.param("application/external.dns.webhook+json;version=2", id="another protocol version"),
    ],
)
async def test_negotiation_refuses_any_other_content_type(fake: FakeWebhook, content_type: str) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=200, body=b"{}", headers={"Content-Type": content_type})

    client = fast_client(await fake.start({("GET", "/"): answer}))
    try:
        with pytest.raises(ProviderError, match="Content-Type"):
            await client.zones()
    finally:
        await client.close()
    assert not client.negotiated


async def test_negotiation_with_an_invalid_domain_filter_is_a_provider_error(fake: FakeWebhook) -> None:
    async def answer(request: web.Request) -> web.Response:
        return media(200, {"include": ["example.com"], "regexInclude": "x"})

    client = fast_client(await fake.start({("GET", "/"): answer}))
    try:
        with pytest.raises(ProviderError, match="invalid negotiate response"):
            await client.zones()
    finally:
        await client.close()


async def test_connection_refused_is_transient_after_every_try() -> None:
    delays: list[float] = []
    client = fast_client(f"http://127.0.0.1:{free_port()}", delays)
    try:
        with pytest.raises(TransientProviderError, match="after 5 attempts"):
            await client.zones()
    finally:
        await client.close()
    assert delays == [0.5, 1.0, 2.0, 4.0]
    assert client.counters.errors[Call.NEGOTIATE] == 5


async def test_a_webhook_that_does_not_answer_in_time_is_a_transient_error(fake: FakeWebhook) -> None:
    never = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response(status=200)

    url = await fake.start({("GET", "/"): negotiation_ok, ("GET", "/records"): hang})
    client = fast_client(url, read_timeout=0.2, write_timeout=0.1)
    try:
        with pytest.raises(TransientProviderError, match="TimeoutError"):
            await asyncio.wait_for(client.records(ROOT), timeout=5)
    finally:
        never.set()
        await client.close()


async def test_a_response_over_the_body_limit_is_refused(fake: FakeWebhook) -> None:
    big = [{"dnsName": f"n{i}.example.com", "recordType": "A", "targets": ["192.0.2.1"]} for i in range(100)]

    async def records(request: web.Request) -> web.Response:
        return media(200, big)

    url = await fake.start({("GET", "/"): negotiation_ok, ("GET", "/records"): records})
    client = fast_client(url, max_body_size=1000)
    try:
        with pytest.raises(ProviderError, match="1000-byte limit"):
            await client.records(ROOT)
    finally:
        await client.close()


# -- the server's own checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status"),
    [
        pytest.param("GET", "/records", {}, b"", 200, id="a GET without Accept is served"),
        pytest.param("GET", "/records", {"Accept": "*/*"}, b"", 200, id="a GET accepting anything is served"),
        pytest.param("GET", "/records", {"Accept": "text/html"}, b"", 406, id="a GET accepting only HTML gets 406"),
        pytest.param("GET", "/", {"Accept": "application/json"}, b"", 406, id="a negotiation for plain JSON gets 406"),
        pytest.param("POST", "/records", {"Content-Type": "application/json"}, b"{}", 415, id="a JSON POST gets 415"),
        pytest.param("POST", "/records", {}, b"{}", 415, id="a POST without Content-Type gets 415"),
        pytest.param(
            "POST", "/records", {"Content-Type": MEDIA_TYPE}, b"{}", 204, id="an empty batch with the media type is 204"
        ),
        pytest.param(
            "POST",
            "/records",
            {"Content-Type": "application/external.dns.webhook+json; version=1"},
            b"{}",
            204,
            id="a Content-Type with a space before the version is accepted",
        ),
        pytest.param("POST", "/records", {"Content-Type": MEDIA_TYPE}, b"{nope", 400, id="malformed JSON gets 400"),
        pytest.param(
            "POST",
            "/adjustendpoints",
            {"Content-Type": MEDIA_TYPE},
            b"{}",
            400,
            id="an adjust body not a list gets 400",
        ),
        pytest.param(
            "POST", "/records", {"Content-Type": MEDIA_TYPE}, b" " * 5000, 413, id="a body over the limit gets 413"
        ),
        pytest.param("GET", "/healthz", {}, b"", 200, id="healthz answers 200"),
    ],
)
async def test_server_checks_headers_and_bodies(
    server: WebhookServer, method: str, path: str, headers: dict[str, str], body: bytes, status: int
) -> None:
    async with (
        aiohttp.ClientSession(skip_auto_headers={"Accept", "Content-Type"}) as session,
        session.request(method, server.url + path, headers=headers, data=body or None) as response,
    ):
        assert response.status == status, await response.text()


async def test_server_answers_500_with_the_message_when_the_provider_fails(
    client: WebhookProvider, server: WebhookServer
) -> None:
    class Broken(InMemoryProvider):
        async def records(self, zone: Zone) -> list[Endpoint]:
            raise ProviderError("the DNS API refused the key")

    server.provider = Broken(["example.com"])
    with pytest.raises(TransientProviderError, match="the DNS API refused the key"):
        await client.records(ROOT)


def test_webhook_serve_command_serves_until_terminated(tmp_path: Path) -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "external_dns",
        "webhook-serve",
        f"--listen=127.0.0.1:{port}",
        "--provider=inmemory",
        "--inmemory-zone=example.com",
        "--domain-filter=example.com",
        "--source=service",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()  # printed once listening: no polling needed
        assert f"http://127.0.0.1:{port}" in banner, banner

        async def negotiate() -> DomainFilter:
            client = WebhookProvider(WebhookConfig(url=f"http://127.0.0.1:{port}"))
            try:
                await client.zones()
                return client.domain_filter
            finally:
                await client.close()

        assert asyncio.run(negotiate()) == DomainFilter(include=("example.com",))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# -- negotiation: the domain filter is never silently empty ---------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "announced"),
    [
        pytest.param(DomainFilter(), {"include": ["example.com", "example.org"]}, id="no filter: the zones"),
        pytest.param(
            DomainFilter(exclude=("internal.example.com",)),
            {"include": ["example.com", "example.org"], "exclude": ["internal.example.com"]},
            id="exclusions only: the zones minus them",
        ),
        pytest.param(DomainFilter(include=("example.org",)), {"include": ["example.org"]}, id="a filter: as set"),
    ],
)
async def test_the_server_announces_its_providers_zones_unless_a_filter_names_domains(
    inmemory: InMemoryProvider, configured: DomainFilter, announced: dict[str, object]
) -> None:
    webhook = WebhookServer(inmemory, configured)
    await webhook.start("127.0.0.1", 0)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(webhook.url + "/", headers={"Accept": MEDIA_TYPE}) as response,
        ):
            assert response.headers["Content-Type"] == MEDIA_TYPE
            assert json.loads(await response.read()) == announced
    finally:
        await webhook.stop()


async def test_a_server_for_the_root_zone_announces_no_filter_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    webhook = WebhookServer(InMemoryProvider([""]), DomainFilter())
    await webhook.start("127.0.0.1", 0)
    try:
        assert await webhook.announced_filter() == DomainFilter()
    finally:
        await webhook.stop()
    assert "serves the root zone: announcing no domain filter" in caplog.text


async def test_a_client_told_no_filter_warns_that_every_name_goes_to_the_webhook(
    fake: FakeWebhook, caplog: pytest.LogCaptureFixture
) -> None:
    async def no_filter(request: web.Request) -> web.Response:
        return media(200, {})

    url = await fake.start({("GET", "/"): no_filter})
    client = fast_client(url)
    try:
        assert await client.zones() == [ROOT]
    finally:
        await client.close()
    assert "announced no domain filter" in caplog.text and url in caplog.text


async def test_a_dry_run_server_logs_the_batch_and_applies_nothing(
    inmemory: InMemoryProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="external_dns.providers")
    webhook = WebhookServer(inmemory, ZONE_FILTER, dry_run=True)
    await webhook.start("127.0.0.1", 0)
    client = WebhookProvider(WebhookConfig(url=webhook.url))
    try:
        outcome = await client.apply_changes(ROOT, Changes(create=[Endpoint("dry.example.com", "A", ("192.0.2.1",))]))
    finally:
        await client.close()
        await webhook.stop()
    assert outcome.failed == []
    assert inmemory.snapshot()["example.com"] == ()
    assert 'DRY-RUN CREATE A record "dry.example.com" -> 192.0.2.1' in caplog.text
