"""A change made during the start-up LIST reaches Route 53, PowerDNS, Cloudflare, Cloud DNS and Azure DNS before the
LIST ends (the real operator, startchanges.py).

These providers read the records at a few names (``records_at``), so the operator plans such a change from them
at once; without that it waits for the whole LIST and the first sync. The LIST is held after its first page as in
test_start_changes_early (whose helpers these are); the backends are test_operator_providers' (moto behind a
proxy, a real pdns_server, the KMock Cloudflare fake), the Cloud DNS fake and the ARM fake (whose certificate the
operator's Azure clients are given here, as test_azure_provider does: this operator runs in the test's process).
"""

# The held-LIST fixture is test_start_changes_early's, imported under its name (which the test's argument repeats).
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.identity.aio import ClientSecretCredential
from tests.backends.azure import CLIENT_ID, CLIENT_SECRET, RESOURCE_GROUP, SUBSCRIPTION, TENANT, FakeAzure
from tests.backends.google import FakeCloudDNS
from tests.backends.moto import MotoServer
from tests.backends.pdns import pdns_missing_reason
from tests.harness import operator_settings, wait_for
from tests.integration.test_operator_providers import (
    ZONE,
    AWSBackend,
    Backend,
    CloudflareBackend,
    LoopThread,
    PDNSBackend,
    Records,
)
from tests.integration.test_start_changes_early import (  # noqa: F401  (a fixture, found by pytest by its name)
    COUNT,
    ListHold,
    Starting,
    create_services,
    move_service,
    second_page_held,
)

from external_dns.providers import azure
from external_dns.providers.azure import AzureConfig, AzureProvider
from external_dns.testing.cluster import LocalCluster


class GoogleBackend:
    """The Cloud DNS fake (tests/backends/google.py), its credentials in the environment."""

    provider = "google"

    def __init__(self, loop: LoopThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loop = loop
        self.fake = FakeCloudDNS()
        loop.run(self.fake.start())
        self.fake.add_zone("example-com", ZONE)
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(self.fake.key_file(tmp_path)))
        monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))

    def flags(self) -> dict[str, object]:
        url = f"{self.fake.url}/dns/v1"
        return {"google_endpoint_url": url, "google_batch_change_interval": 0.0, "domain_filter": [ZONE]}

    def records(self) -> Records:
        async def read() -> Records:
            return {(name, kind): values for (name, kind), values in self.fake.values("example-com").items()}

        return self.loop.run(read())

    def close(self) -> None:
        self.loop.run(self.fake.stop())


class AzureBackend:
    """The ARM fake (tests/backends/azure.py); the operator's Azure provider trusts its certificate."""

    provider = "azure"

    def __init__(self, loop: LoopThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loop = loop
        self.fake = FakeAzure(tmp_path)
        loop.run(self.fake.start())
        loop.run(self._add_zone())
        self.config_file = tmp_path / "azure.json"
        self.config_file.write_text(json.dumps({"subscriptionId": SUBSCRIPTION, "resourceGroup": RESOURCE_GROUP}))
        monkeypatch.setattr(azure, "AzureProvider", self._trusting)

    async def _add_zone(self) -> None:
        self.fake.add_zone(ZONE)

    def _trusting(self, config: AzureConfig, **options: Any) -> AzureProvider:
        verify = str(self.fake.cert_path)
        credential = ClientSecretCredential(
            TENANT, CLIENT_ID, CLIENT_SECRET, authority=self.fake.url, connection_verify=verify
        )
        return AzureProvider(config, credential=credential, client_options={"connection_verify": verify}, **options)

    def flags(self) -> dict[str, object]:
        return {
            "azure_config_file": str(self.config_file),
            "azure_endpoint_url": self.fake.url,
            "domain_filter": [ZONE],
        }

    def records(self) -> Records:
        async def read() -> Records:
            return self.fake.values(ZONE)

        return self.loop.run(read())

    def close(self) -> None:
        self.loop.run(self.fake.stop())


@pytest.fixture(scope="module")
def backend_loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture(params=["aws", "pdns", "cloudflare", "google", "azure"])
def cloud(
    request: pytest.FixtureRequest, backend_loop: LoopThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    if request.param == "aws":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTING")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
        with MotoServer() as moto:
            made = AWSBackend(moto, backend_loop)
            try:
                yield made
            finally:
                made.close()
        return
    if request.param == "pdns":
        if (reason := pdns_missing_reason()) is not None:
            pytest.skip(reason)
        backend: Backend = PDNSBackend(tmp_path / "pdns")
    elif request.param == "google":
        backend = GoogleBackend(backend_loop, tmp_path, monkeypatch)
    elif request.param == "azure":
        backend = AzureBackend(backend_loop, tmp_path, monkeypatch)
    else:
        backend = CloudflareBackend(backend_loop)
    try:
        yield backend
    finally:
        backend.close()


def a_records(cloud: Backend) -> dict[str, set[str]]:
    return {name: values for (name, kind), values in cloud.records().items() if kind == "A"}


def test_a_change_during_the_start_up_list_reaches_dns_before_the_list_ends(
    cluster: LocalCluster, cloud: Backend, second_page_held: ListHold
) -> None:
    create_services(cluster)
    flags = {"source": ["service"], "txt_owner_id": "start", "provider": cloud.provider, **cloud.flags()}
    with Starting(operator_settings(cluster.kubeconfig, **flags), second_page_held):
        wait_for(second_page_held.held.is_set, 30, "the operator's LIST, held after its first page")
        move_service(cluster, "s-001", "192.0.2.51")  # listed already
        move_service(cluster, "s-012", "192.0.2.55")  # on the held page: known from the watch alone
        moved = {f"s-001.{ZONE}": {"192.0.2.51"}, f"s-012.{ZONE}": {"192.0.2.55"}}

        wait_for(lambda: moved.items() <= a_records(cloud).items(), 30, "both changes in DNS while the LIST is held")
        held = cloud.records()
        assert all((f"a-{name}", "TXT") in held for name in moved), "each with its ownership TXT"
        assert len(a_records(cloud)) == 2  # nothing else is planned before every object is listed
        assert not second_page_held.released.is_set()

        second_page_held.released.set()
        wait_for(lambda: len(a_records(cloud)) == COUNT, 60, "the first sync")
        assert moved.items() <= a_records(cloud).items()
