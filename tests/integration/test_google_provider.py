"""The Google Cloud DNS provider against the local Cloud DNS fake (tests/backends/google.py).

Credentials go through google-auth for real: a service-account key file whose token_uri is the fake (the JWT
grant's signature is checked there), or the metadata server (GCE / GKE workload identity) moved to the fake with
GCE_METADATA_HOST. No request leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.backends.google import PROJECT, FakeCloudDNS, Fault

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint
from external_dns.errors import AmbiguousProviderError, ConfigError, ProviderError, TransientProviderError
from external_dns.providers.base import Changes, Zone
from external_dns.providers.google import GoogleConfig, GoogleProvider
from external_dns.providers.google.api import CloudDNSUnavailable
from external_dns.providers.google.credentials import ApplicationDefaultTokens

ZONE = "example.com"


@pytest.fixture
async def fake() -> AsyncIterator[FakeCloudDNS]:
    server = FakeCloudDNS()
    await server.start()
    server.add_zone("example-com", ZONE)
    yield server
    await server.stop()


@pytest.fixture
def key_file(fake: FakeCloudDNS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = fake.key_file(tmp_path)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    return path


class RecordedSleep:
    """A sleep that only notes how long it was asked to wait (the retry timing under test, no real waits)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def make_provider(fake: FakeCloudDNS, sleep: RecordedSleep | None = None, **config: object) -> GoogleProvider:
    settings = {"endpoint_url": f"{fake.url}/dns/v1", "batch_change_interval": 0.0, **config}
    return GoogleProvider(GoogleConfig(**settings), sleep=sleep or RecordedSleep())  # type: ignore[arg-type]


def owned(name: str, ip: str, owner: str = "google-it") -> list[Endpoint]:
    """An A record and its ownership TXT (new format), as the registry hands them to a provider."""
    txt = f'"heritage=external-dns,external-dns/owner={owner},external-dns/resource=service/default/{name}"'
    return [
        Endpoint(f"{name}.{ZONE}", "A", (ip,)),
        Endpoint(f"a-{name}.{ZONE}", "TXT", (txt,), labels={OWNED_RECORD_LABEL: f"{name}.{ZONE}"}),
    ]


async def test_a_key_files_token_uri_gives_the_token_and_the_zone_is_read_in_pages(
    fake: FakeCloudDNS, key_file: Path
) -> None:
    fake.add_zone("other", "example.org")
    provider = make_provider(fake, records_per_page=2)
    zones = await provider.zones()
    assert zones == [Zone("example.com", "example-com"), Zone("example.org", "other")]
    await provider.apply_changes(zones[0], Changes(create=owned("web", "203.0.113.1") + owned("api", "203.0.113.2")))
    await provider.apply_changes(
        zones[0], Changes(create=[Endpoint(f"alias.{ZONE}", "CNAME", ("web.example.com",), ttl=60)])
    )
    read = {ep.key.name + "/" + ep.record_type: ep for ep in await provider.records(zones[0])}
    # The apex SOA and NS are the zone's own; the CNAME's dot is stripped; TXT keeps its quotes.
    assert sorted(read) == ["a-api.example.com/TXT", "a-web.example.com/TXT", "alias.example.com/CNAME",
                            "api.example.com/A", "web.example.com/A"]  # fmt: skip
    assert read["alias.example.com/CNAME"].targets == ("web.example.com",)
    assert read["alias.example.com/CNAME"].ttl == 60
    assert read["web.example.com/A"].ttl == 300, "a record without a TTL is written with ExternalDNS's 300"
    assert read["a-web.example.com/TXT"].targets[0].startswith('"heritage=external-dns,')
    rrset_pages = [path for method, path in fake.requests if path.endswith("/rrsets")]
    assert len(rrset_pages) == 4, "seven rrsets (the apex SOA and NS, and five of ours) in pages of two"
    assert ("POST", "/token") in fake.requests
    await provider.close()


