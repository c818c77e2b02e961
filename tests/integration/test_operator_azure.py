"""The whole operator with ``--provider=azure`` / ``azure-private-dns`` against the ARM fake, in its own process.

The operator runs as a user runs it (``python -m external_dns``), trusting the fake's certificate through
SSL_CERT_FILE and getting tokens from it through AZURE_AUTHORITY_HOST; the API server is the local one. Every
assertion about DNS is made on the fake's state, every assertion about feedback on the Events. The real Azure
services are never contacted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.backends.azure import CLIENT_ID, CLIENT_SECRET, RESOURCE_GROUP, SUBSCRIPTION, TENANT, FakeAzure, Fault
from tests.backends.bind import free_port
from tests.builders import lb_service
from tests.harness import wait_for
from tests.integration.test_operator_providers import EVENT_TIMEOUT, LoopThread, events_on, run

from external_dns.testing.cluster import LocalCluster

OWNER = "azure-it"


def txt(resource: str) -> str:
    return f'"heritage=external-dns,external-dns/owner={OWNER},external-dns/resource={resource}"'


class AzureOperator:
    """The Azure fake (served by a loop thread) and an operator process pointed at it."""

    def __init__(self, cluster: LocalCluster, workdir: Path, *, private: bool) -> None:
        self.cluster = cluster
        self.private = private
        self.zone = "internal.example.com" if private else "example.com"
        self.loop = LoopThread()
        self.fake = FakeAzure(workdir)
        self.loop.run(self.fake.start())
        self.loop.run(self._add_zone())
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.log = (workdir / "operator.log").open("wb")

    async def _add_zone(self) -> None:
        self.fake.add_zone(self.zone, private=self.private)

    def command(self, *extra: str) -> tuple[list[str], dict[str, str]]:
        config = self.workdir / "azure.json"
        config.write_text(json.dumps({"tenantId": TENANT, "subscriptionId": SUBSCRIPTION,
                                      "resourceGroup": RESOURCE_GROUP, "aadClientId": CLIENT_ID,
                                      "aadClientSecret": CLIENT_SECRET}))  # fmt: skip
        env = {**os.environ, "SSL_CERT_FILE": str(self.fake.cert_path), "AZURE_AUTHORITY_HOST": self.fake.url}
        args = [
            sys.executable, "-m", "external_dns", "--source=service",
            f"--provider={'azure-private-dns' if self.private else 'azure'}",
            f"--kubeconfig={self.cluster.kubeconfig}", f"--azure-config-file={config}",
            f"--azure-endpoint-url={self.fake.url}", f"--domain-filter={self.zone}", f"--txt-owner-id={OWNER}",
            *extra,
        ]  # fmt: skip
        return args, env

    def start(self) -> None:
        args, env = self.command(f"--metrics-address=127.0.0.1:{free_port()}", "--interval=1h")
        self.process = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def run_once(self) -> subprocess.CompletedProcess[str]:
        args, env = self.command("--once")
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=90, check=False)

    def values(self) -> dict[tuple[str, str], set[str]]:
        async def read() -> dict[tuple[str, str], set[str]]:
            return self.fake.values(self.zone, private=self.private)

        return self.loop.run(read())

    def writes(self) -> int:
        async def read() -> int:
            return self.fake.writes

        return self.loop.run(read())

    def call(self, function: Any) -> Any:
        async def invoke() -> Any:
            return function()

        return self.loop.run(invoke())

    def stop(self) -> str:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)
        self.log.close()
        self.loop.run(self.fake.stop())
        self.loop.close()
        return (self.workdir / "operator.log").read_text(errors="replace")


@pytest.fixture(params=[False, True], ids=["azure", "azure-private-dns"])
def azure(request: pytest.FixtureRequest, cluster: LocalCluster, tmp_path: Path) -> Iterator[AzureOperator]:
    running = AzureOperator(cluster, tmp_path, private=request.param)
    yield running
    log = running.stop()
    assert CLIENT_SECRET not in log
    for token in running.fake.tokens:
        assert token not in log


def test_records_follow_the_objects(cluster: LocalCluster, azure: AzureOperator) -> None:
    zone = azure.zone
    svc = lb_service("web", f"web.{zone}", "203.0.113.10")
    run(cluster.create("v1", "services", svc))
    azure.start()
    wait_for(lambda: (f"a-web.{zone}", "TXT") in azure.values() and (f"web.{zone}", "A") in azure.values(),
             30, "the record and its TXT")  # fmt: skip
    assert azure.values()[(f"web.{zone}", "A")] == {"203.0.113.10"}
    assert azure.values()[(f"a-web.{zone}", "TXT")] == {txt("service/default/web")}
    wait_for(lambda: events_on(cluster, "web", "RecordReady"), EVENT_TIMEOUT, "RecordReady")

    run(cluster.patch("v1", "services", "web", {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.11"}]}}},
                      "default", subresource="status"))  # fmt: skip
    wait_for(lambda: azure.values().get((f"web.{zone}", "A")) == {"203.0.113.11"}, 30, "the update")
    writes = azure.writes()
    run(cluster.delete("v1", "services", "web", "default"))
    wait_for(lambda: (f"web.{zone}", "A") not in azure.values() and (f"a-web.{zone}", "TXT") not in azure.values(),
             30, "the record and its TXT to go")  # fmt: skip
    assert azure.writes() == writes + 2


def test_a_failing_backend_gives_a_record_error_with_azures_message_then_recovers(
    cluster: LocalCluster, azure: AzureOperator
) -> None:
    azure.start()
    wait_for(lambda: any(path.lower().endswith("/all") for _, path in azure.fake.requests), 30, "the zone read")
    forbidden = Fault("PUT", "", 403, "AuthorizationFailed", "The client does not have authorization to perform action")
    azure.call(lambda: setattr(azure.fake.faults, "outage", forbidden))
    svc = lb_service("late", f"late.{azure.zone}", "203.0.113.70")
    run(cluster.create("v1", "services", svc))
    errors = wait_for(lambda: events_on(cluster, "late", "RecordError"), EVENT_TIMEOUT * 2, "a RecordError")
    assert "does not have authorization" in errors[0]["message"]
    azure.call(lambda: setattr(azure.fake.faults, "outage", None))
    wait_for(lambda: (f"late.{azure.zone}", "A") in azure.values(), 30, "the record once Azure lets it in")
    assert azure.values()[(f"a-late.{azure.zone}", "TXT")] == {txt("service/default/late")}


def test_a_zone_externaldns_wrote_is_adopted_without_one_write(cluster: LocalCluster, azure: AzureOperator) -> None:
    zone = azure.fake.zones[(azure.private, azure.zone)]
    ttl, a_key, txt_key = ("ttl", "aRecords", "txtRecords") if azure.private else ("TTL", "ARecords", "TXTRecords")

    async def seed() -> None:
        # What ExternalDNS's Azure provider writes: TTL 300, the TXT value with its quotes, in one string.
        address = [{"ipv4Address": "203.0.113.5"}]
        zone.record_sets[("web", "A")] = {"etag": "e1", "properties": {ttl: 300, a_key: address}}
        zone.record_sets[("a-web", "TXT")] = {
            "etag": "e2",
            "properties": {ttl: 300, txt_key: [{"value": [txt("service/default/web")]}]},
        }

    azure.loop.run(seed())
    svc = lb_service("web", f"web.{azure.zone}", "203.0.113.5")
    run(cluster.create("v1", "services", svc))
    done = azure.run_once()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", "a whole pass over the zone planned nothing"
    assert any(path.lower().endswith("/all") for _, path in azure.fake.requests)
    assert azure.writes() == 0
