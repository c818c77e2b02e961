"""CloudflareProvider against canned Cloudflare v4 API answers served by KMock on a loopback port."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import kmock
import pytest

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import Endpoint
from external_dns.errors import AmbiguousProviderError, ConfigError, TransientProviderError
from external_dns.providers.base import Changes, Zone
from external_dns.providers.cloudflare.provider import PROXIED_PROPERTY, CloudflareConfig, CloudflareProvider

TOKEN = "cf-token-SECRET-1234"
ZONE = Zone("example.com", "z1")
RECORDS = "/client/v4/zones/z1/dns_records"


def page(result: list[dict[str, Any]], number: int = 1, total_pages: int = 1, per_page: int = 100) -> dict[str, Any]:
    """A Cloudflare v4 listing page."""
    return {
        "success": True,
        "errors": [],
        "messages": [],
        "result": result,
        "result_info": {
            "page": number,
            "per_page": per_page,
            "total_pages": total_pages,
            "count": len(result),
            "total_count": per_page * (total_pages - 1) + len(result),
        },
    }


def ok(result: object = None) -> kmock.Response:
    return kmock.Response(status=200, payload={"success": True, "errors": [], "messages": [], "result": result})


def refused(code: int, message: str, status: int = 400) -> kmock.Response:
    return kmock.Response(status=status, payload={"success": False, "errors": [{"code": code, "message": message}]})


def record(rid: str, name: str, rtype: str, content: str, ttl: int = 1, proxied: bool = False) -> dict[str, Any]:
    return {"id": rid, "name": name, "type": rtype, "content": content, "ttl": ttl, "proxied": proxied}


@pytest.fixture
async def api() -> AsyncIterator[kmock.RawHandler]:
    async with kmock.RawHandler() as handler, kmock.Server(handler):
        yield handler


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def make_provider(api: kmock.RawHandler, sleeps: list[float]) -> AsyncIterator[Callable[..., CloudflareProvider]]:
    providers: list[CloudflareProvider] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)  # the retry delays are asserted; the test does not wait them out

    def make(**settings: Any) -> CloudflareProvider:
        settings.setdefault("api_token", TOKEN)
        config = CloudflareConfig(api_url=f"{api.url}/client/v4", **settings)
        provider = CloudflareProvider(config, sleep=record_sleep)
        providers.append(provider)
        return provider

    yield make
    for provider in providers:
        await provider.close()


@pytest.mark.parametrize(
    ("default_proxied", "endpoint", "expected_proxied", "expected_ttl"),
    [
        (False, Endpoint("a.example.com", "A", ("192.0.2.1",), ttl=300), "false", 300),
        (True, Endpoint("a.example.com", "A", ("192.0.2.1",), ttl=300), "true", 0),
        (
            True,
            Endpoint("a.example.com", "A", ("192.0.2.1",), provider_specific={PROXIED_PROPERTY: "false"}),
            "false",
            0,
        ),
        (
            False,
            Endpoint("a.example.com", "CNAME", ("x.net",), ttl=60, provider_specific={PROXIED_PROPERTY: "true"}),
            "true",
            0,
        ),
        (
            True,
            Endpoint(
                "a-a.example.com", "TXT", ('"heritage=external-dns"',), provider_specific={PROXIED_PROPERTY: "true"}
            ),
            "false",
            0,
        ),
        (True, Endpoint("example.com", "MX", ("10 mx.example.com",), ttl=300), "false", 300),
        (True, Endpoint("_sip._udp.example.com", "SRV", ("0 5 5060 sip.example.com",)), "false", 0),
        (True, Endpoint("sub.example.com", "NS", ("ns1.example.net",)), "false", 0),
        (
            True,
            Endpoint("a.example.com", "A", ("192.0.2.1",), ttl=300, provider_specific={PROXIED_PROPERTY: "yes"}),
            "true",
            0,
        ),
        (False, Endpoint("a.example.com", "A", ("192.0.2.1",), ttl=1), "false", 0),
    ],
    ids=[
        "proxied defaults to the flag, off",
        "proxied defaults to the flag, on, and a proxied record has the automatic TTL",
        "the annotation false overrides the flag",
        "the annotation true overrides the flag and drops the TTL",
        "an ownership TXT is never proxied even with the property copied from its record",
        "MX is never proxied",
        "SRV is never proxied",
        "NS is never proxied",
        "an annotation that is not a boolean falls back to the flag",
        "TTL 1 is Cloudflare's automatic TTL, reported as 0",
    ],
)
def test_adjust_endpoints_applies_the_proxied_rules(
    default_proxied: bool, endpoint: Endpoint, expected_proxied: str, expected_ttl: int
) -> None:
    provider = CloudflareProvider(CloudflareConfig(api_token=TOKEN, proxied=default_proxied))
    [adjusted] = provider.adjust_endpoints([endpoint])
    assert adjusted.provider_specific[PROXIED_PROPERTY] == expected_proxied
    assert adjusted.ttl == expected_ttl
    assert (adjusted.dns_name, adjusted.record_type, adjusted.targets) == (
        endpoint.dns_name,
        endpoint.record_type,
        endpoint.targets,
    )


async def test_zones_and_records_are_read_across_pages(
    api: kmock.RawHandler, make_provider: Callable[..., CloudflareProvider]
) -> None:
    zone_pages = {
        "1": page([{"id": "z1", "name": "example.com"}], 1, 2, per_page=1),
        "2": page([{"id": "z2", "name": "example.org"}], 2, 2, per_page=1),
    }
    record_pages = {
        "1": page(
            [record("r1", "www.example.com", "A", "192.0.2.1"), record("r2", "www.example.com", "A", "192.0.2.2")],
            1,
            3,
            2,
        ),
        "2": page(
            [
                record("r3", "api.example.com", "CNAME", "lb.example.net", ttl=120, proxied=True),
                record("r4", "example.com", "MX", "mx.example.com", ttl=300) | {"priority": 10},
            ],
            2,
            3,
            2,
        ),
        "3": page(
            [record("r5", "a-www.example.com", "TXT", '"heritage=external-dns,external-dns/owner=default"')], 3, 3, 2
        ),
    }
    zones_listing = api["get /client/v4/zones"] << (lambda request: zone_pages[request.params["page"]])
    records_listing = api[f"get {RECORDS}"] << (lambda request: record_pages[request.params["page"]])
    provider = make_provider(records_per_page=2)

    assert await provider.zones() == [Zone("example.com", "z1"), Zone("example.org", "z2")]
    endpoints = await provider.records(ZONE)

    assert endpoints == [
        Endpoint("www.example.com", "A", ("192.0.2.1", "192.0.2.2"), provider_specific={PROXIED_PROPERTY: "false"}),
        Endpoint("api.example.com", "CNAME", ("lb.example.net",), provider_specific={PROXIED_PROPERTY: "true"}),
        Endpoint("example.com", "MX", ("10 mx.example.com",), ttl=300, provider_specific={PROXIED_PROPERTY: "false"}),
        Endpoint(
            "a-www.example.com",
            "TXT",
            ('"heritage=external-dns,external-dns/owner=default"',),
            provider_specific={PROXIED_PROPERTY: "false"},
        ),
    ]
    assert [request.params["page"] for request in records_listing] == ["1", "2", "3"]
    assert {request.params["per_page"] for request in records_listing} == {"2"}
    assert [request.params["page"] for request in zones_listing] == ["1", "2"]


async def test_zones_are_cached_and_filtered_by_zone_id_and_domain(
    api: kmock.RawHandler, make_provider: Callable[..., CloudflareProvider]
) -> None:
    listing = api["get /client/v4/zones"] << page(
        [
            {"id": "aaa111", "name": "example.com"},
            {"id": "bbb222", "name": "example.org"},
            {"id": "ccc111", "name": "example.net"},
        ]
    )
    provider = make_provider(zone_id_filter=("111",), domain_filter=DomainFilter(exclude=("example.net",)))

    assert await provider.zones() == [Zone("example.com", "aaa111")]
    assert await provider.zones() == [Zone("example.com", "aaa111")]
    assert len(listing) == 1


@pytest.mark.parametrize(
    ("credentials", "expected", "absent"),
    [
        ({"api_token": TOKEN}, {"Authorization": f"Bearer {TOKEN}"}, ("X-Auth-Key", "X-Auth-Email")),
        (
            {"api_token": "", "api_key": "global-key", "api_email": "ops@example.com"},
            {"X-Auth-Key": "global-key", "X-Auth-Email": "ops@example.com"},
            ("Authorization",),
        ),
    ],
    ids=["an API token is sent as a bearer token", "a global key is sent with its email"],
)
async def test_credentials_are_sent_as_headers(
    api: kmock.RawHandler,
    make_provider: Callable[..., CloudflareProvider],
    credentials: dict[str, str],
    expected: dict[str, str],
    absent: tuple[str, ...],
) -> None:
    listing = api["get /client/v4/zones"] << page([])
    await make_provider(**credentials).zones()
    [request] = list(listing)
    for header, value in expected.items():
        assert request.headers[header] == value
    for header in absent:
        assert header not in request.headers


def test_missing_credentials_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="CF_API_TOKEN"):
        CloudflareProvider(CloudflareConfig(api_key="key-without-email"))


async def test_throttling_is_retried_after_the_retry_after_delay(
    api: kmock.RawHandler, make_provider: Callable[..., CloudflareProvider], sleeps: list[float]
) -> None:
    answers = iter(
        [
            kmock.Response(status=429, headers={"Retry-After": "7"}, payload=refused(971, "Please wait").payload),
            kmock.Response(status=429, headers={"Retry-After": "3"}, payload=refused(971, "Please wait").payload),
            kmock.Response(status=200, payload=page([{"id": "z1", "name": "example.com"}])),
        ]
    )
    listing = api["get /client/v4/zones"] << (lambda: next(answers))

    assert await make_provider().zones() == [ZONE]
    assert len(listing) == 3
    assert sleeps == [7.0, 3.0]


async def test_server_errors_are_retried_with_backoff_then_reported_as_transient(
    api: kmock.RawHandler, make_provider: Callable[..., CloudflareProvider], sleeps: list[float]
) -> None:
    listing = api["get /client/v4/zones"] << refused(10000, "Internal error", status=502)

    with pytest.raises(TransientProviderError, match="after 3 attempts"):
        await make_provider(max_retries=2).zones()
    assert len(listing) == 3
    assert sleeps == [0.5, 1.0]


async def test_a_refused_record_is_reported_and_the_others_are_created(
    api: kmock.RawHandler, make_provider: Callable[..., CloudflareProvider]
) -> None:
    def create(request: kmock.Request) -> kmock.Response:
        if request.data["name"] == "dup.example.com":
            return refused(81057, "Record already exists.")
        return ok(record("new", request.data["name"], request.data["type"], request.data["content"]))

    creates = api[f"post {RECORDS}"] << create
    first = Endpoint("a.example.com", "A", ("192.0.2.1",))
    duplicate = Endpoint("dup.example.com", "A", ("192.0.2.2",))
    last = Endpoint("b.example.com", "TXT", ('"heritage=external-dns"',))

    outcome = await make_provider().apply_changes(ZONE, Changes(create=[first, duplicate, last]))

    assert outcome.failed == [(duplicate, "Record already exists. (code 81057)")]
    assert [request.data["name"] for request in creates] == ["a.example.com", "dup.example.com", "b.example.com"]
    assert creates[2].data == {
        "type": "TXT",
        "name": "b.example.com",
        "ttl": 1,
        "proxied": False,
        "content": '"heritage=external-dns"',
    }


async def test_a_transient_failure_after_some_changes_reports_the_rest_as_failed(
    api: kmock.RawHandler, make_provider: Callable[..., CloudflareProvider]
) -> None:
    def create(request: kmock.Request) -> kmock.Response:
        if request.data["name"] == "second.example.com":
            return refused(10000, "Service unavailable", status=503)
        return ok(record("new", request.data["name"], request.data["type"], request.data["content"]))

    api[f"post {RECORDS}"] << create
    first = Endpoint("first.example.com", "A", ("192.0.2.1",))
    second = Endpoint("second.example.com", "A", ("192.0.2.2",))
    third = Endpoint("third.example.com", "A", ("192.0.2.3",))

    outcome = await make_provider(max_retries=1).apply_changes(ZONE, Changes(create=[first, second, third]))

    assert [endpoint for endpoint, _ in outcome.failed] == [second, third]
    assert "Service unavailable" in outcome.failed[0][1]


async def test_credentials_never_appear_in_logs_or_errors(
    api: kmock.RawHandler, make_provider: Callable[..., CloudflareProvider], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api["get /client/v4/zones"] << kmock.Response(status=429, headers={"Retry-After": "1"}, payload={})
    api[f"post {RECORDS}"] << refused(9109, "Invalid access token")
    provider = make_provider(max_retries=1)

    with pytest.raises(TransientProviderError) as raised:
        await provider.zones()
    outcome = await provider.apply_changes(ZONE, Changes(create=[Endpoint("a.example.com", "A", ("192.0.2.1",))]))

    assert outcome.failed[0][1] == "Invalid access token (code 9109)"
    assert caplog.records, "the retries and the refusal are logged"
    assert TOKEN not in caplog.text
    assert TOKEN not in str(raised.value)
    assert TOKEN not in repr(CloudflareConfig(api_token=TOKEN, api_key=TOKEN))


async def test_already_exists_after_a_lost_answer_is_ambiguous_not_a_refusal(
    api: kmock.RawHandler, make_provider: Callable[..., CloudflareProvider]
) -> None:
    # The first POST created the record but its answer was a 502; the retry is told the record exists.
    answers = iter([kmock.Response(status=502, payload={}), refused(81057, "Record already exists.")])
    api["post /client/v4/zones/z1/dns_records"] << (lambda: next(answers))

    with pytest.raises(AmbiguousProviderError, match="already exists"):
        await make_provider().apply_changes(ZONE, Changes(create=[Endpoint("a.example.com", "A", ("192.0.2.1",))]))
