"""The Azure DNS and Azure Private DNS providers against the local ARM fake (tests/backends/azure.py).

The Azure SDK's async clients and azure-identity's credentials run for real, over HTTPS to 127.0.0.1 with the
fake's own certificate (passed as ``connection_verify`` here; the subprocess tests use SSL_CERT_FILE, as a user
would). The real Azure services are never contacted.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from azure.identity.aio import ClientSecretCredential, ManagedIdentityCredential, WorkloadIdentityCredential
from tests.backends.azure import CLIENT_ID, CLIENT_SECRET, RESOURCE_GROUP, SUBSCRIPTION, TENANT, FakeAzure, Fault

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint
from external_dns.errors import ConfigError, TransientProviderError
from external_dns.providers.azure import AzureConfig, AzureProvider, load_config
from external_dns.providers.azure.credentials import credential_for
from external_dns.providers.base import Changes
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"


@pytest.fixture
async def fake(tmp_path: Path) -> AsyncIterator[FakeAzure]:
    server = FakeAzure(tmp_path)
    await server.start()
    server.add_zone(ZONE)
    server.add_zone("internal.example.com", private=True)
    yield server
    await server.stop()


def make_provider(fake: FakeAzure, *, private: bool = False, **options: object) -> AzureProvider:
    verify = str(fake.cert_path)
    credential = ClientSecretCredential(TENANT, CLIENT_ID, CLIENT_SECRET, authority=fake.url, connection_verify=verify)
    config = AzureConfig(subscription_id=SUBSCRIPTION, resource_group=RESOURCE_GROUP, endpoint_url=fake.url)
    return AzureProvider(
        config,
        private=private,
        credential=credential,
        client_options={"connection_verify": verify, "retry_backoff_factor": 0.01, **options},
    )


def owned(name: str, ip: str, zone: str = ZONE) -> list[Endpoint]:
    txt = f'"heritage=external-dns,external-dns/owner=azure-it,external-dns/resource=service/default/{name}"'
    return [
        Endpoint(f"{name}.{zone}", "A", (ip,)),
        Endpoint(f"a-{name}.{zone}", "TXT", (txt,), labels={OWNED_RECORD_LABEL: f"{name}.{zone}"}),
    ]


@pytest.mark.parametrize("private", [False, True], ids=["azure-dns", "azure-private-dns"])
async def test_records_are_created_read_back_in_pages_updated_and_deleted(fake: FakeAzure, private: bool) -> None:
    provider = make_provider(fake, private=private)
    zone_name = "internal.example.com" if private else ZONE
    (zone,) = await provider.zones()
    assert zone.name == zone_name
    created = [ep for i in range(3) for ep in owned(f"svc{i}", f"10.0.0.{i + 1}", zone_name)]
    created += [
        Endpoint(f"mail.{zone_name}", "MX", ("10 mx.example.net",), ttl=60),
        Endpoint(f"alias.{zone_name}", "CNAME", ("svc0.example.com",)),
        Endpoint(f"long.{zone_name}", "TXT", ("x" * 300,)),
    ]
    outcome = await provider.apply_changes(zone, Changes(create=created))
    assert outcome.failed == []
    read = {(ep.dns_name, ep.record_type): ep for ep in await provider.records(zone)}
    assert read[(f"svc0.{zone_name}", "A")].targets == ("10.0.0.1",)
    assert read[(f"svc0.{zone_name}", "A")].ttl == 300
    assert read[(f"a-svc0.{zone_name}", "TXT")].targets == owned("svc0", "", zone_name)[1].targets
    assert read[(f"mail.{zone_name}", "MX")].targets == ("10 mx.example.net",)
    assert read[(f"alias.{zone_name}", "CNAME")].targets == ("svc0.example.com",)
    assert read[(f"long.{zone_name}", "TXT")].targets == ("x" * 300,), "a value over 255 characters reads back whole"
    assert (zone_name, "SOA") not in read and (zone_name, "NS") not in read
    lists = [path for method, path in fake.requests if path.lower().endswith("/all")]
    assert len(lists) >= 3, "ten record sets in pages of three"

    old = read[(f"svc1.{zone_name}", "A")]
    new = old.with_(targets=("10.0.0.99",))
    assert (await provider.apply_changes(zone, Changes(update_old=[old], update_new=[new]))).failed == []
    assert fake.values(zone_name, private=private)[(f"svc1.{zone_name}", "A")] == {"10.0.0.99"}
    assert (await provider.apply_changes(zone, Changes(delete=owned("svc2", "10.0.0.3", zone_name)))).failed == []
    assert (f"svc2.{zone_name}", "A") not in fake.values(zone_name, private=private)
    assert (f"a-svc2.{zone_name}", "TXT") not in fake.values(zone_name, private=private)
    await provider.close()


async def test_a_record_changed_in_azure_since_it_was_read_is_not_overwritten(fake: FakeAzure) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    await provider.apply_changes(zone, Changes(create=owned("web", "203.0.113.1")))
    (old,) = [ep for ep in await provider.records(zone) if ep.record_type == "A"]
    # Someone edits the record set in the portal: its etag changes.
    fake.zones[(False, ZONE)].record_sets[("web", "A")] = {
        "etag": "edited-by-hand",
        "properties": {"TTL": 300, "ARecords": [{"ipv4Address": "198.51.100.7"}]},
    }
    changes = Changes(update_old=[old], update_new=[old.with_(targets=("203.0.113.2",))])
    outcome = await provider.apply_changes(zone, changes)
    assert [("changed in Azure since it was read" in message) for _, message in outcome.failed] == [True]
    assert fake.values(ZONE)[(f"web.{ZONE}", "A")] == {"198.51.100.7"}
    await provider.close()


async def test_a_create_whose_answer_was_lost_is_recognised_when_it_is_sent_again(fake: FakeAzure) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    await provider.apply_changes(zone, Changes(create=owned("web", "203.0.113.1")))
    # The same creates again, as after a lost answer: If-None-Match fails, the record sets already are as wanted.
    outcome = await provider.apply_changes(zone, Changes(create=owned("web", "203.0.113.1")))
    assert outcome.failed == []
    taken = await provider.apply_changes(zone, Changes(create=[Endpoint(f"web.{ZONE}", "A", ("192.0.2.9",))]))
    assert [("changed in Azure" in message) for _, message in taken.failed] == [True]
    assert fake.values(ZONE)[(f"web.{ZONE}", "A")] == {"203.0.113.1"}
    await provider.close()


async def test_one_refused_record_fails_alone_and_its_record_waits_for_its_txt(fake: FakeAzure) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    fake.refused_values.add("203.0.113.13")
    bad_txt = owned("orphan", "203.0.113.20")
    fake.refused_values.add(bad_txt[1].targets[0])
    records = [ep for i in range(10, 16) for ep in owned(f"svc{i}", f"203.0.113.{i}")] + bad_txt
    outcome = await provider.apply_changes(zone, Changes(create=records))
    assert sorted(ep.dns_name for ep, _ in outcome.failed) == [f"a-orphan.{ZONE}", f"orphan.{ZONE}", f"svc13.{ZONE}"]
    written = fake.values(ZONE)
    assert all((f"svc{i}.{ZONE}", "A") in written for i in range(10, 16) if i != 13)
    assert (f"orphan.{ZONE}", "A") not in written, "a record is never created without its ownership TXT"
    await provider.close()


async def test_throttling_is_waited_out_with_retry_after(fake: FakeAzure) -> None:
    provider = make_provider(fake)
    (zone,) = await provider.zones()
    fake.fail_next(Fault("PUT", "/A/web", 429, "TooManyRequests", "Throttled", {"Retry-After": "0"}), times=2)
    outcome = await provider.apply_changes(zone, Changes(create=owned("web", "203.0.113.1")))
    assert outcome.failed == []
    assert fake.requests.count(("PUT", f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}"
                                f"/providers/Microsoft.Network/dnsZones/{ZONE}/A/web")) == 3  # fmt: skip
    await provider.close()


async def test_a_failing_read_is_transient_and_names_azures_message(fake: FakeAzure) -> None:
    provider = make_provider(fake, retry_total=1)
    (zone,) = await provider.zones()
    fake.fail_next(Fault("GET", "/all", 503, "ServiceUnavailable", "The service is unavailable"), times=2)
    with pytest.raises(TransientProviderError, match="unavailable"):
        await provider.records(zone)
    await provider.close()


async def test_zones_pass_the_domain_and_id_filters(fake: FakeAzure) -> None:
    fake.add_zone("example.org")
    provider = make_provider(fake)
    assert [z.name for z in await provider.zones()] == ["example.com", "example.org"]
    filtered = AzureProvider(
        provider.config, credential=provider._credential, domain_filter=DomainFilter(include=("example.org",)),
        client_options={"connection_verify": str(fake.cert_path)},
    )  # fmt: skip
    assert [z.name for z in await filtered.zones()] == ["example.org"]
    by_id = AzureProvider(
        provider.config, credential=provider._credential, zone_id_filter=("dnsZones/example.com",),
        client_options={"connection_verify": str(fake.cert_path)},
    )  # fmt: skip
    assert [z.name for z in await by_id.zones()] == ["example.com"]
    await provider.close()
    await filtered.store.close()
    await by_id.store.close()


# --- configuration and credentials ----------------------------------------------------------------------------


def write_config(path: Path, **values: object) -> Path:
    path.write_text(json.dumps({"tenantId": TENANT, "subscriptionId": SUBSCRIPTION,
                                "resourceGroup": RESOURCE_GROUP, **values}))  # fmt: skip
    return path


def test_the_flags_win_over_azure_json(tmp_path: Path) -> None:
    path = write_config(tmp_path / "azure.json", aadClientId=CLIENT_ID, aadClientSecret=CLIENT_SECRET)
    config = load_config(str(path), resource_group="other-rg", subscription_id="other-sub")
    assert (config.resource_group, config.subscription_id, config.client_id) == ("other-rg", "other-sub", CLIENT_ID)
    assert CLIENT_SECRET not in repr(config)


@pytest.mark.parametrize(
    ("content", "flag"),
    [("{not json", "--azure-config-file"), ('{"resourceGroup": "rg"}', "--azure-subscription-id"),
     ('{"subscriptionId": "s"}', "--azure-resource-group")],
)  # fmt: skip
def test_a_broken_azure_json_names_what_is_missing(tmp_path: Path, content: str, flag: str) -> None:
    path = tmp_path / "azure.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=flag):
        load_config(str(path))
    with pytest.raises(ConfigError, match="--azure-config-file: cannot read"):
        load_config(str(tmp_path / "missing.json"))


async def test_credentials_are_chosen_as_externaldns_chooses_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def config(**values: object) -> AzureConfig:
        return load_config(str(write_config(tmp_path / "azure.json", **values)))

    chosen = [
        credential_for(config(aadClientId=CLIENT_ID, aadClientSecret=CLIENT_SECRET, useManagedIdentityExtension=True)),
        credential_for(config(aadClientId="msi", aadClientSecret="msi", useManagedIdentityExtension=True)),
        credential_for(config(useManagedIdentityExtension=True, userAssignedIdentityID=CLIENT_ID)),
    ]
    assert [type(c) for c in chosen] == [ClientSecretCredential, ManagedIdentityCredential, ManagedIdentityCredential]
    with pytest.raises(ConfigError, match="AZURE_FEDERATED_TOKEN_FILE"):
        credential_for(config(useWorkloadIdentityExtension=True))
    token_file = tmp_path / "token"
    token_file.write_text("a.b.c")
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    workload = credential_for(config(useWorkloadIdentityExtension=True, aadClientId=CLIENT_ID))
    assert isinstance(workload, WorkloadIdentityCredential)
    with pytest.raises(ConfigError, match="no credentials"):
        credential_for(config())
    for credential in [*chosen, workload]:
        await credential.close()


# --- the command, in a process of its own (SSL_CERT_FILE and AZURE_AUTHORITY_HOST as a user sets them) -------


@pytest.mark.parametrize("identity", ["client-secret", "workload-identity", "managed-identity"])
async def test_once_with_each_kind_of_credential(
    fake: FakeAzure, tmp_path: Path, identity: str, cluster: LocalCluster
) -> None:
    environ = {**os.environ, "SSL_CERT_FILE": str(fake.cert_path), "AZURE_AUTHORITY_HOST": fake.url}
    values: dict[str, object] = {}
    if identity == "client-secret":
        values = {"aadClientId": CLIENT_ID, "aadClientSecret": CLIENT_SECRET}
    elif identity == "workload-identity":
        token_file = tmp_path / "federated-token"
        token_file.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl")
        environ.update(AZURE_FEDERATED_TOKEN_FILE=str(token_file), AZURE_CLIENT_ID=CLIENT_ID, AZURE_TENANT_ID=TENANT)
        values = {"useWorkloadIdentityExtension": True}
    else:
        environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = fake.url
        values = {"useManagedIdentityExtension": True}
    path = write_config(tmp_path / "azure.json", **values)
    args = [
        sys.executable, "-m", "external_dns", "--once", "--dry-run", "--source=service", "--provider=azure",
        f"--kubeconfig={cluster.kubeconfig}", f"--azure-config-file={path}", f"--azure-endpoint-url={fake.url}",
        f"--domain-filter={ZONE}",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(*args, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode == 0, err.decode()[-2000:]
    assert any(path.lower().endswith("/all") for _, path in fake.requests), "the zone was read with a token"
    for token in fake.tokens:
        assert token not in (out + err).decode()
    assert CLIENT_SECRET not in (out + err).decode()