async def test_the_metadata_server_gives_the_token_and_the_project(fake: FakeCloudDNS, tmp_path: Path) -> None:
    # google-auth reads GCE_METADATA_HOST / GCE_METADATA_IP when it is imported: a process of its own.
    host = fake.url.removeprefix("http://")
    environ = {k: v for k, v in os.environ.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"}
    environ.update(GCE_METADATA_HOST=host, GCE_METADATA_IP=host, CLOUDSDK_CONFIG=str(tmp_path / "no-gcloud"))
    script = (
        "import asyncio\n"
        "from external_dns.providers.google import GoogleConfig, GoogleProvider\n"
        "async def main():\n"
        f"    provider = GoogleProvider(GoogleConfig(endpoint_url='{fake.url}/dns/v1'))\n"
        "    print(provider.client.project, [zone.name for zone in await provider.zones()])\n"
        "    await provider.close()\n"
        "asyncio.run(main())\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert out.decode().split() == [PROJECT, "['example.com']"]
    assert any(path.endswith("/service-accounts/default/token") for _, path in fake.requests)
    assert ("POST", "/token") not in fake.requests


def test_no_credentials_stop_the_start_naming_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(ConfigError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        ApplicationDefaultTokens.from_environment()


async def test_zones_are_filtered_by_visibility_id_and_domain(fake: FakeCloudDNS, key_file: Path) -> None:
    private = fake.add_zone("internal", "internal.example.net", visibility="private")
    fake.add_zone("other", "example.org")
    assert [z.id for z in await make_provider(fake, zone_visibility="private").zones()] == ["internal"]
    assert [z.id for z in await make_provider(fake, zone_visibility="public").zones()] == ["example-com", "other"]
    assert [z.id for z in await make_provider(fake, zone_id_filter=(private.id,)).zones()] == ["internal"]
    assert [z.id for z in await make_provider(fake, zone_id_filter=("other",)).zones()] == ["other"]
    assert [z.id for z in await make_provider(fake, domain_filter=DomainFilter(include=("example.org",))).zones()] == [
        "other"
    ]


async def test_an_update_replaces_the_exact_rrset_in_one_atomic_change(fake: FakeCloudDNS, key_file: Path) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    await provider.apply_changes(zone, Changes(create=owned("web", "203.0.113.1")))
    (old,) = [ep for ep in await provider.records(zone) if ep.record_type == "A"]
    new = old.with_(targets=("203.0.113.9",))
    await provider.apply_changes(zone, Changes(update_old=[old], update_new=[new]))
    assert fake.values("example-com")[(f"web.{ZONE}", "A")] == {"203.0.113.9"}
    assert fake.applied[-1]["deletions"][0]["rrdatas"] == ["203.0.113.1"]
    assert fake.applied[-1]["additions"][0]["rrdatas"] == ["203.0.113.9"]
    await provider.apply_changes(zone, Changes(delete=[new, *owned("web", "x")[1:]]))
    assert (f"web.{ZONE}", "A") not in fake.values("example-com")
    assert (f"a-web.{ZONE}", "TXT") not in fake.values("example-com")


async def test_batches_respect_the_size_and_never_part_a_record_from_its_txt(
    fake: FakeCloudDNS, key_file: Path
) -> None:
    sleep = RecordedSleep()
    provider = make_provider(fake, sleep, batch_change_size=5, batch_change_interval=1.5)
    (zone,) = await provider.zones()
    records = [ep for i in range(7) for ep in owned(f"svc{i}", f"203.0.113.{i + 1}")]
    outcome = await provider.apply_changes(zone, Changes(create=records))
    assert outcome.failed == []
    assert sleep.delays == [1.5, 1.5, 1.5], "--google-batch-change-interval between changes"
    assert len(fake.applied) == 4, "seven pairs, two pairs (four rrsets) per change of at most five"
    for change in fake.applied:
        names = {rrset["name"] for rrset in change["additions"]}
        for rrset in change["additions"]:
            if rrset["type"] == "A":
                assert "a-" + rrset["name"] in names, "the TXT travels with its record"
    assert len(fake.values("example-com")) == 2 + 14


async def test_a_refused_record_fails_alone_and_every_other_record_is_written(
    fake: FakeCloudDNS, key_file: Path
) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    fake.refused_values.add("203.0.113.13")
    records = [ep for i in range(20) for ep in owned(f"svc{i}", f"203.0.113.{i}")]
    outcome = await provider.apply_changes(zone, Changes(create=records))
    assert {ep.dns_name for ep, _ in outcome.failed} == {f"svc13.{ZONE}", f"a-svc13.{ZONE}"}
    assert all("Invalid value" in message for _, message in outcome.failed)
    written = fake.values("example-com")
    assert all((f"svc{i}.{ZONE}", "A") in written for i in range(20) if i != 13)
    assert (f"svc13.{ZONE}", "A") not in written and (f"a-svc13.{ZONE}", "TXT") not in written


async def test_an_rrset_that_already_exists_is_a_conflict_of_that_record_only(
    fake: FakeCloudDNS, key_file: Path
) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    await provider.apply_changes(zone, Changes(create=[Endpoint(f"taken.{ZONE}", "A", ("192.0.2.1",))]))
    outcome = await provider.apply_changes(
        zone, Changes(create=[Endpoint(f"taken.{ZONE}", "A", ("192.0.2.2",)), *owned("free", "192.0.2.3")])
    )
    assert [(ep.dns_name, "already exists" in message) for ep, message in outcome.failed] == [(f"taken.{ZONE}", True)]
    assert fake.values("example-com")[(f"taken.{ZONE}", "A")] == {"192.0.2.1"}
    assert (f"free.{ZONE}", "A") in fake.values("example-com")


@pytest.mark.parametrize(
    ("status", "reason"), [(429, "rateLimitExceeded"), (403, "rateLimitExceeded"), (403, "userRateLimitExceeded")]
)
async def test_rate_limits_are_waited_out(fake: FakeCloudDNS, key_file: Path, status: int, reason: str) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    fake.fail_next(Fault("POST", "/changes", status, reason, "Rate Limit Exceeded", {"Retry-After": "0"}), times=2)
    outcome = await provider.apply_changes(zone, Changes(create=owned("web", "203.0.113.1")))
    assert outcome.failed == []
    assert fake.requests.count(("POST", "/dns/v1/projects/dns-project/managedZones/example-com/changes")) == 3
    assert len(fake.applied) == 1


async def test_a_forbidden_write_is_a_refusal_not_a_rate_limit(fake: FakeCloudDNS, key_file: Path) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    fake.fail_next(Fault("POST", "/changes", 403, "forbidden", "Forbidden: dns.changes.create denied"))
    outcome = await provider.apply_changes(zone, Changes(create=owned("web", "203.0.113.1")))
    assert [("dns.changes.create denied" in message) for _, message in outcome.failed] == [True, True]
    assert fake.applied == []


async def test_a_lost_answer_to_a_change_is_not_sent_again(fake: FakeCloudDNS, key_file: Path) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    fake.fail_next(Fault("POST", "/changes", 503, "backendError", "Backend Error", after_applying=True))
    with pytest.raises(CloudDNSUnavailable) as raised:
        await provider.apply_changes(zone, Changes(create=owned("web", "203.0.113.1")))
    assert raised.value.maybe_applied
    assert isinstance(raised.value, AmbiguousProviderError), "the zone worker re-reads the zone before a retry"
    assert len(fake.applied) == 1, "applied once, and not sent again blindly"


async def test_server_errors_on_reads_are_retried_with_exponential_backoff(fake: FakeCloudDNS, key_file: Path) -> None:
    sleep = RecordedSleep()
    provider = make_provider(fake, sleep)
    (zone,) = await provider.zones()
    fake.fail_next(Fault("GET", "/rrsets", 500, "backendError", "Backend Error"), times=2)
    assert await provider.records(zone) == []
    assert sleep.delays == [0.5, 1.0]
    fake.fail_next(Fault("GET", "/rrsets", 500, "backendError", "Backend Error"), times=5)
    with pytest.raises(TransientProviderError, match="HTTP 500"):
        await provider.records(zone)
    assert sleep.delays[2:] == [0.5, 1.0, 2.0, 4.0], "five attempts in all, then the error"


async def test_an_expired_token_is_refreshed_once(fake: FakeCloudDNS, key_file: Path) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    fake.tokens.clear()  # every token the provider holds is now refused with 401
    assert await provider.records(zone) == []
    assert [path for method, path in fake.requests if path == "/token"] == ["/token", "/token"]
    fake.tokens.clear()
    fake.fail_next(Fault("POST", "/token", 400, "invalid_grant", "revoked"), times=3)
    with pytest.raises(ProviderError):
        await provider.records(zone)


async def test_tokens_and_keys_never_reach_the_log(
    fake: FakeCloudDNS, key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    fake.fail_next(Fault("POST", "/changes", 429, "rateLimitExceeded", "Rate Limit Exceeded", {"Retry-After": "0"}))
    await provider.apply_changes(zone, Changes(create=owned("web", "203.0.113.1")))
    assert fake.tokens
    for token in fake.tokens:
        assert token not in caplog.text
    assert "PRIVATE KEY" not in caplog.text
    assert PROJECT in caplog.text or "Cloud DNS" in caplog.text
