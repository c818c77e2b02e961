"""CloudflareProvider round trips against a small stateful Cloudflare v4 API fake built on KMock.

The fake stores records the way Cloudflare does (one record per value, each with an id, TTL 1 = automatic,
MX priority and SRV data in their own fields), paginates listings, and refuses duplicates with Cloudflare's
81057 error, so create/read/update/delete can be asserted end to end over HTTP.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import kmock
import pytest
from tests.backends.cloudflare import TOKEN, ZONE, FakeCloudflare

from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint
from external_dns.providers.base import Changes
from external_dns.providers.cloudflare.provider import PROXIED_PROPERTY, CloudflareConfig, CloudflareProvider


@pytest.fixture
async def cloudflare() -> AsyncIterator[tuple[FakeCloudflare, kmock.RawHandler]]:
    fake = FakeCloudflare()
    async with kmock.RawHandler() as handler, kmock.Server(handler):
        handler[re.compile(".*")] << fake.serve
        yield fake, handler


@pytest.fixture
def fake(cloudflare: tuple[FakeCloudflare, kmock.RawHandler]) -> FakeCloudflare:
    return cloudflare[0]


@pytest.fixture
async def provider(cloudflare: tuple[FakeCloudflare, kmock.RawHandler]) -> AsyncIterator[CloudflareProvider]:
    _, handler = cloudflare
    # A small page size so every listing in these tests crosses page boundaries.
    config = CloudflareConfig(api_token=TOKEN, api_url=f"{handler.url}/client/v4", records_per_page=2)
    provider = CloudflareProvider(config, backoff_seconds=0)
    yield provider
    await provider.close()


def ownership(name: str, owned: str) -> Endpoint:
    value = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"'
    return Endpoint(name, "TXT", (value,), labels={OWNED_RECORD_LABEL: owned})


async def test_created_records_read_back_as_the_adjusted_desired_endpoints(
    fake: FakeCloudflare, provider: CloudflareProvider
) -> None:
    desired = [
        Endpoint("www.example.com", "A", ("192.0.2.1", "192.0.2.2"), provider_specific={PROXIED_PROPERTY: "true"}),
        Endpoint("api.example.com", "CNAME", ("lb.example.net",), ttl=120),
        Endpoint("example.com", "MX", ("10 mx.example.com",), ttl=300),
        Endpoint("_sip._udp.example.com", "SRV", ("0 5 5060 sip.example.com",)),
        ownership("a-www.example.com", "www.example.com"),
    ]
    adjusted = provider.adjust_endpoints(desired)

    outcome = await provider.apply_changes(ZONE, Changes(create=adjusted))

    assert outcome.failed == []
    assert ("www.example.com", "A", "192.0.2.1", 1, True) in fake.stored()
    assert ("api.example.com", "CNAME", "lb.example.net", 120, False) in fake.stored()
    current = {endpoint.key: endpoint for endpoint in await provider.records(ZONE)}
    # A resync compares equal: nothing to plan (labels belong to the registry, not to the provider).
    assert current == {endpoint.key: endpoint.with_(labels={}) for endpoint in adjusted}


async def test_update_deletes_removed_targets_creates_added_and_patches_kept(
    fake: FakeCloudflare, provider: CloudflareProvider
) -> None:
    old = provider.adjust_endpoints([Endpoint("www.example.com", "A", ("192.0.2.1", "192.0.2.2"), ttl=300)])[0]
    await provider.apply_changes(ZONE, Changes(create=[old]))
    kept_id = next(rid for rid, r in fake.records.items() if r["content"] == "192.0.2.2")
    new = provider.adjust_endpoints([Endpoint("www.example.com", "A", ("192.0.2.2", "192.0.2.3"), ttl=600)])[0]

    outcome = await provider.apply_changes(ZONE, Changes(update_old=[old], update_new=[new]))

    assert outcome.failed == []
    assert fake.stored() == {
        ("www.example.com", "A", "192.0.2.2", 600, False),
        ("www.example.com", "A", "192.0.2.3", 600, False),
    }
    assert kept_id in fake.records, "a kept target is patched in place, not recreated"
    assert await provider.records(ZONE) == [new]


async def test_turning_proxying_on_patches_the_record_and_makes_its_ttl_automatic(
    fake: FakeCloudflare, provider: CloudflareProvider
) -> None:
    [plain] = provider.adjust_endpoints([Endpoint("www.example.com", "A", ("192.0.2.1",), ttl=300)])
    await provider.apply_changes(ZONE, Changes(create=[plain]))
    [proxied] = provider.adjust_endpoints([plain.with_(provider_specific={PROXIED_PROPERTY: "true"})])

    outcome = await provider.apply_changes(ZONE, Changes(update_old=[plain], update_new=[proxied]))

    assert outcome.failed == []
    assert fake.stored() == {("www.example.com", "A", "192.0.2.1", 1, True)}
    assert await provider.records(ZONE) == [proxied]


async def test_delete_removes_every_record_of_the_endpoint(fake: FakeCloudflare, provider: CloudflareProvider) -> None:
    keep = Endpoint("other.example.com", "A", ("192.0.2.9",))
    gone = Endpoint("www.example.com", "A", ("192.0.2.1", "192.0.2.2"))
    txt = ownership("a-www.example.com", "www.example.com")
    await provider.apply_changes(ZONE, Changes(create=provider.adjust_endpoints([keep, gone, txt])))

    outcome = await provider.apply_changes(ZONE, Changes(delete=[gone, txt]))

    assert outcome.failed == []
    assert fake.stored() == {("other.example.com", "A", "192.0.2.9", 1, False)}


async def test_a_refused_record_fails_alone(fake: FakeCloudflare, provider: CloudflareProvider) -> None:
    fake.refuse["bad.example.com"] = (9005, "Content for A record is invalid.")
    good = Endpoint("good.example.com", "A", ("192.0.2.1",))
    bad = Endpoint("bad.example.com", "A", ("192.0.2.2",))
    existing = Endpoint("dup.example.com", "A", ("192.0.2.3",))
    await provider.apply_changes(ZONE, Changes(create=[existing]))

    outcome = await provider.apply_changes(ZONE, Changes(create=[bad, existing, good]))

    assert outcome.failed == [
        (bad, "Content for A record is invalid. (code 9005)"),
        (existing, "Record already exists. (code 81057)"),
    ]
    assert ("good.example.com", "A", "192.0.2.1", 1, False) in fake.stored()


async def test_a_refused_ownership_txt_never_leaves_its_record_unowned(
    fake: FakeCloudflare, provider: CloudflareProvider
) -> None:
    fake.refuse["a-bad.example.com"] = (9100, "Content for TXT record is invalid.")
    names = [f"good{i:02d}.example.com" for i in range(50)]
    goods = [Endpoint(name, "A", ("192.0.2.1",)) for name in names]
    bad = Endpoint("bad.example.com", "A", ("192.0.2.2",))
    bad_txt = ownership("a-bad.example.com", bad.dns_name)
    # As the registry hands them over: every record first, then every ownership TXT.
    creates = [*goods[:25], bad, *goods[25:], *(ownership(f"a-{name}", name) for name in names), bad_txt]

    outcome = await provider.apply_changes(ZONE, Changes(create=creates))

    assert sorted(endpoint.dns_name for endpoint, _ in outcome.failed) == [bad_txt.dns_name, bad.dns_name]
    assert all("Content for TXT record is invalid" in message for _, message in outcome.failed)
    stored = {(name, kind) for name, kind, *_ in fake.stored()}
    assert all((name, "A") in stored and (f"a-{name}", "TXT") in stored for name in names)
    assert ("bad.example.com", "A") not in stored, "a record whose ownership TXT was refused would be unowned"
