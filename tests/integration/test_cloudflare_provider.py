"""CloudflareProvider round trips against a small stateful Cloudflare v4 API fake built on KMock.

The fake stores records the way Cloudflare does (one record per value, each with an id, TTL 1 = automatic,
MX priority and SRV data in their own fields), paginates listings, and refuses duplicates with Cloudflare's
81057 error, so create/read/update/delete can be asserted end to end over HTTP.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import kmock
import pytest

from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint
from external_dns.providers.base import Changes, Zone
from external_dns.providers.cloudflare import PROXIED_PROPERTY, CloudflareConfig, CloudflareProvider

TOKEN = "fake-cloudflare-token"
ZONE = Zone("example.com", "023e105f4ecef8ad9ca31a8372d0c353")
RECORD_PATH = re.compile(r"^/client/v4/zones/(?P<zone>[^/]+)/dns_records(?:/(?P<record>[^/]+))?$")


@dataclass
class FakeCloudflare:
    """Cloudflare's zones and DNS records endpoints, with state; ``refuse`` makes a name fail on create."""

    zones: dict[str, str] = field(default_factory=lambda: {ZONE.id: ZONE.name})
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse: dict[str, tuple[int, str]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def serve(self, request: kmock.Request) -> kmock.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._error(403, 10000, "Authentication error")
        method = request.method.value
        path = request.url.path
        if path == "/client/v4/zones" and method == "GET":
            zones = [{"id": zid, "name": name} for zid, name in self.zones.items()]
            return self._page(zones, request.params, default_per_page=50)
        match = RECORD_PATH.match(path)
        if match is None or match["zone"] not in self.zones:
            return self._error(404, 7003, "Could not route to the requested resource")
        zone_records = [r for r in self.records.values() if r["zone_id"] == match["zone"]]
        if match["record"] is None and method == "GET":
            return self._page(zone_records, request.params, default_per_page=100)
        if match["record"] is None and method == "POST":
            return self._create(match["zone"], request.data, zone_records)
        if match["record"] not in self.records:
            return self._error(404, 81044, "Record does not exist.")
        if method == "PATCH":
            self.records[match["record"]].update(request.data)
            return self._ok(self.records[match["record"]])
        if method == "DELETE":
            del self.records[match["record"]]
            return self._ok({"id": match["record"]})
        return self._error(405, 10000, "Method not allowed")

    def stored(self) -> set[tuple[str, str, str, int, bool]]:
        """Every record as (name, type, content, ttl, proxied), for assertions."""
        return {(r["name"], r["type"], r["content"], r["ttl"], r["proxied"]) for r in self.records.values()}

    def _create(self, zone_id: str, data: dict[str, Any], existing: list[dict[str, Any]]) -> kmock.Response:
        if data["name"] in self.refuse:
            code, message = self.refuse[data["name"]]
            return self._error(400, code, message)
        record = {"zone_id": zone_id, "proxied": False, "ttl": 1, **data}
        if data["type"] == "SRV":
            srv = data["data"]
            record["priority"] = srv["priority"]
            record["content"] = f"{srv['weight']} {srv['port']} {srv['target']}"
        key = (record["name"], record["type"], record["content"], record.get("priority"))
        if any((r["name"], r["type"], r["content"], r.get("priority")) == key for r in existing):
            return self._error(400, 81057, "Record already exists.")
        record["id"] = f"rec{next(self._ids)}"
        self.records[record["id"]] = record
        return self._ok(record)

    def _page(self, items: list[dict[str, Any]], params: Any, default_per_page: int) -> kmock.Response:
        number = int(params.get("page", 1))
        per_page = int(params.get("per_page", default_per_page))
        total_pages = max(1, -(-len(items) // per_page))
        chunk = items[(number - 1) * per_page : number * per_page]
        info = {
            "page": number,
            "per_page": per_page,
            "total_pages": total_pages,
            "count": len(chunk),
            "total_count": len(items),
        }
        return kmock.Response(
            status=200, payload={"success": True, "errors": [], "messages": [], "result": chunk, "result_info": info}
        )

    @staticmethod
    def _ok(result: object) -> kmock.Response:
        return kmock.Response(status=200, payload={"success": True, "errors": [], "messages": [], "result": result})

    @staticmethod
    def _error(status: int, code: int, message: str) -> kmock.Response:
        return kmock.Response(
            status=status,
            payload={"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None},
        )


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
