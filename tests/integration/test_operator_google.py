"""The whole operator with ``--provider=google`` against the Cloud DNS fake (tests/backends/google.py).

The shared backend tests (records follow objects, an idle resync writes nothing, a failing backend gives a
RecordError and recovers) run for Google in test_operator_providers.py; these are the Google-specific ones:
adopting a zone ExternalDNS wrote, one refused record among many, and a dry run. The real Cloud DNS is never
contacted.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.backends.google import FakeCloudDNS
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.test_operator_providers import EVENT_TIMEOUT, LoopThread, events_on, run

from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
OWNER = "google-it"


def txt(resource: str, owner: str = OWNER) -> str:
    return f'"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"'


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeCloudDNS, LoopThread]]:
    loop = LoopThread()
    server = FakeCloudDNS()
    loop.run(server.start())
    server.add_zone("example-com", ZONE)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(server.key_file(tmp_path)))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    yield server, loop
    loop.run(server.stop())
    loop.close()


def settings(cluster: LocalCluster, server: FakeCloudDNS, **flags: Any) -> Any:
    return operator_settings(
        cluster.kubeconfig,
        source=["service"],
        provider="google",
        txt_owner_id=OWNER,
        google_endpoint_url=f"{server.url}/dns/v1",
        google_batch_change_interval=0.0,
        domain_filter=[ZONE],
        **flags,
    )


def values(server: FakeCloudDNS, loop: LoopThread) -> dict[tuple[str, str], set[str]]:
    async def read() -> dict[tuple[str, str], set[str]]:
        return server.values("example-com")

    return loop.run(read())


def test_a_zone_externaldns_wrote_is_adopted_without_one_change(
    cluster: LocalCluster, fake: tuple[FakeCloudDNS, LoopThread]
) -> None:
    server, loop = fake
    zone = server.zones["example-com"]
    # Exactly what ExternalDNS's Google provider writes for a Service with the default TTL: the record with TTL
    # 300, and its ownership TXT in both the new (a-) and the old format.
    for name, rtype, rrdatas in [
        ("web.example.com.", "A", ["203.0.113.10"]),
        ("a-web.example.com.", "TXT", [txt("service/default/web")]),
        ("web.example.com.", "TXT", [txt("service/default/web")]),
    ]:
        zone.rrsets[(name, rtype)] = {"kind": "dns#resourceRecordSet", "name": name, "type": rtype, "ttl": 300,
                                      "rrdatas": rrdatas}  # fmt: skip
    before = values(server, loop)
    run(cluster.create("v1", "services", lb_service("web", f"web.{ZONE}", "203.0.113.10")))
    with OperatorThread(settings(cluster, server)) as op:
        op.wait_idle()
    assert server.applied == []
    assert values(server, loop) == before


def test_one_refused_record_does_not_hold_back_the_others(
    cluster: LocalCluster, fake: tuple[FakeCloudDNS, LoopThread]
) -> None:
    server, loop = fake
    server.refused_values.add("203.0.113.113")
    for i in range(30):
        run(cluster.create("v1", "services", lb_service(f"svc{i}", f"svc{i}.{ZONE}", f"203.0.113.{100 + i}")))
    with OperatorThread(settings(cluster, server)):
        wait_for(
            lambda: all((f"svc{i}.{ZONE}", "A") in values(server, loop) for i in range(30) if i != 13),
            what="every record but the refused one",
        )
        errors = wait_for(lambda: events_on(cluster, "svc13", "RecordError"), EVENT_TIMEOUT, "the culprit's error")
        assert "Invalid value" in errors[0]["message"]
        wait_for(lambda: events_on(cluster, "svc12", "RecordReady"), EVENT_TIMEOUT, "a neighbour's RecordReady")
        assert not events_on(cluster, "svc12", "RecordError")
        assert not events_on(cluster, "svc14", "RecordError")
    assert (f"svc13.{ZONE}", "A") not in values(server, loop)
    assert (f"a-svc13.{ZONE}", "TXT") not in values(server, loop)


def test_a_dry_run_prints_the_plan_and_writes_nothing(
    cluster: LocalCluster, fake: tuple[FakeCloudDNS, LoopThread]
) -> None:
    server, _ = fake
    run(cluster.create("v1", "services", lb_service("web", f"web.{ZONE}", "203.0.113.4")))
    args = [
        sys.executable, "-m", "external_dns", "--once", "--dry-run", "--source=service", "--provider=google",
        f"--kubeconfig={cluster.kubeconfig}", f"--google-endpoint-url={server.url}/dns/v1",
        f"--domain-filter={ZONE}", f"--txt-owner-id={OWNER}",
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ), timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "DRY-RUN CREATE A web.example.com -> 203.0.113.4" in done.stdout
    assert server.applied == []
    assert not asyncio.run(cluster.list("v1", "events"))
    for token in server.tokens:
        assert token not in done.stdout + done.stderr
