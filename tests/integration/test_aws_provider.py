"""The Route 53 provider against moto on loopback, with a throttling proxy where throttling is the point.

moto is not Route 53 (shared/reference/test-backends.md §3): it is not atomic for some errors and accepts
duplicate record sets, so the tests stay on behaviour both share.
"""

from __future__ import annotations

import itertools
import logging
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import pytest
from aiobotocore.session import get_session
from aiohttp import web
from tests.backends.moto import MotoServer

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint, same_targets
from external_dns.errors import AmbiguousProviderError, PendingChange, ProviderBusy, TransientProviderError
from external_dns.providers.aws.provider import AWSConfig, AWSProvider
from external_dns.providers.base import Changes, Provider, Zone

SECRET_KEY = "wJalrXUtnFEMI-never-log-me-K7MDENG"
ELB = "my-lb-1234.us-east-1.elb.amazonaws.com"
_references = itertools.count()


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture
def moto_url(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto emptied for this test, with credentials in the environment as botocore's chain reads them."""
    moto_server.reset()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTING")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    return moto_server.url


async def create_zone(url: str, name: str, *, private: bool = False, tags: dict[str, str] | None = None) -> str:
    """Create a hosted zone straight through the API; returns its id without the /hostedzone/ prefix."""
    async with get_session().create_client("route53", endpoint_url=url, region_name="us-east-1") as route53:
        extra: dict[str, object] = {}
        if private:
            extra = {"HostedZoneConfig": {"PrivateZone": True}, "VPC": {"VPCRegion": "us-east-1", "VPCId": "vpc-1"}}
        answer = await route53.create_hosted_zone(Name=name, CallerReference=str(next(_references)), **extra)
        zone_id = str(answer["HostedZone"]["Id"]).removeprefix("/hostedzone/")
        if tags:
            await route53.change_tags_for_resource(
                ResourceType="hostedzone",
                ResourceId=zone_id,
                AddTags=[{"Key": key, "Value": value} for key, value in tags.items()],
            )
        return zone_id


@pytest.fixture
async def make_provider(moto_url: str) -> AsyncIterator[Make]:
    providers: list[AWSProvider] = []

    def make(url: str = moto_url, **settings: Any) -> AWSProvider:
        config = AWSConfig(endpoint_url=url, batch_change_interval=0.0, **settings)
        provider = AWSProvider(config, backoff=lambda attempt: 0.0)
        providers.append(provider)
        return provider

    yield make
    for provider in providers:
        await provider.close()


class Make(Protocol):
    """Builds a provider for moto (or ``url``) with AWSConfig ``settings``; closed after the test."""

    def __call__(self, url: str = ..., **settings: Any) -> AWSProvider: ...


async def zone_named(provider: AWSProvider, name: str) -> Zone:
    return next(zone for zone in await provider.zones() if zone.name == name)


def ownership_txt(record: Endpoint) -> Endpoint:
    value = '"heritage=external-dns,external-dns/owner=default"'
    return Endpoint(
        f"{record.record_type.lower()}-{record.dns_name}",
        "TXT",
        (value,),
        set_identifier=record.set_identifier,
        labels={OWNED_RECORD_LABEL: record.dns_name},
        provider_specific=dict(record.provider_specific),
    )


def planned_differences(current: Sequence[Endpoint], desired: Sequence[Endpoint]) -> list[str]:
    """What a planner would still change (ExternalDNS's update rules, §2.3): empty when in sync.

    Ownership TXT records are compared by key and value only: the registry strips them before planning, and the
    provider-specific properties they copy from their record (alias=true, ...) mean nothing on a TXT.
    """
    by_key = {endpoint.key: endpoint for endpoint in current}
    differences = []
    for wanted in desired:
        have = by_key.pop(wanted.key, None)
        if have is None:
            differences.append(f"create {wanted.key}")
        elif (
            (wanted.ttl and wanted.ttl != have.ttl)
            or not same_targets(wanted.targets, have.targets)
            or (wanted.record_type != "TXT" and dict(wanted.provider_specific) != dict(have.provider_specific))
        ):
            differences.append(f"update {wanted.key}: {have} -> {wanted}")
    differences.extend(f"delete {key}" for key in by_key)
    return differences


# --- a throttling, recording proxy in front of moto ------------------------------------------------------


@dataclass
class ThrottlingProxy:
    """Forwards to moto; after ``let_through`` more requests, answers ``throttle`` requests with an error itself."""

    upstream: str
    throttle: int = 0
    let_through: int = 0
    status: int = 400
    code: str = "Throttling"
    message: str = "Rate exceeded"
    change_batches: list[list[str]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if self.let_through > 0:
            self.let_through -= 1
        elif self.throttle > 0:
            self.throttle -= 1
            error = (
                '<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
                f"<Error><Type>Sender</Type><Code>{self.code}</Code><Message>{self.message}</Message></Error>"
                f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
            )
            return web.Response(status=self.status, body=error.encode(), content_type="text/xml")
        if request.method == "POST" and request.path.endswith("/rrset/"):
            root = ET.fromstring(body)
            self.change_batches.append([el.text or "" for el in root.iter() if el.tag.endswith("}Name")])
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with (
            aiohttp.ClientSession() as session,
            session.request(request.method, self.upstream + request.path_qs, headers=headers, data=body) as answer,
        ):
            content = await answer.read()
            return web.Response(status=answer.status, body=content, content_type="text/xml")


@pytest.fixture
async def proxy(moto_url: str) -> AsyncIterator[ThrottlingProxy]:
    proxy = ThrottlingProxy(upstream=moto_url)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    proxy.url = f"http://127.0.0.1:{port}"
    yield proxy
    await runner.cleanup()


# --- tests ------------------------------------------------------------------------------------------------


async def test_provider_satisfies_the_provider_protocol(make_provider: Make) -> None:
    assert isinstance(make_provider(), Provider)


async def test_created_records_read_back_then_update_and_delete(moto_url: str, make_provider: Make) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider()
    zone = await zone_named(provider, "example.com")
    web_a = Endpoint("web.example.com", "A", ("192.0.2.1", "192.0.2.2"), ttl=60)
    alias_cname = Endpoint("www.example.com", "CNAME", ("web.example.org",), provider_specific={"alias": "false"})
    weighted = Endpoint(
        "w.example.com", "A", ("192.0.2.9",), set_identifier="blue", provider_specific={"aws/weight": "10"}
    )
    desired = [web_a, alias_cname, weighted, ownership_txt(web_a), ownership_txt(weighted)]

    outcome = await provider.apply_changes(zone, Changes(create=desired))
    assert outcome.failed == []
    assert planned_differences(await provider.records(zone), desired) == []

    moved = web_a.with_(targets=("192.0.2.3",))
    reweighted = weighted.with_(provider_specific={"aws/weight": "20"})
    outcome = await provider.apply_changes(
        zone, Changes(update_old=[web_a, weighted], update_new=[moved, reweighted], delete=[alias_cname])
    )
    assert outcome.failed == []
    after = [moved, reweighted, ownership_txt(web_a), ownership_txt(weighted)]
    assert planned_differences(await provider.records(zone), after) == []


async def test_type_change_is_applied_as_delete_then_create(moto_url: str, make_provider: Make) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider()
    zone = await zone_named(provider, "example.com")
    old = Endpoint("app.example.com", "CNAME", ("web.example.org",), provider_specific={"alias": "false"})
    new = Endpoint("app.example.com", "A", ("192.0.2.7",))
    await provider.apply_changes(zone, Changes(create=[old]))
    outcome = await provider.apply_changes(zone, Changes(update_old=[old], update_new=[new]))
    assert outcome.failed == []
    assert planned_differences(await provider.records(zone), [new]) == []


async def test_records_page_through_more_than_300_record_sets(moto_url: str, make_provider: Make) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(batch_change_size=1000)
    zone = await zone_named(provider, "example.com")
    desired = [Endpoint(f"h{i:04d}.example.com", "A", (f"10.0.{i // 256}.{i % 256}",)) for i in range(650)]
    await provider.apply_changes(zone, Changes(create=desired))

    records = await provider.records(zone)

    assert sorted(e.dns_name for e in records) == sorted(e.dns_name for e in desired)  # apex SOA and NS skipped
    assert provider.api_calls["ListResourceRecordSets"] == 3  # 300 + 300 + 52 (SOA, NS and 650 records)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, ["example.com", "example.org", "internal.example.com"]),
        ({"zone_type": "public"}, ["example.com", "example.org"]),
        ({"zone_type": "private"}, ["internal.example.com"]),
        ({"zone_tags": ("team=dns",)}, ["example.org", "internal.example.com"]),
        ({"zone_tags": ("team=dns", "env")}, ["internal.example.com"]),
        ({"domain_filter": DomainFilter(include=("example.com",))}, ["example.com", "internal.example.com"]),
        ({"domain_filter": DomainFilter(exclude=("internal.example.com",))}, ["example.com", "example.org"]),
    ],
    ids=[
        "no filter keeps every zone",
        "zone type public keeps public zones",
        "zone type private keeps private zones",
        "a tag filter keeps zones with that tag value",
        "several tag filters must all match and a bare key matches any value",
        "a domain filter keeps the domain and its subdomains",
        "a domain filter exclusion drops a zone",
    ],
)
async def test_zone_filters(moto_url: str, make_provider: Make, settings: dict[str, Any], expected: list[str]) -> None:
    await create_zone(moto_url, "example.com")
    await create_zone(moto_url, "example.org", tags={"team": "dns"})
    await create_zone(moto_url, "internal.example.com", private=True, tags={"team": "dns", "env": "prod"})
    provider = make_provider(**settings)
    assert [zone.name for zone in await provider.zones()] == expected


async def test_zone_id_filter_matches_on_the_id_suffix(moto_url: str, make_provider: Make) -> None:
    wanted = await create_zone(moto_url, "example.com")
    await create_zone(moto_url, "example.org")
    provider = make_provider(zone_id_filter=(f"/hostedzone/{wanted}",))
    assert await provider.zones() == [Zone("example.com", wanted)]


async def test_zones_are_listed_once_and_cached(moto_url: str, make_provider: Make) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider()
    first = await provider.zones()
    await create_zone(moto_url, "example.org")
    assert await provider.zones() == first
    assert provider.api_calls["ListHostedZones"] == 1
    provider.invalidate_zones()
    assert len(await provider.zones()) == 2


async def test_elb_alias_round_trips_so_a_second_plan_is_empty(moto_url: str, make_provider: Make) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider()
    zone = await zone_named(provider, "example.com")
    wanted = Endpoint("app.example.com", "CNAME", (ELB,), ttl=60)
    desired = provider.adjust_endpoints([wanted])
    desired += [ownership_txt(endpoint) for endpoint in desired]

    outcome = await provider.apply_changes(zone, Changes(create=desired))

    assert outcome.failed == []
    records = await provider.records(zone)
    assert {(e.record_type, e.provider_specific.get("alias")) for e in records if e.dns_name == "app.example.com"} == {
        ("A", "true"),
        ("AAAA", "true"),
    }
    assert planned_differences(records, desired) == []


async def test_a_record_and_its_ownership_txt_are_sent_in_one_batch(
    moto_url: str, make_provider: Make, proxy: ThrottlingProxy
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(url=proxy.url, batch_change_size=3)
    zone = await zone_named(provider, "example.com")
    records = [Endpoint(f"r{i}.example.com", "A", ("192.0.2.1",)) for i in range(3)]
    # Listed apart on purpose: the registry appends every TXT after every record.
    await provider.apply_changes(zone, Changes(create=records + [ownership_txt(r) for r in records]))

    assert proxy.change_batches == [[f"r{i}.example.com", f"a-r{i}.example.com"] for i in range(3)]


async def test_more_than_1000_changes_are_split_into_batches_route53_accepts(
    moto_url: str, make_provider: Make
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider()
    zone = await zone_named(provider, "example.com")
    records = [Endpoint(f"h{i:04d}.example.com", "A", (f"10.1.{i // 256}.{i % 256}",)) for i in range(600)]
    desired = records + [ownership_txt(r) for r in records]

    outcome = await provider.apply_changes(zone, Changes(create=desired))

    assert outcome.failed == []
    assert provider.api_calls["ChangeResourceRecordSets"] == 2  # 1200 changes, moto rejects more than 1000
    assert len(await provider.records(zone)) == 1200


async def test_a_rejected_record_is_reported_and_the_others_still_land(moto_url: str, make_provider: Make) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider()
    zone = await zone_named(provider, "example.com")
    existing = Endpoint("taken.example.com", "A", ("192.0.2.1",))
    await provider.apply_changes(zone, Changes(create=[existing]))
    fresh = [Endpoint(f"new{i}.example.com", "A", ("192.0.2.2",)) for i in range(3)]

    # Creating an existing record set again is refused; Route 53 (and moto, for this error) rejects the batch whole.
    outcome = await provider.apply_changes(zone, Changes(create=[fresh[0], existing, fresh[1], fresh[2]]))

    assert [endpoint for endpoint, _ in outcome.failed] == [existing]
    assert "already exists" in outcome.failed[0][1]
    names = {e.dns_name for e in await provider.records(zone)}
    assert names == {"taken.example.com", "new0.example.com", "new1.example.com", "new2.example.com"}


async def test_an_out_of_zone_record_and_its_txt_fail_together_with_route53s_message(
    moto_url: str, make_provider: Make
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider()
    zone = await zone_named(provider, "example.com")
    stray = Endpoint("x.example.net", "A", ("192.0.2.1",))
    good = Endpoint("good.example.com", "A", ("192.0.2.2",))
    # The stray group goes first: moto applies changes before the failing one (Route 53 would not).
    changes = Changes(create=[stray, good, ownership_txt(stray), ownership_txt(good)])

    outcome = await provider.apply_changes(zone, changes)

    assert [endpoint.dns_name for endpoint, _ in outcome.failed] == ["x.example.net", "a-x.example.net"]
    assert all("not permitted in zone example.com" in message for _, message in outcome.failed)
    assert {e.dns_name for e in await provider.records(zone)} == {"good.example.com", "a-good.example.com"}


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, "Throttling", "Rate exceeded"),
        (400, "PriorRequestNotComplete", "The request was rejected because Route 53 was still processing"),
    ],
    ids=[
        "Throttling is retried",
        "PriorRequestNotComplete is retried",
    ],
)
async def test_throttled_calls_are_retried_until_they_succeed(
    moto_url: str, make_provider: Make, proxy: ThrottlingProxy, status: int, code: str, message: str
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(url=proxy.url, api_retries=3)
    zone = await zone_named(provider, "example.com")
    record = Endpoint("a.example.com", "A", ("192.0.2.1",))
    proxy.status, proxy.code, proxy.message, proxy.throttle = status, code, message, 2

    outcome = await provider.apply_changes(zone, Changes(create=[record]))

    assert outcome.failed == []
    assert proxy.throttle == 0
    assert provider.api_calls["ChangeResourceRecordSets"] == 3
    assert planned_differences(await provider.records(zone), [record]) == []


async def test_a_5xx_to_a_read_is_retried(moto_url: str, make_provider: Make, proxy: ThrottlingProxy) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(url=proxy.url, api_retries=3)
    zone = await zone_named(provider, "example.com")
    proxy.status, proxy.code, proxy.message, proxy.throttle = 503, "ServiceUnavailable", "Service Unavailable", 2

    assert await provider.records(zone) == []
    assert provider.api_calls["ListResourceRecordSets"] == 3


async def test_a_5xx_to_a_change_is_ambiguous_and_never_sent_again_blindly(
    moto_url: str, make_provider: Make, proxy: ThrottlingProxy
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(url=proxy.url, api_retries=3)
    zone = await zone_named(provider, "example.com")
    proxy.status, proxy.code, proxy.message, proxy.throttle = 503, "ServiceUnavailable", "Service Unavailable", 1

    # Route 53 may have applied it before answering 5xx: resending its creates would fail ("already exists").
    with pytest.raises(AmbiguousProviderError):
        await provider.apply_changes(zone, Changes(create=[Endpoint("a.example.com", "A", ("192.0.2.1",))]))
    assert provider.api_calls["ChangeResourceRecordSets"] == 1


async def test_prior_request_not_complete_after_a_lost_answer_means_our_change_is_still_applying(
    moto_url: str, make_provider: Make, proxy: ThrottlingProxy
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(url=proxy.url, api_retries=3)
    zone = await zone_named(provider, "example.com")
    first, second = (Endpoint(f"r{i}.example.com", "A", ("192.0.2.1",)) for i in range(2))
    proxy.status, proxy.code, proxy.message, proxy.throttle = 503, "ServiceUnavailable", "Service Unavailable", 1
    with pytest.raises(AmbiguousProviderError):
        await provider.apply_changes(zone, Changes(create=[first]))
    proxy.status, proxy.code, proxy.message = 400, "PriorRequestNotComplete", "still processing a prior request"
    proxy.throttle = 1

    # The zone is busy with what may be our lost change: busy (no error on the records) and ambiguous (re-read).
    with pytest.raises(PendingChange):
        await provider.apply_changes(zone, Changes(create=[second]))
    assert provider.api_calls["ChangeResourceRecordSets"] == 2  # not resent against a stale plan
    # Once a change lands, the zone has nothing of ours pending: PriorRequestNotComplete is a mere wait again.
    await provider.apply_changes(zone, Changes(create=[second]))
    proxy.throttle = 1
    outcome = await provider.apply_changes(zone, Changes(create=[first]))
    assert outcome.failed == [] and outcome.deferred == []


async def test_throttling_that_outlasts_the_retries_is_busy_not_an_error(
    moto_url: str, make_provider: Make, proxy: ThrottlingProxy
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(url=proxy.url, api_retries=2)
    zone = await zone_named(provider, "example.com")
    proxy.throttle = 100

    with pytest.raises(ProviderBusy):
        await provider.apply_changes(zone, Changes(create=[Endpoint("a.example.com", "A", ("192.0.2.1",))]))
    assert provider.api_calls["ChangeResourceRecordSets"] == 3


async def test_one_call_is_at_most_api_retries_plus_one_requests(
    moto_url: str, make_provider: Make, proxy: ThrottlingProxy
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(url=proxy.url, api_retries=3)
    zone = await zone_named(provider, "example.com")
    proxy.throttle = 100

    with pytest.raises(TransientProviderError, match="Throttling"):
        await provider.records(zone)
    # Our loop alone: botocore makes one attempt per call (both retrying made this 3 x 4 = 12 requests).
    assert provider.api_calls["ListResourceRecordSets"] == 4


async def test_a_400_saying_rate_exceeded_with_another_code_is_a_transient_error(
    moto_url: str, make_provider: Make, proxy: ThrottlingProxy
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(url=proxy.url, api_retries=3)
    zone = await zone_named(provider, "example.com")
    proxy.status, proxy.code, proxy.message, proxy.throttle = 400, "TooManyRequests", "Rate exceeded", 100

    with pytest.raises(TransientProviderError, match="Rate exceeded"):
        await provider.records(zone)  # retried by the reconciler's backoff, not refused as a bad request


async def test_throttling_that_outlasts_the_retries_raises_a_transient_error(
    moto_url: str, make_provider: Make, proxy: ThrottlingProxy
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(url=proxy.url, api_retries=1)
    zone = await zone_named(provider, "example.com")
    proxy.throttle = 100

    with pytest.raises(TransientProviderError, match="Throttling"):
        await provider.records(zone)
    proxy.throttle = 0
    assert await provider.records(zone) == []  # the provider is still usable


async def test_credentials_never_appear_in_logs(
    moto_url: str, make_provider: Make, proxy: ThrottlingProxy, caplog: pytest.LogCaptureFixture
) -> None:
    await create_zone(moto_url, "example.com")
    caplog.set_level(logging.DEBUG)
    provider = make_provider(url=proxy.url)
    zone = await zone_named(provider, "example.com")
    proxy.throttle = 1
    await provider.apply_changes(zone, Changes(create=[Endpoint("a.example.com", "A", ("192.0.2.1",))]))
    await provider.records(zone)

    assert any(record.name.startswith("botocore") for record in caplog.records)  # debug logging was on
    assert SECRET_KEY not in caplog.text
    assert all(SECRET_KEY not in str(record.args) for record in caplog.records)


async def test_a_batch_failing_after_earlier_batches_landed_is_reported_not_raised(
    moto_url: str, make_provider: Make, proxy: ThrottlingProxy
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(url=proxy.url, batch_change_size=1, api_retries=1)
    zone = await zone_named(provider, "example.com")
    first, second = (Endpoint(f"r{i}.example.com", "A", ("192.0.2.1",)) for i in range(2))
    proxy.let_through, proxy.throttle = 1, 100

    outcome = await provider.apply_changes(zone, Changes(create=[first, second]))

    # Throttling is "later", not "wrong": the unsent record is deferred (retried), with no error to report.
    assert outcome.failed == []
    assert outcome.deferred == [second]
    proxy.throttle = 0
    assert [e.dns_name for e in await provider.records(zone)] == ["r0.example.com"]


async def test_a_rejected_single_record_batch_is_reported_without_a_second_try(
    moto_url: str, make_provider: Make
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider()
    zone = await zone_named(provider, "example.com")

    outcome = await provider.apply_changes(zone, Changes(create=[Endpoint("x.example.net", "A", ("192.0.2.1",))]))

    assert [endpoint.dns_name for endpoint, _ in outcome.failed] == ["x.example.net"]
    assert provider.api_calls["ChangeResourceRecordSets"] == 1


async def test_a_record_too_large_for_any_batch_is_reported_and_not_sent(moto_url: str, make_provider: Make) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider(batch_change_size_values=2)
    zone = await zone_named(provider, "example.com")
    big = Endpoint("big.example.com", "A", ("192.0.2.1", "192.0.2.2", "192.0.2.3"))
    small = Endpoint("small.example.com", "A", ("192.0.2.1",))

    outcome = await provider.apply_changes(zone, Changes(create=[big, small]))

    assert [endpoint for endpoint, _ in outcome.failed] == [big]
    assert [e.dns_name for e in await provider.records(zone)] == ["small.example.com"]


async def test_record_count_is_what_records_returns_from_one_get_hosted_zone(
    moto_url: str, make_provider: Make
) -> None:
    await create_zone(moto_url, "example.com")
    provider = make_provider()
    zone = await zone_named(provider, "example.com")
    assert await provider.record_count(zone) is None  # not read whole yet: the caller must read it

    records = [Endpoint(f"h{i}.example.com", "A", ("192.0.2.1",)) for i in range(5)]
    await provider.apply_changes(zone, Changes(create=records + [ownership_txt(r) for r in records]))
    assert len(await provider.records(zone)) == 10  # the apex SOA and NS are not among them
    assert await provider.record_count(zone) == 10

    await provider.apply_changes(zone, Changes(delete=records[:2]))
    calls = provider.api_calls["GetHostedZone"]
    assert await provider.record_count(zone) == 8 == len(await provider.records(zone))
    assert provider.api_calls["GetHostedZone"] == calls + 1
